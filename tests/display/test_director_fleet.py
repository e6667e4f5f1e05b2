"""The director in a fleet: it takes only cues aimed at it, keeps its own when another group's cue is
on program, waits for a scheduled cue's moment (less its latency offset), and identifies itself."""

from __future__ import annotations

from projector.core.cues import parse_show
from projector.core.state import Go, Jump, LoadShow, ShowState, reduce
from tests.display.screens import sample_state
from tests.display.test_director import SIZE, TEST_SCENES, director, frame

KNOWN = {"red", "blue", "totals", *TEST_SCENES}
CUES = [
    {"id": "all-red", "scene": "red", "transition": "cut"},
    {"id": "facade-blue", "scene": "blue", "transition": "cut", "target": "group:facade"},
    {"id": "lobby-red", "scene": "red", "transition": "cut", "target": "display:lobby"},
]


def loaded() -> ShowState:
    state, _ = reduce(sample_state(), LoadShow(parse_show({"id": "s", "cues": CUES}, KNOWN)), 0.0)
    return state


def colour(surface) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return tuple(surface.get_at((SIZE[0] // 2, SIZE[1] // 2)))[:3]


def test_only_cues_aimed_at_a_display_change_it() -> None:
    facade, lobby = director(rotation=60), director(rotation=60)
    facade.identity = ("f1", ("facade",))
    lobby.identity = ("lobby", ())
    state = reduce(loaded(), Go(), 10.0)[0]
    assert colour(frame(facade, state)) == colour(frame(lobby, state)) == (255, 0, 0)
    state = reduce(state, Go(), 20.0)[0]  # blue, for the facade group only
    assert colour(frame(facade, state)) == (0, 0, 255)
    assert colour(frame(lobby, state)) == (255, 0, 0)  # keeps the last cue meant for it
    state = reduce(state, Jump("lobby-red"), 30.0)[0]  # for the lobby display only
    assert colour(frame(facade, state)) == (0, 0, 255)
    assert colour(frame(lobby, state)) == (255, 0, 0)
    # The preview is entered ahead only where it will be shown.
    state = reduce(state, Jump("all-red"), 40.0)[0]
    frame(facade, state)
    assert facade._ready is not None and facade._ready.step.name == "blue"  # next: facade-blue
    frame(lobby, state)
    assert lobby._ready is None or lobby._ready.step.name != "blue"


def test_a_scheduled_cue_waits_for_its_moment_less_the_latency_offset() -> None:
    slow, fast = director(rotation=60), director(rotation=60)
    slow.latency = 0.05  # a projector that shows a frame 50 ms late switches 50 ms early
    state = reduce(loaded(), Go(), 10.0)[0]
    for d in (slow, fast):
        d.server_now = 10.0
        frame(d, state)
    state = reduce(state, Jump("facade-blue", target="all"), 11.0)[0]
    state = reduce(state, Jump("facade-blue", target="all", at=12.0), 11.5)[0]
    for now, slow_colour, fast_colour in (
        (11.90, (255, 0, 0), (255, 0, 0)),
        (11.95, (0, 0, 255), (255, 0, 0)),
        (11.99, (0, 0, 255), (255, 0, 0)),
        (12.00, (0, 0, 255), (0, 0, 255)),
    ):
        slow.server_now = fast.server_now = now
        assert colour(frame(slow, state)) == slow_colour, now
        assert colour(frame(fast, state)) == fast_colour, now


def test_a_scheduled_cue_is_entered_ahead_so_its_frame_only_swaps() -> None:
    d = director(rotation=60)
    state = reduce(loaded(), Go(), 10.0)[0]
    d.server_now = 10.0
    frame(d, state)
    state = reduce(state, Jump("facade-blue", target="all", at=12.0), 11.0)[0]
    d.server_now = 11.0
    frame(d, state)
    ready = d._ready
    assert ready is not None and ready.step.name == "blue"
    d.server_now = 12.0
    frame(d, state)
    assert d._current is ready


def test_identify_shows_the_ident_card_then_goes_back() -> None:
    d = director(rotation=60)
    state = reduce(loaded(), Go(), 10.0)[0]
    frame(d, state)
    d.identify(0.5)
    assert d.scene_name == "ident"
    assert colour(frame(d, state)) != (255, 0, 0)
    for _ in range(40):
        frame(d, state)
    assert d.scene_name == "red" and colour(frame(d, state)) == (255, 0, 0)
