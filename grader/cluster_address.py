"""Naming a cluster on the command line, before anything of Dask is imported: the address
`--cluster` takes, whether the cluster extra is installed, and the error a cluster's failure is."""

from __future__ import annotations

import importlib.util
import logging
import os
import re

from .errors import GraderError

INSTALL = 'pip install "grader[cluster]"'


class ClusterError(GraderError):
    """The cluster could not be used, or went away: what was graded is in the gradebook."""

    exit_code = 3


def missing() -> str | None:
    """Why a cluster cannot be used here (Dask not installed), or None. Imports nothing."""
    if importlib.util.find_spec("distributed") is None:
        return f"grading on a cluster needs Dask, which is not installed here: {INSTALL}"
    return None


def parse(address: str) -> tuple[str, int]:
    """`local[:N]` → ("local", N); a scheduler's address → (address, 0). Raises ValueError."""
    text = address.strip()
    local = re.fullmatch(r"local(?::(\d{1,4}))?", text)
    if local is not None:
        count = int(local.group(1)) if local.group(1) else _cores()
        if count < 1:
            raise ValueError(f"--cluster {text}: a local cluster needs at least one worker")
        return "local", count
    if re.fullmatch(r"[a-z][a-z0-9+.-]*://\S+", text) or re.fullmatch(r"[^\s:/]+:\d{1,5}", text):
        return text, 0
    raise ValueError(f"--cluster {address!r}: give a Dask scheduler's address (tcp://host:8786) or local[:N]")


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def quiet() -> None:
    """Dask's own log lines (a worker restarting, a task rescheduled) are the operator's, not the
    instructor's: the batch says what matters in its own words."""
    if os.environ.get("GRADER_DEBUG"):
        return
    for name in ("distributed", "distributed.client", "distributed.scheduler", "distributed.nanny",
                 "distributed.worker", "distributed.core", "distributed.comm", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
