"""Query text as the service sees it: one normal form, no control characters.

NFKC rather than NFC: text pasted from PDFs carries ligatures ("ﬁndings") and text typed
with East Asian input methods carries full-width letters ("ｎｅｇｌｅｃｔ"); NFKC turns both
into the plain letters the corpus uses, so they match. What it loses (superscripts become
digits, "½" becomes "1⁄2") does not change what a search means.
"""

from __future__ import annotations

import unicodedata

# C0 and C1 controls (NUL, ESC, DEL, ...) become spaces, so "abuse\x00neglect" stays two words.
_CONTROLS = {c: " " for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
# Bidirectional overrides and isolates can make echoed text display as something else
# ("Trojan Source"); zero-width spaces and BOMs only split words invisibly. Joiners (ZWJ,
# ZWNJ) stay: Persian, Indic scripts and emoji sequences need them.
_INVISIBLE: dict[int, str | None] = {
    c: None for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x2060, 0xFEFF)
}
_TABLE = str.maketrans({**_CONTROLS, **_INVISIBLE})


def clean_text(value: str, max_chars: int | None = None) -> str:
    """NFKC-normalised text with controls removed and white space collapsed to single spaces.

    Raises ValueError (a 422 at the HTTP edge) for text that is not valid Unicode (a lone
    surrogate, which JSON's \\ud800 escapes can smuggle in) or longer than max_chars. Text
    that only grows past max_chars by normalising (NFKC can turn one character into 18) is
    cut there: the caller sent an acceptable length.
    """
    if max_chars is not None and len(value) > max_chars:
        raise ValueError(f"must be at most {max_chars} characters (got {len(value)})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"is not valid Unicode (lone surrogate at {exc.start})") from None
    value = " ".join(unicodedata.normalize("NFKC", value).translate(_TABLE).split())
    return value[:max_chars].rstrip() if max_chars is not None else value


# For the OpenAPI schema: at least one character that clean_text keeps and that is not space.
HAS_TEXT = r"[^\s\x00-\x1f\x7f-\x9f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
