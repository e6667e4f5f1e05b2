"""The fleet's settings: timezone, cue lead, OSC port, host and allowed hosts."""

from __future__ import annotations

import pytest

from projector.server.config import ConfigError, load_config


def test_fleet_settings_come_from_the_environment() -> None:
    config = load_config(
        environ={
            "PROJECTOR_TIMEZONE": "Europe/Istanbul",
            "PROJECTOR_CUE_LEAD": "0.15",
            "PROJECTOR_OSC_PORT": "53000",
            "PROJECTOR_OSC_HOST": "0.0.0.0",
            "PROJECTOR_OSC_ALLOWED_HOSTS": "192.168.1.20",
        }
    )
    assert str(config.zone) == "Europe/Istanbul"
    assert (config.cue_lead, config.osc_port, config.osc_host) == (0.15, 53000, "0.0.0.0")
    assert config.osc_allowed_hosts == "192.168.1.20"
    defaults = load_config(environ={})
    assert (defaults.osc_port, defaults.osc_host, defaults.cue_lead) == (0, "127.0.0.1", 0.0)
    assert defaults.zone is not None


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"PROJECTOR_TIMEZONE": "Mars/Olympus"}, "not a known zone"),
        ({"PROJECTOR_OSC_PORT": "70000"}, "osc_port"),
        ({"PROJECTOR_CUE_LEAD": "60"}, "cue_lead"),
        ({"PROJECTOR_CUE_LEAD": "-1"}, "cue_lead"),
    ],
)
def test_bad_fleet_settings_are_refused_by_name(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_config(environ=env)
