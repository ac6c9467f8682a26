"""Dataset maintenance on Ray: the driver prepares (lock, drift check, staging folder),
one Ray task per group of the plan rewrites its files into the staging folder, and the
driver validates and commits (only it writes the journal).

The plan crosses as bytes (``MaintenancePlan::Serialize`` in C++), put once into the
object store; each task sends back its result as bytes and a summary. A worker killed
mid-task is retried by Ray: every attempt writes under its own folder and the commit
accepts one result per group. A task that fails (bad data, its budget exceeded) ends
the run uncommitted and is reported in the result, as the local executor reports it.
"""

from __future__ import annotations

import gc
import os
import time

from fsspeckit import _core


def _run_group(plan: bytes, staging_dir: str, group: int, filesystem, limits: tuple):
    """Runs in a Ray worker: one group of the plan, into the staging folder."""
    import ray

    start = time.perf_counter()
    max_mb, process_mb, min_available_mb = limits
    result, failure, summary = _core.run_maintenance_task(
        plan, staging_dir, group, _capsule(filesystem), max_mb, process_mb, min_available_mb,
        gc.collect)
    if result is not None:
        # Reading the plan: what running elsewhere adds to the task.
        summary["load_seconds"] = time.perf_counter() - start - summary["seconds"]
        summary["pid"] = os.getpid()
        summary["node"] = ray.get_runtime_context().get_node_id()
    return result, failure, summary


def _capsule(filesystem):
    """The filesystem as C++ takes it (None: the local disk)."""
    from fsspeckit._filesystems import resolve

    capsule, _ = resolve(filesystem, "/")
    return capsule


def run_maintenance(executor, ray, native_plan, filesystem, progress) -> dict:
    """``executor``: the RayExecutor (its task options); returns the result dict."""
    prepared = _core.prepare_maintenance(native_plan, _capsule(filesystem), gc.collect)
    if isinstance(prepared, dict):  # refused, or nothing to do: ended before any task
        prepared["metrics"]["executor"] = executor.name
        return prepared
    try:
        limits = prepared.limits
        memory_bytes = executor._task_memory_bytes(ray, limits[0], "memory_budget_mb")
        plan = ray.put(prepared.plan_bytes)  # one copy in the object store
        groups = prepared.groups
        returns = executor.run_remote(
            ray, _run_group, memory_bytes,
            [(plan, prepared.staging_dir, g, filesystem, limits) for g in range(len(groups))],
            [group["rows"] for group in groups], progress)
        failure = next((failure for _, failure, _ in returns if failure is not None), None)
        raw = prepared.commit([result for result, _, _ in returns if result is not None], failure)
    except BaseException:
        prepared.abort()  # staging removed, lock released: the dataset is unchanged
        raise
    if failure is None:
        for record, (_, _, summary) in zip(raw["metrics"]["tasks"], returns):
            record.update({key: summary[key] for key in ("pid", "node", "attempt",
                                                         "load_seconds")})
    raw["metrics"]["executor"] = executor.name
    return raw
