"""Schemathesis against the service's own OpenAPI schema: no 5xx, answers match the schema.

Bounded: SEARCH_FUZZ_EXAMPLES examples per operation (default 60; CI runs 300).
The app is built at collection because schemathesis loads the schema from it then; with
the fake embedder that costs a few milliseconds and a temporary folder.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from search.api import create_app
from search.config import Settings
from tests.fakes import FakeEmbedder

EXAMPLES = int(os.environ.get("SEARCH_FUZZ_EXAMPLES", "60"))
KEY = "fuzz-key"


def _app_over_a_copy_of_the_corpus() -> object:
    root = Path(tempfile.mkdtemp(prefix="scr-fuzz-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", root / "corpus")
    settings_ = Settings(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        api_keys=KEY,
        rate_limit=None,
        max_body_bytes=4096,
    )
    return create_app(settings_, embedder=FakeEmbedder())


schema = schemathesis.openapi.from_asgi("/openapi.json", _app_over_a_copy_of_the_corpus())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_holds_its_contract(case: schemathesis.Case) -> None:
    # Every check but one: a schema-valid `section` that names no heading of the corpus is
    # rightly a 422 listing the real ones, and which headings exist depends on the corpus.
    case.call_and_validate(headers={"X-API-Key": KEY}, excluded_checks=[positive_data_acceptance])
