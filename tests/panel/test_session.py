"""Who may use the panel: logging in, viewers, expired sessions, CSRF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from projector.server.services import SERVICES
from tests.panel.conftest import (
    THREE_CUES,
    VIEWER_PASSWORD,
    PageErrors,
    Panel,
    login,
    make_config,
    start_panel_server,
    stop_panel_server,
)

POST_FROM_PAGE = """async ([path, body, withToken]) => {
  const headers = {"Content-Type": "application/json"};
  if (withToken) headers["X-CSRF-Token"] = sessionStorage.getItem("projector.csrf");
  const r = await fetch(path, {method: "POST", headers, body: JSON.stringify(body)});
  return [r.status, await r.json()];
}"""


def test_panel_is_served_with_its_files(server: Panel) -> None:
    status, html = server.request("GET", "/panel/", token=None)
    assert status == 200 and "<title>projector" in html
    for name in (
        "panel.js",
        "panel.css",
        "api.js",
        "dom.js",
        "chart.js",
        "editor.js",
        "campaign.js",
        "displays.js",
    ):
        status, _ = server.request("GET", f"/panel/{name}", token=None)
        assert status == 200, name


def test_wrong_password_shows_the_error_and_the_right_one_shows_the_panel(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    page = new_context().new_page()
    page_errors.attach(page)
    page.goto(server.url)
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    expect(page.locator("#login-message")).to_be_hidden()

    page.fill("#login-username", "admin")
    page.fill("#login-password", "not-the-password")
    page.press("#login-password", "Enter")
    expect(page.locator("#login-message")).to_have_text("wrong username or password")
    expect(page.locator("#app")).to_be_hidden()

    page.fill("#login-password", server.admin_password)
    page.click("#login-submit")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#login-view")).to_be_hidden()
    expect(page.locator("#user-name")).to_have_text("admin")
    expect(page.locator("#user-role")).to_have_text("admin")
    expect(page.locator("#conn-badge")).to_have_attribute("data-state", "live")
    expect(page.locator("#btn-go")).to_be_enabled()

    # A reload keeps the session (cookie + the CSRF token in sessionStorage): no login again.
    page.reload()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#login-view")).to_be_hidden()
    expect(page.locator("#conn-badge")).to_have_attribute("data-state", "live")

    # A good cookie but no CSRF token (a new tab): nothing could be changed, so log in again.
    page.evaluate("sessionStorage.clear()")
    page.reload()
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#login-username")).to_have_value("admin")
    page.fill("#login-password", server.admin_password)
    page.press("#login-password", "Enter")
    expect(page.locator("#conn-badge")).to_have_attribute("data-state", "live")

    # Log out ends the session on the server, not just on the page.
    page.click("#logout")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#login-message")).to_have_text("You have logged out.")
    assert page.evaluate("async () => (await fetch('/api/v1/me')).status") == 401


def test_a_viewer_sees_everything_but_cannot_operate(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    server.add_user("val", VIEWER_PASSWORD, "viewer")
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/go", {})
    page = new_context().new_page()
    page_errors.attach(page)
    login(page, server, "val", VIEWER_PASSWORD)
    expect(page.locator("#user-role")).to_have_text("viewer")
    expect(page.locator("#cue-list .cue.program")).to_have_attribute("data-cue-id", "intro")
    for button in ("#btn-go", "#btn-back", "#btn-hold", "#btn-blackout", "#btn-panic", "#btn-jump"):
        expect(page.locator(button)).to_be_disabled()
        expect(page.locator(button)).to_have_attribute("title", "viewers cannot operate")
    expect(page.locator("#tally-submit")).to_be_disabled()
    page.click("#tab-editor")
    expect(page.locator("#ed-save")).to_be_disabled()
    page.click("#tab-operate")

    page.keyboard.press("Space")
    page.keyboard.press("b")
    expect(page.locator(".toast", has_text="Viewers cannot operate").first).to_be_visible()
    status, reply = page.evaluate(POST_FROM_PAGE, ["/api/v1/cue/go", {"expected": 0}, True])
    assert status == 403 and reply["error"]["code"] == "forbidden"
    state = server.show()
    assert (state["program"], state["blackout"]) == (0, False)


def test_an_expired_session_brings_back_the_login_with_a_message(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    expect(page.locator("#cue-list .cue")).to_have_count(3)
    cookie = next(c for c in page.context.cookies() if c["name"] == "projector_session")
    server.store(lambda s: s.delete_session(cookie["value"]))
    page.keyboard.press("Space")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#login-message")).to_have_text("Your session has expired")
    assert server.show()["program"] is None
    # Logging in again goes straight back to work.
    page.fill("#login-password", server.admin_password)
    page.click("#login-submit")
    expect(page.locator("#conn-badge")).to_have_attribute("data-state", "live")
    page.keyboard.press("Space")
    expect(page.locator("#cue-list .cue.program")).to_have_attribute("data-cue-id", "intro")


def test_a_session_that_times_out_brings_back_the_login(
    tmp_path: Path, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    panel = start_panel_server(make_config(tmp_path, session_ttl=2.0))
    try:
        page = new_context().new_page()
        page_errors.attach(page)
        login(page, panel)
        page.wait_for_timeout(3000)  # past the 2 s lifetime, with room for a busy machine
        page.keyboard.press("Space")
        expect(page.locator("#login-message")).to_have_text("Your session has expired", timeout=15_000)
    finally:
        stop_panel_server(panel)


def test_a_post_without_the_csrf_header_is_refused(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    status, reply = page.evaluate(POST_FROM_PAGE, ["/api/v1/cue/go", {"expected": None}, False])
    assert status == 403 and reply["error"]["code"] == "csrf"
    assert server.show()["program"] is None
    # The same request with the header goes through: the cookie was fine, the header was missing.
    status, reply = page.evaluate(POST_FROM_PAGE, ["/api/v1/cue/go", {"expected": None}, True])
    assert status == 200 and reply["program"] == 0


def test_the_live_link_drops_the_panel_says_so_polls_and_comes_back(server: Panel, page: Page) -> None:

    server.load_show(THREE_CUES)
    expect(page.locator("#cue-list .cue")).to_have_count(3)
    allowed = {"connect": False}

    def panel_socket(ws: WebSocketRoute) -> None:
        if allowed["connect"]:
            ws.connect_to_server()
        else:
            ws.close()  # accepted and dropped at once, as a flaky proxy would

    page.route_web_socket("**/api/v1/panel/ws", panel_socket)

    async def drop() -> None:
        for ws in list(server.running.app[SERVICES].panels.panels):
            await ws.close()

    server.loop.run(drop())
    badge = page.locator("#conn-badge")
    expect(badge).to_have_attribute("data-state", "reconnecting")
    expect(badge).to_have_text("Reconnecting…")
    # Without the socket the panel polls: another operator's GO still shows up.
    server.ok("POST", "/api/v1/cue/go", {})
    expect(page.locator("#cue-list .cue.program")).to_have_attribute("data-cue-id", "intro")
    expect(badge).to_have_attribute("data-state", "reconnecting")  # a dropped socket is not "live"

    allowed["connect"] = True
    expect(badge).to_have_attribute("data-state", "live", timeout=15_000)
    expect(badge).to_have_text("Live")
    server.ok("POST", "/api/v1/cue/go", {})
    expect(page.locator("#cue-list .cue.program")).to_have_attribute("data-cue-id", "count")
