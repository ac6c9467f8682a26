"""The one rule for ``executor=`` arguments (merges and maintenance alike)."""


def resolve_executor(executor, method: str):
    """None for the local executor, else an object with ``method`` (RayExecutor)."""
    if executor is None or executor == "local":
        return None
    if executor == "ray":
        from fsspeckit.distributed import RayExecutor

        return RayExecutor()
    if isinstance(executor, str):
        raise ValueError(f"executor must be 'local', 'ray' or an executor object such as "
                         f"fsspeckit.distributed.RayExecutor(), got: {executor!r}")
    if not callable(getattr(executor, method, None)):
        raise TypeError(f"executor must be 'local', 'ray' or an executor object with a "
                        f"{method}() method, got {type(executor).__name__}")
    return executor
