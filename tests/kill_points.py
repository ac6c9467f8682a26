"""SIGKILL a child process that merges into a copy of a dataset, at moments spread over
its merge: the one loop the crash tests share."""
import shutil
import signal
import subprocess
import sys
import time

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO


def kill_at_moments(child_code, pristine, work_root, args, duration, points, state_of,
                    allowed, leftovers):
    """Runs `child_code` (it prints "ready" when its merge starts) on a fresh copy of
    `pristine` once per point, kills it after 0..80% of `duration`, recovers, and checks
    that state_of(copy) is one of `allowed` and leftovers(copy) is empty. Returns how
    often each allowed state was found, by its index."""
    outcomes = [0] * len(allowed)
    for point in range(points):
        work = work_root / f"run{point}"
        shutil.copytree(pristine, work)
        child = subprocess.Popen([sys.executable, "-c", child_code, str(work), *args],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        # Spread the kills over the merge itself (the start-up is excluded by "ready").
        time.sleep(duration * 0.8 * point / max(points - 1, 1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        PyarrowDatasetIO().recover(str(work))
        state = state_of(work)
        assert state in allowed, f"kill point {point}: a mixed state"
        outcomes[allowed.index(state)] += 1
        assert leftovers(work) == []
        shutil.rmtree(work)
    return outcomes
