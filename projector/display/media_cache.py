"""A display's own copy of every picture its show needs, and of the show itself.

Venues have networks that drop, and a display that reboots in the middle of
a campaign night may come up with no server at all. So a display keeps:

- the pictures, downloaded over HTTP by content hash (``GET /api/v1/media/H``
  with its display token), checked against the hash before they are used
  (a half or wrong file is never shown), resumed with a ``Range`` request
  from the ``.part`` file when a download is cut, and kept in a bounded
  directory from which the least recently used pictures that the current
  show does not need are evicted;
- the last show state (``show.json``, written atomically), so that after a
  reboot with no network the display starts and plays its last show from
  the cache alone, and resyncs as usual when the server comes back.

Everything that touches the network or the disk runs on one worker thread;
the render thread only calls ``path()``, ``want()``, ``counts()`` and
``save_state()``, which are dictionary lookups and assignments under a lock.
A full disk, a refused token or a server that is away are logged once and
retried with backoff; none of them reaches the screen.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import logging
import os
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from projector.core.layout_spec import parse_layout
from projector.core.model import MEDIA_HASH_PATTERN, ValidationError, uploaded_font_hash
from projector.core.playout import cue_media
from projector.core.protocol import Snapshot
from projector.core.state import ShowState
from projector.core.wire import decode, encode
from projector.display.link import websocket_url

log = logging.getLogger(__name__)

#: Default bound of the picture cache. A 50-case show with three pictures a case is ~150 MB.
DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024
#: Largest file accepted from the server: its video limit (``video_max_bytes``, 2 GiB by
#: default), and some room. Every file is checked against its hash before it is used.
MAX_MEDIA_BYTES = 4 * 1024 * 1024 * 1024
STATE_FILE = "show.json"
#: The show is saved at most this often when only the totals move (an SD card lasts longer).
TOTALS_SAVE_INTERVAL = 30.0
#: ... and at most this often when anything else changes.
STATE_SAVE_INTERVAL = 1.0
CHUNK = 64 * 1024
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def default_cache_dir(name: str, home: Path | None = None) -> Path:
    """``$XDG_CACHE_HOME/projector/<display name>`` (``~/.cache/...``); ``home``: another user's."""
    if home is not None:
        base = home / ".cache"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".") or "display"
    return base / "projector" / safe[:100]


def media_base_url(server: str) -> str:
    """The HTTP base of the server a display's websocket URL names: ``ws://h:p/ws`` -> ``http://h:p``."""
    parts = urlsplit(websocket_url(server))
    scheme = "https" if parts.scheme == "wss" else "http"
    path = parts.path[: -len("/ws")] if parts.path.endswith("/ws") else parts.path
    return urlunsplit((scheme, parts.netloc, path.rstrip("/"), "", ""))


def needed_media(state: ShowState | None) -> set[str]:
    """Every picture the show may put on screen: all portraits of all its cases, the
    videos and slides its cues play (``core.playout``), the brand's logo and the
    pictures its layouts show, and the brand's uploaded headline font (fetched like a picture)."""
    if state is None:
        return set()
    wanted = {h for case in state.cases.values() for h in case.media()}
    if state.show is not None:
        wanted.update(h for cue in state.show.cues for h in cue_media(cue))
    if state.campaign.brand.logo is not None:
        wanted.add(state.campaign.brand.logo)
    font = uploaded_font_hash(state.campaign.brand.font)
    if font is not None:
        wanted.add(font)
    wanted.update(layout_media(tuple(state.campaign.layouts.values())))
    return wanted


@lru_cache(maxsize=8)
def layout_media(sources: tuple[str, ...]) -> frozenset[str]:
    """The pictures the layouts name (a layout that does not parse names none: it will not show)."""
    found: set[str] = set()
    for source in sources:
        try:
            found.update(parse_layout(source).media())
        except ValidationError:
            continue
    return frozenset(found)


@dataclass
class _Entry:
    size: int
    used: float
    verified: bool = False


class MediaCache:
    def __init__(
        self,
        root: Path,
        *,
        server: str | None = None,
        token: str = "",
        max_bytes: int = DEFAULT_MAX_BYTES,
        retry: tuple[float, float] = (1.0, 60.0),
        timeout: float = 20.0,
    ) -> None:
        #: A folder of our own, removed at close (``MediaCache.temporary``).
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self.root = Path(root)
        self.media_dir = self.root / "media"
        self.base = media_base_url(server) if server else None
        self.token = token
        self.max_bytes = max_bytes
        self.retry_base, self.retry_cap = retry
        self.timeout = timeout
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._entries: dict[str, _Entry] = {}
        self._needed: set[str] = set()
        self._failures: dict[str, tuple[int, float]] = {}  # hash -> (failures, retry at)
        self._state: ShowState | None = None
        self._state_key: object = None
        self._saved_at = -1e9
        self._saved_totals_at = -1e9
        self._saved_rev = -1
        self._warned: set[str] = set()
        self.downloads = 0
        self.resumed = 0
        self.usable = self._prepare_dirs()
        if self.usable:
            self._scan()
        self._thread = threading.Thread(target=self._run, name="media-cache", daemon=True)
        self._thread.start()

    @classmethod
    def temporary(cls, **kw: object) -> MediaCache:
        """A cache in a fresh temporary folder, gone at close: a headless render that fetches
        pictures without remembering a show for next time."""
        folder = tempfile.TemporaryDirectory(prefix="projector-cache-")
        cache = cls(Path(folder.name), **kw)  # type: ignore[arg-type]
        cache._temporary = folder
        return cache

    # --- the render thread's side ---------------------------------------------------------

    def path(self, media_hash: str) -> Path | None:
        """The verified file for a hash, or None (not here yet, or not checked yet). Never blocks."""
        with self._lock:
            entry = self._entries.get(media_hash)
            if entry is None or not entry.verified:
                return None
            entry.used = time.time()
        return self.media_dir / media_hash

    def want(self, hashes: Iterable[str]) -> None:
        """The pictures the show needs now: fetched in the background, never evicted."""
        wanted = {h for h in hashes if isinstance(h, str) and MEDIA_HASH_PATTERN.match(h)}
        with self._lock:
            if wanted == self._needed:
                return
            self._needed = wanted
        self._wake.set()

    def counts(self) -> tuple[int, int]:
        """(ready, missing) among the pictures the show needs."""
        with self._lock:
            ready = sum(1 for h in self._needed if (e := self._entries.get(h)) is not None and e.verified)
            return ready, len(self._needed) - ready

    def save_state(self, state: ShowState) -> None:
        """Keep ``state`` as the show to start from after a reboot (written by the worker, atomically)."""
        with self._lock:
            self._state = state
        self._wake.set()

    def load_state(self) -> ShowState | None:
        """The last saved show, or None (none saved, or unreadable: logged)."""
        path = self.root / STATE_FILE
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("cannot read the saved show %s: %s", path, exc)
            return None
        try:
            frame = decode(raw)
        except Exception as exc:
            log.warning("the saved show %s is unreadable (%s); starting without it", path, exc)
            return None
        if not isinstance(frame, Snapshot):
            log.warning("the saved show %s is not a snapshot; starting without it", path)
            return None
        with self._lock:
            self._state_key = _state_key(frame.state)
            self._saved_totals_at = time.monotonic()
        return frame.state

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker after it has saved the latest show."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():  # stuck in a network call: save from here (atomic either way)
            self._save_state(force=True)
        if self._temporary is not None:
            self._temporary.cleanup()

    # --- the worker ---------------------------------------------------------------------------

    def _prepare_dirs(self) -> bool:
        try:
            self.media_dir.mkdir(parents=True, exist_ok=True)
            return True
        except OSError as exc:
            log.error("media cache %s cannot be created (%s); pictures come from nowhere", self.root, exc)
            return False

    def _scan(self) -> None:
        """What a previous run left: finished files (checked before first use); stray temp files go."""
        for path in self.media_dir.iterdir():
            name = path.name
            if MEDIA_HASH_PATTERN.match(name) and path.is_file():
                st = path.stat()
                self._entries[name] = _Entry(st.st_size, st.st_mtime)
            elif name.startswith(".tmp-"):
                with contextlib.suppress(OSError):
                    path.unlink()

    def _run(self) -> None:
        while True:
            stopping = self._stop.is_set()
            try:
                self._save_state(force=stopping)
                if stopping:
                    return
                did = self._verify_one() or self._fetch_one()
            except Exception:  # the worker must outlive any bug; the screen never hears of it
                log.exception("media cache worker error")
                did = False
            if not did:
                self._wake.wait(self._next_wait())
                self._wake.clear()

    def _next_wait(self) -> float:
        now = time.monotonic()
        with self._lock:
            due = [at for h, (_, at) in self._failures.items() if h in self._needed]
            pending_state = self._state is not None
        waits = [max(0.05, at - now) for at in due] or [5.0]
        if pending_state:
            waits.append(STATE_SAVE_INTERVAL)
        return min(waits)

    def _verify_one(self) -> bool:
        """Check one unverified file against its name, needed ones first."""
        with self._lock:
            todo = [h for h, e in self._entries.items() if not e.verified]
            todo.sort(key=lambda h: h not in self._needed)
        if not todo:
            return False
        h = todo[0]
        path = self.media_dir / h
        ok = _sha256(path) == h
        with self._lock:
            if ok:
                self._entries[h].verified = True
            else:
                self._entries.pop(h, None)
        if not ok:
            log.warning("cached picture %s does not match its hash; removed, fetching it again", h[:12])
            with contextlib.suppress(OSError):
                path.unlink()
        return True

    def _fetch_one(self) -> bool:
        now = time.monotonic()
        with self._lock:
            missing = sorted(h for h in self._needed if h not in self._entries)
            ready = [h for h in missing if self._failures.get(h, (0, 0.0))[1] <= now]
        if not ready or self.base is None or not self.usable:
            if missing and self.base is None:
                self._warn_once(
                    "no-server", "%d picture(s) are not cached and there is no server to ask", len(missing)
                )
            return False
        h = ready[0]
        try:
            self._download(h)
        except _Refused as exc:
            self._failed(h, str(exc))
            return True
        self._evict()
        return True

    def _failed(self, h: str, reason: str) -> None:
        with self._lock:
            count, _ = self._failures.get(h, (0, 0.0))
            delay = min(self.retry_cap, self.retry_base * 2**count)
            self._failures[h] = (count + 1, time.monotonic() + delay)
        level = logging.WARNING if count == 0 else logging.DEBUG
        log.log(level, "picture %s not fetched (%s); retrying in %.0fs", h[:12], reason, delay)

    def _download(self, h: str) -> None:
        part = self.media_dir / f"{h}.part"
        have = part.stat().st_size if part.exists() else 0
        headers = {"Authorization": f"Bearer {self.token}", "User-Agent": "projector-display"}
        if have:
            headers["Range"] = f"bytes={have}-"
            headers["If-Range"] = f'"{h}"'
        request = urllib.request.Request(f"{self.base}/api/v1/media/{h}", headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # the part is already whole: check it
                self._finish(h, part)
                return
            reason = {401: "the display token was refused", 403: "the display token may not read media"}
            raise _Refused(reason.get(exc.code, f"HTTP {exc.code}")) from None
        except (urllib.error.URLError, OSError) as exc:
            raise _Refused(f"server unreachable: {getattr(exc, 'reason', exc)}") from None
        with response:
            resumed = response.status == 206 and have > 0
            if resumed and not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
                resumed = False
                raise _Refused("the server answered a different range")
            if not resumed:
                have = 0
            declared = response.headers.get("Content-Length")
            expected = have + int(declared) if declared and declared.isdigit() else None
            try:
                with part.open("ab" if resumed else "wb") as out:
                    total = have
                    while True:
                        chunk = response.read(CHUNK)
                        if not chunk:
                            break
                        total += len(chunk)
                        if total > MAX_MEDIA_BYTES:
                            raise _Refused(f"larger than {MAX_MEDIA_BYTES:,} bytes")
                        self._write_chunk(out, chunk)
                        if self._stop.is_set():
                            raise _Refused("display stopping")  # the .part stays for next time
            except OSError as exc:
                if exc.errno in _FULL:
                    self._disk_full(h, part)
                    raise _Refused("disk full") from None
                raise _Refused(f"download cut ({exc})") from None
            except http.client.HTTPException as exc:
                raise _Refused(f"download cut after {part.stat().st_size:,} bytes ({exc})") from None
            if expected is not None and total < expected:
                # The connection closed early: keep the .part, and ask for the rest next time.
                raise _Refused(f"download cut after {total:,} of {expected:,} bytes")
        if resumed:
            self.resumed += 1
        self._finish(h, part)

    def _write_chunk(self, out: IO[bytes], chunk: bytes) -> None:
        out.write(chunk)

    def _finish(self, h: str, part: Path) -> None:
        """Verify the whole file against its hash; only then does it take its final name."""
        if _sha256(part) != h:
            with contextlib.suppress(OSError):
                part.unlink()
            log.error("picture %s: the download does not match its hash; refused and deleted", h[:12])
            raise _Refused("hash mismatch")
        final = self.media_dir / h
        os.replace(part, final)
        size = final.stat().st_size
        with self._lock:
            self._entries[h] = _Entry(size, time.time(), verified=True)
            self._failures.pop(h, None)
        self.downloads += 1
        log.info("cached picture %s (%s bytes)", h[:12], f"{size:,}")

    def _disk_full(self, h: str, part: Path) -> None:
        with contextlib.suppress(OSError):
            part.unlink()
        try:
            free = shutil.disk_usage(self.media_dir).free
        except OSError:
            free = -1
        self._warn_once(
            f"full:{h}",
            "disk full: cannot cache picture %s in %s (%s bytes free); freeing unneeded pictures",
            h[:12],
            self.media_dir,
            f"{free:,}",
        )
        self._evict(target=0)

    def _evict(self, target: int | None = None) -> None:
        """Delete least recently used pictures the show does not need until the cache is within bound."""
        bound = self.max_bytes if target is None else target
        with self._lock:
            total = sum(e.size for e in self._entries.values())
            victims = sorted(
                (h for h in self._entries if h not in self._needed), key=lambda h: self._entries[h].used
            )
            removed: list[str] = []
            for h in victims:
                if total <= bound:
                    break
                total -= self._entries.pop(h).size
                removed.append(h)
            over = total > self.max_bytes
        for h in removed:
            with contextlib.suppress(OSError):
                (self.media_dir / h).unlink()
            log.info("evicted cached picture %s (least recently used)", h[:12])
        if over:
            self._warn_once(
                "over-bound",
                "the show needs more pictures (%s bytes) than the cache may hold (%s); keeping them anyway",
                f"{total:,}",
                f"{self.max_bytes:,}",
            )

    def _save_state(self, force: bool = False) -> None:
        """Write the latest show: at once (at most every second) when more than the totals changed,
        every half minute when only the totals did, and always when the display stops."""
        with self._lock:
            state = self._state
        if state is None or not self.usable:
            return
        now = time.monotonic()
        key = _state_key(state)
        changed = key != self._state_key
        if not force:
            since = now - (self._saved_at if changed else self._saved_totals_at)
            if since < (STATE_SAVE_INTERVAL if changed else TOTALS_SAVE_INTERVAL):
                return
        with self._lock:
            if self._state is state:
                self._state = None
        if not changed and state.rev == self._saved_rev:
            return
        text = encode(Snapshot(state, time.time()))
        path = self.root / STATE_FILE
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-show-")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            self._warn_once(
                "state", "cannot save the show to %s (%s); a reboot without network shows ident", path, exc
            )
            return
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._state_key = key
        self._saved_rev = state.rev
        self._saved_at = self._saved_totals_at = now

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)


class _Refused(Exception):
    """A download that did not produce a usable picture (retried later)."""


def _state_key(state: ShowState) -> tuple[object, ...]:
    """What makes a saved show worth rewriting at once: everything but the totals."""
    return (
        state.campaign,
        tuple(state.cases.items()),
        state.wall,
        state.show,
        state.program,
        state.preview,
        state.held,
        state.blackout,
    )


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
