"""The fleet on the panel: a display that is killed raises an alert (red card, toast); groups,
health and the identify / edit buttons on a card."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.panel.conftest import VIEWER_PASSWORD, FakeDisplay, PageErrors, Panel, open_logged_in


def card(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#display-grid .display[data-name='{name}']")


def test_a_killed_display_turns_its_card_red_and_raises_a_toast(server: Panel, page: Page) -> None:
    display = server.display("facade-left")
    display.wait_connected()
    facade = card(page, "facade-left")
    expect(facade).to_be_visible()
    expect(facade).not_to_have_class("alert-red")
    display.stop()  # the display process goes away: its socket closes
    expect(facade).to_have_class(lambda_class("alert-red"))
    expect(facade).to_have_attribute("data-alert", "offline")
    expect(facade.locator(".fleet-alerts")).to_contain_text("Display offline")
    expect(page.locator(".toast.error")).to_contain_text("Display offline: facade-left")
    status, body = server.request("GET", "/api/v1/displays", token="operator")
    assert status == 200
    [entry] = [d for d in body["displays"] if d["name"] == "facade-left"]
    assert [a["code"] for a in entry["alerts"]] == ["offline"]


def test_a_display_on_its_fallback_card_is_amber(server: Panel, page: Page) -> None:
    with FakeDisplay(server, "lobby", scene="fallback", fps=60.0):
        lobby = card(page, "lobby")
        expect(lobby).to_have_class(lambda_class("alert-amber"))
        expect(lobby.locator(".fleet-alerts")).to_contain_text("fallback")


def test_groups_and_health_show_on_the_card_and_edit_renames_and_regroups(server: Panel, page: Page) -> None:
    display = server.display("laptop-3")
    display.wait_connected()
    laptop = card(page, "laptop-3")
    expect(laptop.locator(".fleet-health")).to_contain_text("MiB")
    laptop.locator(".fleet-btn", has_text="Edit").click()
    laptop.locator(".fleet-in-name").fill("facade-right")
    laptop.locator(".fleet-in-groups").fill("facade, istanbul")
    laptop.locator(".fleet-in-latency").fill("40")
    laptop.locator(".fleet-form button[type='submit']").click()
    renamed = card(page, "facade-right")
    expect(renamed.locator(".fleet-chip")).to_have_text(["facade", "istanbul"])
    expect(renamed.locator(".fleet-health")).to_contain_text("latency 40 ms")
    groups = server.ok("GET", "/api/v1/groups")["groups"]
    assert {g["name"]: g["displays"] for g in groups} == {
        "facade": ["facade-right"],
        "istanbul": ["facade-right"],
    }
    renamed.locator(".fleet-btn", has_text="Identify").click()
    display.wait_for_scene("ident")
    expect(page.locator(".toast")).to_contain_text("Identifying facade-right")


def lambda_class(name: str):  # type: ignore[no-untyped-def]

    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def test_retire_then_un_retire_from_the_panel_and_the_display_comes_back(server: Panel, page: Page) -> None:
    display = server.display("hall-left")
    display.wait_connected()
    hall = card(page, "hall-left")
    page.on("dialog", lambda d: d.accept())  # "Retire hall-left?"
    hall.locator(".fleet-btn", has_text="Retire").click()
    row = page.locator("#retired-list .retired-row[data-name='hall-left']")
    expect(page.locator("#retired-box")).to_be_visible()
    expect(row).to_contain_text("retired")
    assert [d["name"] for d in server.ok("GET", "/api/v1/displays")["retired"]] == ["hall-left"]
    display.stop()  # a retired display is refused; start it again once un-retired

    page.locator("#retired-box summary").click()
    row.locator(".retired-unretire").click()
    expect(page.locator(".toast", has_text="hall-left un-retired")).to_be_visible()
    expect(page.locator("#retired-box")).to_be_hidden()
    assert server.ok("GET", "/api/v1/displays")["retired"] == []
    again = server.display("hall-left")
    again.wait_connected()
    expect(card(page, "hall-left")).to_be_visible()


def test_a_viewer_sees_retired_displays_but_no_un_retire_button(
    server: Panel, page: Page, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    with FakeDisplay(server, "old-one"):
        expect(card(page, "old-one")).to_be_visible()
    server.ok("POST", "/api/v1/displays/old-one/retire")  # gone, then retired
    server.add_user("vera", VIEWER_PASSWORD, "viewer")
    viewer = new_context().new_page()
    page_errors.attach(viewer)
    open_logged_in(viewer, server, "vera", VIEWER_PASSWORD)
    expect(viewer.locator("#retired-list .retired-row[data-name='old-one']")).to_have_count(1)
    expect(viewer.locator(".retired-unretire")).to_have_count(0)
    # Un-retiring takes the operator scope: neither a viewer nor a display's token may.
    status, _ = server.request("POST", "/api/v1/displays/old-one/unretire", token="display")
    assert status == 403
    assert [d["name"] for d in server.ok("GET", "/api/v1/displays")["retired"]] == ["old-one"]
