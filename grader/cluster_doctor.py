"""`grader doctor --cluster ADDRESS`: each worker of a Dask cluster, as grading would find it.

Every row is what the worker itself reports: the isolation level its sandbox's zygote found (its
running one's, or one started for the question and closed again), whether its control group and
system call filter are in place, its threads and cores, its memory, and whether torch and a CUDA
device are there.
"""

from __future__ import annotations

from typing import Any

from .cluster_address import ClusterError, parse, quiet
from .cluster_wire import at_least


def report(address: str) -> tuple[str, bool]:
    """The table, and whether some worker isolates less than this machine does."""
    from distributed import Client, LocalCluster

    from .cluster import describe
    from .cluster_client import CONNECT_SECONDS
    from .sandbox.isolation import active_level

    quiet()
    target, count = parse(address)
    cluster = None
    try:
        if target == "local":
            cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=":0")
            client = Client(cluster)
        else:
            client = Client(target, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {target}: {exc}") from None
    try:
        rows = client.run(describe, on_error="return")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    ours = active_level()
    lines = [f"cluster {address}: {len(rows)} worker(s); this machine isolates at {ours}"]
    weak = not rows
    table = [("worker", "host", "isolation", "cgroup", "seccomp", "threads/cores", "memory", "torch", "cuda")]
    for where, row in sorted(rows.items()):
        if not isinstance(row, dict):
            table.append((where, "?", f"error: {type(row).__name__}: {row}", "", "", "", "", "", ""))
            weak = True
            continue
        level = str(row.get("level"))
        weak = weak or not at_least(level, ours)
        table.append((where, str(row["host"]), level + ("" if at_least(level, ours) else f" (< {ours})"),
                      _yes(row["cgroup"]), _yes(row["seccomp"]), f"{row['threads']}/{row['cpus']}",
                      f"{_gib(row['memory_limit'])} of {_gib(row['memory_total'])}",
                      row["torch"] or "not installed", _cuda(row)))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table]
    if not rows:
        lines.append("no worker has joined this scheduler")
    return "\n".join(lines), weak


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _gib(value: Any) -> str:
    return f"{value / 2**30:.1f} GiB" if isinstance(value, (int, float)) and value else "no limit"


def _cuda(row: dict[str, Any]) -> str:
    if not row.get("cuda"):
        return "no"
    devices = row.get("devices") or []
    return f"yes: {len(devices)} ({', '.join(devices)})" if devices else "yes"
