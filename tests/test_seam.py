"""The Python/C++ seam: one libarrow, version pinning, error mapping, stubs."""

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

import fsspeckit
from fsspeckit import _core


def test_extension_uses_pyarrows_libarrow():
    assert _core.ARROW_VERSION == pa.__version__
    maps = Path("/proc/self/maps").read_text()
    libarrow_paths = {line.split()[-1] for line in maps.splitlines()
                      if line.endswith("libarrow.so.2600")}
    assert len(libarrow_paths) == 1


@pytest.mark.parametrize("code, exception", [
    ("Invalid", ValueError), ("KeyError", KeyError), ("IOError", OSError),
    ("OutOfMemory", MemoryError), ("TypeError", TypeError), ("IndexError", IndexError),
    ("NotImplemented", NotImplementedError), ("UnknownError", RuntimeError),
])
def test_status_codes_map_to_python_exceptions(code, exception):
    with pytest.raises(exception, match="the message"):
        _core._raise_status(code, "the message")


def test_import_refuses_a_different_pyarrow_with_the_fix():
    code = (
        "import sys, types\n"
        "fake = types.ModuleType('fsspeckit._build_info')\n"
        "fake.PYARROW_VERSION = '25.0.0'\n"
        "sys.modules['fsspeckit._build_info'] = fake\n"
        "import fsspeckit\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "compiled against pyarrow 25.0.0" in result.stderr
    assert "pyarrow==25.0.*" in result.stderr


def test_type_stubs_ship_with_the_package():
    package = Path(fsspeckit.__file__).parent
    assert (package / "py.typed").exists()
    stub = (package / "_core.pyi").read_text()
    assert "class MemoryMonitor" in stub
    assert "def check_memory_pressure(self) -> MemoryPressureLevel" in stub
    assert "class PerformanceMonitor" in stub


def test_log_messages_reach_the_logging_module(caplog):
    import logging
    from fsspeckit.datasets.pyarrow.memory import MemoryMonitor

    with caplog.at_level(logging.DEBUG, logger="fsspeckit"):
        MemoryMonitor(min_system_available_mb=10**9).check_memory_pressure()
    assert any(r.levelno == logging.WARNING and r.name == "fsspeckit" for r in caplog.records)
