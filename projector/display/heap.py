"""Give freed picture memory back to the system at once (glibc's malloc), so a display's memory stays flat.

A display allocates and frees surfaces of every size all night: text at each
size a scene fits, portraits, fades. glibc serves an allocation over its
mmap threshold (128 KiB at first) straight from the system and returns it when
freed, but each such free *raises* the threshold to the freed size (up to
32 MiB), after which surfaces of a few megabytes come from the heap, where the
holes they leave are kept: measured here, 40 MB more resident memory after
showing the 8 demo cases at 1080p than with the threshold fixed (issue 19,
``benchmarks/start_to_frame.py``). Setting the threshold fixes it where it is.

Elsewhere (musl, macOS, Windows: no ``mallopt``) this does nothing.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

#: ``mallopt`` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
#: Allocations from this size on come from the system and go back to it when freed:
#: big text lines, portraits and full-frame surfaces; glyphs and Python objects stay in the heap.
MMAP_THRESHOLD = 256 * 1024
#: Free memory at the top of the heap past this is given back.
TRIM_THRESHOLD = 1024 * 1024
#: Malloc arenas for the display's threads (link, portrait workers, font scan): each thread's
#: own arena would keep its own holes; two are plenty for a display's few busy threads.
ARENA_MAX = 2


def keep_heap_small() -> bool:
    """Set glibc's malloc to return big freed blocks; True if it could (False elsewhere)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = all(
        mallopt(param, value) == 1
        for param, value in (
            (M_MMAP_THRESHOLD, MMAP_THRESHOLD),
            (M_TRIM_THRESHOLD, TRIM_THRESHOLD),
            (M_ARENA_MAX, ARENA_MAX),
        )
    )
    if not done:
        log.debug("mallopt refused a setting; the display's memory may creep up over a night")
    return done
