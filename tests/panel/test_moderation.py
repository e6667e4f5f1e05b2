"""The Messages tab: supporters' messages waiting for a moderator, decided by key or button, and
what the wall then shows; the log, blocked senders and blocklists; and nothing a supporter wrote
ever running as markup in the panel."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.panel.conftest import (
    THREE_CUES,
    VIEWER_PASSWORD,
    PageErrors,
    Panel,
    login,
    open_logged_in,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "panel"


def submit(
    server: Panel,
    text: str,
    name: str = "",
    country: str | None = None,
    lang: str | None = None,
    sender: str | None = None,
) -> str:
    """A supporter's message through the public API (no token), each from its own browser
    unless ``sender`` names one: the flood rules allow a sender only a few messages."""
    body: dict[str, str] = {"text": text, "name": name}
    if country:
        body["country"] = country
    if lang:
        body["lang"] = lang
    cookie = server.sender_cookie(sender or f"supporter-{uuid.uuid4().hex[:14]}")
    status, reply = server.request(
        "POST", "/api/v1/messages", body, token=None, headers={"Cookie": f"projector_sender={cookie}"}
    )
    assert status == 202, reply
    assert reply["status"] == "pending", reply
    return str(reply["id"])


def ids(server: Panel, status: str) -> list[str]:
    return [m["id"] for m in server.ok("GET", f"/api/v1/messages?status={status}")["messages"]]


def message(server: Panel, status: str, message_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        m for m in server.ok("GET", f"/api/v1/messages?status={status}")["messages"] if m["id"] == message_id
    ]
    assert found, f"{message_id} is not {status}"
    return found[0]


def settled(check: Callable[[], object], timeout: float = 8.0) -> None:
    """Retry ``check`` until its assertions hold: the panel updates its list as soon as it
    sends a decision, so the server's answer may still be on the wire when the row is gone."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def item(page: Page, message_id: str) -> Locator:
    return page.locator(f"#mod-list .mod-item[data-id='{message_id}']")


def expect_selected(page: Page, message_id: str) -> None:
    page.wait_for_selector(f"#mod-list .mod-item[data-id='{message_id}'][aria-selected='true']", timeout=8000)


def wait_for_preview(page: Page, timeout: float = 20_000) -> None:
    """The wall's picture of the selected message has arrived and decoded."""
    page.wait_for_function(
        """() => {
            const img = document.querySelector('#mod-preview-img');
            return img && img.complete && img.naturalWidth > 0
                && document.querySelector('#mod-preview').dataset.state === 'ready';
        }""",
        timeout=timeout,
    )


def open_messages(page: Page, sub: str | None = None) -> None:
    page.click("#tab-messages")
    expect(page.locator("#messages-view")).to_be_visible()
    if sub:
        page.click(f"#mod-tabs .mod-tab[data-sub='{sub}']")


# --- the test: from a supporter's phone to the wall, through one key --------------------------


def test_a_supporters_message_reaches_the_wall_when_the_moderator_presses_a(
    server: Panel, page: Page
) -> None:
    wall = server.display("facade", scene="messages")
    wall.wait_connected()
    text = "Ayşe, yalnız değilsin! Özgürlüğün için buradayız."
    mid = submit(server, text, "Deniz", "TR")
    open_messages(page)
    row = item(page, mid)
    expect(row.locator(".mod-item-text")).to_have_text(text)
    expect(row.locator(".mod-item-meta")).to_contain_text("Deniz")
    expect(row.locator(".mod-item-meta")).to_contain_text("TR")
    expect(row.locator(".mod-item-meta")).to_contain_text("web")
    expect_selected(page, mid)
    expect(page.locator("#mod-text")).to_have_text(text)
    wait_for_preview(page)
    assert page.eval_on_selector("#mod-preview-img", "img => img.naturalWidth") == 960
    assert wall.spotlight != mid

    page.keyboard.press("a")
    wall.wait_for(lambda: wall.spotlight == mid, "the approved message in the wall's spotlight", timeout=10)

    def decided() -> None:
        assert ids(server, "approved") == [mid]
        assert ids(server, "pending") == []

    settled(decided)
    expect(row).to_have_count(0)
    expect(page.locator("#mod-empty")).to_be_visible()
    expect(page.locator("#tab-messages-count")).to_be_hidden()


# --- the keyboard: A, R, P, and moving --------------------------------------------------------------------


def test_keys_approve_reject_pin_and_the_selection_moves_to_the_next_waiting_message(
    server: Panel, page: Page
) -> None:
    server.load_show(THREE_CUES)
    first = submit(server, "Free them all", "Lena", "DE")
    second = submit(server, "Nobody should be jailed for a tweet", "Sam", "GB")
    third = submit(server, "Solidarité depuis Lyon", "Camille", "FR", lang="fr")
    open_messages(page)
    expect(page.locator("#mod-list .mod-item")).to_have_count(3)
    expect_selected(page, first)  # the head of the queue: oldest first
    page.keyboard.press("j")
    expect_selected(page, second)
    page.keyboard.press("ArrowDown")
    expect_selected(page, third)
    page.keyboard.press("k")
    page.keyboard.press("ArrowUp")
    expect_selected(page, first)
    # The show's other keys do nothing here: no GO, no hold, no back (B, blackout, and Escape,
    # panic, work on every tab: tests/panel/test_safety.py).
    for key in ("Space", "h", "Backspace"):
        page.keyboard.press(key)

    page.keyboard.press("a")
    expect_selected(page, second)
    expect(item(page, first)).to_have_count(0)
    page.keyboard.press("r")
    expect_selected(page, third)
    page.keyboard.press("p")
    expect(page.locator("#mod-list .mod-item")).to_have_count(0)
    expect(page.locator("#mod-empty")).to_be_visible()

    def all_decided() -> None:
        assert message(server, "approved", first)["pinned"] is False
        assert message(server, "rejected", second)["decided_by"] == "admin"
        assert message(server, "approved", third)["pinned"] is True
        assert ids(server, "pending") == []

    settled(all_decided)
    show = server.show()
    assert (show["program"], show["blackout"], show["held"]) == (None, False, False)

    # On the wall: pinned first, marked; P unpins, R takes it down.
    page.click("#mod-tabs .mod-tab[data-sub='wall']")
    expect(page.locator("#mod-list .mod-item")).to_have_count(2)
    expect(page.locator("#mod-list .mod-item").first).to_have_attribute("data-id", third)
    expect(item(page, third).locator(".pill-pinned")).to_have_text("PINNED")
    expect_selected(page, third)
    expect(page.locator("#mod-pin .mbtn-label")).to_have_text("Unpin")
    page.keyboard.press("p")
    expect(item(page, third).locator(".pill-pinned")).to_have_count(0)
    expect(page.locator("#mod-pin .mbtn-label")).to_have_text("Pin")

    def unpinned() -> None:
        assert message(server, "approved", third)["pinned"] is False

    settled(unpinned)
    page.click(f"#mod-list .mod-item[data-id='{first}']")
    expect(page.locator("#mod-reject .mbtn-label")).to_have_text("Take down")
    page.click("#mod-reject")
    expect(item(page, first)).to_have_count(0)

    def taken_down() -> None:
        assert first in ids(server, "rejected")

    settled(taken_down)

    # Rejected: approve after all.
    page.click("#mod-tabs .mod-tab[data-sub='rejected']")
    expect(page.locator("#mod-list .mod-item")).to_have_count(2)
    page.click(f"#mod-list .mod-item[data-id='{second}']")
    expect(page.locator("#mod-reject")).to_be_disabled()
    expect(page.locator("#mod-pin")).to_be_disabled()
    page.keyboard.press("a")
    expect(item(page, second)).to_have_count(0)

    def approved_after_all() -> None:
        assert second in ids(server, "approved")

    settled(approved_after_all)

    # The log says who did what, latest first.
    page.click("#mod-tabs .mod-tab[data-sub='log']")
    rows = page.locator("#mod-log-body tr")
    expect(rows).to_have_count(7)  # P on a waiting message is two decisions: approve, then pin
    expect(rows.locator(".dpill")).to_have_text(
        ["approved", "rejected", "unpinned", "pinned", "approved", "rejected", "approved"]
    )
    expect(rows.first).to_contain_text("approved")
    expect(rows.first).to_contain_text("Nobody should be jailed")
    expect(rows.first).to_contain_text("admin")


# --- editing ------------------------------------------------------------------------------------------------


def test_e_edits_the_text_and_name_and_the_picture_follows(server: Panel, page: Page) -> None:
    mid = submit(server, "Stay strnog, Ayse Karaman", "Lena Schmidt", "DE")
    open_messages(page)
    expect_selected(page, mid)
    wait_for_preview(page)
    before = page.get_attribute("#mod-preview-img", "src")

    # Escape cancels and leaves the message alone (and never panics the show).
    page.keyboard.press("e")
    expect(page.locator("#mod-edit-text")).to_be_focused()
    page.keyboard.type(" nonsense")
    page.keyboard.press("Escape")
    expect(page.locator("#mod-edit-form")).to_be_hidden()
    expect(page.locator("#mod-text")).to_have_text("Stay strnog, Ayse Karaman")

    page.keyboard.press("e")
    expect(page.locator("#mod-edit-text")).to_have_value("Stay strnog, Ayse Karaman")
    expect(page.locator("#mod-edit-name")).to_have_value("Lena Schmidt")
    page.fill("#mod-edit-text", "Stay strong, Ayşe Karaman")
    page.fill("#mod-edit-name", "Lena")
    page.press("#mod-edit-name", "Enter")
    expect(page.locator("#mod-edit-form")).to_be_hidden()
    expect(page.locator("#mod-text")).to_have_text("Stay strong, Ayşe Karaman")
    expect(item(page, mid).locator(".mod-name")).to_have_text("Lena")
    stored = message(server, "pending", mid)
    assert (stored["text"], stored["name"]) == ("Stay strong, Ayşe Karaman", "Lena")
    after = page.get_attribute("#mod-preview-img", "src")
    assert after is not None
    assert after != before and after.startswith(f"/api/v1/messages/{mid}/preview.png?v=")
    wait_for_preview(page)
    expect(page.locator("#mod-history")).to_contain_text("edited")

    # The server's refusal goes next to the field it names.
    page.keyboard.press("e")
    page.fill("#mod-edit-text", "x" * 400)
    page.click("#mod-edit-save")
    expect(page.locator("#mod-edit-form [data-error-for='text']")).to_contain_text("at most")
    expect(page.locator("#mod-edit-text")).to_have_attribute("aria-invalid", "true")
    page.click("#mod-edit-cancel")
    assert message(server, "pending", mid)["text"] == "Stay strong, Ayşe Karaman"


# --- blocking a sender --------------------------------------------------------------------------------------


def test_x_twice_blocks_the_sender_and_they_are_listed_under_blocked_senders(
    server: Panel, page: Page
) -> None:
    troll = "troll-0123456789abcdef01"
    spam = submit(server, "Buy followers now", "Promo", sender=troll)
    more = submit(server, "Cheap followers here", "Promo", sender=troll)
    fine = submit(server, "We are with you", "Amani", "KE")
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/jump", {"cue": "wall"})
    open_messages(page)
    expect_selected(page, spam)
    page.keyboard.press("x")
    confirm = page.locator("#mod-confirm")
    expect(confirm).to_be_visible()
    expect(page.locator("#mod-confirm-sender")).to_have_text(f"web:{troll}")
    expect(confirm).to_contain_text("1 other waiting message")
    assert ids(server, "rejected") == []  # one X only asks
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    page.wait_for_timeout(150)
    assert server.show()["program"] == 2  # Escape closed the question; it did not also panic
    page.keyboard.press("x")
    expect(confirm).to_be_visible()
    page.keyboard.press("x")
    expect(confirm).to_be_hidden()
    expect_selected(page, fine)
    expect(page.locator("#mod-list .mod-item")).to_have_count(1)

    def both_rejected() -> None:
        assert sorted(ids(server, "rejected")) == sorted([spam, more])
        assert ids(server, "pending") == [fine]

    settled(both_rejected)
    status, reply = server.request(
        "POST",
        "/api/v1/messages",
        {"text": "I am back"},
        token=None,
        headers={"Cookie": f"projector_sender={server.sender_cookie(troll)}"},
    )
    assert status == 403 and reply["error"]["code"] == "sender_blocked"

    page.click("#mod-tabs .mod-tab[data-sub='blocked']")
    # The sender, and for a few hours its address (so a new cookie is no way back).
    expect(page.locator("#mod-blocked-body tr")).to_have_count(2)
    row = page.locator("#mod-blocked-body tr").filter(
        has=page.locator(".blk-sender", has_text=f"web:{troll}")
    )
    expect(row.locator(".blk-sender")).to_have_text(f"web:{troll}")
    expect(row).to_contain_text("admin")
    address = page.locator("#mod-blocked-body tr").filter(
        has=page.locator(".blk-sender", has_text="web:addr:")
    )
    expect(address).to_contain_text("6 hours")
    expect(page.locator("#mod-count-blocked")).to_have_text("2")
    row.locator(".mod-unblock").click()  # lifts the address block with it
    expect(page.locator("#mod-blocked-empty")).to_be_visible()
    assert server.ok("GET", "/api/v1/moderation/blocked")["senders"] == []


# --- nothing a supporter wrote runs ---------------------------------------------------------------------------


def test_markup_in_a_message_is_shown_as_text_and_never_runs(
    server: Panel, page: Page, page_errors: PageErrors
) -> None:
    evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    evil_name = '<b onmouseover="window.__pwned=3">Eve</b>'
    bad = submit(server, evil, evil_name, "GB")
    rtl = submit(
        server, "\u202eesrever ni txet\u202c and \u2067isolate\u2069 \u05e9\u05dc\u05d5\u05dd", "\u202eevE"
    )
    zalgo_text = (
        "Z" + "\u0334\u0335\u0336\u0337\u0338" * 12 + "algo " + "\u0301\u0300\u0302" * 20 + "text " * 20
    )
    zalgo = submit(server, zalgo_text, "H\u0336\u0337\u0338e\u0334\u0335 comes")
    open_messages(page)
    expect(page.locator("#mod-list .mod-item")).to_have_count(3)
    expect(item(page, bad).locator(".mod-item-text")).to_have_text(evil)
    expect(item(page, bad).locator(".mod-name")).to_have_text(evil_name)
    expect(page.locator("#mod-text")).to_have_text(evil)
    expect(page.locator("#mod-m-name")).to_have_text(evil_name)
    wait_for_preview(page)
    item(page, bad).hover()
    page.locator("#mod-text").hover()
    # Edit form and log show it as text too.
    page.keyboard.press("e")
    expect(page.locator("#mod-edit-text")).to_have_value(evil)
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.click("#mod-tabs .mod-tab[data-sub='log']")
    expect(page.locator("#mod-log-body tr").first).to_contain_text("<img src=x")
    page.click("#mod-tabs .mod-tab[data-sub='waiting']")
    assert page.evaluate("window.__pwned") is None
    for where in ("#messages-view", "#mod-list", "#mod-detail", "#mod-log-pane"):
        assert page.locator(f"{where} script").count() == 0
        assert page.locator(f"{where} img:not(#mod-preview-img)").count() == 0
        assert page.locator(f"{where} b").count() == 0

    # Bidi controls and zalgo stay inside their rows: the list is as wide as it was.
    for mid in (rtl, zalgo):
        page.click(f"#mod-list .mod-item[data-id='{mid}']")
        expect_selected(page, mid)
        wait_for_preview(page)
    list_box = page.locator("#mod-list").bounding_box()
    assert list_box is not None
    for mid in (rtl, zalgo):
        # A push may redraw the list between two reads: the row is measured once it is on screen.
        expect(item(page, mid)).to_be_visible()
        box = item(page, mid).bounding_box()
        for _ in range(50):
            if box is not None:
                break
            page.wait_for_timeout(100)
            box = item(page, mid).bounding_box()
        assert box is not None
        assert (
            box["x"] >= list_box["x"] - 1 and box["x"] + box["width"] <= list_box["x"] + list_box["width"] + 1
        )
        assert box["height"] < 200, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    assert page.evaluate("window.__pwned") is None
    assert not page_errors.errors


# --- viewers ---------------------------------------------------------------------------------------------------


def test_a_viewer_sees_the_queue_but_cannot_decide(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    server.add_user("watcher", VIEWER_PASSWORD, "viewer")
    mid = submit(server, "Stay strong", "Lena", "DE")
    viewer = new_context().new_page()
    page_errors.attach(viewer)
    open_logged_in(viewer, server, "watcher", VIEWER_PASSWORD)
    open_messages(viewer)
    expect_selected(viewer, mid)
    wait_for_preview(viewer)
    for button in ("#mod-approve", "#mod-reject", "#mod-pin", "#mod-edit", "#mod-block"):
        expect(viewer.locator(button)).to_be_disabled()
        expect(viewer.locator(button)).to_have_attribute("title", "viewers cannot moderate")
    for key in ("a", "r", "p", "x", "x", "e"):
        viewer.keyboard.press(key)
    expect(viewer.locator(".toast.warn").first).to_contain_text("Viewers cannot moderate")
    expect(viewer.locator("#mod-edit-form")).to_be_hidden()
    expect(viewer.locator("#mod-confirm")).to_be_hidden()
    viewer.wait_for_timeout(300)
    assert ids(server, "pending") == [mid]
    viewer.click("#mod-tabs .mod-tab[data-sub='blocklists']")
    expect(viewer.locator("#bl-save")).to_be_disabled()


# --- blocklists --------------------------------------------------------------------------------------------------


def test_a_word_added_to_the_french_blocklist_is_refused_from_then_on(server: Panel, page: Page) -> None:
    status, _ = server.request(
        "POST", "/api/v1/messages", {"text": "Quel cornichon, ce ministre", "lang": "fr"}, token=None
    )
    assert status == 202  # not a blocked word yet
    open_messages(page, "blocklists")
    expect(page.locator("#bl-lang option[value='fr']")).to_have_count(1)
    page.select_option("#bl-lang", "fr")
    expect(page.locator("#bl-state")).to_have_text("built in")
    entries = page.input_value("#bl-entries")
    assert "salaud" in entries.splitlines()
    page.fill("#bl-entries", entries + "\ncornichon\n")
    expect(page.locator("#bl-dirty")).to_be_visible()
    page.click("#bl-save")
    expect(page.locator(".toast.ok")).to_contain_text("Blocklist saved")
    expect(page.locator("#bl-state")).to_have_text("edited here")
    expect(page.locator("#bl-lang option[value='fr']")).to_contain_text("edited")
    expect(page.locator("#bl-dirty")).to_be_hidden()

    status, reply = server.request(
        "POST",
        "/api/v1/messages",
        {"text": "Quel cornichon, ce ministre !", "lang": "fr"},
        token=None,
        headers={"Cookie": f"projector_sender={server.sender_cookie('another-supporter-01abcd')}"},
    )
    assert status == 422, reply
    assert "cornichon" in reply["error"]["message"]
    fr = [b for b in server.ok("GET", "/api/v1/moderation/blocklists")["blocklists"] if b["lang"] == "fr"]
    assert fr[0]["edited"] is True and "cornichon" in fr[0]["entries"] and "salaud" in fr[0]["entries"]

    # A line the server refuses is named by its line number.
    page.fill("#bl-entries", "cornichon\n\n" + "x" * 120)
    page.click("#bl-save")
    expect(page.locator("#bl-error")).to_contain_text("Line 3")
    expect(page.locator("#bl-entries")).to_have_attribute("aria-invalid", "true")

    # Another language's list, from nothing.
    page.fill("#bl-new", "de")
    page.click("#bl-open")
    expect(page.locator("#bl-state")).to_have_text("new list")
    page.fill("#bl-entries", "Vollidiot")
    page.click("#bl-save")
    expect(page.locator("#bl-state")).to_have_text("edited here")
    assert any(b["lang"] == "de" for b in server.ok("GET", "/api/v1/moderation/blocklists")["blocklists"])


# --- the badge ------------------------------------------------------------------------------------------------------


def test_the_pending_badge_on_the_tab_follows_the_queue_while_another_tab_is_open(
    server: Panel, page: Page
) -> None:
    badge = page.locator("#tab-messages-count")
    expect(page.locator("#operate-view")).to_be_visible()
    expect(badge).to_be_hidden()
    first = submit(server, "First!", "A")
    expect(badge).to_have_text("1")
    submit(server, "Second", "B")
    expect(badge).to_have_text("2")
    server.ok("POST", f"/api/v1/messages/{first}/reject", {})
    expect(badge).to_have_text("1")
    page.click("#tab-editor")
    submit(server, "Third", "C")
    expect(badge).to_have_text("2")
    expect(page.locator("#operate-view")).to_be_hidden()
    open_messages(page)
    expect(page.locator("#mod-list .mod-item")).to_have_count(2)
    expect(page.locator("#mod-count-waiting")).to_have_text("2")
    # While the tab is open, a new message joins the queue without a reload.
    late = submit(server, "Late but here", "D")
    expect(item(page, late)).to_have_count(1)


# --- a picture for the docs -------------------------------------------------------------------------------------------

NIGHT = [
    ("Ayşe, yalnız değilsin! Özgürlüğün için buradayız.", "Zeynep", "TR", "tr"),
    ("الحرية لجميع سجناء الرأي. نحن معكم ولن ننساكم.", "ليلى", "EG", "ar"),
    ("យើងនៅជាមួយអ្នក។ សេរីភាពសម្រាប់អ្នកការពារសិទ្ធិមនុស្ស!", "សុខា", "KH", "km"),
    ("あなたは一人じゃない。世界中から自由を求めています。", "ゆき", "JP", "ja"),
    ("Read more at https://example.org/free-them and share!", "Tom", "GB", "en"),
    ("Nous écrivons depuis Lyon : libérez-les tous !", "Camille", "FR", "fr"),
]


def test_screenshot_of_the_messages_tab(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors, tmp_path: Path
) -> None:
    out = DOCS if os.environ.get("PROJECTOR_UPDATE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    on_wall = submit(server, "Stay strong, Tarek. 300 letters from our school today.", "Amani", "KE", "en")
    server.ok("POST", f"/api/v1/messages/{on_wall}/pin", {})
    waiting = [submit(server, *m) for m in NIGHT]
    laptop = new_context(viewport={"width": 1440, "height": 900})
    page = laptop.new_page()
    page_errors.attach(page)
    login(page, server)
    open_messages(page)
    expect(page.locator("#mod-list .mod-item")).to_have_count(len(NIGHT))
    page.click(f"#mod-list .mod-item[data-id='{waiting[1]}']")  # the Arabic one
    expect_selected(page, waiting[1])
    wait_for_preview(page)
    expect(page.locator("#mod-history li")).to_have_count(1)
    page.mouse.move(0, 0)
    page.screenshot(path=str(out / "moderation.png"), animations="disabled", caret="hide")
    assert (out / "moderation.png").stat().st_size > 20_000

    phone = new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    mobile = phone.new_page()
    page_errors.attach(mobile)
    login(mobile, server)
    mobile.tap("#tab-messages")
    expect(mobile.locator("#mod-list .mod-item")).to_have_count(len(NIGHT))
    wait_for_preview(mobile)
    mobile.screenshot(path=str(out / "moderation-phone.png"), animations="disabled", caret="hide")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    for button in mobile.locator("#mod-actions button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
