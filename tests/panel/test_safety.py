"""Safety on every tab: BLACKOUT (B) and PANIC (Esc) within reach wherever the operator is, on a
phone too, in a colour and size no other button wears; never while typing, never behind a
confirmation. A real headless display goes black when B is pressed on any tab."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Dialog, Page, expect

from tests.panel.conftest import THREE_CUES, PageErrors, Panel, open_logged_in

SHOTS = Path(os.environ.get("PROJECTOR_SHOTS", "/tmp/projector-shots"))


def tabs(page: Page) -> list[str]:
    """Every tab the panel has (a tab added later is covered without editing this test)."""
    ids: list[str] = page.eval_on_selector_all("nav.tabs .tab", "tabs => tabs.map(t => t.id)")
    assert len(ids) >= 5, ids
    return ids


def test_b_on_every_tab_darkens_a_headless_display_and_b_again_lights_it(server: Panel, page: Page) -> None:
    display = server.display("facade")
    display.wait_connected(timeout=20)
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/go", {})
    # Generous waits: the display, the server and the browser share two busy cores here.
    display.wait_for_scene("ident", timeout=20)
    top = page.locator("#btn-blackout-top")
    for tab in tabs(page):
        page.click(f"#{tab}")
        page.locator("body").click(position={"x": 5, "y": 5})  # no field focused
        expect(top).to_be_visible()
        page.keyboard.press("b")
        display.wait_for_scene("blackout", timeout=20)
        expect(top).to_have_attribute("aria-pressed", "true")
        assert server.show()["blackout"] is True, tab
        page.keyboard.press("B")
        display.wait_for_scene("ident", timeout=20)
        expect(top).to_have_attribute("aria-pressed", "false")
        assert server.show()["blackout"] is False, tab


def test_escape_on_every_tab_panics_to_the_safe_cue(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)  # "intro" is the safe cue
    panic = page.locator("#btn-panic-top")
    for tab in tabs(page):
        server.ok("POST", "/api/v1/cue/jump", {"cue": "wall"})
        server.ok("POST", "/api/v1/cue/blackout", {"on": True})
        page.click(f"#{tab}")
        page.locator("body").click(position={"x": 5, "y": 5})
        expect(panic).to_be_visible()
        expect(page.locator("#btn-blackout-top")).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("Escape")
        expect(page.locator("#btn-blackout-top")).to_have_attribute("aria-pressed", "false")
        state = server.show()
        assert (state["program"], state["blackout"]) == (0, False), tab


def test_the_panic_button_in_the_top_bar_panics_at_once(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/jump", {"cue": "count"})
    page.click("#tab-messages")
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.click("#btn-panic-top")
    page.wait_for_function("() => !document.querySelector('#btn-panic').classList.contains('busy')")
    for _ in range(50):
        if server.show()["program"] == 0:
            break
        page.wait_for_timeout(50)
    assert server.show()["program"] == 0
    page.click("#btn-blackout-top")
    expect(page.locator("#btn-blackout-top")).to_have_attribute("aria-pressed", "true")
    assert server.show()["blackout"] is True
    assert dialogs == [], "no confirmation may stand between an operator and a blackout or a panic"


def test_typing_b_or_escape_in_a_field_on_any_tab_neither_blacks_out_nor_panics(
    server: Panel, page: Page
) -> None:
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/jump", {"cue": "wall"})
    # (the tab, what to open first if anything, a text field there)
    fields = [
        ("tab-editor", None, "#ed-name"),
        ("tab-editor", None, "#ed-target"),
        ("tab-messages", "#mod-tabs [data-sub='blocklists']", "#bl-new"),
        ("tab-cases", "#cs-new", "#cs-name"),
        ("tab-schedule", None, "#sc-label"),
    ]
    for tab, first, field in fields:
        page.click(f"#{tab}")
        if first:
            page.click(first)
        box = page.locator(field)
        box.click()
        box.press("End")
        page.keyboard.type("bB b")
        expect(box).to_have_value(re.compile(r"bB b$"))
        page.keyboard.press("Escape")  # leaves the field; does not panic
        page.wait_for_timeout(150)
        state = server.show()
        assert (state["program"], state["blackout"]) == (2, False), tab


def test_a_phone_sees_both_buttons_without_scrolling_on_every_tab(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    server.load_show(THREE_CUES)
    context = new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone = context.new_page()
    page_errors.attach(phone)
    open_logged_in(phone, server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for tab in tabs(phone):
        phone.click(f"#{tab}")
        phone.evaluate("window.scrollTo(0, 0)")
        for button in ("#btn-blackout-top", "#btn-panic-top"):
            box = phone.locator(button).bounding_box()
            assert box is not None, (tab, button)
            assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (tab, button, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (tab, button, box)
            assert box["height"] >= 44, (tab, button, box)  # a thumb-sized target
        # Scrolled down a long tab, they stay (the top bar is sticky).
        phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        box = phone.locator("#btn-panic-top").bounding_box()
        assert box is not None and 0 <= box["y"] <= 844 - box["height"], (tab, box)
        phone.evaluate("window.scrollTo(0, 0)")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, tab  # no sideways page
        phone.screenshot(path=str(SHOTS / f"phone-{tab}.png"))
    phone.tap("#tab-cases")
    phone.tap("#btn-blackout-top")
    expect(phone.locator("#btn-blackout-top")).to_have_attribute("aria-pressed", "true")
    assert server.show()["blackout"] is True


def test_blackout_and_panic_wear_a_colour_and_size_no_other_button_wears(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for tab in tabs(page):
        page.click(f"#{tab}")
        looks = page.evaluate(
            """() => [...document.querySelectorAll("button, .btn")]
                .filter(b => b.offsetParent !== null)
                .map(b => {
                    const s = getComputedStyle(b);
                    return {id: b.id, look: [s.backgroundColor, s.color, s.borderTopColor].join("|"),
                            height: b.getBoundingClientRect().height, top: !!b.closest(".topbar")};
                })"""
        )
        mine = {"btn-blackout-top", "btn-panic-top"}
        # The Operate tab's own BLACKOUT and PANIC do the same things: they may look alike.
        same_action = mine | {"btn-blackout", "btn-panic"}
        safety = [b for b in looks if b["id"] in mine]
        others = [b for b in looks if b["id"] not in same_action]
        assert len(safety) == 2, tab
        assert safety[0]["look"] != safety[1]["look"]
        for s in safety:
            clash = [o["id"] or o["look"] for o in others if o["look"] == s["look"]]
            assert not clash, f"{tab}: {s['id']} looks like {clash}"
            taller = [o["id"] for o in others if o["top"] and o["height"] >= s["height"]]
            assert not taller, f"{tab}: {s['id']} is not the tallest in the top bar: {taller}"
        if tab == "tab-schedule":
            page.screenshot(path=str(SHOTS / "desktop-schedule.png"))


def test_a_narrow_laptop_keeps_both_in_the_top_bar_without_overflow(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1024, 1180, 1240, 1280):
        page = new_context(viewport={"width": width, "height": 760}).new_page()
        page_errors.attach(page)
        open_logged_in(page, server)
        page.click("#tab-messages")
        for button in ("#btn-blackout-top", "#btn-panic-top"):
            box = page.locator(button).bounding_box()
            assert box is not None and box["x"] + box["width"] <= width and box["y"] < 140, (
                width,
                button,
                box,
            )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        page.screenshot(path=str(SHOTS / f"laptop-{width}.png"))


def test_a_ticked_checkbox_keeps_focus_but_not_the_keys(server: Panel, page: Page) -> None:
    """Ticking a box is not typing: B and Escape still reach the building from there."""
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/jump", {"cue": "wall"})
    page.click("#tab-schedule")
    day = page.locator("#sc-days input[value='sat']")
    day.click()
    expect(day).to_be_focused()
    page.keyboard.press("b")
    expect(page.locator("#btn-blackout-top")).to_have_attribute("aria-pressed", "true")
    assert server.show()["blackout"] is True
    page.click("#tab-editor")
    safe = page.locator("#ed-cues > li").nth(1).locator(".ed-safe")
    safe.click()
    expect(safe).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#btn-blackout-top")).to_have_attribute("aria-pressed", "false")
    state = server.show()
    assert (state["program"], state["blackout"]) == (0, False)
