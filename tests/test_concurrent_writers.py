"""Writers that meet: the dataset lock on S3 (conditional writes on the loopback S3 server),
killed holders, filesystems that cannot be locked, and commits that lost a race."""

import json
import os
import signal
import subprocess
import sys
import time

import fsspec
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from fsspeckit import _fs_bridge, _lock_store
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

LOCK = "_fsspeckit_merge.lock"


def ids_table(ids, name):
    ids = list(ids)
    return pa.table({"id": pa.array(ids, pa.int64()), "name": [name] * len(ids)})


def state(io, path):
    table = io.read_parquet(path)
    return sorted(zip(table["id"].to_pylist(), table["name"].to_pylist()))


def upsert(rows, ids, name):
    out = dict(rows)
    out.update({i: name for i in ids})
    return sorted(out.items())


def s3fs_for(endpoint):
    import s3fs
    return s3fs.S3FileSystem(key="testing", secret="testing",
                             client_kwargs={"endpoint_url": f"http://{endpoint}",
                                            "region_name": "us-east-1"})


def store_of(filesystem):
    from fsspeckit._filesystems import arrow_filesystem
    return _lock_store.store_for(_fs_bridge.filesystem_capsule(arrow_filesystem(filesystem)))


@pytest.mark.parametrize("client", ["pyarrow", "s3fs"])
def test_the_s3_server_honours_conditional_writes(s3, s3_endpoint, client):
    """The lock rests on If-None-Match / If-Match: check the server really applies them."""
    fs, bucket = s3
    store = store_of(fs if client == "pyarrow" else s3fs_for(s3_endpoint))
    path = f"{bucket}/cond/{LOCK}"
    assert store.read(path) is None
    etag = store.create(path, b"one")
    assert etag and store.create(path, b"two") is None
    assert store.read(path) == (b"one", etag)
    assert store.replace(path, b"three", '"not-the-etag"') is None
    new_etag = store.replace(path, b"three", etag)
    assert new_etag and new_etag != etag and store.read(path)[0] == b"three"
    assert store.delete(path, etag) is False
    assert store.delete(path, new_etag) is True
    assert store.read(path) is None


def test_filesystems_without_atomic_create_need_a_declared_single_writer():
    # A filesystem fsspeckit knows no atomic create for (fsspec's dir: wrapper, which
    # could hold anything); fsspec's memory filesystem beneath it keeps the files.
    from fsspec.implementations.dirfs import DirFileSystem
    memory = DirFileSystem(path="/unlockable", fs=fsspec.filesystem("memory"))
    io = PyarrowDatasetIO(memory)
    for call in (lambda: io.write_dataset(ids_table(range(3), "a"), "/refused/ds"),
                 lambda: io.merge(ids_table(range(3), "a"), "/refused/ds", "upsert", "id")):
        with pytest.raises(ValueError, match="single_writer=True"):
            call()
    assert not memory.exists("/refused/ds") or memory.find("/refused/ds") == []
    io.write_dataset(ids_table(range(3), "a"), "/refused/ds", single_writer=True)
    with pytest.raises(ValueError, match="single_writer=True"):
        io.recover("/refused/ds")
    assert io.recover("/refused/ds", single_writer=True) is False
    assert state(io, "/refused/ds") == [(0, "a"), (1, "a"), (2, "a")]


def test_the_memory_filesystem_is_locked_in_process():
    """fsspec's memory filesystem lives in this process: its lock is a compare-and-swap
    under a mutex, taken without single_writer, and held against a second writer."""
    memory = fsspec.filesystem("memory")
    io = PyarrowDatasetIO(memory)
    path = "/locked-in-memory/ds"
    io.write_dataset(ids_table(range(10), "old"), path)
    store = store_of(memory)
    lock = f"{path}/{LOCK}"
    seen = {}

    def progress(done, total):
        if seen:
            return
        seen["held"] = store.read(lock) is not None
        try:
            PyarrowDatasetIO(fsspec.filesystem("memory")).merge(
                ids_table([3], "intruder"), path, "upsert", "id")
            seen["intruder"] = "merged"
        except OSError as error:
            seen["intruder"] = str(error)

    io.merge(ids_table([1, 50], "new"), path, "upsert", "id", merge_progress_callback=progress)
    assert seen["held"]
    assert "another merge or write is running" in seen["intruder"]
    assert state(io, path) == upsert([(i, "old") for i in range(10)], [1, 50], "new")
    assert not memory.exists(lock)
    assert io.recover(path) is False  # recover locks too, without single_writer

    etag = store.create(lock, b"one")
    assert etag and store.create(lock, b"two") is None
    assert store.replace(lock, b"three", "not-the-etag") is None
    new_etag = store.replace(lock, b"three", etag)
    assert store.read(lock) == (b"three", new_etag)
    assert store.delete(lock, etag) is False and store.delete(lock, new_etag) is True


def test_threads_upserting_overlapping_keys_in_memory_end_in_a_serial_order():
    import threading

    memory = fsspec.filesystem("memory")
    path = "/racing-in-memory/ds"
    PyarrowDatasetIO(memory).write_dataset(ids_table(range(1000), "old"), path,
                                           max_rows_per_file=250)
    before = state(PyarrowDatasetIO(memory), path)
    writers = (("A", 500, 1500), ("B", 0, 1200), ("C", 900, 1100))
    start = threading.Barrier(len(writers))
    refusals, errors = [], []

    def race(name, lo, hi):
        io = PyarrowDatasetIO(fsspec.filesystem("memory"))
        start.wait()
        while True:  # the loser waits and tries again: that is a serial order
            try:
                io.merge(ids_table(range(lo, hi), name), path, "upsert", "id",
                         max_rows_per_file=300)
                return
            except OSError as error:
                if "another merge" not in str(error) and "changed since" not in str(error):
                    errors.append(error)
                    return
                refusals.append(name)
                time.sleep(0.01)

    threads = [threading.Thread(target=race, args=w) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    print("refusals:", len(refusals))
    after = state(PyarrowDatasetIO(memory), path)
    orders = []
    import itertools
    for order in itertools.permutations(writers):
        expected = before
        for name, lo, hi in order:
            expected = upsert(expected, range(lo, hi), name)
        orders.append(expected)
    assert len(after) == len({i for i, _ in after}) == 1500  # no key twice, none lost
    assert after in orders
    assert not [p for p in memory.find(path) if "_fsspeckit" in p]


RACER = r"""
import json, sys, time, pyarrow as pa, pyarrow.fs as pafs
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
endpoint, client, path, name, first, last, go = sys.argv[1:8]
if client == "pyarrow":
    fs = pafs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                           endpoint_override=f"http://{endpoint}")
elif client == "gcsfs":
    from gcsfs.core import GCSFileSystem
    fs = GCSFileSystem(endpoint_url=endpoint, token="anon", project="test")
else:
    import s3fs
    fs = s3fs.S3FileSystem(key="testing", secret="testing",
                           client_kwargs={"endpoint_url": f"http://{endpoint}",
                                          "region_name": "us-east-1"})
ids = list(range(int(first), int(last)))
source = pa.table({"id": pa.array(ids, pa.int64()), "name": [name] * len(ids)})
io = PyarrowDatasetIO(fs)
print("ready", flush=True)
while time.time() < float(go):
    time.sleep(0.001)
refusals = []
while True:  # the loser waits and tries again: that is a serial order
    try:
        io.merge(source, path, "upsert", "id", max_rows_per_file=300)
        break
    except OSError as error:
        refusals.append(str(error))
        if "another merge" not in str(error) and "changed since" not in str(error):
            raise
        time.sleep(0.05)
print(json.dumps({"refusals": refusals}), flush=True)
"""


def race_two_processes(io, endpoint, client, bucket, leftovers, refresh=lambda: None):
    """Two processes upsert overlapping keys at one moment, each retrying while refused;
    the dataset ends as one of them then the other, with no key twice nor lost.
    `leftovers(path)`: paths of fsspeckit's own files left in the dataset; `refresh()`
    drops what this process's client cached of the dataset the children changed."""
    for trial in range(2):
        path = f"{bucket}/race{trial}"
        io.write_dataset(ids_table(range(1000), "old"), path, max_rows_per_file=250)
        before = state(io, path)
        go = time.time() + 2.0  # both start at this moment, imports done
        children = [subprocess.Popen(
            [sys.executable, "-c", RACER, endpoint, client, path, name, str(lo), str(hi),
             str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name, lo, hi in (("A", 500, 1500), ("B", 0, 1200))]
        for child in children:
            assert child.stdout.readline().strip() == "ready"
        outputs = [child.communicate(timeout=300) for child in children]
        print("refusals:", [len(json.loads(out)["refusals"]) for out, _ in outputs])
        for child, (_, err) in zip(children, outputs):
            assert child.returncode == 0, err
        a_then_b = upsert(upsert(before, range(500, 1500), "A"), range(0, 1200), "B")
        b_then_a = upsert(upsert(before, range(0, 1200), "B"), range(500, 1500), "A")
        refresh()
        after = state(io, path)
        assert len(after) == len({i for i, _ in after}) == 1500  # no key twice, none lost
        assert after in (a_then_b, b_then_a)
        assert leftovers(path) == []


@pytest.mark.parametrize("client", ["pyarrow", "s3fs"])
def test_two_processes_upserting_overlapping_keys_on_s3_end_in_a_serial_order(
        s3, s3_endpoint, client):
    fs, bucket = s3

    def leftovers(path):
        listed = fs.get_file_info(pafs.FileSelector(path, recursive=True))
        return [i.path for i in listed if "_fsspeckit" in i.path]
    race_two_processes(PyarrowDatasetIO(fs), s3_endpoint, client, bucket, leftovers)


def test_the_gcs_proxy_honours_generation_preconditions(gcs):
    """The GCS lock rests on ifGenerationMatch: check the proxy in front of fake-gcs-server
    (which ignores it) applies it, through the store the lock uses."""
    proxy, fs, bucket = gcs
    store = store_of(fs)
    assert store is not None, "gcsfs has no lock store"
    path = f"{bucket}/cond/{LOCK}"
    assert store.read(path) is None
    generation = store.create(path, b"one")
    assert generation and store.create(path, b"two") is None
    assert store.read(path) == (b"one", generation)
    assert store.replace(path, b"three", "12345") is None
    new_generation = store.replace(path, b"three", generation)
    assert new_generation and new_generation != generation
    assert store.read(path) == (b"three", new_generation)
    assert store.delete(path, generation) is False
    assert store.delete(path, new_generation) is True
    assert store.read(path) is None


def test_a_merge_on_gcs_takes_the_lock_without_single_writer(gcs):
    proxy, fs, bucket = gcs
    io = PyarrowDatasetIO(fs)
    path = f"{bucket}/locked"
    io.write_dataset(ids_table(range(10), "old"), path)
    store = store_of(fs)
    seen = {}

    def progress(done, total):
        if not seen:
            seen["held"] = store.read(f"{path}/{LOCK}") is not None
            try:
                PyarrowDatasetIO(proxy.gcsfs()).merge(ids_table([3], "intruder"), path,
                                                      "upsert", "id")
                seen["intruder"] = "merged"
            except OSError as error:
                seen["intruder"] = str(error)

    result = io.merge(ids_table([1, 50], "new"), path, "upsert", "id",
                      merge_progress_callback=progress)
    assert seen["held"] and "another merge or write is running" in seen["intruder"]
    assert result.metrics["requests"]["lock"] >= 2  # taken and released
    fs.invalidate_cache()
    assert state(io, path) == upsert([(i, "old") for i in range(10)], [1, 50], "new")
    assert not fs.exists(f"{path}/{LOCK}")


def test_two_processes_upserting_overlapping_keys_on_gcs_end_in_a_serial_order(gcs):
    proxy, fs, bucket = gcs

    def leftovers(path):
        fs.invalidate_cache()
        return [p for p in fs.find(path) if "_fsspeckit" in p]
    race_two_processes(PyarrowDatasetIO(fs), proxy.url, "gcsfs", bucket, leftovers,
                       refresh=fs.invalidate_cache)


STALLER = r"""
import sys, time, pyarrow as pa, pyarrow.fs as pafs
from fsspeckit import _core
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
endpoint, path = sys.argv[1:3]
_core._set_test_hooks(lease_ms=6000)
fs = pafs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                       endpoint_override=f"http://{endpoint}")
def progress(done, total):
    print("merging", flush=True)
    time.sleep(3600)  # killed here, holding the lock
PyarrowDatasetIO(fs).merge(pa.table({"id": pa.array([1, 5000], pa.int64()),
                                     "name": ["killed", "killed"]}),
                           path, "upsert", "id", merge_progress_callback=progress)
"""


@pytest.fixture
def lease_of():
    """Sets how long locks taken by this process last (a test hook), for one test."""
    from fsspeckit import _core

    yield lambda lease_ms: _core._set_test_hooks(lease_ms=lease_ms)
    _core._set_test_hooks()  # none again


def lock_expiry_ms(fs, path):
    with fs.open_input_stream(f"{path}/{LOCK}") as f:
        body = f.read().decode()
    return int(dict(line.split("\t") for line in body.splitlines()[1:])["expires_ms"])


def test_a_killed_merge_on_s3_blocks_others_for_one_lease_at_most(s3, s3_endpoint,
                                                                  lease_of):
    # Renewed every third of a lease, so at least 4 s of it are left when the holder dies:
    # room to be refused, even on a busy machine.
    lease_of(6000)
    fs, bucket = s3
    io = PyarrowDatasetIO(fs)
    path = f"{bucket}/killed"
    io.write_dataset(ids_table(range(100), "old"), path)
    before = state(io, path)
    child = subprocess.Popen([sys.executable, "-c", STALLER, s3_endpoint, path],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "merging"
    child.send_signal(signal.SIGKILL)
    child.wait()
    expires_ms = lock_expiry_ms(fs, path)  # its last renewal, at most one lease from now
    assert expires_ms <= time.time() * 1000 + 6000 + 1000  # (1 s for clock granularity)
    assert time.time() * 1000 < expires_ms - 200, "the lease ran out before it could be tested"
    with pytest.raises(OSError, match="another merge or write is running"):
        io.merge(ids_table([2], "blocked"), path, "upsert", "id")
    while time.time() * 1000 <= expires_ms:
        time.sleep(0.05)
    result = io.merge(ids_table([2, 7000], "next"), path, "upsert", "id")
    assert (result.updated, result.inserted) == (1, 1)
    assert state(io, path) == upsert(before, [2, 7000], "next")  # nothing of the killed one
    assert io.recover(path) is False
    listed = fs.get_file_info(pafs.FileSelector(path, recursive=True))
    assert not [i.path for i in listed if "_fsspeckit" in i.path]


def test_the_lease_is_renewed_while_a_merge_runs(s3, lease_of):
    lease_of(3000)  # renewed each second
    fs, bucket = s3
    io = PyarrowDatasetIO(fs)
    path = f"{bucket}/renewed"
    io.write_dataset(ids_table(range(100), "old"), path)
    seen = {}

    def progress(done, total):
        if seen:
            return
        first = lock_expiry_ms(fs, path)
        deadline = time.monotonic() + 120
        while lock_expiry_ms(fs, path) == first and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["renewed"] = lock_expiry_ms(fs, path) > first
        # The lease outlived its first term, so another writer is still kept out.
        try:
            PyarrowDatasetIO(fs).merge(ids_table([3], "intruder"), path, "upsert", "id")
            seen["intruder"] = "merged"
        except OSError as error:
            seen["intruder"] = str(error)

    io.merge(ids_table([1, 500], "new"), path, "upsert", "id", merge_progress_callback=progress)
    assert seen["renewed"]
    assert "another merge or write is running" in seen["intruder"]
    assert state(io, path) == upsert([(i, "old") for i in range(100)], [1, 500], "new")


def test_a_merge_whose_dataset_changed_since_planning_commits_nothing(tmp_path):
    """A writer that ignores the lock (a plain pyarrow write) gets in mid-merge."""
    io = PyarrowDatasetIO()
    io.write_dataset(ids_table(range(100), "old"), str(tmp_path), max_rows_per_file=50)
    before = state(io, str(tmp_path))
    intruder = tmp_path / "intruder.parquet"

    def progress(done, total):
        if not intruder.exists():
            pq.write_table(ids_table([5, 900], "intruder"), intruder)

    with pytest.raises(OSError, match="the dataset changed since the merge planned .*"
                       "intruder.parquet' appeared.*run the merge again"):
        io.merge(ids_table([5, 901], "new"), str(tmp_path), "upsert", "id",
                 merge_progress_callback=progress)
    assert state(io, str(tmp_path)) == sorted(before + [(5, "intruder"), (900, "intruder")])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("_fsspeckit")]


def test_an_overwrite_whose_dataset_changed_since_planning_commits_nothing(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(ids_table(range(10), "old"), str(tmp_path))
    victim = next(tmp_path.glob("*.parquet"))

    def batches():
        yield ids_table(range(3), "new").to_batches()[0]
        pq.write_table(ids_table(range(20), "rewritten"), victim)  # someone else, unlocked

    reader = pa.RecordBatchReader.from_batches(ids_table([0], "x").schema, batches())
    with pytest.raises(OSError, match="changed since the write planned .*was rewritten"):
        io.write_dataset(reader, str(tmp_path), mode="overwrite")
    assert state(io, str(tmp_path)) == [(i, "rewritten") for i in range(20)]
