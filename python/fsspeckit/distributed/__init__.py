"""Executors for ``PyarrowDatasetIO.merge(..., executor=...)`` beyond this process.

A merge is three steps in C++ (plan, tasks, commit: fsspeckit/merge/plan.h, task.h and
commit.h). The executors here only schedule the tasks elsewhere: they hold no merge logic. Ray is an optional
dependency (``pip install fsspeckit[ray]``), imported when a Ray merge starts.
"""

from fsspeckit.distributed.ray_executor import RayExecutor

__all__ = ["RayExecutor"]
