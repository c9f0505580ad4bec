"""Small helpers any layer may use: no domain rule, no storage format."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link an unchanged file into a new folder (a copy where links are not supported)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def sorted_member(sorted_arr: np.ndarray, q: np.ndarray) -> np.ndarray:
    """For each of ``q``: is it in the sorted array ``sorted_arr`` (binary search)."""
    if not len(sorted_arr) or not len(q):
        return np.zeros(len(q), bool)
    pos = np.searchsorted(sorted_arr, q)
    return sorted_arr[np.minimum(pos, len(sorted_arr) - 1)] == q
