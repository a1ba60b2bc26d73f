"""The widget in headless Chromium when things go wrong, when pages are hostile, and themed.

The servers and fixtures are in tests/widget/conftest.py; screenshots go to artifacts/widget/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Response, expect

from tests.widget.harness import (
    INPUT,
    OPTIONS,
    STATE,
    STATUS,
    WIDGET,
    WIDGET_KEY,
    Service,
    Site,
    Watch,
    ask,
    shot,
)

pytestmark = pytest.mark.browser


def test_refused_origin_shows_an_error_and_no_results(page: Page, site: Site, watch: Watch) -> None:
    watch.expected_console += [r"CORS policy", r"Failed to load resource"]
    page.goto(site.refused.origin + "/passages")
    ask(page, "domestic abuse")
    state = page.locator(STATE)
    expect(state).to_contain_text("Search is not available on this site")
    expect(state).to_contain_text(site.refused.origin)
    expect(state).to_contain_text("SEARCH_CORS_ORIGINS")
    expect(page.locator(OPTIONS)).to_have_count(0)
    expect(page.locator(STATUS)).to_contain_text("not available")
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
    page.evaluate("window.__removed = document.querySelector('scr-search'); __removed.remove()")
    page.wait_for_timeout(500)
    assert requests == []
    # Put back (as frameworks do when they move an element), it searches again.
    page.evaluate("document.body.append(window.__removed)")
    expect(page.locator(WIDGET).last.locator("[role=option]").first).to_be_attached()
    assert len(requests) == 1 and "q=neglect" in requests[0]
    page.locator(INPUT).first.fill("domestic abuse")
    expect(page.locator(OPTIONS).first).to_contain_text("Domestic abuse")


def test_service_that_wants_keys_and_limits_callers(
    page: Page, site: Site, keyed: Service, watch: Watch
) -> None:
    watch.expected_console += [r"status of 401", r"status of 429"]
    site.allowed.extra["/keys"] = (
        "<!doctype html><title>Keys</title>"
        f'<scr-search id="without" api="{keyed.origin}" mode="search"></scr-search>'
        f'<scr-search id="with" api="{keyed.origin}" key="{WIDGET_KEY}" mode="search">'
        f'</scr-search><script src="{keyed.origin}/widget.js" defer></script>'
    )
    page.goto(site.allowed.origin + "/keys")
    page.locator("#without input").fill("neglect")
    # The refusal is readable (CORS headers on the 401), so the widget names the real cause.
    expect(page.locator("#without .state")).to_contain_text("needs a valid API key")
    expect(page.locator("#without [role=option]")).to_have_count(0)

    keyed_input = page.locator("#with input")

    def searched(response: Response) -> bool:
        return response.url.startswith(keyed.origin + "/search?")

    for question in ["neglect", "domestic abuse", "fathers alienated"]:  # 3 per minute
        with page.expect_response(searched) as answered:
            keyed_input.fill(question)
        assert answered.value.status == 200
        expect(page.locator("#with [role=option]").first).to_be_visible()
    with page.expect_response(searched) as answered:
        keyed_input.fill("schools")
    assert answered.value.status == 429
    expect(page.locator("#with .state")).to_have_text(
        "Too many searches just now. Try again in a few seconds."
    )
    expect(page.locator("#with [role=option]")).to_have_count(0)
    shot(page, "error-rate-limited")
