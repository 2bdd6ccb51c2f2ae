"""Keep freed memory in the process instead of handing it back to the kernel after each step.

A training step allocates and frees ~16 MB of temporaries. glibc returns such blocks to the
kernel and maps them again on the next step, and the page faults cost as much as a third of the
step on this machine (measured by benchmarks/train.py). Raising the trim and mmap thresholds
keeps them for reuse. Linux/glibc only; elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes

M_TRIM_THRESHOLD = -1  # glibc's malloc.h: keep up to this much free memory before trimming
M_MMAP_THRESHOLD = -3  # allocations at least this large get their own mapping
ENVIRONMENT = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}


def keep_freed_memory() -> str:
    """Ask glibc to keep freed memory for reuse; returns what was done, for a log line."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return "mallopt unavailable (not glibc): allocator unchanged"
    ok = mallopt(M_TRIM_THRESHOLD, 1 << 30) and mallopt(M_MMAP_THRESHOLD, 32 << 20)
    if not ok:
        return "mallopt refused: allocator unchanged"
    return "glibc keeps freed memory (trim threshold 1 GiB, mmap threshold 32 MiB)"
