"""The scene contract the display owns: the registry (built-ins, unknown names, conflicts,
entry-point plug-ins), parameters, and the display running without the scenes package."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any, ClassVar

import pytest

import projector.display.scene as scene_module
from projector.display.scene import Scene, UnknownScene, get_scene, param_float, register, scene_names


def test_the_built_in_scenes_are_registered() -> None:
    assert {"totals", "portrait", "messages", "blackout", "ident", "fallback"} <= set(scene_names())
    assert get_scene("totals").name == "totals"
    assert isinstance(get_scene("blackout")(), Scene)


@pytest.mark.parametrize("name", ["nope", "", None, 3, "Totals"])
def test_unknown_scene_names_raise_unknown_scene(name: object) -> None:
    with pytest.raises(UnknownScene):
        get_scene(name)


def test_a_taken_name_cannot_be_replaced_and_bad_classes_are_refused() -> None:
    class Impostor:
        name: ClassVar[str] = "totals"

        def enter(self, *a: Any) -> None: ...
        def update(self, *a: Any) -> None: ...
        def draw(self, *a: Any) -> None: ...

    with pytest.raises(ValueError, match="already taken"):
        register(Impostor)

    class NoDraw:
        name: ClassVar[str] = "no-draw"

        def enter(self, *a: Any) -> None: ...
        def update(self, *a: Any) -> None: ...

    with pytest.raises(ValueError, match="draw"):
        register(NoDraw)


class PluginScene:
    name: ClassVar[str] = "plugin-test"

    def enter(self, *a: Any) -> None: ...
    def update(self, *a: Any) -> None: ...
    def draw(self, surface: Any) -> None:
        surface.fill((1, 2, 3))


class FakeEntryPoint:
    def __init__(self, name: str, target: Any) -> None:
        self.name, self.value, self._target = name, f"plugin:{name}", target

    def load(self) -> Any:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def test_entry_point_plugins_load_and_a_broken_one_is_skipped(monkeypatch: Any, caplog: Any) -> None:
    points = [FakeEntryPoint("plugin-test", PluginScene), FakeEntryPoint("broken", ImportError("no module"))]
    monkeypatch.setattr(
        scene_module, "entry_points", lambda group: points if group == scene_module.ENTRY_POINT_GROUP else []
    )
    monkeypatch.setattr(scene_module, "_loaded", False)
    monkeypatch.setattr(scene_module, "_REGISTRY", dict(scene_module._REGISTRY))
    with caplog.at_level(logging.ERROR):
        assert get_scene("plugin-test") is PluginScene
    assert "broken" in caplog.text


def test_param_float_clamps_and_ignores_nonsense(caplog: Any) -> None:
    assert param_float({"x": 5}, "x", 1.0, 0.0, 10.0) == 5.0
    assert param_float({"x": -5}, "x", 1.0, 0.0, 10.0) == 0.0
    assert param_float({"x": 1e308}, "x", 1.0, 0.0, 10.0) == 10.0
    assert param_float({"x": float("nan")}, "x", 1.0, 0.0, 10.0) == 1.0
    assert param_float({"x": "3"}, "x", 1.0, 0.0, 10.0) == 1.0
    assert param_float({"x": True}, "x", 1.0, 0.0, 10.0) == 1.0
    assert param_float({}, "x", 1.0, 0.0, 10.0) == 1.0


def test_the_display_runs_without_importing_the_scenes_package() -> None:
    # A fresh interpreter: the test session itself has imported ``scenes`` (conftest).
    code = (
        "import sys\n"
        "import projector.display.app, projector.display.director, projector.display.options\n"
        "from projector.display.scene import get_scene\n"
        "assert get_scene('fallback').name == 'fallback' and get_scene('blackout').name == 'blackout'\n"
        "assert not any(m == 'scenes' or m.startswith('scenes.') for m in sys.modules), sorted(sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
