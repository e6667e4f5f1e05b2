"""Projection mapping on the panel: drag a corner over the output's picture and a real headless
display's output follows while the hand moves; undo; a refused blend is shown next to its field
while the display keeps its last good mapping. ``PROJECTOR_UPDATE_SCREENSHOTS=1`` also writes
docs/panel/mapping.png."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.panel.conftest import Panel

ROOT = Path(__file__).resolve().parents[2]
SIZE = (320, 180)


def corner_pixels(info: Any) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The output (as the projector gets it) at its top-left pixel and at the middle."""
    out = info.output
    if out is None:
        return None
    return tuple(out.get_at((1, 1)))[:3], tuple(out.get_at((SIZE[0] // 2, SIZE[1] // 2)))[:3]


def wait_until(what: str, condition: Any, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"no {what} within {timeout} s")


def lit(pixel: tuple[int, ...] | None) -> bool:
    return pixel is not None and max(pixel) > 120


def mapping_of(server: Panel) -> dict[str, Any]:
    reply = server.ok("GET", "/api/v1/displays/facade/outputs")
    mapping: dict[str, Any] = reply["outputs"][0]["mapping"]
    return mapping


def test_dragging_a_corner_in_the_panel_moves_the_display_output_live(
    server: Panel, page: Page, tmp_path: Path
) -> None:
    display = server.display("facade", size=SIZE, scene="totals", probe=corner_pixels)
    display.wait_connected()
    card = page.locator("#display-grid .display[data-name='facade']")
    card.locator(".mp-open").click()
    view = page.locator(".mp-view")
    expect(view).to_be_visible()
    expect(view.locator(".mp-title")).to_have_text("facade · main")
    expect(view.locator(".mp-path")).to_contain_text("software output")
    # The grid pattern has a yellow frame on its very edge: the projector's top-left pixel is lit.
    view.locator(".mp-pattern").select_option("grid")
    wait_until("grid on the display", lambda: display.probed and lit(display.probed[0]))
    expect(view.locator(".mp-picture")).to_be_visible()

    handle = view.locator("g.mp-corner[data-i='0'] circle")
    box = handle.bounding_box()
    stage = view.locator(".mp-stage").bounding_box()
    assert box is not None and stage is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    target = (stage["x"] + stage["width"] * 0.25, stage["y"] + stage["height"] * 0.25)
    for step in range(1, 11):
        page.mouse.move(
            box["x"] + (target[0] - box["x"]) * step / 10, box["y"] + (target[1] - box["y"]) * step / 10
        )
        page.wait_for_timeout(30)
    # Still holding the button: the display already follows the hand (live PUTs while dragging).
    wait_until("the dragged corner on the display", lambda: display.probed and not lit(display.probed[0]))
    page.mouse.up()
    wait_until(
        "the stored corner",
        lambda: (
            abs(mapping_of(server)["corners"][0][0] - SIZE[0] * 0.25) < 4
            and abs(mapping_of(server)["corners"][0][1] - SIZE[1] * 0.25) < 4
        ),
    )
    expect(view.locator(".mp-status")).to_contain_text("Top-left corner at")
    assert lit(display.probed[1])  # the middle of the picture still shows

    # Arrow keys nudge the selected corner: 10 px with Shift.
    before = mapping_of(server)["corners"][0]
    page.keyboard.press("Shift+ArrowRight")
    wait_until("the nudge", lambda: abs(mapping_of(server)["corners"][0][0] - (before[0] + 10)) < 0.01)

    # Undo (Ctrl+Z) twice: the corner goes home and the projector's top-left pixel lights again.
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    wait_until("the undo on the display", lambda: display.probed and lit(display.probed[0]))
    assert mapping_of(server)["corners"][0] == [0, 0]

    # A blend wider than the output is refused next to its field; the display keeps its mapping.
    view.locator("input[data-field='blend.left']").fill("200")
    view.locator("input[data-field='blend.left']").press("Tab")
    # Live PUTs are coalesced (at most ten a second): let the good edit land on its own first.
    wait_until("the left blend stored", lambda: mapping_of(server)["blend"]["left"] == 200)
    view.locator("input[data-field='blend.right']").fill("200")
    view.locator("input[data-field='blend.right']").press("Tab")
    expect(view.locator("[data-error-for='blend.right']")).to_contain_text("wider than the output")
    expect(view.locator(".mp-error")).to_contain_text("blend.right")
    expect(view.locator("input[data-field='blend.right']")).to_have_value("0")  # the last good state
    assert mapping_of(server)["blend"]["left"] == 200 and mapping_of(server)["blend"]["right"] == 0

    # The show's keys are off while calibrating: Escape leaves the field, then closes the view
    # (it never panics the show from here).
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(view).to_have_count(0)
    if os.environ.get("PROJECTOR_UPDATE_SCREENSHOTS"):
        screenshot_the_view(server, page)


def test_masks_mesh_and_saved_calibrations_in_the_panel(server: Panel, page: Page) -> None:
    display = server.display(
        "facade", size=SIZE, scene="totals", probe=lambda info: info.output and info.output.copy()
    )
    display.wait_connected()
    page.locator("#display-grid .display[data-name='facade'] .mp-open").click()
    view = page.locator(".mp-view")
    expect(view.locator("g.mp-corner[data-i='0']")).to_be_visible()
    view.locator(".mp-pattern").select_option("crosshatch")
    stage = view.locator(".mp-stage").bounding_box()
    assert stage is not None

    def at(fx: float, fy: float) -> tuple[float, float]:
        return stage["x"] + stage["width"] * fx, stage["y"] + stage["height"] * fy

    # A mask: four clicks and Enter. The projector's pixels inside it go black.
    view.get_by_role("button", name="Draw mask").click()
    for fx, fy in ((0.1, 0.1), (0.4, 0.1), (0.4, 0.6), (0.1, 0.6)):
        page.mouse.click(*at(fx, fy))
    page.keyboard.press("Enter")
    wait_until("the mask stored", lambda: len(mapping_of(server).get("masks", [])) == 1)
    assert len(mapping_of(server)["masks"][0]) == 4
    expect(view.locator(".mp-mask-info")).to_contain_text("1 mask")

    def masked_dark() -> bool:
        out = display.probed
        return (
            out is not None
            and max(out.get_at((x, y))[0] for x in range(40, 120, 4) for y in range(25, 100, 4)) == 0
        )

    wait_until("the masked area dark on the display", masked_dark)

    # A 3x3 mesh; drag its middle point to the right.
    view.locator(".mp-row select").first.select_option("3")
    view.locator(".mp-row select").nth(1).select_option("3")
    view.get_by_role("button", name="Add mesh").click()
    wait_until("the mesh stored", lambda: len(mapping_of(server).get("mesh") or []) == 3)
    middle = view.locator("circle.mp-mesh-pt[data-i='1'][data-j='1']").bounding_box()
    assert middle is not None
    page.mouse.move(middle["x"] + middle["width"] / 2, middle["y"] + middle["height"] / 2)
    page.mouse.down()
    page.mouse.move(*at(0.6, 0.5), steps=5)
    page.mouse.up()
    wait_until("the bent mesh", lambda: abs(mapping_of(server)["mesh"][1][1][0] - 0.6) < 0.02)

    # Save it, reset (undo would bring it back too), load it back.
    view.locator(".mp-save-name").fill("night")
    view.get_by_role("button", name="Save as").click()
    expect(view.locator(".mp-saved")).to_have_value("night")
    saved = mapping_of(server)
    view.get_by_role("button", name="Reset").click()
    wait_until("the reset", lambda: mapping_of(server).get("masks") == [])
    view.get_by_role("button", name="Load").click()
    wait_until("the loaded calibration", lambda: mapping_of(server) == saved)
    expect(view.locator(".mp-mask-info")).to_contain_text("1 mask")
    wait_until("the masked area dark again", masked_dark)


def screenshot_the_view(server: Panel, page: Page) -> None:
    """docs/panel/mapping.png: a 960x540 output with a corner-pin, two window masks, a right-edge
    blend and the grid pattern, a mask selected."""
    w, h = 960, 540
    display = server.display("facade-left", size=(w, h), scene="totals")
    display.wait_connected()
    server.ok(
        "PUT",
        "/api/v1/displays/facade-left/outputs/main/mapping",
        {
            "corners": [[66, 42], [900, 12], [942, 516], [24, 480]],
            "masks": [
                [[250, 170], [372, 164], [376, 318], [254, 322]],
                [[560, 156], [686, 150], [690, 306], [564, 312]],
            ],
            "blend": {"right": 144, "curve": 2.0},
        },
    )
    server.ok("POST", "/api/v1/displays/facade-left/outputs/main/pattern", {"pattern": "grid"})
    page.set_viewport_size({"width": 1440, "height": 860})
    page.locator("#display-grid .display[data-name='facade-left'] .mp-open").click()
    view = page.locator(".mp-view")
    expect(view.locator(".mp-picture")).to_be_visible()
    view.locator(".mp-mode[data-mode='masks']").click()
    view.locator("polygon.mp-mask[data-i='1']").click()
    page.wait_for_timeout(2000)  # a fresh picture with the pattern through the mapping
    out = ROOT / "docs" / "panel"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / "mapping.png"), animations="disabled", caret="hide")
