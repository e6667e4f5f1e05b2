"""Show control over OSC (UDP), for lighting desks and QLab.

Off unless ``osc_port`` is set. Listens on ``osc_host`` (127.0.0.1 by default:
the trusted interface) and accepts packets only from the addresses in
``osc_allowed_hosts`` (IP addresses or networks, comma separated; loopback by
default). OSC has no authentication, so the interface and the sender's
address are the only gate: put the desk on a show network, not the internet.

| address | arguments | does |
|---|---|---|
| ``/projector/go`` | ``[target]`` | GO (the next cue) |
| ``/projector/back`` | ``[target]`` | the previous cue |
| ``/projector/cue`` | ``id [target]`` | jump to a cue and take it |
| ``/projector/hold``, ``/projector/resume`` | | pause / restart auto-follow |
| ``/projector/blackout`` | ``[0 or 1]`` (int or T/F; none toggles) | blackout off / on |
| ``/projector/panic`` | | the safe cue, out of blackout |

``target`` is ``all``, ``group:<name>`` or ``display:<name>``. A go, back or
cue message in a bundle whose time tag lies ahead is scheduled for that moment
(the bundle's time tag is server time: send it from a machine with NTP). Every packet is
answered to its sender with ``/projector/ok <address>`` or ``/projector/error
<code> <message>``; packets from unknown hosts get no answer. Wrong types,
unknown addresses and unknown hosts are logged (at most a few lines a
minute) and counted in ``projector_osc_messages{outcome}``.

python-osc parses the packets; its ``AsyncIOOSCUDPServer`` is not used because
its dispatcher sleeps (blocking the server's loop) on a future time tag and
swallows malformed packets without a word. Its parser recurses once per nested
bundle, so a packet of bundles nested a few thousand deep would raise
RecursionError (a long traceback per packet); ``bundle_depth`` measures the
nesting first, without recursion, and a packet deeper than ``MAX_BUNDLE_DEPTH``
is refused as malformed before python-osc sees it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from prometheus_client import Counter
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket, ParseError

from projector.core.fleet import parse_cue_time
from projector.core.model import ValidationError
from projector.core.state import Back, Command, CommandRefused, Go, Hold, Jump, Panic, Resume, SetBlackout
from projector.server.config import Config
from projector.server.fleet import Fleet
from projector.server.show_control import ShowControl
from projector.server.web.metrics import Metrics
from projector.store.records import StoreError

log = logging.getLogger("projector.server.osc")

PREFIX = "/projector/"
LOG_BURST = 5
LOG_WINDOW = 60.0
#: No desk nests bundles more than a level or two; this leaves room and stays far
#: below the interpreter's recursion limit whatever the caller's stack depth.
MAX_BUNDLE_DEPTH = 16
_BUNDLE = b"#bundle\x00"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OscError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_allowed(text: str) -> list[Network]:
    """``"127.0.0.1, 10.0.0.0/24"`` -> networks; raises ValueError naming a bad entry."""
    networks: list[Network] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"osc_allowed_hosts: {item!r} is not an IP address or network") from None
    return networks


def bundle_depth(data: bytes, stop_at: int = MAX_BUNDLE_DEPTH + 1) -> int:
    """How deeply bundles nest in ``data`` (0: a plain message), counting no further than ``stop_at``.

    Walks element headers with an explicit stack, so its cost is bounded by the
    packet's size and not by Python's stack. A size field that does not fit is
    left for the parser to report: this only measures nesting.
    """
    deepest = 0
    stack = [(0, len(data), 1)] if data.startswith(_BUNDLE) else []
    while stack:
        start, end, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest >= stop_at:
            return deepest
        offset = start + 16  # "#bundle\0" and the 8-byte time tag
        while offset + 4 <= end:
            size = int.from_bytes(data[offset : offset + 4], "big")
            offset += 4
            if size <= 0 or offset + size > end:
                break
            if data.startswith(_BUNDLE, offset):
                stack.append((offset, offset + size, depth + 1))
            offset += size
    return deepest


def host_allowed(host: str, allowed: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in allowed)


def _target(args: Sequence[Any], index: int, address: str) -> str | None:
    if len(args) <= index:
        return None
    target = args[index]
    if not isinstance(target, str):
        raise OscError("bad_args", f"{address}: the target must be a string ('group:facade')")
    return target


def _no_more(args: Sequence[Any], count: int, address: str) -> None:
    if len(args) > count:
        raise OscError("bad_args", f"{address}: takes at most {count} argument(s), got {len(args)}")


def command_for(address: str, args: Sequence[Any]) -> tuple[Command, str | None]:
    """The show command an OSC message asks for, and its target; ``OscError`` if malformed."""
    if not address.startswith(PREFIX):
        raise OscError("unknown_address", f"unknown address {address!r} (they start with {PREFIX})")
    name = address[len(PREFIX) :]
    match name:
        case "go" | "back":
            _no_more(args, 1, address)
            return (Go() if name == "go" else Back()), _target(args, 0, address)
        case "cue":
            if not args or not isinstance(args[0], str) or not args[0]:
                raise OscError("bad_args", f"{address}: needs the cue id as a string")
            _no_more(args, 2, address)
            return Jump(args[0]), _target(args, 1, address)
        case "hold" | "resume" | "panic":
            _no_more(args, 0, address)
            simple: dict[str, Command] = {"hold": Hold(), "resume": Resume(), "panic": Panic()}
            return simple[name], None
        case "blackout":
            _no_more(args, 1, address)
            if not args:
                return SetBlackout(None), None
            value = args[0]
            if value is True or value is False:
                return SetBlackout(value), None
            if isinstance(value, int) and value in (0, 1):
                return SetBlackout(bool(value)), None
            raise OscError("bad_args", f"{address}: expects 0 or 1 (an int) or T/F, got {value!r}")
    raise OscError("unknown_address", f"unknown address {address!r}")


class OscServer(asyncio.DatagramProtocol):
    def __init__(self, config: Config, metrics: Metrics, fleet: Fleet, control: ShowControl) -> None:
        self.config = config
        self.fleet = fleet
        self.control = control
        # Checked only when OSC is on: a typo here must not stop a server that does not use it.
        self.allowed = parse_allowed(config.osc_allowed_hosts) if config.osc_port else []
        self.transport: asyncio.DatagramTransport | None = None
        self.messages = Counter(
            "projector_osc_messages",
            "OSC messages received, by outcome",
            ["outcome"],
            registry=metrics.registry,
        )
        self._logged: dict[str, tuple[float, int]] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        host = str(addr[0])
        if not host_allowed(host, self.allowed):
            self._refuse("unknown_host", f"packet from {host}, which is not in osc_allowed_hosts")
            return
        depth = bundle_depth(data)
        if depth > MAX_BUNDLE_DEPTH:
            self._refuse(
                "malformed",
                f"malformed packet from {host}: bundles nested more than {MAX_BUNDLE_DEPTH} deep",
                addr,
            )
            return
        try:
            packet = OscPacket(data)
        except ParseError as exc:
            self._refuse("malformed", f"malformed packet from {host}: {exc}", addr)
            return
        for timed in packet.messages:
            self._handle(timed.message.address, list(timed.message.params), timed.time, addr)

    def _handle(self, address: str, args: list[Any], when: float, addr: tuple[str | Any, int]) -> None:
        try:
            command, target = command_for(address, args)
            now = time.time()
            timing: dict[str, object] = {"at": when} if when > now + 0.001 else {}
            if isinstance(command, Go | Back | Jump):
                at = parse_cue_time(timing, now, self.config.cue_lead)
                checked = None if target is None else self.fleet.check_target(target)
                command = replace(command, at=at, target=checked)
        except OscError as exc:
            self._refuse(exc.code, exc.message, addr)
            return
        except ValidationError as exc:
            self._refuse("bad_args", f"{address}: {exc}", addr)
            return
        # The cue is stored before it is shown, so the answer waits for both. Packets are
        # executed in arrival order: show control takes its commands one at a time, first come first.
        task = asyncio.get_running_loop().create_task(self._execute(command, address, args, addr))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _execute(
        self, command: Command, address: str, args: list[Any], addr: tuple[str | Any, int]
    ) -> None:
        try:
            await self.control.execute(command)
        except CommandRefused as exc:
            self._refuse("refused", f"{address}: {exc.message}", addr, code=exc.code)
            return
        except StoreError as exc:
            self._refuse("store_failed", f"{address}: the cue was not stored, nothing changed: {exc}", addr)
            return
        self.messages.labels("ok").inc()
        log.info("OSC %s %s from %s", address, " ".join(map(str, args)), addr[0])
        self._reply(addr, "/projector/ok", address)

    def _refuse(
        self, outcome: str, message: str, addr: tuple[str | Any, int] | None = None, code: str = ""
    ) -> None:
        self.messages.labels(outcome).inc()
        now = time.monotonic()
        since, count = self._logged.get(outcome, (now, 0))
        if now - since > LOG_WINDOW:
            since, count = now, 0
        if count < LOG_BURST:
            log.warning("OSC refused (%s): %s", outcome, message)
        elif count == LOG_BURST:
            log.warning("OSC: more %s refusals in the next minute are counted, not logged", outcome)
        self._logged[outcome] = (since, count + 1)
        if addr is not None:
            self._reply(addr, "/projector/error", code or outcome, message)

    def _reply(self, addr: tuple[str | Any, int], address: str, *args: str) -> None:
        if self.transport is None:
            return
        builder = OscMessageBuilder(address=address)
        for arg in args:
            builder.add_arg(arg[:500])
        try:
            self.transport.sendto(builder.build().dgram, addr)
        except OSError as exc:  # the sender went away: nothing to tell
            log.debug("OSC reply to %s failed: %s", addr, exc)

    async def start(self) -> None:
        """Listen on ``osc_port`` (0: OSC is off)."""
        config = self.config
        if config.osc_port == 0:
            return
        await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: self, local_addr=(config.osc_host, config.osc_port)
        )
        log.info(
            "OSC show control on udp://%s:%d (from %s)",
            config.osc_host,
            config.osc_port,
            config.osc_allowed_hosts,
        )

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
