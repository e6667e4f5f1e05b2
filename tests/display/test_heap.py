"""glibc's malloc keeps serving big pictures from the system after a big one was freed."""

from __future__ import annotations

import ctypes

from projector.display.heap import MMAP_THRESHOLD, keep_heap_small


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
            *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
        )
    ]


def test_a_freed_big_block_does_not_send_later_pictures_to_the_heap() -> None:
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    libc.mallinfo2.restype = MallInfo2
    assert keep_heap_small()
    # Left to itself, glibc raises its threshold to a freed block's size (here 16 MiB), and a
    # 1080p portrait (3.5 MB) would then come from the heap and leave a hole there when freed.
    libc.free(libc.malloc(16 << 20))
    before = libc.mallinfo2().hblks
    picture = libc.malloc(2 * MMAP_THRESHOLD)
    try:
        assert libc.mallinfo2().hblks == before + 1  # its own mapping: back to the system when freed
    finally:
        libc.free(picture)
    assert libc.mallinfo2().hblks == before
