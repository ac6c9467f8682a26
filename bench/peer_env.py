"""The original fsspeckit 0.29.0's environment for the benchmarks: bench/.venv-original.

0.29.0 needs Python >= 3.12 while the project's .venv may be older, so it gets a venv of
its own, built from a Python >= 3.12 found on the machine (PATH, then pyenv). Run as a
script (`make bench` does) it builds the venv when missing and says so, or says why the
original's contenders will be skipped; the benchmarks call `original_python()`.
"""

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-original"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = HERE / "requirements-original.txt"
STAMP = VENV / ".requirements-stamp"


def find_python312() -> str | None:
    candidates = [shutil.which(f"python3.{minor}") for minor in range(12, 16)]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python"))
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run([candidate, "-c", "import sys, venv; print(sys.version_info >= (3, 12))"],
                               capture_output=True, text=True)
        if probe.stdout.strip() == "True":
            return candidate
    return None


def ensure() -> str | None:
    """The reason the original cannot run, or None once its venv is ready."""
    if STAMP.exists() and STAMP.read_text() == REQUIREMENTS.read_text():
        return None
    base = find_python312()
    if base is None:
        return ("the original fsspeckit 0.29.0 needs Python >= 3.12 and none was found "
                "(python3.12+ on PATH or ~/.pyenv/versions/3.12*): its contenders are skipped")
    if not PYTHON.exists():
        print(f"building {VENV} from {base}", flush=True)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    installed = subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)])
    if installed.returncode != 0:
        return f"pip could not install {REQUIREMENTS.name} into {VENV}: the original's contenders are skipped"
    STAMP.write_text(REQUIREMENTS.read_text())
    return None


def original_python() -> str | None:
    """bench/.venv-original's python when ready, else None after printing why."""
    reason = ensure()
    if reason:
        print(f"note: {reason}", file=sys.stderr)
        return None
    return str(PYTHON)


if __name__ == "__main__":
    reason = ensure()
    print(f"note: {reason}" if reason else f"original fsspeckit 0.29.0 ready in {VENV}")
