from __future__ import annotations

from pathlib import Path

from search.retrieve.query import Glossary, intent, load_glossary


def test_glossary_expands_acronyms_once() -> None:
    g = load_glossary()
    assert g.expand("what % of SCRs featured DV") == (
        "what % of SCRs featured DV (serious case reviews; domestic violence abuse)"
    )
    assert g.expand("dv and dv again") == "dv and dv again (domestic violence abuse)"
    assert g.expand("nothing to expand here") == "nothing to expand here"


def test_glossary_phrases_match_whole() -> None:
    g = Glossary({"county lines": "drug running", "dv": "domestic violence"}, {})
    assert g.expand("County  Lines gangs") == "County  Lines gangs (drug running)"
    assert g.expand("county councils lines") == "county councils lines"


def test_ordinary_words_expand_only_in_capitals() -> None:
    g = load_glossary()
    assert g.expand("how do I send a referral") == "how do I send a referral"
    assert "special educational needs" in g.expand("SEND support")


def test_glossary_file_format(tmp_path: Path) -> None:
    path = tmp_path / "g.tsv"
    path.write_text("# comment\nabc\talpha beta\nxyz\tex why zed\tcaps\nbroken line\n")
    g = load_glossary(path)
    assert g == Glossary({"abc": "alpha beta"}, {"xyz": "ex why zed"})


def test_intent() -> None:
    assert intent("What percentage of reviews involved domestic abuse?").figure
    assert intent("how common was neglect").figure
    assert not intent("Did dads feel left out?").figure
    assert intent("key themes from care cases").themes
    assert intent("lessons for practice").lessons
    assert not intent("What should schools do?").lessons
    assert intent("which factor was most common").extreme == "max"
    assert intent("the least frequent characteristic").extreme == "min"
    assert intent("neglect").extreme is None
    assert intent("how many reviews involved drug misuse").figure
    # What ought to be is advice, not a figure from the data.
    assert not intent("how many visits should a social worker make").figure
    assert not intent("what proportion of cases must be audited").figure
    assert intent("which factor came up most often").extreme == "max"
    assert intent("the biggest risk").extreme == "max"
    # "most" as a quantifier or of importance, and comparatives, are not superlatives of size.
    assert intent("did most boards feel reviews helped").extreme is None
    assert intent("what matters most for change").extreme is None
    assert intent("was drink or drugs more common").extreme is None
    assert intent("is it less common").extreme is None


def test_an_acronym_the_corpus_uses_otherwise_is_not_expanded() -> None:
    glossary = Glossary(
        always={"cin": "child in need", "scr": "serious case review", "county lines": "drugs"},
        caps_only={"ace": "adverse childhood experience"},
    )
    medical = glossary.for_corpus("ACE inhibitors lower blood pressure. CIN 2 lesions regress.")
    assert medical.expand("ACE inhibitors and CIN") == "ACE inhibitors and CIN"
    # Not used there at all, or a phrase: still expanded.
    assert "serious case review" in medical.expand("SCR findings")
    assert "drugs" in medical.expand("county lines")
    # A corpus that spells it out too means the same thing by it.
    social = glossary.for_corpus("A child in need (CIN) plan was made. The SCR said ...")
    assert social.expand("CIN plans") == "CIN plans (child in need)"
