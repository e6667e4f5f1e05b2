"""Pictures of what is on air: PROGRAM and PREVIEW show what a real headless display sends,
and a blackout turns the PROGRAM picture black within a second."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.panel.conftest import THREE_CUES, Panel

#: The brightest pixel of a monitor's picture (0 to 255), drawn into a canvas (same origin: readable).
BRIGHTEST = """(id) => {
  const img = document.querySelector(`#${id} img`);
  if (!img || !img.complete || !img.naturalWidth || img.closest("[hidden]")) return -1;
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let max = 0;
  for (let i = 0; i < data.length; i += 4) max = Math.max(max, data[i], data[i + 1], data[i + 2]);
  return max;
}"""


#: Waits until that brightness is within [low, high] (a function, not an expression: the panel's
#: content security policy forbids the eval an expression would need).
BRIGHTNESS_IN = f"""([id, low, high]) => {{
  const b = ({BRIGHTEST})(id);
  return b >= low && b <= high;
}}"""


def wait_for_brightness(page: Page, monitor: str, low: int, high: int, **kw: object) -> None:
    page.wait_for_function(BRIGHTNESS_IN, arg=[monitor, low, high], **kw)  # type: ignore[arg-type]


def test_program_and_preview_show_the_displays_pictures(server: Panel, page: Page, tmp_path: Path) -> None:
    display = server.display("facade", size=(640, 360))
    display.wait_connected()
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/go", {})  # the ident on air, the count next
    display.wait_for_scene("ident")
    program, preview = page.locator("#program-picture"), page.locator("#preview-picture")
    expect(program).to_be_visible()
    expect(program.locator("figcaption")).to_have_text("from facade")
    expect(preview).to_be_visible()  # the count, as the display entered it ahead of GO
    expect(preview.locator("img")).to_have_attribute("alt", "What facade shows next")
    wait_for_brightness(page, "preview-picture", 101, 255)
    page.screenshot(path=str(tmp_path / "operate.png"))

    page.keyboard.press("Space")  # GO: the count goes on air, the wall is next
    display.wait_for_scene("totals")
    expect(page.locator("#program-label")).to_have_text("The count")
    wait_for_brightness(page, "program-picture", 101, 255)
    expect(preview).to_be_visible()
    expect(preview.locator("img")).to_have_attribute(
        "src", re.compile(r"/api/v1/displays/facade/preview\.jpg\?t=")
    )

    page.keyboard.press("Space")  # the last cue: nothing to preview, and no stale picture
    display.wait_for_scene("messages")
    expect(page.locator("#preview-label")).to_have_text("End of show")
    expect(preview).to_be_hidden()


def test_a_blackout_turns_the_program_picture_black_within_a_second(server: Panel, page: Page) -> None:
    display = server.display("facade")
    display.wait_connected()
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/cue/go", {})
    server.ok("POST", "/api/v1/cue/go", {})  # the totals: lit
    display.wait_for_scene("totals")
    wait_for_brightness(page, "program-picture", 101, 255)

    started = time.monotonic()
    page.keyboard.press("b")
    wait_for_brightness(page, "program-picture", 0, 19, polling="raf", timeout=5000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"the PROGRAM picture went black {elapsed:.2f} s after the blackout"
    assert display.scene == "blackout"
