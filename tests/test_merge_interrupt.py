"""Ctrl-C during a merge (issue 13 case 9): cancelled before the commit point, completed
after it; a callback's own exception keeps its type.

SIGINT is sent to the thread that is running merge code at that moment
(signal.pthread_kill from inside a callback the merge calls), so it arrives at a known
point of the merge, whatever the machine's load."""

import signal
import threading

import fsspec
import pyarrow as pa
import pyarrow.fs as pafs
import pytest

from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
from merge_oracle import expected_rows

from test_merge import COLUMNS, SCHEMA, make_target, read_rows, rows


def ctrl_c():
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)


def files_of(path):
    return sorted((str(p.relative_to(path)), p.read_bytes()) for p in path.rglob("*")
                  if p.is_file() and p.name != "_fsspeckit_merge.lock")


def test_ctrl_c_before_the_commit_cancels_the_merge(tmp_path):
    make_target(tmp_path, rows(range(40), "old"), SCHEMA)
    before = files_of(tmp_path)
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if len(calls) == 1:
            ctrl_c()

    with pytest.raises(KeyboardInterrupt) as raised:
        PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1, 30, 99], "new"), schema=SCHEMA),
                                 str(tmp_path), "upsert", "id", merge_progress_callback=progress)
    assert "cancelled before its commit: the dataset is unchanged" in str(raised.value.__notes__)
    # Stopped at the next row group: a task already past its check may still report one,
    # none reaches the end.
    assert len(calls) <= 2 and all(done < total for done, total in calls)
    assert files_of(tmp_path) == before
    # Python's own SIGINT handler is back once the merge has returned.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_with_a_handler_that_does_not_raise_still_cancels(tmp_path):
    make_target(tmp_path, rows(range(40), "old"), SCHEMA)
    before = files_of(tmp_path)
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        with pytest.raises(KeyboardInterrupt, match="cancelled .* before its commit"):
            PyarrowDatasetIO().merge(
                pa.Table.from_pylist(rows([1, 99], "new"), schema=SCHEMA), str(tmp_path),
                "upsert", "id", merge_progress_callback=lambda done, total: ctrl_c())
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [signal.SIGINT]  # the caller's handler ran, once
    assert files_of(tmp_path) == before


class _InterruptingMoves(pafs.FSSpecHandler):
    """The local filesystem, sending Ctrl-C when the commit moves a staged file into
    place: after the journal is written, i.e. after the commit point."""

    def move(self, src, dest):
        if src.endswith(".staged"):
            ctrl_c()
        return super().move(src, dest)


def test_ctrl_c_after_the_commit_point_completes_the_merge(tmp_path):
    make_target(tmp_path, rows(range(40), "old"), SCHEMA)
    target = rows(range(40), "old")
    source = rows([1, 30, 99], "new")
    filesystem = pafs.PyFileSystem(_InterruptingMoves(fsspec.filesystem("file")))
    with pytest.raises(KeyboardInterrupt) as raised:
        PyarrowDatasetIO(filesystem).merge(pa.Table.from_pylist(source, schema=SCHEMA),
                                           str(tmp_path), "upsert", "id", single_writer=True)
    assert "had committed when the interrupt arrived" in str(raised.value.__notes__)
    assert read_rows(tmp_path, COLUMNS) == expected_rows(target, source, ["id"], "upsert", COLUMNS)
    assert not any(p.name.startswith("_fsspeckit") and p.name != "_fsspeckit_merge.lock"
                   for p in tmp_path.iterdir())


@pytest.mark.parametrize("exception", [KeyboardInterrupt(), SystemExit(3), ValueError("stop")])
def test_a_callback_exception_keeps_its_type_and_the_dataset(tmp_path, exception):
    make_target(tmp_path, rows(range(40), "old"), SCHEMA)
    before = files_of(tmp_path)

    def progress(done, total):
        raise exception

    with pytest.raises(type(exception)) as raised:
        PyarrowDatasetIO().merge(pa.Table.from_pylist(rows([1, 30, 99], "new"), schema=SCHEMA),
                                 str(tmp_path), "upsert", "id", merge_progress_callback=progress)
    assert raised.value is exception
    assert files_of(tmp_path) == before


def test_ctrl_c_during_an_overwrite_leaves_the_old_dataset(tmp_path):
    io = PyarrowDatasetIO()
    io.write_dataset(pa.Table.from_pylist(rows(range(10), "old"), schema=SCHEMA), str(tmp_path))
    before = files_of(tmp_path)

    def batches():  # the writer pulls these; Ctrl-C arrives while the second is made
        for start in range(0, 40, 10):
            if start == 10:
                ctrl_c()
            yield pa.RecordBatch.from_pylist(rows(range(start, start + 10), "new"), schema=SCHEMA)

    reader = pa.RecordBatchReader.from_batches(SCHEMA, batches())
    with pytest.raises(KeyboardInterrupt) as raised:
        io.write_dataset(reader, str(tmp_path), mode="overwrite")
    assert "cancelled before its commit: the dataset is unchanged" in str(raised.value.__notes__)
    assert files_of(tmp_path) == before


def test_ctrl_c_while_the_source_is_read_cancels_before_planning(tmp_path):
    make_target(tmp_path, rows(range(40), "old"), SCHEMA)
    before = files_of(tmp_path)

    def batches():  # the merge reads the source first; Ctrl-C arrives meanwhile
        yield pa.RecordBatch.from_pylist(rows([1, 30], "new"), schema=SCHEMA)
        ctrl_c()
        yield pa.RecordBatch.from_pylist(rows([99], "new"), schema=SCHEMA)

    with pytest.raises(KeyboardInterrupt) as raised:
        PyarrowDatasetIO().merge(pa.RecordBatchReader.from_batches(SCHEMA, batches()),
                                 str(tmp_path), "upsert", "id")
    assert "cancelled before its commit" in str(raised.value.__notes__)
    assert files_of(tmp_path) == before
