"""The widget in headless Chromium on a plain intranet page: what staff see and do.

The servers and fixtures are in tests/widget/conftest.py; screenshots go to artifacts/widget/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.widget.harness import INPUT, OPTIONS, STATE, STATUS, WIDGET, Site, ask, shot

pytestmark = pytest.mark.browser


def test_search_mode_shows_passages_with_title_section_kind(page: Page, site: Site) -> None:
    page.goto(site.allowed.origin + "/search-mode")
    ask(page, "fathers alienated forgotten")
    expect(page.locator(OPTIONS)).to_have_count(3)
    kinds = page.locator(f"{OPTIONS} .kind").all_inner_texts()
    assert kinds == ["learning"] * 3  # the kind="learning" filter and limit="3"
    first = page.locator(OPTIONS).first
    expect(first.locator(".title")).to_have_text(
        "Complexity and challenge: a triennial analysis of SCRs 2014-2017"
    )
    expect(first.locator(".sec")).to_have_text("Neglect")
    expect(first.locator(".text")).to_contain_text("Fathers and partners sometimes felt alienated")
    expect(page.locator(STATUS)).to_have_text("3 passages found.")
    expect(page.locator(f"{WIDGET} .answer")).to_have_count(0)
    expect(page.locator(INPUT)).to_have_attribute("aria-expanded", "true")
    # What assistive technology sees: a labelled search landmark, a combobox, a listbox.
    region = page.get_by_role("search", name="Search the documents")
    expect(region.get_by_role("combobox", name="Search the documents")).to_be_visible()
    expect(region.get_by_role("listbox").get_by_role("option")).to_have_count(3)
    assert page.locator(INPUT).get_attribute("aria-controls") == page.locator(
        f"{WIDGET} [role=listbox]"
    ).get_attribute("id")
    shot(page, "search-mode")


def test_keyboard_only(page: Page, site: Site) -> None:
    page.goto(site.allowed.origin + "/search-mode")
    for _ in range(6):  # past the page's own links, into the widget
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.localName") == WIDGET:
            break
    inner = "document.querySelector('scr-search').shadowRoot.activeElement"
    assert page.evaluate(f"{inner}.getAttribute('role')") == "combobox"
    ring = page.evaluate(f"getComputedStyle({inner}).outlineStyle")
    assert ring == "solid", "keyboard focus must be visible"

    page.keyboard.type("fathers alienated forgotten")
    expect(page.locator(OPTIONS)).to_have_count(3)
    ids = [page.locator(OPTIONS).nth(i).get_attribute("id") for i in range(3)]
    inp = page.locator(INPUT)

    def active() -> str | None:
        return inp.get_attribute("aria-activedescendant")

    def selected() -> list[str | None]:
        return [
            o.get_attribute("id")
            for o in page.locator(OPTIONS).all()
            if o.get_attribute("aria-selected") == "true"
        ]

    assert active() is None and selected() == []
    for key, expected in [("ArrowDown", 0), ("ArrowDown", 1), ("ArrowUp", 0), ("ArrowUp", 2)]:
        page.keyboard.press(key)
        assert active() == ids[expected] and selected() == [ids[expected]], key
    shot(page, "keyboard-selected")

    page.keyboard.press("Enter")  # opens the active result: the host page hears of it
    picked = page.evaluate("window.__picked")
    assert len(picked) == 1
    assert picked[0]["result"]["kind"] == "learning"
    chosen = page.locator(OPTIONS).nth(2).locator(".text").inner_text()
    assert picked[0]["result"]["text"].startswith(chosen.rstrip(".… ")[:40])

    page.keyboard.press("Escape")
    expect(inp).to_have_value("")
    expect(page.locator(OPTIONS)).to_have_count(0)
    expect(inp).to_have_attribute("aria-expanded", "false")
    assert active() is None
    assert page.evaluate(f"{inner}.getAttribute('role')") == "combobox"  # focus stays


def test_enter_opens_the_passage_at_its_source(page: Page, site: Site) -> None:
    # The notes document declares the site path /source-doc as its URL (a .meta.json
    # beside it); a site path belongs to the page's own site, here the intranet.
    source = site.allowed.origin + "/source-doc"
    page.goto(site.allowed.origin + "/passages")
    ask(page, "pasted notes markup unsafe rendering imported notes")
    notes = page.locator(OPTIONS).filter(has_text="<img src=x onerror=")
    link = notes.locator("a")
    expect(link).to_have_count(1)
    href = link.get_attribute("href") or ""
    assert href.startswith(source + "#:~:text=Some%20pasted%20notes"), href
    assert link.get_attribute("tabindex") == "-1"  # arrows move between results, not Tab
    # The bundled document has no URL: its results are not links.
    unlinked = page.locator(OPTIONS).filter(has_not_text="Intranet notes on pasted markup")
    assert unlinked.count() >= 1
    expect(unlinked.locator("a")).to_have_count(0)
    index = [o.get_attribute("id") for o in page.locator(OPTIONS).all()].index(
        notes.get_attribute("id")
    )
    for _ in range(index + 1):
        page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(source)
    expect(page.locator("h1")).to_have_text("The source")


def _serve(page: Page, site: Site, results: list[dict[str, object]]) -> None:
    """Open the intranet page with these results standing in for the service's."""

    def fulfil(route: Route) -> None:
        route.fulfill(
            json={"query": "x", "answerable": True, "results": results},
            headers={"access-control-allow-origin": site.allowed.origin},
        )

    page.route(f"{site.api}/search?*", fulfil)
    page.goto(site.allowed.origin + "/passages")


def test_only_web_links_are_followed(page: Page, site: Site) -> None:
    # The service only stores http(s) or site-path URLs; should another server send a
    # javascript: one, the widget must neither link it nor follow it.
    results = [
        {"id": "b", "text": "Hostile passage.", "section": "S", "kind": "theme",
         "document": "d", "title": "Hostile doc", "url": "javascript:alert('url')",
         "link": "javascript:alert('link')"},
    ]  # fmt: skip
    _serve(page, site, results)
    ask(page, "hostile")
    expect(page.locator(OPTIONS)).to_have_count(1)
    expect(page.locator(f"{OPTIONS} a")).to_have_count(0)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert page.url.endswith("/passages")
    assert page.evaluate("window.__picked.length") == 1  # chosen, but nothing opened


def test_a_reading_list_entry_opens_what_it_names(page: Page, site: Site) -> None:
    listed = "These may help:\n\u2022 Working Together\n\u2022 Local procedures"
    results = [
        {"id": "e", "text": "Keeping children safe", "section": "Reading", "kind": "reference",
         "document": "d", "title": "Reading", "link": "https://example.org/d#:~:text=Keeping",
         "points_to": "https://example.org/kcsie"},
        {"id": "l", "text": listed, "section": "Further reading", "kind": "reference",
         "document": "d", "title": "Reading", "link": "https://example.org/d#:~:text=These",
         "matched": [{"start": 37, "end": 53}],
         "links": [{"start": 18, "end": 34, "url": "https://example.org/wt"},
                   {"start": 37, "end": 53, "url": "https://example.org/procedures"}]},
        {"id": "h", "text": "Hostile entry", "section": "S", "kind": "reference",
         "document": "d", "title": "Reading", "points_to": "javascript:alert(1)"},
    ]  # fmt: skip
    _serve(page, site, results)
    ask(page, "reading")
    options = page.locator(OPTIONS)
    expect(options).to_have_count(3)
    hrefs = [o.locator("a").first.get_attribute("href") for o in options.all()[:2]]
    # The entry opens the publication it names; the list, the entry that was found in it.
    assert hrefs == ["https://example.org/kcsie", "https://example.org/procedures"]
    expect(options.nth(2).locator("a")).to_have_count(0)  # never a javascript: link


def test_typing_is_debounced_and_stale_answers_are_dropped(page: Page, site: Site) -> None:
    seen: list[str] = []
    held: list[Route] = []

    def hold_neglect(route: Route) -> None:
        seen.append(route.request.url)
        if "q=neglect" in route.request.url:
            held.append(route)  # answer the older question only after the newer one
        else:
            route.continue_()

    page.route(f"{site.api}/search?*", hold_neglect)
    page.goto(site.allowed.origin + "/passages")
    # Keystrokes 40 ms apart, timed inside the page: round trips from Python could
    # stretch a gap past the 250 ms pause on a busy machine.
    page.locator(INPUT).evaluate(
        """async (input, text) => {
             for (const ch of text) {
               input.value += ch;
               input.dispatchEvent(new Event("input"));
               await new Promise((done) => setTimeout(done, 40));
             }
           }""",
        "neglect",
    )
    page.wait_for_timeout(600)
    assert len(seen) == 1 and "q=neglect" in seen[0], "one request per pause in typing"
    expect(page.locator(f"{WIDGET} .state")).to_have_text("Searching…")

    page.locator(INPUT).fill("domestic abuse")
    expect(page.locator(OPTIONS).first).to_contain_text("Domestic abuse: 164 (59%)")
    for route in held:
        try:
            route.continue_()
        except Exception:  # noqa: BLE001 - the widget already aborted it, which is fine
            pass
    page.wait_for_timeout(600)
    expect(page.locator(OPTIONS).first).to_contain_text("Domestic abuse: 164 (59%)")
    assert len(seen) == 2


def test_answer_on_top_highlighted_in_its_passage(page: Page, site: Site) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.startswith(site.api) else None)
    page.goto(site.allowed.origin + "/")
    ask(page, "How common was domestic abuse?")
    answer = page.locator(f"{OPTIONS}.answer")
    expect(answer).to_have_count(1)
    expect(page.locator(OPTIONS).first).to_have_class(re.compile(r"\banswer\b"))
    expect(answer.locator(".label")).to_have_text("Answer")
    mark = answer.locator(".text mark")
    expect(mark).to_have_count(1)
    said = mark.inner_text()
    passage = answer.locator(".text").inner_text()
    assert said.strip() and said in passage
    expect(answer.locator(".kind")).to_have_count(1)
    rest = page.locator(f"{OPTIONS}:not(.answer)")
    n = rest.count()
    assert n >= 1, "passages follow the answer"
    assert passage not in [t.strip() for t in rest.locator(".text").all_inner_texts()]
    passages = "passage" if n == 1 else "passages"
    expect(page.locator(STATUS)).to_have_text(f"Answer found, with {n} more {passages}.")
    page.keyboard.press("ArrowDown")
    assert page.locator(INPUT).get_attribute("aria-activedescendant") == answer.get_attribute("id")
    # One request brings the results and the answer: the service ranks once.
    searches = [u for u in asked if "/search?" in u or "/answer?" in u]
    assert len(searches) == 1 and "/search?" in searches[0] and "answer=true" in searches[0]
    shot(page, "answer-mode")


@pytest.mark.parametrize("path", ["/", "/passages"])  # from /answer, and /search alone
def test_a_misspelt_question_says_what_was_searched(page: Page, site: Site, path: str) -> None:
    page.goto(site.allowed.origin + path)
    ask(page, "parental seperation")
    expect(page.locator(STATE)).to_have_text("Showing results for “parental separation”.")
    expect(page.locator(STATUS)).to_contain_text("Showing results for “parental separation”.")
    expect(page.locator(OPTIONS).first).to_be_visible()
    ask(page, "parental separation")  # typed right: nothing to say
    expect(page.locator(STATE)).to_have_text("")


@pytest.mark.parametrize("path", ["/", "/passages"])  # from /answer, and /search alone
def test_not_covered_shows_nearest_topics(page: Page, site: Site, path: str) -> None:
    page.goto(site.allowed.origin + path)
    ask(page, "What is the boiling point of mercury in kelvin?")
    expect(page.locator(STATE)).to_contain_text("The documents do not seem to cover")
    topics = page.locator(f"{OPTIONS}.topic")
    expect(topics.first).to_be_visible()
    assert page.locator(f"{OPTIONS}.answer").count() == 0
    assert page.locator(f"{OPTIONS}.result").count() == 0
    expect(page.locator(STATUS)).to_contain_text("Not covered")
    shot(page, f"not-covered-{path.strip('/') or 'answer'}")
    topic = topics.first.locator(".name").inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # a topic searches for itself
    expect(page.locator(INPUT)).to_have_value(topic)
    expect(page.locator(f"{OPTIONS}.topic")).to_have_count(0)


def test_demo_page(page: Page, site: Site) -> None:
    page.goto(site.api + "/demo")
    expect(page.locator("pre code").first).to_contain_text(
        f'<script src="{site.api}/widget.js" defer></script>'
    )
    page.locator("#demo-widget input").fill("fathers alienated")
    expect(page.locator("#demo-widget [role=option]").first).to_be_visible()
    assert page.evaluate("window.__violations || []") == []
    shot(page, "demo")


def test_a_list_is_one_result_with_the_items_found_marked(page: Page, site: Site) -> None:
    page.goto(site.allowed.origin + "/passages")
    ask(page, "fathers alienated forgotten")
    first = page.locator(OPTIONS).first
    text = first.locator(".text")
    # The whole list of themes, lead-in first, one item a line, the matching one marked.
    expect(text).to_contain_text("Fathers and partners sometimes felt alienated")
    assert "\u2022 " in text.inner_text() and "\n" in text.inner_text()
    marks = first.locator(".text mark").all_inner_texts()
    assert any(m.startswith("Fathers and partners") for m in marks)
    assert all("\u2022" not in m for m in marks)  # the item, not its bullet
    expect(first.locator(".sec")).to_have_text("Neglect")  # its heading path
    shot(page, "list-result")


def test_same_origin_requests_carry_the_sign_on_cookie(page: Page, site: Site) -> None:
    """Behind a sign-on proxy the session is a cookie of the service's own origin: the widget
    on a page of that origin sends it with its questions (and no cookie cross-origin)."""
    page.context.add_cookies([{"name": "_sso", "value": "signed-in", "url": site.api}])
    page.goto(site.api + "/demo")
    with page.expect_request(lambda r: "/search?" in r.url) as asked:
        page.locator("#demo-widget input").fill("fathers alienated")
    expect(page.locator("#demo-widget [role=option]").first).to_be_visible()
    assert "_sso=signed-in" in asked.value.all_headers().get("cookie", "")
