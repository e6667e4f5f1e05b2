"""The Cases tab in a real browser: edit a dossier, upload a portrait, move its focus, add a language,
import dossiers, and see which displays still miss pictures. ``PROJECTOR_UPDATE_SCREENSHOTS=1``
writes docs/panel/cases.png."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from media.exchange import zip_folder
from tests.panel.conftest import FakeDisplay, PageErrors, Panel, login

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "panel"
DEMO = ROOT / "media" / "demo"


def import_demo(server: Panel, tmp_path: Path, ids: tuple[str, ...]) -> dict[str, Any]:
    folder = tmp_path / "dossiers"
    for case_id in ids:
        shutil.copytree(DEMO / case_id, folder / case_id)
    imported: dict[str, Any] = server.ok(
        "POST", "/api/v1/dossiers.zip", raw=zip_folder(folder), headers={"Content-Type": "application/zip"}
    )
    return imported


def open_cases(page: Page) -> None:
    page.click("#tab-cases")
    expect(page.locator("#cases-view")).to_be_visible()


def test_an_operator_edits_a_case_uploads_a_portrait_moves_its_focus_and_adds_a_language(
    server: Panel, page: Page, tmp_path: Path
) -> None:
    import_demo(server, tmp_path, ("ayse-karaman", "tarek-abdelhady"))
    open_cases(page)
    expect(page.locator("#cs-list .cs-row-item")).to_have_count(2)
    page.click("#cs-list .cs-row-item[data-id='tarek-abdelhady']")
    expect(page.locator("#cs-name")).to_have_value("Tarek Abdelhady")
    expect(page.locator("#cs-id")).to_have_attribute("readonly", "")
    expect(page.locator("#cs-photo-img")).to_be_visible()

    # A new portrait: uploaded as it is, the face found by the server.
    page.set_input_files("#cs-upload", str(DEMO / "itzel-ramirez" / "portrait.png"))
    expect(page.locator("#cs-photo-note")).to_contain_text("Face found")
    expect(page.locator("#cs-dirty")).to_be_visible()
    # The operator clicks where the crop should centre.
    box = page.locator("#cs-photo-img").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.25)
    expect(page.locator("#cs-photo-note")).to_contain_text("Focus moved to 30%, 25%")
    expect(page.locator("#cs-preview-img")).to_be_visible()

    # A Turkish translation beside the English default.
    page.fill("#cs-lang-new", "tr")
    page.press("#cs-lang-new", "Enter")
    expect(page.locator(".cs-lang-tab[aria-selected='true']")).to_have_text("tr")
    page.fill("#cs-story", "Protestocuları savunduğu için iki yıldır tutuklu olan avukat.")
    page.fill("#cs-ask", "Serbest bırakılmasını isteyin.")
    page.select_option("#cs-status", "released")
    page.click("#cs-save")
    expect(page.locator("#cs-dirty")).to_be_hidden()

    saved = server.ok("GET", "/api/v1/cases/tarek-abdelhady")
    assert saved["status"] == "released"
    assert saved["translations"]["tr"]["ask"] == "Serbest bırakılmasını isteyin."
    assert saved["story"].startswith("Human rights lawyer")  # the default language kept its text
    assert abs(saved["focus"][0] - 0.3) < 0.03 and abs(saved["focus"][1] - 0.25) < 0.03
    itzel = server.ok("GET", "/api/v1/media")["media"]
    assert saved["portrait"] in {m["hash"] for m in itzel}


def test_a_bad_picture_is_refused_with_the_reason_and_nothing_changes(
    server: Panel, page: Page, tmp_path: Path
) -> None:
    import_demo(server, tmp_path, ("ayse-karaman",))
    before = server.ok("GET", "/api/v1/cases/ayse-karaman")
    open_cases(page)
    page.click("#cs-list .cs-row-item[data-id='ayse-karaman']")
    fake = tmp_path / "portrait.jpg"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 500)
    page.set_input_files("#cs-upload", str(fake))
    expect(page.locator(".toast.error")).to_contain_text("Windows executable")
    expect(page.locator("#cs-dirty")).to_be_hidden()
    assert server.ok("GET", "/api/v1/cases/ayse-karaman") == before


def test_a_new_case_with_a_bad_country_names_the_field(server: Panel, page: Page) -> None:
    open_cases(page)
    page.click("#cs-new")
    page.fill("#cs-id", "new-case")
    page.fill("#cs-name", "Someone New")
    page.fill("#cs-country", "XX")
    page.click("#cs-save")
    expect(page.locator("#cs-form [data-error-for='country']")).to_contain_text("unknown country")
    page.fill("#cs-country", "KE")
    page.click("#cs-save")
    expect(page.locator("#cs-list .cs-row-item[data-id='new-case']")).to_be_visible()
    assert server.ok("GET", "/api/v1/cases/new-case")["portrait"] is None


def test_viewers_see_cases_but_cannot_change_them(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors, tmp_path: Path
) -> None:
    import_demo(server, tmp_path, ("ayse-karaman",))
    server.add_user("vera", "viewer-pass-12345", "viewer")
    page = new_context().new_page()
    page_errors.attach(page)
    login(page, server, "vera", "viewer-pass-12345")
    open_cases(page)
    page.click("#cs-list .cs-row-item[data-id='ayse-karaman']")
    expect(page.locator("#cs-save")).to_be_disabled()
    expect(page.locator("#cs-new")).to_be_disabled()
    expect(page.locator("#cs-name")).to_be_disabled()


def test_screenshot_of_the_cases_tab(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors, tmp_path: Path
) -> None:
    out = DOCS if os.environ.get("PROJECTOR_UPDATE_SCREENSHOTS") == "1" else tmp_path
    import_demo(
        server,
        tmp_path,
        (
            "ayse-karaman",
            "tarek-abdelhady",
            "yolanda-mosquera",
            "roya-karimzadeh",
            "itzel-ramirez",
            "alesia-karpovich",
        ),
    )
    ayse = server.ok("GET", "/api/v1/cases/ayse-karaman")
    ayse["translations"] = {
        "tr": {
            "story": "Şehrindeki zorla tahliyeleri haberleştirdiği için tutuklanan gazeteci.",
            "ask": "Türkiye Adalet Bakanı'na yazın: Ayşe serbest bırakılsın.",
        }
    }
    server.ok("PUT", "/api/v1/cases/ayse-karaman", ayse)
    facade = FakeDisplay(server, "facade-main", scene="portrait")
    facade.status.update({"media_ready": 6, "media_missing": 0})
    lobby = FakeDisplay(server, "lobby-tv", scene="totals")
    lobby.status.update({"media_ready": 3, "media_missing": 3})
    with facade, lobby:
        page = new_context(viewport={"width": 1440, "height": 900}).new_page()
        page_errors.attach(page)
        login(page, server)
        open_cases(page)
        page.click("#cs-list .cs-row-item[data-id='ayse-karaman']")
        page.click(".cs-lang-tab[data-lang='tr']")
        expect(page.locator("#cs-readiness")).to_contain_text("lobby-tv: missing 3")
        expect(page.locator("#cs-preview-img")).to_be_visible()
        # (wait_for_function would evaluate a string, which the panel's CSP rightly forbids)
        loaded = "Array.from(document.querySelectorAll('#cases-view img')).every(i => i.complete && i.naturalWidth > 0)"
        for _ in range(200):
            if page.evaluate(loaded):
                break
            page.wait_for_timeout(50)
        page.mouse.move(0, 0)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "cases.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        assert path.stat().st_size > 20_000
    # a phone: one column, nothing wider than the screen
    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    page_errors.attach(phone)
    login(phone, server)
    open_cases(phone)
    phone.click("#cs-list .cs-row-item[data-id='ayse-karaman']")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
