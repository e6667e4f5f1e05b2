"""Blackout: pure black, at once. The operator's panic button and the end of a show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.state import ShowState
from projector.display.scene import BLACK, register

if TYPE_CHECKING:
    from projector.display.assets import Assets


@register
class BlackoutScene:
    name: ClassVar[str] = "blackout"

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        pass

    def update(self, state: ShowState, dt: float) -> None:
        pass

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(BLACK)
