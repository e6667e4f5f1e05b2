"""Pictures of the panel for the docs, from a realistic night: a show half way through, three
displays (one struggling, one gone), a day of actions. ``PROJECTOR_UPDATE_SCREENSHOTS=1`` writes
them to docs/panel/*.png; otherwise they go to a temporary folder. The same run checks that the
layout fits a phone: nothing wider than the screen, touch targets at least 44 px."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.panel.conftest import FakeDisplay, PageErrors, Panel, jpeg_from, login

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "panel"
SCENES = ROOT / "docs" / "scenes"
MEDIA = ROOT / "media" / "demo"

CASES = {
    "ayse-karaman": ("Ayşe Karaman", "TR"),
    "tarek-abdelhady": ("Tarek Abdelhady", "EG"),
    "yolanda-mosquera": ("Yolanda Mosquera", "CO"),
    "roya-karimzadeh": ("Roya Karimzadeh", "IR"),
}

SHOW: list[dict[str, Any]] = [
    {"id": "preshow", "scene": "ident", "transition": "cut", "label": "Pre-show ident", "safe": True},
    {
        "id": "open-total",
        "scene": "totals",
        "transition": "crossfade",
        "duration": 2,
        "label": "Opening: the total so far",
    },
    {
        "id": "ayse",
        "scene": "portrait",
        "params": {"case": "ayse-karaman"},
        "duration": 1.5,
        "hold": 45,
        "label": "Ayşe Karaman",
    },
    {"id": "wall-1", "scene": "messages", "transition": "wipe", "duration": 1, "label": "Message wall"},
    {
        "id": "tarek",
        "scene": "portrait",
        "params": {"case": "tarek-abdelhady"},
        "hold": 45,
        "label": "Tarek Abdelhady",
    },
    {
        "id": "yolanda",
        "scene": "portrait",
        "params": {"case": "yolanda-mosquera"},
        "hold": 45,
        "label": "Yolanda Mosquera",
    },
    {"id": "record", "scene": "totals", "params": {"celebration": 20}, "label": "Record attempt: the count"},
    {"id": "closing", "scene": "ident", "transition": "crossfade", "duration": 3, "label": "Closing ident"},
]

#: A campaign day: (hours ago, {channel: count}); the evening is busier.
DAY = [
    (
        h,
        {
            "letter": 900 + 260 * k,
            "email": 2400 + 700 * k,
            "sms": 500 + 150 * k,
            "signature": 1300 + 500 * k,
            "tweet": 160 * k,
            "fax": 12,
        },
    )
    for h, k in ((23 - i, (i % 7) + (i // 3)) for i in range(24))
]


def seed_night(server: Panel) -> None:
    server.ok("PUT", "/api/v1/campaign", {"name": "Write for Rights", "goal": 2_300_000, "record": 1_900_000})
    for case_id, (name, country) in CASES.items():
        server.ok(
            "PUT", f"/api/v1/cases/{case_id}", {"name": name, "country": country, "portrait": "portrait.png"}
        )
    actions: list[dict[str, Any]] = [
        {
            "id": "base-letters",
            "channel": "letter",
            "country": "DE",
            "count": 612_400,
            "case": "ayse-karaman",
        },
        {
            "id": "base-email",
            "channel": "email",
            "country": "GB",
            "count": 498_120,
            "case": "tarek-abdelhady",
        },
        {
            "id": "base-sig",
            "channel": "signature",
            "country": "FR",
            "count": 301_966,
            "case": "yolanda-mosquera",
        },
        {"id": "base-sms", "channel": "sms", "country": "KE", "count": 88_410, "case": "roya-karimzadeh"},
        {"id": "base-tweet", "channel": "tweet", "country": "BR", "count": 21_733},
        {"id": "base-fax", "channel": "fax", "country": "NL", "count": 1_212},
    ]
    server.ok("POST", "/api/v1/actions", {"actions": actions}, token="ingest")
    server.backdate([a["id"] for a in actions], 30 * 86400)  # older than the chart's day
    countries = ["GB", "DE", "FR", "ES", "NL", "KE", "BR", "US"]
    for hours_ago, by_channel in DAY:
        batch: list[dict[str, Any]] = [
            {"id": f"h{hours_ago}-{ch}", "channel": ch, "country": countries[(hours_ago + i) % 8], "count": n}
            for i, (ch, n) in enumerate(by_channel.items())
            if n > 0
        ]
        server.ok("POST", "/api/v1/actions", {"actions": batch}, token="ingest")
        server.backdate([a["id"] for a in batch], hours_ago * 3600)
    for text, name, country in (
        ("Stay strong, Ayşe. The world is watching.", "Lena", "DE"),
        ("Solidarité totale depuis Lyon !", "Camille", "FR"),
        ("We wrote 300 letters at our school today.", "Amani", "KE"),
    ):
        status, reply = server.request(
            "POST", "/api/v1/messages", {"text": text, "name": name, "country": country}, token=None
        )
        assert status == 202, reply
        server.ok("POST", f"/api/v1/messages/{reply['id']}/approve", {})
    server.load_show(SHOW, name="Facade — Friday night")
    server.ok("POST", "/api/v1/cue/jump", {"cue": "ayse"})


def shoot(page: Page, name: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    assert path.stat().st_size > 20_000, f"{path} looks empty"
    return path


def test_screenshots_of_the_panel_on_a_laptop_and_a_phone(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors, tmp_path: Path
) -> None:
    # The pictures go to docs/panel/ with PROJECTOR_UPDATE_SCREENSHOTS=1, else to a temporary
    # folder: a test run must not rewrite files in the repository.
    out = DOCS if os.environ.get("PROJECTOR_UPDATE_SCREENSHOTS") == "1" else tmp_path
    seed_night(server)
    # A display that was there and left: listed as offline, with when it was last seen.
    with FakeDisplay(server, "street-screen", scene="totals"):
        pass
    facade = server.display("facade-main", size=(640, 360), media=MEDIA, fps=60)
    facade.wait_for_scene("portrait", timeout=15)
    side = jpeg_from(SCENES / "totals.png")
    lobby = jpeg_from(SCENES / "messages.png")
    with (
        FakeDisplay(server, "facade-side", scene="totals", fps=60, p99=6.1, thumbnail=side),
        FakeDisplay(
            server,
            "lobby-tv",
            scene="messages",
            fps=41,
            p99=38.5,
            error="portrait 'roya-karimzadeh': cannot decode portrait.png",
            thumbnail=lobby,
            resolution=(1280, 720),
        ),
    ):
        laptop = new_context(viewport={"width": 1440, "height": 900})
        page = laptop.new_page()
        page_errors.attach(page)
        login(page, server)
        # Thumbnails are asked for while a panel watches, and shown as soon as they arrive.
        page.wait_for_selector(".thumb.has-image >> nth=2", timeout=10_000)
        expect(page.locator(".thumb.has-image")).to_have_count(3)
        expect(page.locator("#cue-list .cue.program")).to_have_attribute("data-cue-id", "ayse")
        expect(page.locator("#chart-svg rect.bar").first).to_be_visible()
        page.click("#cue-list .cue[data-cue-id='tarek']")  # the cursor on a cue, as mid-show
        page.mouse.move(0, 0)
        shoot(page, "panel-laptop.png", out)

        page.keyboard.press("b")
        expect(page.locator("#btn-blackout")).to_have_attribute("aria-pressed", "true")
        facade.wait_for_scene("blackout")
        # The display's own report comes back to its card.
        main_card = page.locator(".display[data-name='facade-main']")
        expect(main_card.locator(".thumb-scene")).to_have_text("blackout", timeout=5000)
        shoot(page, "panel-laptop-blackout.png", out)
        page.keyboard.press("b")
        expect(page.locator("#btn-blackout")).to_have_attribute("aria-pressed", "false")

        page.click("#tab-editor")
        expect(page.locator("#ed-cues > li")).to_have_count(len(SHOW))
        shoot(page, "panel-editor.png", out)

        phone = new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        mobile = phone.new_page()
        page_errors.attach(mobile)
        login(mobile, server)
        expect(mobile.locator(".thumb.has-image")).to_have_count(3, timeout=10_000)
        expect(mobile.locator("#cue-list .cue.program")).to_have_attribute("data-cue-id", "ayse")
        shoot(mobile, "panel-phone.png", out)
        # Nothing wider than the phone; the transport's buttons are thumb-sized.
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
        for button in mobile.locator("#transport button").all():
            box = button.bounding_box()
            assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
        mobile.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        shoot(mobile, "panel-phone-scrolled.png", out)

        # The session ends under the operator's thumb: the login comes back and says why.
        cookie = next(c for c in phone.cookies() if c["name"] == "projector_session")
        server.store(lambda s: s.delete_session(cookie["value"]))
        mobile.tap("#btn-go")
        expect(mobile.locator("#login-message")).to_have_text("Your session has expired")
        shoot(mobile, "panel-login-phone.png", out)
