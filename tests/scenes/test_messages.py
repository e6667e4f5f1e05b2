"""The message wall: drawn, paced, retracted at once, and unbreakable by any string."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from projector.core.state import Message
from scenes.messages import MessagesScene
from tests.display.screens import lit_pixels, make_assets, max_difference, region, sample_state, surface


def run(scene: MessagesScene, state, seconds: float) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 60)):
        scene.update(state, 1 / 60)


def test_the_newest_message_is_in_the_spotlight_and_older_ones_below() -> None:
    state = sample_state()
    scene = MessagesScene()
    scene.enter(state, make_assets(), {})
    run(scene, state, 1)
    out = surface()
    scene.draw(out)
    assert scene.spot == "m3"
    assert scene.grid == ["m2", "m1"]
    assert lit_pixels(region(out, scene.spot_box)) > 2000
    assert lit_pixels(region(out, (0, int(70 * scene.u), scene.w, int(25 * scene.u)))) > 1000


def test_an_empty_wall_still_says_something() -> None:
    state = sample_state(wall=())
    scene = MessagesScene()
    scene.enter(state, make_assets(), {})
    out = surface()
    scene.draw(out)
    assert lit_pixels(region(out, scene.spot_box)) > 1000


def test_a_burst_of_messages_is_paced_one_at_a_time() -> None:
    state = sample_state()
    scene = MessagesScene()
    scene.enter(state, make_assets(), {"hold": 3})
    burst = replace(
        state, wall=(*state.wall, *(Message(f"n{i}", f"Message {i}", "A", "FR") for i in range(4)))
    )
    run(scene, burst, 1.0)
    assert scene.spot == "m3"  # the message on screen finishes its reading time first
    run(scene, burst, 2.0)
    assert scene.spot == "n0" and list(scene.queue) == ["n1", "n2", "n3"]
    run(scene, burst, 2.0)
    assert scene.spot == "n0"  # held long enough to be read
    run(scene, burst, 1.2)
    assert scene.spot == "n1"


def test_new_messages_slide_in_rather_than_pop() -> None:
    state = sample_state()
    scene = MessagesScene()
    scene.enter(state, make_assets(), {"hold": 2})
    run(scene, state, 3)
    newer = replace(state, wall=(*state.wall, Message("n", "Freedom now", "B", "BR")))
    frames = []
    for _ in range(40):
        scene.update(newer, 1 / 60)
        out = surface()
        scene.draw(out)
        frames.append(region(out, scene.spot_box))
    changes = [max_difference(a, b) for a, b in itertools.pairwise(frames)]
    assert sum(1 for c in changes if c > 0) > 10  # many small steps, not one jump


def test_a_retracted_message_leaves_the_screen_on_the_next_frame() -> None:
    state = sample_state()
    scene = MessagesScene()
    scene.enter(state, make_assets(), {})
    run(scene, state, 1)
    retracted = replace(state, wall=state.wall[:-1])
    scene.update(retracted, 1 / 60)
    assert scene.spot == "m2"
    assert "m3" not in scene.big_cards and "m3" not in scene.grid
    retract_grid = replace(state, wall=(state.wall[0],))
    scene.update(retract_grid, 1 / 60)
    assert scene.grid == [] and scene.spot == "m1"


NASTY = [
    "",
    " ",
    "\x00\x01\x1b[31m",
    "\ud800 lone surrogate",
    "\u202e\u200b\u200d",
    "Z\u0351\u0308\u0353" * 200,
    "👩🏽‍⚖️ ✊🏿 🕊️",
    "مرحبا بالعالم 123",
    "שלום עולם",
    "ស្វាគមន៍",
    "नमस्ते दुनिया",
    "x" * 5000,
    "word " * 2000,
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=300)), min_size=1, max_size=5),
    st.text(max_size=80),
)
def test_no_string_can_break_the_wall(texts: list[str], name: str) -> None:
    wall = tuple(Message(f"x{i}", t, name, "ZZ" if i % 2 else None) for i, t in enumerate(texts))
    state = sample_state(wall=wall)
    scene = MessagesScene()
    scene.enter(state, make_assets((320, 180)), {"hold": "soon"})
    for _ in range(5):
        scene.update(state, 1 / 60)
    scene.draw(surface((320, 180)))


def test_long_attributions_are_shortened_not_clipped() -> None:
    long_name = "The Very Long Name Of A School Class In A Small Town Near The Border"
    state = sample_state(wall=(Message("a", "hi", long_name, "GB"), Message("b", "hello", "B", "FR")))
    scene = MessagesScene()
    scene.enter(state, make_assets(), {})
    for _ in range(5):
        scene.update(state, 1 / 60)
    card = scene.small_cards["a"]
    assert card.get_width() == scene.col_w
    right_edge = region(card, (card.get_width() - 3, 0, 3, card.get_height()))
    assert lit_pixels(right_edge) == 0  # nothing runs into the edge of the column


def test_a_right_to_left_message_sits_against_the_right_edge() -> None:
    """Arabic reads from the right: its lines start at the card's right edge, Latin at the left."""
    assets = make_assets()
    text = assets.text
    arabic = Message("ar", "حرية لطارق الآن", "Nour", "LB", "ar")
    latin = Message("en", "Free Tarek now", "Sam", "GB", "en")
    scene = MessagesScene()
    scene.enter(replace(sample_state(), wall=(latin, arabic)), assets, {})
    for message in (arabic, latin):
        scene.messages[message.id] = message
        card = scene._make_card(message)
        width = card.get_width()
        lit = [x for x in range(width) if lit_pixels(card.subsurface((x, 0, 1, card.get_height()))) > 0]
        assert lit, message.text
        if text.direction(message.text) == "rtl":
            assert max(lit) > width * 0.95 and min(lit) > width * 0.3
        else:
            assert min(lit) < width * 0.05 and max(lit) < width * 0.9


def test_pinned_messages_return_to_the_spotlight_when_nothing_new_waits() -> None:
    state = sample_state()
    pinned = replace(state.wall[0], pinned=True)
    state = replace(state, wall=(pinned, *state.wall[1:]))
    scene = MessagesScene()
    scene.enter(state, make_assets(), {"hold": 3})
    assert scene.spot == "m3"
    run(scene, state, 4.0)  # the newest has been read: the pinned one comes back
    assert scene.spot == pinned.id
    run(scene, state, 10.0)
    assert scene.spot == pinned.id  # the only pinned message stays rather than flicker


def test_an_edited_message_is_redrawn_with_its_new_words_on_the_same_frame() -> None:
    state = sample_state()
    scene = MessagesScene()
    scene.enter(state, make_assets(), {})
    run(scene, state, 1)
    before = surface()
    scene.draw(before)
    spot = state.wall[-1]
    edited = replace(state, wall=(*state.wall[:-1], replace(spot, text="Özgürlük! Freedom for all of them.")))
    scene.update(edited, 1 / 60)
    after = surface()
    scene.draw(after)
    assert scene.spot == spot.id
    assert lit_pixels(region(after, scene.spot_box)) > 2000  # no empty frame while it redraws
    assert max_difference(region(before, scene.spot_box), region(after, scene.spot_box)) > 100
