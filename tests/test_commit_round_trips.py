"""A merge's commit on Arrow's S3FileSystem, read from the S3 proxy's request trace: its
three checks before the journal are in flight at once; after the journal and the copies
into place come one round of plain DELETEs (the replaced files and everything staged),
then the journal's DELETE, then the lock's; no request asks about a file first and none
puts a folder marker back (issue 18)."""

import gc

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from fsspeckit import _core
from fsspeckit._filesystems import resolve
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from merge_oracle import expected_rows, sorted_rows

FILES, ROWS = 6, 200
COLUMNS = ["id", "v"]
LOCK, JOURNAL, STAGING = "_fsspeckit_merge.lock", "_fsspeckit_merge_journal", "_fsspeckit-staging-"


class CommitTraced:
    """An executor (PyarrowDatasetIO.merge's executor=) that plans and runs the tasks in
    this process, then traces the commit alone: the proxy's trace starts with it, and
    the commit's first three requests are held until all three have arrived, so that
    requests made at once overlap however busy the machine is, and requests made one
    after another cannot (each waits out the hold's timeout). Before the commit it
    leaves in the staging folder what an earlier attempt of a task may: a file no result
    names, in a folder with a marker (Arrow's CreateDir, or its DeleteFile, puts one)."""

    def __init__(self, proxy, fs):
        self.proxy, self.fs = proxy, fs

    def merge(self, data, path, filesystem, arguments, progress=None):
        capsule, resolved = resolve(filesystem, path)
        planned = _core.plan_merge(data, resolved, capsule, **arguments)
        limits = (arguments["merge_max_memory_mb"], arguments["merge_max_process_memory_mb"],
                  arguments["merge_min_system_available_mb"])
        results = [_core.run_merge_task(planned.plan_bytes, task, resolved, capsule, *limits,
                                        gc.collect)[0]
                   for task in range(len(planned.tasks))]
        [staging] = [i.path for i in self.fs.get_file_info(pafs.FileSelector(resolved))
                     if i.base_name.startswith(STAGING)]
        self.fs.create_dir(f"{staging}/task-0-earlier")
        with self.fs.open_output_stream(f"{staging}/task-0-earlier/part-0.staged") as out:
            out.write(b"abandoned")
        self.proxy.configure(hold_next=3, hold_timeout_ms=2_000)
        self.proxy.reset()
        try:
            raw = planned.commit(results)
        finally:
            self.proxy.configure()
        raw["metrics"]["executor"] = "traced"
        return raw


def key_of(path):
    return path.split("?")[0].lstrip("/")


def test_a_merges_commit_makes_its_checks_at_once_and_deletes_in_one_round(s3_proxy):
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    path = f"{bucket}/ds"
    target = []
    for f in range(FILES):
        rows = [{"id": i, "v": i} for i in range(f * ROWS, (f + 1) * ROWS)]
        pq.write_table(pa.Table.from_pylist(rows), f"{path}/part-{f}.parquet", filesystem=fs)
        target += rows
    # Updates in two files, and new keys.
    source = [{"id": i, "v": -i} for i in (1, 2, 3 * ROWS + 5, 10 * ROWS, 10 * ROWS + 1)]
    result = PyarrowDatasetIO(fs).merge(pa.Table.from_pylist(source), path, "upsert", "id",
                                        max_rows_per_file=10 * ROWS,
                                        executor=CommitTraced(proxy, fs))
    trace = proxy.trace()
    print("\n".join(f"{start:8.1f} {end:8.1f} {kind:6} {status} {p}"
                    for start, end, kind, status, p in trace))
    replaced = set(result.removed_files)
    assert len(replaced) >= 2

    # The checks: the staged files listed, the lock renewed, the dataset listed; at once.
    checks = trace[:3]
    assert sorted((kind, key_of(p).endswith(LOCK)) for _, _, kind, _, p in checks) == [
        ("LIST", False), ("LIST", False), ("PUT", True)], checks
    prefixes = sorted(p.split("prefix=")[1].split("&")[0] for _, _, kind, _, p in checks
                      if kind == "LIST")
    assert prefixes[0] == "ds%2F" and prefixes[1].startswith("ds%2F" + STAGING), prefixes
    assert max(start for start, *_ in checks) <= min(end for _, end, *_ in checks), checks

    # Then the journal, the copies into place, the deletions, the journal's, the lock's.
    rest = trace[3:]
    assert (rest[0][2], key_of(rest[0][4])) == ("PUT", f"{path}/{JOURNAL}")
    written = {f"{bucket}/{f}" if not f.startswith(bucket) else f
               for f in result.rewritten_files + result.inserted_files}
    copies = [r for r in rest[1:] if r[2] == "PUT"]
    assert {key_of(r[4]) for r in copies} == written
    deletes = [r for r in rest if r[2] == "DELETE"]
    assert [r[2] for r in rest] == ["PUT"] * (1 + len(copies)) + ["DELETE"] * len(deletes), rest
    *files, journal, lock = deletes
    assert (key_of(journal[4]), key_of(lock[4])) == (f"{path}/{JOURNAL}", f"{path}/{LOCK}")
    deleted = [key_of(r[4]) for r in files]
    assert len(deleted) == len(set(deleted))
    assert {d for d in deleted if STAGING not in d} == replaced
    assert all(d.startswith(f"{path}/{STAGING}") for d in deleted if d not in replaced)
    assert any(d.endswith("/task-0-earlier/part-0.staged") for d in deleted)
    assert any(d.endswith("/task-0-earlier/") for d in deleted)  # its folder's marker
    # One round: every file deletion starts once the copies are done, and the journal's
    # only once every one of them is answered.
    assert min(r[0] for r in files) >= max(r[1] for r in copies)
    assert journal[0] >= max(r[1] for r in files) and lock[0] >= journal[1]
    assert not [r for r in trace if r[2] == "HEAD" and key_of(r[4]) in replaced]
    assert not [r for r in trace if r[2] == "PUT" and r[4].endswith("/")]  # folder markers
    assert not [r for r in trace if r[2] == "POST"]  # no bulk deletion after a listing

    # Nothing of the commit is left, and the data is the oracle's.
    listed = fs.get_file_info(pafs.FileSelector(path, recursive=True))
    assert [i.path for i in listed if "_fsspeckit" in i.path] == []
    assert not replaced & {i.path for i in listed}
    rows = pa.concat_tables(pq.read_table(i.path, filesystem=fs) for i in listed
                            if i.path.endswith(".parquet")).select(COLUMNS).to_pylist()
    assert sorted_rows(rows, COLUMNS) == expected_rows(target, source, ["id"], "upsert", COLUMNS)
