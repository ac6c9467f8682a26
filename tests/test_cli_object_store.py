"""The CLI opens s3:// URIs (source and target) from the usual environment variables."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

FSSPECKIT = shutil.which("fsspeckit", path=os.path.dirname(sys.executable))
NATIVE = Path(__file__).resolve().parent.parent / "build" / "py" / "cpp" / "src" / "cli" / "fsspeckit"


@pytest.fixture(params=["console script", "native binary", "native binary --single-writer"])
def command(request):
    """The command and its flags for an S3 target: the native binary takes the S3 lock
    itself (libcurl, tests/test_native_s3_lock.py); told that nothing else writes the
    dataset, it still does (a store that can be locked always is)."""
    if request.param == "console script":
        return [FSSPECKIT], []
    if not NATIVE.exists():
        pytest.fail(f"{NATIVE} missing: build with `make install` first")
    return [str(NATIVE)], request.param.split()[2:]


def aws_env(s3_endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=f"http://{s3_endpoint}", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    return env


def test_merge_from_and_into_s3(command, s3, s3_endpoint, tmp_path):
    fs, bucket = s3
    pq.write_table(pa.table({"id": [1, 2], "name": ["a", "b"]}), f"{bucket}/ds/part-0.parquet",
                   filesystem=fs)
    pq.write_table(pa.table({"id": [2, 3], "name": ["B", "c"]}), f"{bucket}/changes.parquet",
                   filesystem=fs)
    local_changes = tmp_path / "more.parquet"
    pq.write_table(pa.table({"id": [4], "name": ["d"]}), local_changes)
    env = aws_env(s3_endpoint)
    for source in [f"s3://{bucket}/changes.parquet", str(local_changes)]:
        program, flags = command
        result = subprocess.run([*program, "merge", source, f"s3://{bucket}/ds", "--key", "id",
                                 *flags], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
    table = ds.dataset(f"{bucket}/ds", filesystem=fs).to_table().sort_by("id")
    assert table.to_pydict() == {"id": [1, 2, 3, 4], "name": ["a", "B", "c", "d"]}
    recovered = subprocess.run([*program, "recover", f"s3://{bucket}/ds", *flags],
                               capture_output=True, text=True, env=env, timeout=120)
    assert recovered.returncode == 0, recovered.stderr
