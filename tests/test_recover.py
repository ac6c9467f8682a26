"""recover() on hostile or mistaken input, and a commit that meets a full disk."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest

from fsspeckit.datasets.pyarrow import DatasetPathError, PyarrowDatasetIO


def files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_recover_of_a_missing_path_raises_and_creates_nothing(tmp_path):
    missing = tmp_path / "typo" / "x"
    with pytest.raises(DatasetPathError, match="does not exist.*typo/x"):
        PyarrowDatasetIO().recover(str(missing))
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("staging", [".", "part=1", "_fsspeckit-staging-1/.."])
def test_recover_never_deletes_outside_its_own_staging_folders(tmp_path, staging):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.table({"id": list(range(10)), "part": [1] * 10}), str(tmp_path),
                     partition_by="part")
    before = files(tmp_path)
    (tmp_path / "_fsspeckit_merge_journal").write_text(
        f"fsspeckit merge journal v1\nstaging\t{staging}\nend\n")
    with pytest.raises(OSError, match="journal .* cannot be read"):
        io.recover(str(tmp_path))
    assert [f for f in files(tmp_path) if f != "_fsspeckit_merge_journal"] == before
    assert io.read_parquet(str(tmp_path)).num_rows == 10


FULL_DISK = r"""
import errno, json, os, sys, pyarrow as pa
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
root = sys.argv[1]
io = PyarrowDatasetIO()
io.write_dataset(pa.table({"id": list(range(10))}), root + "/ds")
filler = root + "/filler"

def fill_disk(done, total):  # the inserted rows are staged: now the disk fills up
    if done == total and not os.path.exists(filler):
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
        finally:
            os.close(fd)

try:
    io.merge(pa.table({"id": [100, 101]}), root + "/ds", "insert", "id",
             merge_progress_callback=fill_disk)
    message = None
except OSError as error:
    message = str(error)
os.remove(filler)
print(json.dumps({"message": message,
                  "rows": sorted(io.read_parquet(root + "/ds")["id"].to_pylist()),
                  "left": sorted(n for n in os.listdir(root + "/ds") if n.startswith("_"))}))
"""


def test_a_full_disk_at_the_journal_names_the_journal_and_the_cause(tmp_path):
    """A real full disk: a 1 MiB tmpfs mounted in a private mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a small tmpfs")
    mount = tmp_path / "small"
    mount.mkdir()
    script = tmp_path / "child.py"
    script.write_text(FULL_DISK)
    shell = textwrap.dedent(f"""
        mount -t tmpfs -o size=1m tmpfs {mount} || exit 97
        exec {sys.executable} {script} {mount}
    """)
    run = subprocess.run(["unshare", "-rm", "sh", "-c", shell], capture_output=True, text=True)
    if run.returncode == 97 or "unshare failed" in run.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()}")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["message"] is not None
    assert "_fsspeckit_merge_journal" in report["message"]
    assert "No space left on device" in report["message"]
    assert "nothing was committed" in report["message"]
    assert report["rows"] == list(range(10))  # unchanged
    assert report["left"] == []


def test_durable_commits_give_the_same_dataset(tmp_path):
    io = PyarrowDatasetIO()
    for durable in (False, True):
        path = str(tmp_path / f"durable-{durable}")
        io.write_dataset(pa.table({"id": list(range(10)), "part": [i % 2 for i in range(10)]}),
                         path, partition_by="part", durable=durable)
        result = io.merge(pa.table({"id": [3, 20], "part": [1, 0]}), path, "upsert", "id",
                          partition_columns="part", durable=durable)
        assert (result.updated, result.inserted) == (1, 1)
        assert sorted(io.read_parquet(path)["id"].to_pylist()) == list(range(10)) + [20]
        assert not [n for n in os.listdir(path) if n.startswith("_fsspeckit")]
