"""The picture caches' bounds grow with the display's resolution and never fall below a floor."""

from __future__ import annotations

from projector.display.memory import MIN_PIXELS, PORTRAIT_SCREENS, TEXT_SCREENS, portrait_bytes, text_pixels


def test_the_bounds_are_screens_of_the_displays_own_size() -> None:
    assert text_pixels((1920, 1080)) == int(TEXT_SCREENS * 1920 * 1080)
    assert portrait_bytes((1920, 1080)) == int(PORTRAIT_SCREENS * 1920 * 1080) * 4
    # A 4K wall draws every surface four times larger: four times the room.
    assert text_pixels((3840, 2160)) == 4 * text_pixels((1920, 1080))
    assert portrait_bytes((3840, 2160)) == 4 * portrait_bytes((1920, 1080))


def test_at_1080p_text_and_portraits_stay_well_under_the_memory_aim() -> None:
    # Issue 19: the whole display under 200 MB at 1080p; these two caches take at most 33 MB.
    assert text_pixels((1920, 1080)) * 4 + portrait_bytes((1920, 1080)) <= 34_000_000


def test_a_tiny_or_nonsense_size_still_gets_room_for_a_few_surfaces() -> None:
    assert text_pixels((320, 180)) == MIN_PIXELS
    assert portrait_bytes((0, 0)) == MIN_PIXELS * 4
