"""Headless pygame for every display test: the dummy driver, before pygame is imported."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pytest

from tests.display.screens import ensure_display


@pytest.fixture(autouse=True)
def _display() -> None:
    ensure_display()
