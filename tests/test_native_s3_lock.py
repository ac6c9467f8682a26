"""The native CLI binary (no Python) takes the S3 dataset lock itself: its conditional
requests are made with libcurl (cpp/src/io/s3_atomic_store.cc), signed with SigV4, to the
same lock object and with the same lease protocol as the Python module's (botocore)."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from merge_oracle import expected_rows, sorted_rows

NATIVE = Path(__file__).resolve().parent.parent / "build" / "py" / "cpp" / "src" / "cli" / "fsspeckit"
LOCK = "_fsspeckit_merge.lock"
BUSY = "another merge or write is running"
COLUMNS = ["id", "name"]


@pytest.fixture(autouse=True)
def native():
    if not NATIVE.exists():
        pytest.fail(f"{NATIVE} missing: build with `make install` first")


def env_for(url, key="testing", secret="testing", **more):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FSSPECKIT_"))}
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
               AWS_REGION="us-east-1", **more)
    return env


def rows_table(ids, name):
    ids = list(ids)
    return pa.table({"id": pa.array(ids, pa.int64()), "name": [name] * len(ids)})


def rows_of(table):
    return table.select(COLUMNS).to_pylist()


def native_merge(source, target, env, *flags, quiet=True):
    return subprocess.run([str(NATIVE), "merge", str(source), target, "--key", "id",
                           "--max-rows-per-file", "300", *(["--quiet"] if quiet else []), *flags],
                          capture_output=True, text=True, env=env, timeout=120)


def dataset_rows(fs, path):
    files = sorted(i.path for i in fs.get_file_info(pafs.FileSelector(path, recursive=True))
                   if i.path.endswith(".parquet"))
    return sorted_rows(rows_of(pa.concat_tables(pq.read_table(f, filesystem=fs) for f in files)),
                       COLUMNS)


def leftovers(fs, path):
    listed = fs.get_file_info(pafs.FileSelector(path, recursive=True))
    return [i.path for i in listed if "_fsspeckit" in i.path]


def write_target(fs, path, rows):
    for start in range(0, len(rows), 250):
        pq.write_table(pa.Table.from_pylist(rows[start:start + 250]),
                       f"{path}/part-{start // 250}.parquet", filesystem=fs)


def test_a_merge_into_s3_takes_the_lock_without_single_writer(s3, s3_endpoint, tmp_path):
    fs, bucket = s3
    path = f"{bucket}/locked"
    target = rows_of(rows_table(range(10), "old"))
    write_target(fs, path, target)
    pq.write_table(rows_table([3, 42], "new"), tmp_path / "changes.parquet")
    result = subprocess.run([str(NATIVE), "merge", str(tmp_path / "changes.parquet"),
                             f"s3://{path}", "--key", "id"],
                            capture_output=True, text=True, env=env_for(f"http://{s3_endpoint}"),
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "lock 2" in result.stdout  # created, then deleted: no other request was needed
    assert dataset_rows(fs, path) == expected_rows(
        target, rows_of(rows_table([3, 42], "new")), ["id"], "upsert", COLUMNS)
    assert leftovers(fs, path) == []


def race(commands, go):
    """Runs each command (a function returning a CompletedProcess-like (code, stderr)) from
    `go` on, again while it is refused as busy; returns {name: refusals}."""
    refusals, errors = {}, []

    def run(name, command):
        while time.time() < go:
            time.sleep(0.001)
        refusals[name] = 0
        while True:  # the loser waits and tries again: that is a serial order
            code, err = command()
            if code == 0:
                return
            if BUSY not in err:
                errors.append(f"{name}: {err}")
                return
            refusals[name] += 1
            time.sleep(0.02)

    threads = [threading.Thread(target=run, args=item) for item in commands.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return refusals


def serial_orders(target, sources):
    a, b = sources
    after = lambda rows, source: expected_rows(rows, source, ["id"], "upsert", COLUMNS)
    as_rows = lambda rows: [dict(zip(COLUMNS, row)) for row in rows]
    return [after(as_rows(after(target, a)), b), after(as_rows(after(target, b)), a)]


def test_two_native_merges_racing_on_s3_end_in_a_serial_order(s3, s3_endpoint, tmp_path):
    fs, bucket = s3
    env = env_for(f"http://{s3_endpoint}")
    sources = {"A": rows_table(range(500, 1500), "A"), "B": rows_table(range(0, 1200), "B")}
    for name, table in sources.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    total_refusals = 0
    for trial in range(3):
        path = f"{bucket}/race{trial}"
        target = rows_of(rows_table(range(1000), "old"))
        write_target(fs, path, target)

        def command(name):
            def run():
                result = native_merge(tmp_path / f"{name}.parquet", f"s3://{path}", env)
                return result.returncode, result.stderr
            return run
        refusals = race({name: command(name) for name in sources}, go=time.time() + 0.5)
        total_refusals += sum(refusals.values())
        after = dataset_rows(fs, path)
        assert len(after) == len({row[0] for row in after}) == 1500  # no key twice, none lost
        assert after in serial_orders(target, [rows_of(t) for t in sources.values()])
        assert leftovers(fs, path) == []
    print("refusals over 3 races:", total_refusals)


PYTHON_RACER = r"""
import sys, time, pyarrow.fs as pafs, pyarrow.parquet as pq
from fsspeckit.datasets.pyarrow import PyarrowDatasetIO
endpoint, source, path = sys.argv[1:4]
fs = pafs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                       endpoint_override=endpoint)
table, io = pq.read_table(source), PyarrowDatasetIO(fs)
print("ready", flush=True)
sys.stdin.readline()  # go
refusals = 0
while True:  # the loser waits and tries again: that is a serial order
    try:
        io.merge(table, path, "upsert", "id", max_rows_per_file=300)
        break
    except OSError as error:
        if "another merge or write is running" not in str(error):
            raise
        refusals += 1
        time.sleep(0.02)
print(refusals, flush=True)
"""


def test_a_native_and_a_python_merge_racing_on_s3_end_in_a_serial_order(s3, s3_endpoint,
                                                                        tmp_path):
    fs, bucket = s3
    url = f"http://{s3_endpoint}"
    env = env_for(url)
    sources = {"native": rows_table(range(500, 1500), "N"), "python": rows_table(range(0, 1200), "P")}
    for name, table in sources.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    refusals = {"native": 0, "python": 0}
    for trial in range(3):
        path = f"{bucket}/mixed{trial}"
        target = rows_of(rows_table(range(1000), "old"))
        write_target(fs, path, target)
        python = subprocess.Popen([sys.executable, "-c", PYTHON_RACER, url,
                                   str(tmp_path / "python.parquet"), path],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        assert python.stdout.readline().strip() == "ready"  # its imports are done
        python.stdin.write("go\n")
        python.stdin.flush()
        go = time.time()

        def run_native():
            result = native_merge(tmp_path / "native.parquet", f"s3://{path}", env)
            return result.returncode, result.stderr
        refusals["native"] += race({"native": run_native}, go)["native"]
        out, err = python.communicate(timeout=120)  # (closes its stdin)
        assert python.returncode == 0, err
        refusals["python"] += int(out.strip())
        after = dataset_rows(fs, path)
        assert len(after) == len({row[0] for row in after}) == 1500
        assert after in serial_orders(target, [rows_of(t) for t in sources.values()])
        assert leftovers(fs, path) == []
    print("refusals over 3 races:", refusals)


def test_a_lock_held_by_python_refuses_the_native_merge(s3, s3_endpoint, tmp_path):
    from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

    fs, bucket = s3
    path = f"{bucket}/held-by-python"
    write_target(fs, path, rows_of(rows_table(range(10), "old")))
    pq.write_table(rows_table([3], "intruder"), tmp_path / "intruder.parquet")
    seen = {}

    def progress(done, total):
        if not seen:
            result = native_merge(tmp_path / "intruder.parquet", f"s3://{path}",
                                  env_for(f"http://{s3_endpoint}"))
            seen["native"] = (result.returncode, result.stderr)

    PyarrowDatasetIO(fs).merge(rows_table([1], "python"), path, "upsert", "id",
                               merge_progress_callback=progress)
    code, err = seen["native"]
    assert code == 1 and BUSY in err, err
    assert dataset_rows(fs, path) == sorted_rows(
        [{"id": i, "name": "python" if i == 1 else "old"} for i in range(10)], COLUMNS)
    assert leftovers(fs, path) == []


def test_a_lock_held_by_the_native_binary_refuses_python(s3_proxy, tmp_path):
    """The native merge runs behind 40 ms of latency per request; once its lock object
    is seen, a Python merge (straight to the server) is refused until it is gone."""
    from fsspeckit.datasets.pyarrow import PyarrowDatasetIO

    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    path = f"{bucket}/held-by-native"
    write_target(fs, path, rows_of(rows_table(range(10), "old")))
    pq.write_table(rows_table([1], "native"), tmp_path / "native.parquet")
    proxy.configure(latency_ms=40)
    child = subprocess.Popen([str(NATIVE), "merge", str(tmp_path / "native.parquet"),
                              f"s3://{path}", "--key", "id", "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env_for(proxy.url))
    deadline = time.monotonic() + 60
    while fs.get_file_info(f"{path}/{LOCK}").type == pafs.FileType.NotFound:
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.005)
    with pytest.raises(OSError, match=BUSY):
        PyarrowDatasetIO(fs).merge(rows_table([2], "python"), path, "upsert", "id")
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    proxy.configure()
    assert dataset_rows(fs, path) == sorted_rows(
        [{"id": i, "name": "native" if i == 1 else "old"} for i in range(10)], COLUMNS)
    assert leftovers(fs, path) == []


@pytest.mark.parametrize("fail_status", [503, 500, 429, 0], ids=["503", "500", "429", "reset"])
def test_the_locks_requests_are_retried_behind_faults(s3_proxy, tmp_path, fail_status):
    """The lock is the merge's first write: the first PUTs fail, the lock's create is
    tried again (with the project's backoff) and the merge succeeds."""
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    path = f"{bucket}/faults"
    target = rows_of(rows_table(range(10), "old"))
    write_target(fs, path, target)
    pq.write_table(rows_table([2, 20], "new"), tmp_path / "changes.parquet")
    proxy.reset()
    proxy.configure(fail_next=3, fail_kinds=["PUT"], fail_status=fail_status)
    started = time.monotonic()
    result = native_merge(tmp_path / "changes.parquet", f"s3://{path}",
                          env_for(proxy.url, FSSPECKIT_RETRY_BASE_DELAY_MS="20"))
    elapsed_s = time.monotonic() - started
    counts = proxy.counts()
    proxy.configure()
    assert result.returncode == 0, result.stderr
    assert counts["failed"]["PUT"] == 3
    assert dataset_rows(fs, path) == expected_rows(
        target, rows_of(rows_table([2, 20], "new")), ["id"], "upsert", COLUMNS)
    assert leftovers(fs, path) == []
    print(f"merge with 3 failed lock PUTs ({fail_status}): {elapsed_s:.2f} s")


def test_a_permanent_refusal_of_the_lock_is_not_retried(s3_proxy, tmp_path):
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    path = f"{bucket}/denied"
    write_target(fs, path, rows_of(rows_table(range(10), "old")))
    pq.write_table(rows_table([2], "new"), tmp_path / "changes.parquet")
    proxy.reset()
    proxy.configure(fail_next=1, fail_kinds=["PUT"], fail_status=403)
    result = native_merge(tmp_path / "changes.parquet", f"s3://{path}", env_for(proxy.url))
    counts = proxy.counts()
    proxy.configure()
    assert result.returncode == 1
    assert "HTTP status 403 (AccessDenied)" in result.stderr, result.stderr
    assert counts["requests"]["PUT"] == 1  # the lock's create, once; nothing was written
    assert dataset_rows(fs, path) == sorted_rows(rows_of(rows_table(range(10), "old")), COLUMNS)


@pytest.fixture(scope="module")
def s3_with_auth():
    """A moto server that checks SigV4 signatures and session tokens (moto enforces IAM
    auth after INITIAL_NO_AUTH_ACTION_COUNT requests): a user with an access key, and a
    role assumed through STS, both allowed everything. Yields (url, {kind: credentials}),
    credentials being (access key, secret key, session token or None)."""
    import boto3
    from conftest import _free_port

    port = _free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                            env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    allow_all = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    try:
        client = lambda service, key="x", secret="x": boto3.client(
            service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
            aws_secret_access_key=secret)
        deadline = time.monotonic() + 30
        while True:
            try:
                client("iam").create_user(UserName="writer")  # unchecked request 1
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        key = client("iam").create_access_key(UserName="writer")["AccessKey"]  # 2
        client("iam").put_user_policy(UserName="writer", PolicyName="all",  # 3
                                      PolicyDocument=allow_all)
        user = (key["AccessKeyId"], key["SecretAccessKey"])
        iam = client("iam", *user)
        role = iam.create_role(RoleName="writer-role", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                    "Action": "sts:AssumeRole"}]}))["Role"]
        iam.put_role_policy(RoleName="writer-role", PolicyName="all", PolicyDocument=allow_all)
        assumed = client("sts", *user).assume_role(RoleArn=role["Arn"],
                                                   RoleSessionName="native-cli")["Credentials"]
        yield url, {"access key": (*user, None),
                    "session token": (assumed["AccessKeyId"], assumed["SecretAccessKey"],
                                      assumed["SessionToken"])}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("credentials", ["access key", "session token"])
def test_the_locks_requests_are_signed_as_s3_checks_them(s3_with_auth, tmp_path, credentials):
    url, all_credentials = s3_with_auth
    key, secret, token = all_credentials[credentials]
    fs = pafs.S3FileSystem(access_key=key, secret_key=secret, session_token=token,
                           region="us-east-1", endpoint_override=url, allow_bucket_creation=True)
    bucket = f"signed-{credentials.replace(' ', '-')}"
    fs.create_dir(bucket)
    path = f"{bucket}/ds"
    target = rows_of(rows_table(range(10), "old"))
    write_target(fs, path, target)
    pq.write_table(rows_table([3, 42], "new"), tmp_path / "changes.parquet")
    extra = {"AWS_SESSION_TOKEN": token} if token else {}
    # The server checks signatures: a wrong secret is refused, by the merge's first
    # request (the lock's PUT: a merge on an object store asks nothing before it).
    refused = native_merge(tmp_path / "changes.parquet", f"s3://{path}",
                           env_for(url, key, "not-the-secret", **extra))
    assert refused.returncode == 1, refused.stderr
    assert "HTTP status 403 (SignatureDoesNotMatch)" in refused.stderr, refused.stderr
    # A lock left by a holder whose lease ended: the merge's create fails (412), it reads
    # the lock (GET), takes it over (PUT If-Match), and deletes it (DELETE If-Match): all
    # four of the lock's requests, signed by libcurl, pass the server's check.
    with fs.open_output_stream(f"{path}/{LOCK}") as out:
        out.write(b"fsspeckit lock v1\nowner\ta holder that died\nexpires_ms\t1\n")
    result = native_merge(tmp_path / "changes.parquet", f"s3://{path}",
                          env_for(url, key, secret, **extra), quiet=False)
    assert result.returncode == 0, result.stderr
    assert "lock 4" in result.stdout  # create (412), read, take over, delete
    assert dataset_rows(fs, path) == expected_rows(
        target, rows_of(rows_table([3, 42], "new")), ["id"], "upsert", COLUMNS)
    assert leftovers(fs, path) == []
