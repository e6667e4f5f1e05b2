"""Running a show from the panel: GO, BACK, BLACKOUT, PANIC by button and by key, two operators at once,
and a real headless display following what the panel does."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Locator, Page, Route, expect

from tests.panel.conftest import OPERATOR_PASSWORD, THREE_CUES, PageErrors, Panel, open_logged_in


def program_row(page: Page) -> Locator:
    return page.locator("#cue-list .cue.program")


def expect_program(page: Page, cue_id: str, label: str) -> None:
    # wait_for_selector checks on every frame; expect() alone backs off to 250 ms, 500 ms, ...
    page.wait_for_selector(f"#cue-list .cue.program[data-cue-id='{cue_id}']", timeout=8000)
    expect(program_row(page)).to_have_attribute("data-cue-id", cue_id)
    expect(page.locator("#program-label")).to_have_text(label)


def test_go_by_button_and_by_space_moves_program_and_the_display_follows(server: Panel, page: Page) -> None:
    display = server.display("facade")
    display.wait_connected()
    server.load_show(THREE_CUES)
    # The show arrives over the panel websocket: nothing on program yet, cue 1 is next.
    expect(page.locator("#cue-list .cue")).to_have_count(3)
    expect(program_row(page)).to_have_count(0)
    expect(page.locator("#cue-list .cue.preview")).to_have_attribute("data-cue-id", "intro")
    expect(page.locator("#preview-label")).to_have_text("Opening ident")

    page.click("#btn-go")
    expect_program(page, "intro", "Opening ident")
    expect(page.locator("#cue-list .cue.preview")).to_have_attribute("data-cue-id", "count")
    expect(program_row(page).locator(".pill-onair")).to_have_text("ON AIR")
    display.wait_for_scene("ident")

    page.click("#btn-go")
    expect_program(page, "count", "The count")
    display.wait_for_scene("totals")
    assert server.show()["program"] == 1

    page.keyboard.press("Space")
    expect_program(page, "wall", "Message wall")
    display.wait_for_scene("messages")
    assert server.show()["program"] == 2
    # At the end of the show, GO is refused and the panel says why.
    page.keyboard.press("Space")
    expect(page.locator(".toast.error")).to_contain_text("End of the show")
    assert server.show()["program"] == 2


def test_space_on_a_focused_button_fires_go_once_not_the_button_too(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    expect(page.locator("#cue-list .cue")).to_have_count(3)
    page.focus("#btn-back")
    page.keyboard.press("Space")
    expect_program(page, "intro", "Opening ident")
    page.wait_for_timeout(300)
    assert server.show()["program"] == 0  # not GO then BACK, and not GO twice
    expect(page.locator(".toast.error")).to_have_count(0)


def test_back_by_backspace_and_by_arrow_left(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/jump", {"cue": "wall"})
    expect_program(page, "wall", "Message wall")
    page.keyboard.press("Backspace")
    expect_program(page, "count", "The count")
    page.keyboard.press("ArrowLeft")
    expect_program(page, "intro", "Opening ident")
    assert server.show()["program"] == 0
    page.keyboard.press("Backspace")
    expect(page.locator(".toast.error")).to_contain_text("Start of the show")


def test_blackout_by_key_and_by_button_darkens_the_display(server: Panel, page: Page) -> None:
    display = server.display("facade")
    display.wait_connected()
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/go", {})
    display.wait_for_scene("ident")
    button = page.locator("#btn-blackout")
    expect(button).to_have_attribute("aria-pressed", "false")

    page.keyboard.press("b")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".tbtn-label")).to_have_text("BLACKOUT ON")
    expect(page.locator("#btn-blackout-top")).to_have_attribute("aria-pressed", "true")  # on every tab
    expect(page.locator("#program-pane .blackout-veil")).to_be_visible()
    display.wait_for_scene("blackout")
    assert server.show()["blackout"] is True

    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator(".tbtn-label")).to_have_text("BLACKOUT")
    expect(page.locator("#btn-blackout-top")).to_have_attribute("aria-pressed", "false")
    display.wait_for_scene("ident")
    assert server.show()["blackout"] is False

    page.keyboard.press("B")
    expect(button).to_have_attribute("aria-pressed", "true")
    display.wait_for_scene("blackout")


def test_escape_panics_to_the_safe_cue_and_out_of_blackout(server: Panel, page: Page) -> None:
    cues = [dict(c, safe=(c["id"] == "count")) for c in THREE_CUES]
    server.load_show(cues)
    server.ok("POST", "/api/v1/cue/jump", {"cue": "wall"})
    server.ok("POST", "/api/v1/cue/blackout", {"on": True})
    expect(page.locator("#btn-blackout")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#cue-list .cue[data-cue-id='count'] .pill-safe")).to_have_text("SAFE")
    page.keyboard.press("Escape")
    expect_program(page, "count", "The count")
    expect(page.locator("#btn-blackout")).to_have_attribute("aria-pressed", "false")
    state = server.show()
    assert (state["program"], state["blackout"]) == (1, False)


def test_hold_and_resume_by_h(server: Panel, page: Page) -> None:
    cues = [dict(c, hold=600) for c in THREE_CUES]
    server.load_show(cues)
    server.ok("POST", "/api/v1/cue/go", {})
    expect(page.locator("#program-status")).to_contain_text("Auto GO in")
    page.keyboard.press("h")
    hold = page.locator("#btn-hold")
    expect(hold).to_have_attribute("aria-pressed", "true")
    expect(hold.locator(".tbtn-label")).to_have_text("RESUME")
    expect(page.locator("#program-status")).to_contain_text("HELD")
    assert server.show()["held"] is True
    page.keyboard.press("H")
    expect(hold).to_have_attribute("aria-pressed", "false")
    assert server.show()["held"] is False


def test_select_a_cue_and_jump_by_button_key_and_double_click(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    page.click("#cue-list .cue[data-cue-id='wall']")
    expect(page.locator("#cue-list .cue[data-cue-id='wall']")).to_have_attribute("aria-selected", "true")
    page.click("#btn-jump")
    expect_program(page, "wall", "Message wall")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#cue-list .cue[data-cue-id='count']")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("j")
    expect_program(page, "count", "The count")
    page.dblclick("#cue-list .cue[data-cue-id='intro']")
    expect_program(page, "intro", "Opening ident")


def test_show_keys_are_ignored_while_typing_in_a_field(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    expect(page.locator("#cue-list .cue")).to_have_count(3)
    page.click("#tally-country")
    page.keyboard.type("b h")  # B, Space, H: letters in a field, not blackout, GO and hold
    page.keyboard.press("Backspace")
    expect(page.locator("#tally-country")).to_have_value("B")
    page.keyboard.press("Escape")  # leaves the field, does not panic
    page.wait_for_timeout(200)
    state = server.show()
    assert (state["program"], state["blackout"], state["held"]) == (None, False, False)
    page.keyboard.press("Space")  # out of the field, Space is GO again
    expect_program(page, "intro", "Opening ident")


def test_two_operators_pressing_go_at_once_advance_exactly_one_cue(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    server.add_user("op2", OPERATOR_PASSWORD, "operator")
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/go", {})  # program: cue 1
    pages = []
    for username, password in (("admin", None), ("op2", OPERATOR_PASSWORD)):
        p = new_context().new_page()
        page_errors.attach(p)
        open_logged_in(p, server, username, password)
        expect_program(p, "intro", "Opening ident")
        pages.append(p)

    # Hold both GO requests until both have left their browsers: both operators
    # pressed before either could see the other's GO.
    held: list[Route] = []
    for p in pages:
        p.route("**/api/v1/cue/go", lambda route: held.append(route))
    pages[0].keyboard.press("Space")
    pages[1].click("#btn-go")
    for _ in range(200):
        if len(held) == 2:
            break
        pages[0].wait_for_timeout(10)
    assert len(held) == 2, "both panels should have sent GO"
    assert [r.request.post_data_json for r in held] == [{"expected": 0}, {"expected": 0}]
    for route in held:
        route.continue_()

    for p in pages:
        expect_program(p, "count", "The count")
    assert server.show()["program"] == 1, "two GOs pressed at once must advance exactly one cue"
    conflicts = 0
    for _ in range(100):  # the refused GO's answer may come after the other panel's update
        conflicts = sum(
            p.locator(".toast.error", has_text="Someone else pressed first").count() for p in pages
        )
        if conflicts:
            break
        pages[0].wait_for_timeout(20)
    assert conflicts == 1, "the operator whose GO was refused should be told someone else pressed first"


def test_blackout_is_within_reach_on_every_tab(server: Panel, page: Page) -> None:
    """A moderator who sees something wrong on the building darkens it from where they are."""
    top = page.locator("#btn-blackout-top")
    for tab in ("messages", "cases", "editor", "operate"):
        page.click(f"#tab-{tab}")
        expect(top).to_be_visible()
        page.keyboard.press("b")
        expect(top).to_have_attribute("aria-pressed", "true")
        expect(top.locator(".label")).to_have_text("BLACKOUT ON")
        assert server.show()["blackout"] is True
        page.keyboard.press("B")
        expect(top).to_have_attribute("aria-pressed", "false")
        assert server.show()["blackout"] is False
    page.click("#tab-cases")
    top.click()
    expect(top).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#btn-blackout")).to_have_attribute("aria-pressed", "true")
    assert server.show()["blackout"] is True
    top.click()
    expect(top).to_have_attribute("aria-pressed", "false")
