"""The widget in a real browser: headless Chromium, the real service, a plain intranet page.

The service runs the real app with the fake embedder on the bundled document plus a note
full of markup. One intranet site is in SEARCH_CORS_ORIGINS, another is not. Screenshots
land in artifacts/widget/ for a human to look at.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from search.api import create_app
from search.config import Settings
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Intranet, Service, dead_origin
from tests.conftest import ROOT, SEED
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts" / "widget"
NOTES = ROOT / "tests" / "data" / "widget-corpus" / "intranet-notes.md"
WIDGET = "scr-search"
OPTIONS = f"{WIDGET} [role=option]"
STATE = f"{WIDGET} .state"
INPUT = f"{WIDGET} input"


@dataclass
class Site:
    service: Service
    allowed: Intranet
    refused: Intranet
    dead: str

    @property
    def api(self) -> str:
        return self.service.origin


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("widget")
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    shutil.copy(NOTES, corpus / NOTES.name)
    meta = NOTES.with_name(NOTES.name + ".meta.json")
    shutil.copy(meta, corpus / meta.name)
    holder: dict[str, str] = {}
    with (
        Intranet(api=lambda: holder["api"]) as allowed,
        Intranet(api=lambda: holder["api"]) as refused,
    ):
        settings = Settings(
            corpus_dir=corpus, index_dir=tmp / "index", cors_origins=(allowed.origin,)
        )
        with Service(create_app(settings, embedder=FakeEmbedder())) as service:
            holder["api"] = service.origin
            allowed.extra["/source-doc"] = "<!doctype html><title>Source</title><h1>The source</h1>"
            yield Site(service, allowed, refused, dead_origin())


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install it with `apt-get install -y chromium` "
            "(or point SCR_TEST_CHROMIUM at a Chromium binary)"
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Watch:
    """What the page did that it should not: uncaught errors, dialogs, console errors."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    expected_console: list[str] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def unexpected_console(self) -> list[str]:
        return [
            m
            for m in self.console_errors
            if not any(re.search(p, m) for p in self.expected_console)
        ]


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Browser, watch: Watch) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 900, "height": 760})
    pg = context.new_page()
    pg.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
    pg.on("console", watch.on_console)
    pg.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))
    pg.add_init_script(
        "window.__picked = [];"
        "document.addEventListener('scr-select', e => window.__picked.push(e.detail));"
        "document.addEventListener('securitypolicyviolation',"
        " e => (window.__violations = window.__violations || []).push(e.violatedDirective));"
    )
    pg.set_default_timeout(10_000)
    yield pg
    context.close()
    assert watch.page_errors == [], "the page logged errors"
    assert watch.dialogs == [], "something opened a dialog"
    assert watch.unexpected_console() == [], "unexpected console errors"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def ask(page: Page, text: str) -> None:
    page.locator(INPUT).click()
    page.locator(INPUT).fill(text)


def option_texts(page: Page) -> list[str]:
    return page.locator(OPTIONS).all_inner_texts()


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
    expect(page.locator(f"{WIDGET} [role=status]")).to_have_text("3 passages found.")
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


def test_only_web_links_are_followed(page: Page, site: Site) -> None:
    # The service only stores http(s) or site-path URLs; should another server send a
    # javascript: one, the widget must neither link it nor follow it.
    results = [
        {"id": "b", "text": "Hostile passage.", "section": "S", "kind": "theme",
         "document": "d", "title": "Hostile doc", "url": "javascript:alert('url')",
         "link": "javascript:alert('link')"},
    ]  # fmt: skip

    def fulfil(route: Route) -> None:
        route.fulfill(
            json={"query": "x", "answerable": True, "results": results},
            headers={"access-control-allow-origin": site.allowed.origin},
        )

    page.route(f"{site.api}/search?*", fulfil)
    page.goto(site.allowed.origin + "/passages")
    ask(page, "hostile")
    expect(page.locator(OPTIONS)).to_have_count(1)
    expect(page.locator(f"{OPTIONS} a")).to_have_count(0)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert page.url.endswith("/passages")
    assert page.evaluate("window.__picked.length") == 1  # chosen, but nothing opened


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


def test_refused_origin_shows_an_error_and_no_results(page: Page, site: Site, watch: Watch) -> None:
    watch.expected_console += [r"CORS policy", r"Failed to load resource"]
    page.goto(site.refused.origin + "/passages")
    ask(page, "domestic abuse")
    state = page.locator(STATE)
    expect(state).to_contain_text("Search is not available on this site")
    expect(state).to_contain_text(site.refused.origin)
    expect(state).to_contain_text("SEARCH_CORS_ORIGINS")
    expect(page.locator(OPTIONS)).to_have_count(0)
    expect(page.locator(f"{WIDGET} [role=status]")).to_contain_text("not available")
    expect(page.locator("#after")).to_be_visible()  # the host page is unharmed
    assert any("CORS policy" in m for m in watch.console_errors), "the browser did refuse"
    shot(page, "error-refused-origin")


def test_service_down_shows_an_error(page: Page, site: Site, watch: Watch) -> None:
    watch.expected_console += [r"Failed to load resource", r"ERR_CONNECTION_REFUSED"]
    site.allowed.extra["/down"] = (
        f'<!doctype html><title>Down</title><scr-search api="{site.dead}" mode="search">'
        f'</scr-search><script src="{site.api}/widget.js" defer></script>'
    )
    page.goto(site.allowed.origin + "/down")
    ask(page, "domestic abuse")
    expect(page.locator(STATE)).to_have_text(
        "The search service cannot be reached. Check your connection or try again later."
    )
    expect(page.locator(OPTIONS)).to_have_count(0)
    shot(page, "error-service-down")


def test_server_validation_error_is_shown(page: Page, site: Site, watch: Watch) -> None:
    watch.expected_console.append(r"status of 422")
    site.allowed.extra["/bad-kind"] = (
        '<!doctype html><title>Bad</title><scr-search kind="poem" mode="search"></scr-search>'
        f'<script src="{site.api}/widget.js" defer></script>'
    )
    page.goto(site.allowed.origin + "/bad-kind")
    ask(page, "neglect")
    expect(page.locator(STATE)).to_contain_text("Search could not run: unknown kind 'poem'")
    expect(page.locator(OPTIONS)).to_have_count(0)


def test_markup_in_passages_is_shown_as_text_and_never_runs(page: Page, site: Site) -> None:
    page.goto(site.allowed.origin + "/passages")
    ask(page, "pasted notes markup unsafe rendering imported notes")
    img = page.locator(OPTIONS).filter(has_text="<img src=x onerror=")
    expect(img).to_have_count(1)
    expect(img.locator(".text")).to_have_text(
        "Some pasted notes contained markup such as "
        "<img src=x onerror=\"window.__pwned=1;alert('img')\"> inside a sentence about "
        "unsafe rendering of imported notes."
    )
    expect(img.locator(".sec")).to_have_text(
        "Pasted markup <b onmouseover=\"alert('section')\">in headings</b>"
    )
    expect(
        page.locator(OPTIONS).filter(has_text="<script>window.__pwned=2</script>")
    ).to_have_count(1)
    img.hover()
    page.wait_for_timeout(300)
    inside = "document.querySelector('scr-search').shadowRoot"
    assert page.evaluate(f"{inside}.querySelectorAll('img, script, b, [onerror]').length") == 0
    assert page.evaluate("window.__pwned") is None
    shot(page, "markup-as-text")


def test_strict_csp_page_works_without_violations(page: Page, site: Site) -> None:
    page.goto(site.allowed.origin + "/csp")
    ask(page, "domestic abuse")
    expect(page.locator(OPTIONS).first).to_contain_text("Domestic abuse")
    assert page.evaluate("window.__violations || []") == []


def test_host_page_css_does_not_reach_the_widget(page: Page, site: Site) -> None:
    page.goto(site.allowed.origin + "/hostile")
    ask(page, "domestic abuse")
    expect(page.locator(OPTIONS).first).to_be_visible()
    style = page.locator(INPUT).evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [s.backgroundColor, s.letterSpacing, s.textTransform, s.fontFamily]; }"
    )
    assert style[0] != "rgb(255, 0, 0)"
    assert style[1] == "normal" and style[2] == "none"
    assert "Comic Sans" not in style[3]
    shot(page, "hostile-host-css")


@pytest.mark.parametrize(
    ("path", "scheme", "background"),
    [
        ("/passages", "light", "rgb(255, 255, 255)"),
        ("/passages", "dark", "rgb(22, 25, 29)"),  # follows the reader's system setting
        ("/dark", "light", "rgb(22, 25, 29)"),  # theme="dark" wins
    ],
)
def test_light_and_dark(page: Page, site: Site, path: str, scheme: str, background: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(site.allowed.origin + path)
    ask(page, "domestic abuse")
    panel = page.locator(f"{WIDGET} .panel")
    expect(page.locator(OPTIONS).first).to_be_visible()
    assert panel.evaluate("e => getComputedStyle(e).backgroundColor") == background
    shot(page, f"theme-{path.strip('/')}-{scheme}")


def test_theming_variables_apply(page: Page, site: Site) -> None:
    page.goto(site.allowed.origin + "/themed")
    ask(page, "domestic abuse")
    expect(page.locator(OPTIONS).first).to_be_visible()
    inp = page.locator(INPUT)
    assert inp.evaluate("e => getComputedStyle(e).borderColor") == "rgb(143, 63, 184)"
    assert inp.evaluate("e => getComputedStyle(e).borderTopLeftRadius") == "0px"
    shot(page, "themed")


def test_loaded_twice_and_removed_mid_typing(page: Page, site: Site) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/search?" in r.url else None)
    page.goto(site.allowed.origin + "/twice")
    expect(page.locator(WIDGET)).to_have_count(2)
    assert page.evaluate("[...document.querySelectorAll('scr-search')].every(e => e.shadowRoot)")
    page.locator(INPUT).first.fill("neglect")
    # Removed before the debounce fires: no request may follow, nothing may throw.
    page.evaluate("document.querySelector('scr-search').remove()")
    page.wait_for_timeout(500)
    assert requests == []
    page.locator(INPUT).first.fill("domestic abuse")
    expect(page.locator(OPTIONS).first).to_contain_text("Domestic abuse")


def test_demo_page(page: Page, site: Site) -> None:
    page.goto(site.api + "/demo")
    expect(page.locator("pre code").first).to_contain_text(
        f'<script src="{site.api}/widget.js" defer></script>'
    )
    page.locator("#demo-widget input").fill("fathers alienated")
    expect(page.locator("#demo-widget [role=option]").first).to_be_visible()
    assert page.evaluate("window.__violations || []") == []
    shot(page, "demo")


def test_answer_on_top_highlighted_in_its_passage(page: Page, site: Site) -> None:
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
    expect(page.locator(f"{WIDGET} [role=status]")).to_have_text(
        f"Answer found, with {n} more {passages}."
    )
    page.keyboard.press("ArrowDown")
    assert page.locator(INPUT).get_attribute("aria-activedescendant") == answer.get_attribute("id")
    shot(page, "answer-mode")


@pytest.mark.parametrize("path", ["/", "/passages"])  # from /answer, and /search alone
def test_not_covered_shows_nearest_topics(page: Page, site: Site, path: str) -> None:
    page.goto(site.allowed.origin + path)
    ask(page, "What is the boiling point of mercury in kelvin?")
    expect(page.locator(STATE)).to_contain_text("The documents do not seem to cover")
    topics = page.locator(f"{OPTIONS}.topic")
    expect(topics.first).to_be_visible()
    assert page.locator(f"{OPTIONS}.answer").count() == 0
    assert page.locator(f"{OPTIONS}.result").count() == 0
    expect(page.locator(f"{WIDGET} [role=status]")).to_contain_text("Not covered")
    shot(page, f"not-covered-{path.strip('/') or 'answer'}")
    topic = topics.first.locator(".name").inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # a topic searches for itself
    expect(page.locator(INPUT)).to_have_value(topic)
    expect(page.locator(f"{OPTIONS}.topic")).to_have_count(0)


def test_markup_in_the_answer_is_shown_as_text(page: Page, site: Site) -> None:
    page.goto(site.allowed.origin + "/")
    ask(page, "What markup did the pasted notes contain?")
    expect(page.locator(OPTIONS).first).to_be_visible()
    expect(page.locator(OPTIONS).filter(has_text="<img src=x onerror=").first).to_be_visible()
    page.locator(OPTIONS).first.hover()
    page.wait_for_timeout(300)
    inside = "document.querySelector('scr-search').shadowRoot"
    assert page.evaluate(f"{inside}.querySelectorAll('img, script, b, [onerror]').length") == 0
    assert page.evaluate("window.__pwned") is None
    shot(page, "answer-markup-as-text")
