"""inspect.signature on every public class, method and function (native ones included)."""

import enum
import importlib
import inspect

import pytest

MODULES = [
    "fsspeckit.datasets",
    "fsspeckit.datasets.pyarrow",
    "fsspeckit.datasets.pyarrow.memory",
    "fsspeckit.datasets.pyarrow.dataset",
    "fsspeckit.datasets.pyarrow.io",
    "fsspeckit.datasets.write_result",
    "fsspeckit.core.incremental",
]


def public_callables():
    seen = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]):
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseException):
                continue  # exception classes take *args
            if isinstance(value, type):
                seen[f"{module_name}.{name}"] = value
                if issubclass(value, enum.Enum):
                    continue
                for attribute in ["__init__", *dir(value)]:
                    if attribute.startswith("_") and attribute != "__init__":
                        continue
                    member = inspect.getattr_static(value, attribute)
                    if isinstance(member, property):
                        continue
                    bound = getattr(value, attribute)
                    if callable(bound):
                        seen[f"{module_name}.{name}.{attribute}"] = bound
            elif callable(value):
                seen[f"{module_name}.{name}"] = value
    return seen


CALLABLES = public_callables()


def test_the_natives_are_covered():
    assert "fsspeckit.datasets.pyarrow.memory.MemoryMonitor.check_memory_pressure" in CALLABLES
    assert "fsspeckit.datasets.pyarrow.dataset.PerformanceMonitor.__init__" in CALLABLES
    assert "fsspeckit.datasets.pyarrow.memory.bytes_to_mb" in CALLABLES


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_signature(name):
    inspect.signature(CALLABLES[name])


def defaults(callable_):
    return {name: p.default for name, p in inspect.signature(callable_).parameters.items()}


def test_the_guides_defaults():
    from fsspeckit.datasets.pyarrow import MemoryMonitor, PerformanceMonitor, PyarrowDatasetIO
    from fsspeckit.datasets.pyarrow.dataset import process_in_chunks

    monitor_defaults = {"max_pyarrow_mb": 2048, "max_process_memory_mb": None,
                        "min_system_available_mb": 512}
    assert defaults(MemoryMonitor).items() >= monitor_defaults.items()
    assert defaults(PerformanceMonitor) == monitor_defaults
    assert defaults(PerformanceMonitor.__init__) == {"self": inspect.Parameter.empty,
                                                      **monitor_defaults}
    assert defaults(process_in_chunks) == {
        "dataset": inspect.Parameter.empty, "chunk_size_rows": 1_000_000,
        "max_memory_mb": 2048, "enable_progress": True, "progress_callback": None,
        "memory_monitor": None}
    merge = defaults(PyarrowDatasetIO.merge)
    assert merge["merge_max_memory_mb"] == 1024
    assert merge["merge_max_process_memory_mb"] is None
    assert merge["merge_min_system_available_mb"] == 512


def test_bound_native_methods_leave_out_self():
    from fsspeckit.datasets.pyarrow import MemoryMonitor

    monitor = MemoryMonitor()
    assert list(inspect.signature(monitor.should_check_memory).parameters) == [
        "chunks_processed", "check_interval"]
    assert inspect.signature(monitor.should_check_memory).parameters[
        "check_interval"].default == 10
    assert list(inspect.signature(MemoryMonitor.should_check_memory).parameters)[0] == "self"


def test_keyword_forwarding_wrappers_work():
    """What wrappers that forward keyword arguments do: bind, then call."""
    from fsspeckit.datasets.pyarrow import MemoryMonitor

    bound = inspect.signature(MemoryMonitor).bind(max_pyarrow_mb=64)
    bound.apply_defaults()
    monitor = MemoryMonitor(*bound.args, **bound.kwargs)
    assert monitor.max_pyarrow_mb == 64
