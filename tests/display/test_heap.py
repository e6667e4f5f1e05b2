"""glibc's malloc keeps serving big pictures from the system after a big one was freed."""

from __future__ import annotations

import subprocess
import sys

#: Run in a fresh interpreter: a heap that many tests have used may hold a free block that fits.
CHECK = """
import ctypes, sys
from projector.display.heap import keep_heap_small

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "set":
    assert keep_heap_small()
# Left to itself, glibc raises its threshold to a freed block's size (here 16 MiB), and a
# 1080p portrait (3.5 MB) then comes from the heap and leaves a hole there when freed.
libc.free(libc.malloc(16 << 20))
before = libc.mallinfo2().hblks
picture = libc.malloc(3_500_000)
print(libc.mallinfo2().hblks - before)  # 1: its own mapping, back to the system when freed
libc.free(picture)
"""


def mappings_for_a_picture(how: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, how], capture_output=True, text=True, timeout=60, check=True
    )
    return int(done.stdout.strip())


def test_a_freed_big_block_does_not_send_later_pictures_to_the_heap() -> None:
    assert mappings_for_a_picture("set") == 1
    assert mappings_for_a_picture("leave") == 0  # what glibc does unset: the test can tell
