"""What the panel shows live: totals, the chart, manual tallies, displays; and that names stay text."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.panel.conftest import FakeDisplay, Panel, jpeg_from

WARN = re.compile(r"\bwarn\b")
XSS = "<img src=x onerror=window.__xss=1>"
SCENES = Path(__file__).resolve().parents[2] / "docs" / "scenes"


def test_case_display_and_cue_names_with_html_render_as_text(server: Panel, page: Page) -> None:
    server.ok("PUT", "/api/v1/cases/xss", {"name": XSS, "country": "TR", "story": XSS})
    server.ok(
        "POST",
        "/api/v1/actions",
        {"id": "x1", "channel": "letter", "country": "TR", "case": "xss", "count": 5},
        token="ingest",
    )
    server.load_show([{"id": "c1", "scene": "totals", "label": XSS.replace("=1", "=3")}])
    with FakeDisplay(server, XSS.replace("=1", "=2"), error="<script>window.__xss=4</script>", fps=12):
        page.reload()
        expect(page.locator("#conn-badge")).to_have_attribute("data-state", "live")
        name = page.locator("#display-grid .display-name")
        expect(name).to_have_text(XSS.replace("=1", "=2"))
        expect(page.locator("#display-grid .display-error")).to_contain_text(
            "<script>window.__xss=4</script>"
        )
        expect(page.locator("#display-grid .display")).to_have_class(WARN)  # fps 12 < 50 and an error
        expect(page.locator("#tally-case option[value='xss']")).to_have_text(f"{XSS} · TR")
        expect(page.locator("#by-case li").first).to_contain_text(XSS)
        expect(page.locator("#cue-list .cue-title")).to_have_text(XSS.replace("=1", "=3"))
        page.click("#tab-editor")
        expect(page.locator("#ed-cues .ed-label")).to_have_value(XSS.replace("=1", "=3"))
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") is None
        # The panel's own pictures only: display thumbnails, PROGRAM/PREVIEW, the layout preview.
        assert page.locator("#app img:not(.thumb-img):not(.onair-img):not(.ly-preview)").count() == 0


def test_manual_tally_counts_and_the_total_goes_up(server: Panel, page: Page) -> None:
    server.ok("PUT", "/api/v1/cases/ayse", {"name": "Ayşe Demir", "country": "TR"})
    page.reload()
    expect(page.locator("#total")).to_have_text("0")
    page.select_option("#tally-channel", "letter")
    page.fill("#tally-country", "gb")
    expect(page.locator("#tally-country")).to_have_value("GB")
    page.fill("#tally-count", "1800")
    page.select_option("#tally-case", "ayse")
    page.click("#tally-submit")
    expect(page.locator("#tally-result")).to_have_text("Counted 1,800 letters")
    expect(page.locator("#total")).to_have_text("1,800")
    expect(page.locator("#goal-pct")).to_have_text("18%")  # goal 10,000
    expect(page.locator("#by-channel li[data-channel='letter'] .ch-count")).to_have_text("1,800")
    expect(page.locator("#by-country li").first).to_contain_text("GB")
    expect(page.locator("#by-case li").first).to_contain_text("Ayşe Demir")
    totals = server.ok("GET", "/api/v1/totals")
    assert (totals["total"], totals["by_case"]) == (1800, {"ayse": 1800})

    # The next entry is a new action (a fresh id), not a duplicate of the first.
    page.fill("#tally-count", "1")
    page.select_option("#tally-channel", "fax")
    page.click("#tally-submit")
    expect(page.locator("#tally-result")).to_have_text("Counted 1 fax")
    expect(page.locator("#total")).to_have_text("1,801")

    # A country the server does not know: its message next to the field, nothing counted.
    page.fill("#tally-country", "ZZ")
    page.click("#tally-submit")
    expect(page.locator("#tally-form [data-error-for='country']")).to_contain_text("unknown country code")
    expect(page.locator("#tally-country")).to_have_attribute("aria-invalid", "true")
    assert server.ok("GET", "/api/v1/totals")["total"] == 1801


def test_the_chart_draws_stacked_bars_per_channel(server: Panel, page: Page) -> None:
    actions = [
        {"id": "a1", "channel": "letter", "country": "GB", "count": 120},
        {"id": "a2", "channel": "email", "country": "FR", "count": 300},
        {"id": "a3", "channel": "email", "country": "FR", "count": 80},
    ]
    server.ok("POST", "/api/v1/actions", {"actions": actions}, token="ingest")
    server.backdate(["a3"], 3 * 3600)  # three hours ago: a second column
    page.reload()
    bars = page.locator("#chart-svg rect.bar")
    expect(bars).to_have_count(3)
    assert sorted(bars.evaluate_all("rs => rs.map(r => r.dataset.channel)")) == ["email", "email", "letter"]
    heights = {
        (r["channel"], r["x"]): r["h"]
        for r in bars.evaluate_all(
            "rs => rs.map(r => ({channel: r.dataset.channel, x: +r.getAttribute('x'), h: +r.getAttribute('height')}))"
        )
    }
    # In this hour's column the email bar (300) stands on, and is taller than, the letter bar (120).
    this_hour = max(x for _, x in heights)
    assert heights[("email", this_hour)] > 2 * heights[("letter", this_hour)]
    expect(page.locator("#chart-legend li")).to_have_text(["Letters", "Emails"])
    expect(page.locator("#chart-svg rect.bar title").first).to_contain_text(":00")


def test_display_cards_show_status_warnings_and_thumbnails(server: Panel, page: Page) -> None:
    thumbnail = jpeg_from(SCENES / "totals.png")
    with (
        FakeDisplay(server, "facade-left", scene="portrait", fps=60, p99=5.5, thumbnail=thumbnail),
        FakeDisplay(server, "lobby-tv", scene="totals", fps=38.0, p99=31.0),
    ):
        left = page.locator(".display[data-name='facade-left']")
        lobby = page.locator(".display[data-name='lobby-tv']")
        expect(left.locator(".d-fps")).to_have_text("60")
        expect(left.locator(".d-p99")).to_have_text("5.5")
        expect(left.locator(".thumb-scene")).to_have_text("portrait")
        expect(left).not_to_have_class(WARN)
        expect(lobby.locator(".d-fps")).to_have_text("38")
        expect(lobby).to_have_class(WARN)
        expect(page.locator("#display-count")).to_have_text("2 of 2 connected")
        # No thumbnail from the lobby yet: a placeholder; the facade's arrives within a refresh.
        expect(lobby.locator(".thumb-none")).to_be_visible()
        expect(left.locator(".thumb-img")).to_be_visible(timeout=12_000)
        assert left.locator(".thumb-img").evaluate("img => img.naturalWidth") == 320
    # Gone displays stay listed as offline with when they were last seen.
    expect(page.locator("#display-count")).to_have_text("0 of 2 connected", timeout=10_000)
    expect(page.locator(".display[data-name='lobby-tv'] .display-conn")).to_contain_text(
        "Offline · last seen"
    )
    expect(page.locator(".display[data-name='lobby-tv']")).to_have_class(re.compile(r"\boffline\b"))
