"""Building a show in the panel's editor: add, reorder, remove, save, server errors at their field,
TOML import and export."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from projector.store.media import MediaRecord
from tests.panel.conftest import THREE_CUES, Panel


def row(page: Page, n: int) -> Locator:
    return page.locator("#ed-cues > li").nth(n)


def test_build_a_three_cue_show_in_the_editor_and_save_it(server: Panel, page: Page) -> None:
    page.click("#tab-editor")
    expect(page.locator("#ed-empty")).to_be_visible()
    page.fill("#ed-name", "Facade, Friday night")
    page.fill("#ed-id", "friday")
    for _ in range(4):
        page.click("#ed-add")
    expect(page.locator("#ed-cues > li")).to_have_count(4)
    expect(page.locator("#editor-dirty")).to_be_visible()
    specs = [
        ("Opening ident", "ident", "cut", "", ""),
        ("The count", "totals", "crossfade", "2", "30"),
        ("Throwaway", "portrait", "wipe", "1", ""),
        ("Message wall", "messages", "wipe", "1.5", ""),
    ]
    for i, (label, scene, transition, duration, hold) in enumerate(specs):
        r = row(page, i)
        r.locator(".ed-label").fill(label)
        r.locator(".ed-scene").select_option(scene)
        r.locator(".ed-transition").select_option(transition)
        if transition != "cut":
            r.locator(".ed-duration").fill(duration)
        r.locator(".ed-hold").fill(hold)
    expect(row(page, 0).locator(".ed-duration")).to_be_disabled()  # a cut has no duration
    row(page, 2).locator(".ed-params").fill("case=ayse\nsize=2\nshout=true")
    row(page, 0).locator(".ed-safe").check()
    row(page, 2).locator(".ed-up").click()  # the throwaway moves above the count...
    expect(row(page, 1).locator(".ed-label")).to_have_value("Throwaway")
    row(page, 1).locator(".ed-params").fill("case=ayse\nsize=2")
    row(page, 1).locator(".ed-remove").click()  # ...and goes
    expect(page.locator("#ed-cues > li")).to_have_count(3)
    page.click("#ed-save")
    expect(page.locator(".toast.ok")).to_contain_text("Show saved")
    expect(page.locator("#editor-dirty")).to_be_hidden()

    show = server.show()["show"]
    assert (show["id"], show["name"]) == ("friday", "Facade, Friday night")
    got = [
        (c["label"], c["scene"], c["transition"], c["duration"], c["hold"], c["safe"]) for c in show["cues"]
    ]
    assert got == [
        ("Opening ident", "ident", "cut", 0.0, None, True),
        ("The count", "totals", "crossfade", 2.0, 30.0, False),
        ("Message wall", "messages", "wipe", 1.5, None, False),
    ]
    page.click("#tab-operate")
    expect(page.locator("#cue-list .cue-title")).to_have_text(["Opening ident", "The count", "Message wall"])
    expect(page.locator("#show-name")).to_have_text("Facade, Friday night")


def test_params_are_key_value_lines(server: Panel, page: Page) -> None:
    server.load_show(
        [{"id": "p", "scene": "portrait", "params": {"case": "ayse", "size": 2, "loud": True, "code": "42"}}]
    )
    page.click("#tab-editor")
    params = row(page, 0).locator(".ed-params")
    expect(params).to_have_value('case=ayse\nsize=2\nloud=true\ncode="42"')
    params.fill('case=tarek\nsize=2.5\nloud=false\ncode="7"')
    page.click("#ed-save")
    expect(page.locator(".toast.ok")).to_contain_text("Show saved")
    assert server.show()["show"]["cues"][0]["params"] == {
        "case": "tarek",
        "size": 2.5,
        "loud": False,
        "code": "7",
    }


def test_errors_show_next_to_the_field_they_are_about(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    page.click("#tab-editor")
    expect(page.locator("#ed-cues > li")).to_have_count(3)
    # The server's check: a hold shorter than the transition (422, field cues[1].hold).
    second = row(page, 1)
    second.locator(".ed-transition").select_option("crossfade")
    second.locator(".ed-duration").fill("3")
    second.locator(".ed-hold").fill("1")
    page.click("#ed-save")
    error = second.locator(".field-error[data-error-for='cues[1].hold']")
    expect(error).to_have_text("must be at least the transition's duration")
    expect(second.locator(".ed-hold")).to_have_attribute("aria-invalid", "true")
    expect(second.locator(".ed-hold")).to_be_focused()
    assert server.show()["show"]["cues"][1]["transition"] == "cut"  # nothing saved

    # A duplicate cue id, also the server's.
    second.locator(".ed-hold").fill("")
    row(page, 2).locator(".ed-id").fill("count")
    page.click("#ed-save")
    expect(row(page, 2).locator(".field-error[data-error-for='cues[2].id']")).to_contain_text(
        "duplicate cue id"
    )

    # The panel's own check: a params line that is not key=value.
    row(page, 2).locator(".ed-id").fill("wall")
    row(page, 0).locator(".ed-params").fill("just words")
    page.click("#ed-save")
    expect(row(page, 0).locator(".field-error[data-error-for='cues[0].params']")).to_contain_text("key=value")
    row(page, 0).locator(".ed-params").fill("")
    page.click("#ed-save")
    expect(page.locator(".toast.ok")).to_contain_text("Show saved")
    assert server.show()["show"]["cues"][1]["hold"] is None


def test_import_and_export_toml(server: Panel, page: Page, tmp_path: Path) -> None:
    show_file = tmp_path / "night.toml"
    show_file.write_text(
        'id = "night"\nname = "Night show"\nloop = true\n\n'
        '[[cues]]\nid = "a"\nscene = "ident"\ntransition = "cut"\nlabel = "Ident"\n\n'
        '[[cues]]\nid = "b"\nscene = "totals"\nlabel = "Count"\nhold = 20\n',
        encoding="utf-8",
    )
    page.click("#tab-editor")
    page.set_input_files("#ed-import", str(show_file))
    expect(page.locator(".toast.ok")).to_contain_text("Show imported")
    expect(page.locator("#ed-cues > li")).to_have_count(2)
    expect(row(page, 0).locator(".ed-label")).to_have_value("Ident")
    expect(row(page, 1).locator(".ed-label")).to_have_value("Count")
    expect(page.locator("#ed-loop")).to_be_checked()
    assert server.show()["show"]["name"] == "Night show"

    with page.expect_download() as info:
        page.click("#ed-export")
    download = info.value
    assert download.suggested_filename == "night.toml"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert 'name = "Night show"' in text and 'label = "Count"' in text

    bad = tmp_path / "bad.toml"
    bad.write_text("id = \n", encoding="utf-8")
    page.set_input_files("#ed-import", str(bad))
    expect(page.locator("#ed-error")).to_contain_text("bad.toml")
    expect(page.locator("#ed-error")).to_contain_text("not valid TOML")


def test_unsaved_edits_survive_a_show_change_elsewhere_and_say_so(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    page.click("#tab-editor")
    row(page, 0).locator(".ed-label").fill("My new opening")
    expect(page.locator("#ed-stale")).to_be_hidden()
    server.load_show(THREE_CUES[:2], name="Someone else's show")
    expect(page.locator("#ed-stale")).to_be_visible()
    expect(row(page, 0).locator(".ed-label")).to_have_value("My new opening")
    expect(page.locator("#ed-cues > li")).to_have_count(3)
    page.click("#ed-take-theirs")
    expect(page.locator("#ed-cues > li")).to_have_count(2)
    expect(page.locator("#ed-name")).to_have_value("Someone else's show")
    expect(page.locator("#ed-stale")).to_be_hidden()


def test_a_slides_cue_holds_until_its_end_and_the_editor_keeps_it(server: Panel, page: Page) -> None:
    """``hold = "end"`` survives the editor (it is not a number) and the cue list says what it means."""
    slide = "a" * 64  # a picture in the store (cues are checked against it; the file is not needed)
    server.store(lambda s: s.add_media(MediaRecord(slide, "image/png", 640, 360, 1000)))
    server.load_show(
        [{"id": "march", "scene": "slides", "params": {"slide_1": slide, "seconds": 4}, "hold": "end"}]
    )
    page.click("#tab-editor")
    expect(row(page, 0).locator(".ed-hold")).to_have_value("end")
    row(page, 0).locator(".ed-label").fill("Photos of the march")
    page.click("#ed-save")
    expect(page.locator(".toast.ok")).to_contain_text("Show saved")
    assert server.show()["show"]["cues"][0]["hold"] == "end"
    page.click("#tab-operate")
    expect(page.locator("#cue-list .cue-hold")).to_have_text(["end"])
    page.click("#tab-editor")
    row(page, 0).locator(".ed-hold").fill("soon")
    page.click("#ed-save")
    expect(row(page, 0).locator(".ed-hold")).to_have_attribute("aria-invalid", "true")


def test_a_target_per_show_and_per_cue_is_edited_checked_by_the_server_and_listed(
    server: Panel, page: Page
) -> None:
    server.ok("PUT", "/api/v1/groups/facade")
    server.load_show(THREE_CUES)
    page.click("#tab-editor")
    expect(page.locator("#ed-cues > li")).to_have_count(3)
    expect(page.locator("#ed-target")).to_have_value("")
    page.fill("#ed-target", "group:facade")
    second = row(page, 1)
    second.locator(".ed-target").fill("display:nowhere")
    page.click("#ed-save")
    # The server names the field; the message goes under the cue's target.
    error = second.locator(".field-error[data-error-for='cues[1].target']")
    expect(error).to_contain_text("unknown display 'nowhere'")
    expect(second.locator(".ed-target")).to_have_attribute("aria-invalid", "true")
    assert server.show()["show"].get("target", "all") == "all"  # nothing saved

    second.locator(".ed-target").fill("all")
    row(page, 2).locator(".ed-target").fill("group:lobby")  # no such group
    page.click("#ed-save")
    expect(row(page, 2).locator(".field-error[data-error-for='cues[2].target']")).to_contain_text(
        "unknown group 'lobby'"
    )
    row(page, 2).locator(".ed-target").fill("")  # the show's
    page.click("#ed-save")
    expect(page.locator(".toast.ok")).to_contain_text("Show saved")
    show = server.show()["show"]
    assert show["target"] == "group:facade"
    assert [c.get("target") for c in show["cues"]] == [None, "all", None]

    # The cue list says for whom, when it is not every display.
    page.click("#tab-operate")
    targets = page.locator("#cue-list .cue .cue-target")
    expect(page.locator("#cue-list .cue[data-cue-id='intro'] .cue-target")).to_have_text("group:facade")
    expect(page.locator("#cue-list .cue[data-cue-id='count'] .cue-target")).to_have_count(0)
    expect(targets).to_have_count(2)

    # The editor reads them back.
    page.reload()
    page.wait_for_selector("#app:not([hidden]) #conn-badge[data-state='live']")
    page.click("#tab-editor")
    expect(page.locator("#ed-target")).to_have_value("group:facade")
    expect(row(page, 1).locator(".ed-target")).to_have_value("all")
    expect(row(page, 2).locator(".ed-target")).to_have_value("")
