"""The README's settings table names every setting there is, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from search.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    rows = re.findall(r"^\| `(SEARCH_[A-Z_]+)` \|", README.read_text(encoding="utf-8"), re.M)
    assert sorted(rows) == sorted(f"SEARCH_{name.upper()}" for name in Settings.model_fields)
