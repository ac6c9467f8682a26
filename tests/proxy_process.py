"""A proxy server of ours in its own process (tests/s3_proxy.py, tests/gcs_proxy.py): a
free loopback port, the wait until it answers, and its end."""

from __future__ import annotations

import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout_s: float) -> bool:
    """True once something listens on `port`; False when `process` ended or time ran out."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.1)


class ProxyProcess:
    """The server process of `script` (run as `script --port N ...`) and its URL."""

    def __init__(self, process: subprocess.Popen, port: int):
        self._process = process
        self.port = port
        self.endpoint = f"127.0.0.1:{port}"
        self.url = f"http://{self.endpoint}"

    @classmethod
    def launch(cls, script: str, args: list[str], timeout_s: float, install_hint: str):
        port = free_port()
        process = subprocess.Popen([sys.executable, script, "--port", str(port), *args],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for_port(port, process, timeout_s):
            process.kill()
            raise RuntimeError(f"the {cls.__name__} server did not start ({install_hint})")
        return cls(process, port)

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
