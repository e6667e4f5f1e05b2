"""Static instances of variable fonts: real bold weights for SDL_ttf, cut once and cached on disk.

SDL_ttf (pygame-ce 2.5, SDL_ttf 2.24) cannot set a variable font's axes: it
draws the default instance (Noto: wght 400). Its only bold is synthetic
emboldening, which widens every glyph, marks included, and so breaks complex
scripts (gaps after every Thai, Khmer or Myanmar letter with a mark, Arabic
dots merged). A bold face is therefore a static font file cut from the
variable one at the designers' bold weight with fontTools' instancer.

Cutting is slow (one core, cold: Noto Sans 6.2 s, Devanagari 1.3 s, Arabic
1.0 s, Khmer 0.65 s, Thai 0.3 s; most of it is fontTools merging the kerning
tables), so:

* an instance is cut once per machine and font release and kept in a cache
  folder (``$PROJECTOR_FONT_CACHE``, else ``$XDG_CACHE_HOME/projector/fonts``
  or ``~/.cache/projector/fonts``), written atomically so that processes that
  race (pytest-xdist workers, two displays) never read half a file; its name
  carries a digest of the variable font, fontTools' version and the recipe, so
  a new release gets a new file;
* :meth:`Instances.request` cuts in a child process, one font at a time, so a
  display's frame loop keeps its core and the GIL; :meth:`Instances.get`
  (a font is needed now) waits for that, or cuts right away;
* where the cache cannot be written (a kiosk's read-only home) the instance is
  kept in memory: pygame opens fonts from file objects as fast as from paths.

Run as a script (``python font_instances.py FONT WEIGHT``) it writes one
instance to stdout: that is the child process. It therefore imports nothing
from ``projector``.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from contextlib import suppress
from functools import lru_cache
from pathlib import Path

# fontTools ships no type information.
import fontTools
from fontTools.ttLib import TTFont, TTLibError
from fontTools.varLib import instancer

log = logging.getLogger(__name__)

#: The weight of a bold face (OS/2 usWeightClass and the wght axis agree on the scale).
BOLD = 700
#: Bump when the way instances are cut changes, so files cut the old way are not reused.
_RECIPE = 1
#: A child process that takes longer than this is given up on (the font is then cut in process).
CHILD_TIMEOUT_S = 300.0

Key = tuple[Path, int]
#: How a font file starts (TrueType, CFF, Apple TrueType): a child's output is checked before it is kept.
_SFNT_MAGIC = (b"\x00\x01\x00\x00", b"OTTO", b"true")
#: The child's exit status for a font with no weight axis.
_EXIT_NOT_VARIABLE = 3


class NotVariable(ValueError):
    """The font has no weight axis: there is no other weight to cut from it."""


def cache_dir() -> Path | None:
    """Where instances are kept: ``$PROJECTOR_FONT_CACHE``, the XDG cache, or None (no home at all)."""
    configured = os.environ.get("PROJECTOR_FONT_CACHE")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "projector" / "fonts"
    try:
        return Path.home() / ".cache" / "projector" / "fonts"
    except (RuntimeError, KeyError):  # no $HOME and no passwd entry (a bare container)
        return None


@lru_cache(maxsize=64)
def weight_axis(source: Path) -> tuple[float, float, float] | None:
    """The font's wght axis as (min, default, max), or None for a static (or unreadable) font."""
    try:
        font = TTFont(source, lazy=True, fontNumber=0)
        axes = font["fvar"].axes if "fvar" in font else []
    except (OSError, TTLibError, AssertionError, ValueError):
        return None
    for axis in axes:
        if axis.axisTag == "wght":
            return (axis.minValue, axis.defaultValue, axis.maxValue)
    return None


def cut(source: Path, weight: int) -> bytes:
    """A static font file: ``source`` at ``weight`` on its wght axis, every other axis at its default.

    Overlapping contours are kept (flagged as such): FreeType fills them
    correctly, and removing them would need skia-pathops for nothing.
    """
    font = TTFont(source)
    axes = font["fvar"].axes if "fvar" in font else []
    if not any(axis.axisTag == "wght" for axis in axes):
        raise NotVariable(f"{source.name} has no weight axis")
    limits = {
        axis.axisTag: min(max(float(weight), axis.minValue), axis.maxValue)
        if axis.axisTag == "wght"
        else axis.defaultValue
        for axis in axes
    }
    instancer.instantiateVariableFont(font, limits, inplace=True)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=64)
def _digest(source: Path, size: int, mtime_ns: int) -> str:
    """The font's content, fontTools' version and the recipe, hashed (size and mtime key the memo only)."""
    h = hashlib.sha256(source.read_bytes())
    h.update(f"|fonttools {fontTools.version}|recipe {_RECIPE}".encode())
    return h.hexdigest()[:20]


def instance_name(source: Path, weight: int) -> str:
    """The cache file name of ``source`` at ``weight``: a new font release or fontTools gives a new name."""
    stat = source.stat()
    stem = re.sub(r"[^A-Za-z0-9]+", "", source.stem)
    return f"{stem}-wght{weight}-{_digest(source, stat.st_size, stat.st_mtime_ns)}.ttf"


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """``data`` as ``folder/name``, appearing whole or not at all (temp file, fsync, rename).

    Several processes may write the same instance at once; each renames its
    own complete file over the name, so a reader only ever sees a whole one.
    Raises OSError when the folder cannot be written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # a power cut on a kiosk must not leave a named, truncated font
        os.replace(temp, folder / name)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    return folder / name


class Instances:
    """Static instances by (variable font, weight): on disk in ``folder``, or in memory.

    Thread-safe: the frame loop asks with :meth:`get` while a worker thread
    waits on a child process that cuts what :meth:`request` queued.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        #: Instances this process cut (here or in a child), for tests and logs: a warm cache cuts none.
        self.cuts = 0
        self._lock = threading.Lock()
        self._memory: dict[Key, bytes] = {}
        #: Fonts that cannot be cut (static, unreadable): drawn as they are.
        self._as_is: dict[Key, Path] = {}
        self._queue: deque[Key] = deque()
        self._current: tuple[Key, threading.Event] | None = None
        self._worker: threading.Thread | None = None
        self._memory_reported = False

    def ready(self, source: Path, weight: int) -> Path | bytes | None:
        """What pygame should open for ``source`` at ``weight``, if it is already cut; else None."""
        key = (source, weight)
        with self._lock:
            if key in self._memory:
                return self._memory[key]
            if key in self._as_is:
                return self._as_is[key]
        if self.folder is None:
            return None
        try:
            path = self.folder / instance_name(source, weight)
        except OSError:  # the variable font itself is gone: the caller's open will say so
            return source
        return path if path.is_file() else None

    def request(self, source: Path, weight: int) -> None:
        """Cut ``source`` at ``weight`` in the background, if it is not cut yet (returns at once)."""
        key = (source, weight)
        if self.ready(source, weight) is not None:
            return
        with self._lock:
            if key in self._queue or (self._current is not None and self._current[0] == key):
                return
            self._queue.append(key)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="font-instances", daemon=True)
                self._worker.start()

    def get(self, source: Path, weight: int) -> Path | bytes:
        """What pygame should open for ``source`` at ``weight``: the instance's path or bytes.

        Waits for a background cut of this font that is under way; otherwise
        cuts it here and now. A font with no weight axis is returned as it is.
        """
        key = (source, weight)
        found = self.ready(source, weight)
        if found is not None:
            return found
        with self._lock:
            running = self._current[1] if self._current is not None and self._current[0] == key else None
            if key in self._queue:
                self._queue.remove(key)  # needed now: do not wait for the fonts queued before it
        if running is not None:
            running.wait()
            found = self.ready(source, weight)
            if found is not None:
                return found
        began = time.perf_counter()
        try:
            data = cut(source, weight)
        except NotVariable:
            log.info("%s has no weight axis; drawn at its own weight", source.name)
            return self._keep_as_is(key)
        except (OSError, TTLibError, AssertionError, ValueError, KeyError):
            log.exception("could not cut %s at weight %d; drawn at its default weight", source.name, weight)
            return self._keep_as_is(key)
        log.info("cut %s at weight %d in %.1f s", source.name, weight, time.perf_counter() - began)
        return self._keep(key, data)

    def _keep_as_is(self, key: Key) -> Path:
        with self._lock:
            self._as_is[key] = key[0]
        return key[0]

    def _keep(self, key: Key, data: bytes) -> Path | bytes:
        """Store a fresh instance: in the cache folder if it can be written, else in memory."""
        with self._lock:
            self.cuts += 1
        if self.folder is not None:
            try:
                return write_atomically(self.folder, instance_name(*key), data)
            except OSError as error:
                if not self._memory_reported:
                    self._memory_reported = True
                    log.warning(
                        "font cache %s cannot be written (%s); bold instances are kept in memory"
                        " and cut again at every start",
                        self.folder,
                        error,
                    )
        with self._lock:
            self._memory[key] = data
        return data

    def _work(self) -> None:
        """The worker thread: cut queued fonts one at a time, each in a child process."""
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                key = self._queue.popleft()
                done = threading.Event()
                self._current = (key, done)
            try:
                if self.ready(*key) is None:
                    self._cut_in_child(*key)
            finally:
                with self._lock:
                    self._current = None
                done.set()

    def _cut_in_child(self, source: Path, weight: int) -> None:
        """Cut in a child process: fontTools is pure Python, and a thread would hold the GIL
        the frame loop needs (text frames measured on a busy 2-core box: p95 2.7 ms alone,
        12.5 ms beside a cutting thread, 5.4 ms beside a cutting child). A failure only
        logs: :meth:`get` then cuts in process when the font is needed."""
        if not sys.executable:
            return
        command = [sys.executable, "-P", str(Path(__file__).resolve()), str(source), str(weight)]
        began = time.perf_counter()
        try:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as error:
            log.warning("could not cut %s in a child process: %s", source.name, error)
            return
        _CHILDREN.add(child)
        try:
            out, err = child.communicate(timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
        finally:
            _CHILDREN.discard(child)
        if child.returncode == _EXIT_NOT_VARIABLE:
            log.info("%s has no weight axis; drawn at its own weight", source.name)
            self._keep_as_is((source, weight))
            return
        if child.returncode != 0 or out[:4] not in _SFNT_MAGIC:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:]
            log.warning("cutting %s in a child process failed (%s): %s", source.name, child.returncode, tail)
            return
        log.info("cut %s at weight %d in %.1f s (child)", source.name, weight, time.perf_counter() - began)
        self._keep((source, weight), out)


#: Child processes cutting now: ended when this process exits, as their work would be lost.
_CHILDREN: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _end_children() -> None:
    for child in list(_CHILDREN):
        with suppress(OSError):
            child.kill()


@lru_cache(maxsize=1)
def shared_instances() -> Instances:
    """The process's instances, in :func:`cache_dir` (read once: FontBooks share their cuts)."""
    return Instances(cache_dir())


def main(argv: list[str]) -> int:
    """The child process: write ``argv[1]`` cut at weight ``argv[2]`` to stdout.

    Not niced: when the frame loop needs the font it waits for this child, and
    a niced child on a busy machine made that wait four times longer.
    """
    try:
        data = cut(Path(argv[1]), int(argv[2]))
    except NotVariable:
        return _EXIT_NOT_VARIABLE
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
