"""The schedule editor: weekly entries and one-offs in a week view, clashes shown before saving
(and refused by the server), the default show; what was saved is there after a reload."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.panel.conftest import THREE_CUES, VIEWER_PASSWORD, PageErrors, Panel, open_logged_in

# The picture goes to docs/panel/ with PROJECTOR_UPDATE_SCREENSHOTS=1 (as test_screenshots does).
DOCS = Path(__file__).resolve().parents[2] / "docs" / "panel"
SHOTS = DOCS if os.environ.get("PROJECTOR_UPDATE_SCREENSHOTS") == "1" else Path("/tmp/projector-shots")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def fill_entry(
    page: Page,
    label: str,
    target: str,
    what: str,
    start: str,
    end: str,
    *,
    days: tuple[str, ...] = (),
    on: str | None = None,
) -> None:
    page.fill("#sc-label", label)
    page.fill("#sc-target", target)
    page.select_option("#sc-what", what)
    if on is not None:
        page.check("#sc-once")
        page.fill("#sc-date", on)
    else:
        page.check("#sc-weekly")
        for day in DAYS:
            page.locator(f"#sc-days input[value='{day}']").set_checked(day in days)
    page.fill("#sc-start", start)
    page.fill("#sc-end", end)
    page.click("#sc-add")


def test_plan_a_week_and_a_one_off_see_the_clash_save_and_reload(server: Panel, page: Page) -> None:
    server.ok("PUT", "/api/v1/groups/facade")
    night = {"name": "Facade at night", "cues": [{"id": "count", "scene": "totals"}]}
    server.ok("PUT", "/api/v1/shows/facade-night", night)
    server.load_show(THREE_CUES)
    today = date.fromisoformat(server.ok("GET", "/api/v1/schedules")["now"][:10])
    vigil = today + timedelta(days=3)
    vigil_day = DAYS[vigil.weekday()]

    page.click("#tab-schedule")
    expect(page.locator("#sc-empty")).to_be_visible()
    fill_entry(page, "Weeknights", "group:facade", "show:facade-night", "18:00", "23:00", days=DAYS[:5])
    fill_entry(page, "Vigil", "group:facade", "cue:wall", "09:00", "10:00", on=vigil.isoformat())
    # Same displays, the vigil's weekday, 09:30: it would run at the same time as the vigil.
    fill_entry(page, "Clashing", "group:facade", "cue:count", "09:30", "11:00", days=(vigil_day,))
    # Another target at the same time is no clash.
    fill_entry(page, "Lobby", "all", "cue:count", "09:30", "11:00", days=(vigil_day,))

    plan = page.locator("#sc-draft .sc-entry")
    expect(plan).to_have_count(4)
    clashing = page.locator("#sc-draft .sc-entry.clash")
    expect(clashing).to_have_count(2)

    def named(what: str) -> Locator:
        return clashing.filter(has=page.locator(".sc-entry-what", has_text=what))

    expect(named("Clashing")).to_contain_text("clashes with Vigil")
    expect(named("Vigil")).to_contain_text("clashes with Clashing")
    # The week of the vigil is shown: five weeknights, the vigil, the clash striped.
    week = page.locator("#sc-week")
    expect(week.locator(f".sc-col[data-date='{vigil.isoformat()}']")).to_have_count(1)
    expect(week.locator(".sc-block.draft.weekly", has_text="Weeknights")).to_have_count(5)
    expect(week.locator(".sc-block.draft.once.clash", has_text="Vigil")).to_have_count(1)
    expect(week.locator(".sc-block.clash", has_text="Clashing")).to_have_count(1)
    expect(week.locator(".sc-block.clash", has_text="Lobby")).to_have_count(0)
    vigil_block = week.locator(f".sc-col[data-date='{vigil.isoformat()}'] .sc-block", has_text="Vigil")
    expect(vigil_block).to_have_count(1)
    assert server.ok("GET", "/api/v1/schedules")["entries"] == []  # nothing saved yet
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "schedule.png"), full_page=True)

    page.click("#sc-save")
    # The server refuses the clash too, and says with what; the rest is saved.
    expect(page.locator("#sc-draft .sc-entry")).to_have_count(1)
    expect(page.locator("#sc-draft .sc-entry .sc-error")).to_contain_text("overlaps")
    expect(page.locator("#sc-list .sc-entry")).to_have_count(3)
    saved = server.ok("GET", "/api/v1/schedules")["entries"]
    assert sorted(e["label"] for e in saved) == ["Lobby", "Vigil", "Weeknights"]
    [vigil_entry] = [e for e in saved if e["label"] == "Vigil"]
    assert (vigil_entry["date"], vigil_entry["start"], vigil_entry["target"]) == (
        vigil.isoformat(),
        "09:00",
        "group:facade",
    )
    [week_entry] = [e for e in saved if e["label"] == "Weeknights"]
    assert week_entry["days"] == ["mon", "tue", "wed", "thu", "fri"]
    page.click("#sc-discard")
    expect(page.locator("#sc-draft-box")).to_be_hidden()

    page.select_option("#sc-default", "facade-night")
    expect(page.locator(".toast", has_text="Default show set")).to_be_visible()
    assert server.ok("GET", "/api/v1/schedules")["default"] == "facade-night"

    page.reload()
    page.wait_for_selector("#app:not([hidden]) #conn-badge[data-state='live']")
    page.click("#tab-schedule")
    expect(page.locator("#sc-list .sc-entry")).to_have_count(3)
    expect(page.locator("#sc-default")).to_have_value("facade-night")
    week = page.locator("#sc-week")
    expect(week.locator(".sc-block.saved.weekly", has_text="Weeknights")).to_have_count(5)
    expect(week.locator(".sc-block.clash")).to_have_count(0)
    # The vigil lies in its own week: step there.
    weeks_ahead = (vigil - (today - timedelta(days=today.weekday()))).days // 7
    for _ in range(weeks_ahead):
        page.click("#sc-next")
    expect(week.locator(f".sc-col[data-date='{vigil.isoformat()}'] .sc-block.saved.once")).to_have_text(
        ["Vigil09:00–10:00 · group:facade"]
    )

    # Remove an entry from the list.
    page.locator("#sc-list .sc-entry", has_text="Lobby").locator(".sc-remove").click()
    expect(page.locator("#sc-list .sc-entry")).to_have_count(2)
    assert len(server.ok("GET", "/api/v1/schedules")["entries"]) == 2


def test_the_form_names_its_bad_field_and_adds_nothing(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    page.click("#tab-schedule")
    page.fill("#sc-target", "facade")
    page.click("#sc-add")
    expect(page.locator("#sc-form .field-error[data-for='target']")).to_contain_text("group:NAME")
    page.fill("#sc-target", "all")
    for day in DAYS:
        page.locator(f"#sc-days input[value='{day}']").uncheck()
    page.click("#sc-add")
    expect(page.locator("#sc-form .field-error[data-for='days']")).to_contain_text("at least one day")
    page.locator("#sc-days input[value='sat']").check()
    page.fill("#sc-end", page.input_value("#sc-start"))
    page.click("#sc-add")
    expect(page.locator("#sc-form .field-error[data-for='end']")).to_contain_text("differ")
    expect(page.locator("#sc-draft .sc-entry")).to_have_count(0)

    # A one-off in the past passes the form and is refused by the server, with the reason.
    page.fill("#sc-end", "23:00")
    page.fill("#sc-start", "22:00")
    page.check("#sc-once")
    page.fill("#sc-date", "2020-01-01")
    page.click("#sc-add")
    page.click("#sc-save")
    expect(page.locator("#sc-draft .sc-entry .sc-error")).to_contain_text("date: the entry on 2020-01-01")
    assert server.ok("GET", "/api/v1/schedules")["entries"] == []


def test_a_viewer_sees_the_schedule_but_cannot_change_it(
    server: Panel, page: Page, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    server.load_show(THREE_CUES)
    server.ok(
        "POST",
        "/api/v1/schedules",
        {
            "target": "all",
            "what": "cue:count",
            "days": "daily",
            "start": "20:00",
            "end": "21:00",
            "label": "Count",
        },
    )
    server.add_user("vera", VIEWER_PASSWORD, "viewer")
    viewer = new_context().new_page()
    page_errors.attach(viewer)
    open_logged_in(viewer, server, "vera", VIEWER_PASSWORD)
    viewer.click("#tab-schedule")
    expect(viewer.locator("#sc-list .sc-entry")).to_have_count(1)
    expect(viewer.locator("#sc-week .sc-block", has_text="Count")).to_have_count(7)
    expect(viewer.locator("#sc-add")).to_be_disabled()
    expect(viewer.locator("#sc-default")).to_be_disabled()
    expect(viewer.locator("#sc-list .sc-remove")).to_have_count(0)
