"""The S3 proxy of the object-store tests and benchmarks (tests/s3_proxy.py): both clients
reach it, it counts requests by kind, injects S3's own throttling answer reproducibly,
and adds latency."""

import time
import urllib.error
import urllib.request

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest


def raw_get(url):
    """One request, no client retries: (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("client", ["pyarrow", "s3fs"])
def test_both_clients_reach_moto_through_the_proxy_and_requests_are_counted(s3_proxy, client):
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs() if client == "pyarrow" else pafs.PyFileSystem(
        pafs.FSSpecHandler(proxy.s3fs()))
    pq.write_table(pa.table({"id": [1, 2, 3]}), f"{bucket}/t.parquet", filesystem=fs)
    assert pq.read_table(f"{bucket}/t.parquet", filesystem=fs)["id"].to_pylist() == [1, 2, 3]
    fs.get_file_info(pafs.FileSelector(bucket, recursive=True))
    fs.delete_file(f"{bucket}/t.parquet")
    counts = proxy.counts()
    requests = counts["requests"]
    assert requests["PUT"] + requests["POST"] >= 1  # the upload (single or multipart)
    assert requests["GET"] >= 1 and requests["LIST"] >= 1
    # pyarrow deletes with DELETE, s3fs with a POST of a DeleteObjects batch
    assert requests["DELETE"] == (1 if client == "pyarrow" else 0)
    assert sum(counts["failed"].values()) == 0
    proxy.reset()
    assert sum(proxy.counts()["requests"].values()) == 0


def test_throttling_answers_are_s3s_and_follow_the_seed(s3_proxy):
    proxy, bucket = s3_proxy
    fs = proxy.pyarrow_fs()
    pq.write_table(pa.table({"id": [1]}), f"{bucket}/t.parquet", filesystem=fs)
    url = f"{proxy.url}/{bucket}/t.parquet"

    proxy.configure(fail_next=1, fail_kinds=["GET"])
    status, body = raw_get(url)
    assert status == 503 and b"<Code>SlowDown</Code>" in body
    assert raw_get(url)[0] == 200  # only the next one
    assert proxy.counts()["failed"]["GET"] == 1

    def pattern(seed):
        proxy.configure(fail_rate=0.3, seed=seed)
        return [raw_get(url)[0] for _ in range(40)]

    first = pattern(11)
    assert set(first) == {200, 503}  # some fail, most do not
    assert pattern(11) == first      # the same seed fails the same requests
    assert pattern(12) != first

    proxy.configure(fail_next=1, fail_status=403)
    status, body = raw_get(url)
    assert status == 403 and b"<Code>AccessDenied</Code>" in body

    from s3_proxy import RESET
    proxy.configure(fail_next=1, fail_status=RESET)
    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected
        urllib.request.urlopen(url, timeout=30)
    assert raw_get(url)[0] == 200


def test_latency_is_added_to_every_request(s3_proxy):
    proxy, bucket = s3_proxy
    proxy.configure(latency_ms=100)
    started = time.monotonic()
    for _ in range(5):
        raw_get(f"{proxy.url}/{bucket}")
    assert time.monotonic() - started >= 0.5  # a lower bound: a busy machine only adds
    assert proxy.counts()["requests"]["LIST"] == 5


def test_held_requests_meet_when_made_at_once_and_not_when_made_one_after_another(s3_proxy):
    import threading

    proxy, bucket = s3_proxy
    url = f"{proxy.url}/{bucket}"

    def overlap(trace):
        return max(start for start, *_ in trace) <= min(end for _, end, *_ in trace)

    proxy.configure(hold_next=3, hold_timeout_ms=30_000)
    proxy.reset()
    threads = [threading.Thread(target=raw_get, args=(f"{url}?prefix=p{i}",)) for i in range(3)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started < 30  # released when the third came, not timed out
    trace = proxy.trace()
    assert [kind for _, _, kind, *_ in trace] == ["LIST"] * 3 and overlap(trace)
    assert sorted(path for *_, path in trace) == [f"/{bucket}?prefix=p{i}" for i in range(3)]

    proxy.configure(hold_next=2, hold_timeout_ms=200)
    proxy.reset()
    raw_get(url)
    raw_get(url)
    trace = proxy.trace()
    assert not overlap(trace) and trace[0][1] - trace[0][0] >= 200  # waited in vain
