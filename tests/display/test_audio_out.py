"""The display's sound output: opened once when asked, one log line and silence when it cannot open."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from projector.display import audio_out
from projector.display.audio_out import (
    MIXER_CHANNELS,
    MixerFormat,
    claim_channel,
    open_mixer,
    release_channel,
)
from tests.sound import heard


def test_an_impossible_device_is_one_log_line_and_no_sound(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw", driver="no-such-driver"), caplog.at_level(logging.INFO):
        assert open_mixer() is None
        assert open_mixer() is None  # not tried again on every cue
        assert claim_channel() is None
    lines = [r for r in caplog.records if r.name == audio_out.__name__]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    assert "no audio output" in lines[0].getMessage() and "muted" in lines[0].getMessage()


def test_the_mixer_opens_once_in_one_format_and_hands_out_channels(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with heard(monkeypatch, tmp_path / "out.raw"):
        fmt = open_mixer()
        assert fmt == MixerFormat(48_000, 2) and open_mixer() is fmt
        assert 0.01 < fmt.latency < 0.05
        channels = [claim_channel() for _ in range(MIXER_CHANNELS)]
        assert sorted(c for c in channels if c is not None) == list(range(MIXER_CHANNELS))
        assert claim_channel() is None  # all taken: that video plays muted
        release_channel(3)
        assert claim_channel() == 3
