"""The ident card: which display this is, its size, its server and whether it is connected."""

from __future__ import annotations

from projector.display.assets import LinkInfo
from scenes.ident import IdentScene
from tests.display.screens import colour_pixels, lit_pixels, make_assets, region, sample_state, surface


def test_ident_shows_name_size_server_and_connection() -> None:
    assets = make_assets()
    assets.link = LinkInfo(server="ws://example.test/ws", connected=False, reason="connection refused")
    scene = IdentScene()
    scene.enter(sample_state(), assets, {})
    out = surface()
    scene.draw(out)
    assert lit_pixels(region(out, (0, int(14 * scene.u), scene.w, int(20 * scene.u)))) > 2000  # the name
    assert colour_pixels(region(out, (0, 0, scene.w, 3)), (255, 221, 0)) > scene.w  # framing edge
    before = region(out, (0, int(50 * scene.u), scene.w, int(30 * scene.u)))
    assets.link.connected = True
    scene.update(sample_state(), 1 / 60)
    scene.draw(out)
    after = region(out, (0, int(50 * scene.u), scene.w, int(30 * scene.u)))
    assert colour_pixels(after, (60, 220, 120)) > colour_pixels(before, (60, 220, 120))
