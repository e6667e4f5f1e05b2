"""Configuration: defaults < TOML file < PROJECTOR_<NAME> < flags, and errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from projector.server.config import ConfigError, load_config


def test_precedence_file_then_environment_then_flags(tmp_path: Path) -> None:
    file = tmp_path / "projector.toml"
    file.write_text('port = 9000\ngoal = 100\nrecord = 50\ncampaign_name = "From file"\n')
    config = load_config(file=file, environ={"PROJECTOR_GOAL": "200"}, overrides={"record": 75, "port": None})
    assert (config.port, config.goal, config.record, config.campaign_name) == (9000, 200, 75, "From file")
    assert load_config(environ={}).port == 8080


def test_the_data_dir_config_file_is_found_and_cases_seed(tmp_path: Path) -> None:
    (tmp_path / "projector.toml").write_text(
        '[[cases]]\nid = "ayse"\nname = "Ayşe"\ncountry = "tr"\nstory = "A journalist"\n'
    )
    config = load_config(environ={}, overrides={"data_dir": tmp_path})
    (case,) = config.cases
    assert (case.id, case.country, case.story) == ("ayse", "TR", "A journalist")
    assert config.db_path == tmp_path / "projector.db"


@pytest.mark.parametrize(
    ("toml", "environ", "message"),
    [
        ("port = 'eighty'", {}, "port must be int"),
        ("colour = 'red'", {}, "unknown settings colour"),
        ("goal = -5", {}, "goal must not be negative"),
        ("port = [", {}, "config file"),
        ("", {"PROJECTOR_TOTALS_RATE": "0"}, "totals_rate"),
        ("", {"PROJECTOR_PORT": "99999"}, "port must be 0-65535"),
        ("[[cases]]\nid = 'Bad Id'\nname = 'x'\ncountry = 'TR'", {}, "cases[0].id"),
        ("[[cases]]\nid = 'x'\nname = 'x'\ncountry = 'XX'", {}, "cases[0].country"),
    ],
)
def test_bad_settings_name_the_setting_and_where_it_came_from(
    tmp_path: Path, toml: str, environ: dict[str, str], message: str
) -> None:
    file = tmp_path / "projector.toml"
    file.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(file=file, environ=environ)


def test_a_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(file=tmp_path / "nope.toml", environ={})


def test_the_video_limits_come_from_the_file_or_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "projector.toml"
    file.write_text("video_max_seconds = 600\n")
    config = load_config(file=file, environ={"PROJECTOR_VIDEO_MAX_BYTES": "500000000"})
    assert (config.video_max_seconds, config.video_max_bytes) == (600.0, 500_000_000)
    assert load_config(environ={}).video_max_seconds == 1800.0
