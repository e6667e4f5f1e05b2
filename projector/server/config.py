"""Server configuration: defaults < TOML file < ``PROJECTOR_<NAME>`` environment < flags.

One flat namespace of settings so every one of them can come from anywhere;
the TOML file may also hold ``[[cases]]`` tables that seed the case list.
Campaign settings and cases given here *seed* the store on first run; after
that the store (edited from the panel or the API) is the source of truth, so a
restart never silently undoes an operator's change.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from projector.core.model import Case, CaseStatus, ValidationError, parse_case_id, parse_country, parse_text
from projector.store.database import check_database

CONFIG_FILE_NAME = "projector.toml"


class ConfigError(ValueError):
    """A setting is wrong; the message names the setting and where it came from."""


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    campaign_name: str = "Write for Rights"
    goal: int = 0
    record: int = 0
    #: At most this many totals updates per second reach each display.
    totals_rate: float = 20.0
    #: Frames a display may fall behind by before it is dropped (it resyncs on return).
    client_queue: int = 1000
    #: Displays no operator has set up (named, grouped, retired: fleet settings) are
    #: forgotten this many seconds after they were last seen. 30 minutes: longer than a
    #: reboot or a mobile network's outage, so the panel still shows a screen that dropped
    #: (with its last error), yet a flood of hellos under made-up names is gone within it.
    unknown_display_ttl: float = 1800.0
    #: At most this many such displays are remembered at once (the oldest disconnected go
    #: first). A real fleet of unconfigured screens is tens; 200 keeps ``/api/v1/displays``
    #: and every panel push small however many names a hostile client makes up.
    max_unknown_displays: int = 200
    max_batch: int = 10_000
    #: Password checks (scrypt, ~50 ms and 16 MiB each) run on this many threads of their
    #: own, never on the store's writer; at most ``login_queue`` more wait, and a login
    #: beyond that is answered 503 with Retry-After at once. One thread is 20 logins a
    #: second, plenty for operators, and leaves the other cores to ingest and displays.
    login_workers: int = 1
    #: Bytes of variants at focus points no case uses (the panel's preview of a focus not
    #: yet saved; anyone with a display token may ask for any point). Past it the least
    #: recently used go; cases' variants are never counted nor evicted. ~1 MB each at
    #: 4K: 500 MB is a few hundred previews, small beside the data dir's media.
    variant_cache_bytes: int = 500 * 1024 * 1024
    login_queue: int = 8
    #: Video uploads (issue 18): the longest running time in seconds, and the largest file in bytes.
    video_max_seconds: float = 30 * 60.0
    video_max_bytes: int = 2 * 1024**3
    max_body_bytes: int = 8 * 1024 * 1024
    session_ttl: float = 12 * 3600.0
    #: Public endpoints (message form, login): requests per minute per address.
    public_rate_per_minute: int = 30
    #: Open connections at once, from one address and in all (0: the open-file limit, less
    #: what the server keeps for itself). One address is often a whole venue behind NAT, with
    #: its displays, panels and phones, so its share is generous; idle sockets give way first.
    max_connections_per_address: int = 1024
    max_connections: int = 0
    #: Seconds a new connection has to finish sending its first request's headers.
    header_timeout: float = 10.0
    #: Seconds an idle keep-alive connection stays open between requests.
    keepalive_timeout: float = 30.0
    #: Twilio's auth token: the SMS webhook verifies X-Twilio-Signature with it
    #: (the webhook answers 503 while it is not set).
    twilio_auth_token: str = ""
    #: The server's public address, as Twilio calls it (e.g. behind a proxy):
    #: signatures are over the exact URL Twilio used.
    public_url: str = ""
    #: Country counted for an SMS whose number has none (short codes).
    sms_default_country: str = ""
    #: Message sources approved without a moderator when no rule fires, comma
    #: separated: "web", "sms", or "token:<label>" for an integrator's token
    #: (a partner that moderates its own supporters). Empty: every message waits.
    trusted_sources: str = ""
    #: The fleet (issue 8). Schedules run on this zone's wall clock ("Europe/Istanbul";
    #: empty: the server machine's local time).
    timezone: str = ""
    #: Seconds between a GO (HTTP, OSC) with no ``at`` and the moment displays switch:
    #: 0 switches as soon as each display hears of it; 0.15 lets displays on slower
    #: links switch together with the rest.
    cue_lead: float = 0.0
    #: OSC show control (UDP): off while the port is 0. Listens on ``osc_host`` (the
    #: trusted interface) and accepts packets only from ``osc_allowed_hosts``.
    osc_port: int = 0
    osc_host: str = "127.0.0.1"
    osc_allowed_hosts: str = "127.0.0.1,::1"
    log_level: str = "INFO"
    #: Where the store lives: empty, SQLite (``projector.db`` in ``data_dir``); a
    #: ``postgresql://user:password@host:port/dbname`` URL, that PostgreSQL database (the
    #: ``postgres`` extra), which several servers may share.
    database: str = ""
    cases: tuple[Case, ...] = field(default=())

    @property
    def trusted(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.trusted_sources.split(",") if s.strip())

    @property
    def zone(self) -> tzinfo:
        """The schedules' timezone (``timezone``, else the machine's local zone)."""
        if not self.timezone:
            try:  # the machine's zone with its DST rules, not just today's offset
                with open("/etc/localtime", "rb") as fh:
                    return ZoneInfo.from_file(fh, key="localtime")
            except (OSError, ValueError):
                local = datetime.now().astimezone().tzinfo
                return local if local is not None else UTC
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"timezone {self.timezone!r} is not a known zone (e.g. Europe/Istanbul)"
            ) from None

    @property
    def db_path(self) -> Path:
        return self.data_dir / "projector.db"


_SCALARS = {f.name: f for f in fields(Config) if f.name != "cases"}


def _coerce(name: str, value: object, origin: str) -> Any:
    kind = type(getattr(Config(), name))
    try:
        if kind is bool:
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            result: Any = int(value)  # type: ignore[call-overload]
        elif kind is float:
            result = float(value)  # type: ignore[arg-type]
        elif issubclass(kind, Path):
            result = Path(str(value)).expanduser()
        else:
            result = str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{origin}: {name} must be {kind.__name__}, got {value!r}") from None
    if isinstance(result, int | float) and not isinstance(result, bool) and result < 0:
        raise ConfigError(f"{origin}: {name} must not be negative, got {value!r}")
    return result


def _parse_case(raw: object, where: str) -> Case:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a table")
    try:
        return Case(
            id=parse_case_id(raw.get("id"), "id"),
            name=parse_text(raw.get("name"), "name", 200),
            country=parse_country(raw.get("country")),
            story=parse_text(raw.get("story", ""), "story", 2000, required=False),
            ask=parse_text(raw.get("ask", ""), "ask", 500, required=False),
            status=CaseStatus(raw.get("status", "active")),
            portrait=raw.get("portrait"),
        )
    except ValidationError as exc:
        raise ConfigError(f"{where}.{exc.field}: {exc.message}") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None


def load_config(
    *,
    file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Config:
    """Build the configuration. ``overrides`` are command-line flags (None = not given)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    cases: tuple[Case, ...] = ()

    def take(source: Mapping[str, object], origin: str, name_of: Any = lambda n: n) -> None:
        for name in _SCALARS:
            key = name_of(name)
            if key in source and source[key] is not None:
                values[name] = _coerce(name, source[key], origin)

    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    env_file = env.get("PROJECTOR_CONFIG")
    # The data dir may name the config file, so find it first from flags/env.
    data_dir = Path(str(flags.get("data_dir") or env.get("PROJECTOR_DATA_DIR") or Config.data_dir))
    path = file or (Path(env_file) if env_file else None)
    if path is None and (data_dir / CONFIG_FILE_NAME).is_file():
        path = data_dir / CONFIG_FILE_NAME
    if path is not None:
        raw = load_file(path)
        unknown = set(raw) - set(_SCALARS) - {"cases"}
        if unknown:
            raise ConfigError(f"config file {path}: unknown settings {', '.join(sorted(unknown))}")
        take(raw, f"config file {path}")
        raw_cases = raw.get("cases", [])
        if not isinstance(raw_cases, Sequence):
            raise ConfigError(f"config file {path}: cases must be an array of tables")
        cases = tuple(_parse_case(c, f"config file {path}: cases[{i}]") for i, c in enumerate(raw_cases))
    take(env, "environment", lambda n: f"PROJECTOR_{n.upper()}")
    take(flags, "command line")
    config = replace(Config(), **values, cases=cases)
    if not 1 <= config.login_workers <= 8:
        raise ConfigError(f"login_workers must be between 1 and 8, got {config.login_workers}")
    if not 0 < config.totals_rate <= 1000:
        raise ConfigError(f"totals_rate must be between 0 and 1000 updates/s, got {config.totals_rate}")
    if config.max_connections_per_address < 1 or config.max_connections < 0:
        raise ConfigError("max_connections_per_address must be at least 1 and max_connections at least 0")
    if not 0 < config.header_timeout <= 300 or not 0 < config.keepalive_timeout <= 3600:
        raise ConfigError("header_timeout must be 0-300 s and keepalive_timeout 0-3600 s (above 0)")
    if not 0 <= config.port <= 65535:
        raise ConfigError(f"port must be 0-65535, got {config.port}")
    if not 0 <= config.osc_port <= 65535:
        raise ConfigError(f"osc_port must be 0-65535, got {config.osc_port}")
    if config.cue_lead > 10:
        raise ConfigError(f"cue_lead must be at most 10 seconds, got {config.cue_lead}")
    try:
        check_database(config.database)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if config.timezone:
        try:
            config.zone  # noqa: B018 - raises for an unknown zone
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return config
