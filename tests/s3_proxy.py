"""A loopback S3 that behaves like a real one under load: moto's S3 behind a WSGI
middleware of our own that can add a fixed latency to every request, answer a fraction
of them with S3's `503 SlowDown` (deterministically from a seed), and counts requests by
kind (HEAD, GET, PUT, POST, DELETE, LIST).

Shared by the tests (conftest.py's `s3_proxy` fixture) and the benchmarks
(bench/bench_object_store.py). The server runs in its own process (moto is CPU-heavy and
would otherwise share the GIL with the client under test):

    with S3Proxy.start() as proxy:
        proxy.configure(latency_ms=20, fail_rate=0.05, seed=7)
        fs = proxy.pyarrow_fs()        # pyarrow.fs.S3FileSystem(endpoint_override=...)
        fs = proxy.s3fs()              # s3fs.S3FileSystem(client_kwargs={"endpoint_url": ...})
        proxy.counts()                 # {"requests": {"GET": 12, ...}, "failed": {...}}

`python tests/s3_proxy.py --port 9000 [--latency-ms 20 --fail-rate 0.05 --seed 1]` runs
it alone. Settings and counters are read and changed over HTTP at `/_proxy/...` (an S3
bucket name cannot start with "_", so no S3 request is taken for one):
GET /_proxy/counts, POST /_proxy/configure (a JSON object of settings), POST /_proxy/reset,
GET /_proxy/trace (every S3 request since reset: start and end in ms from the first, kind,
status, path, with the query of a LIST; what a critical path is read from).
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import threading
import time
import urllib.request
import uuid

from proxy_process import ProxyProcess

KINDS = ("HEAD", "GET", "PUT", "POST", "DELETE", "LIST")

# What S3 answers when it throttles (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
_ERRORS = {
    503: ("SlowDown", "Please reduce your request rate."),
    500: ("InternalError", "We encountered an internal error. Please try again."),
    429: ("SlowDown", "Please reduce your request rate."),
    403: ("AccessDenied", "Access Denied"),
    404: ("NoSuchKey", "The specified key does not exist."),
}
# fail_status RESET: no answer at all, the connection is dropped (a reset, as a load
# balancer or a network fault does).
RESET = 0
_REASONS = {503: "Service Unavailable", 500: "Internal Server Error", 429: "Too Many Requests",
            403: "Forbidden", 404: "Not Found"}


def request_kind(environ) -> str:
    """HEAD, GET, PUT, POST, DELETE, or LIST for a GET of a bucket (or of the bucket list):
    path-style addressing, which both clients use against an endpoint override."""
    method = environ["REQUEST_METHOD"].upper()
    if method == "GET":
        bucket, _, key = environ.get("PATH_INFO", "/").lstrip("/").partition("/")
        if not key:
            return "LIST"
    return method if method in KINDS else "GET"


class FaultMiddleware:
    """WSGI middleware: latency, injected errors and request counts around an S3 app.

    Settings (all optional, see configure()):
    - latency_ms: slept before every S3 request is answered (requests overlap: the
      server answers each on its own thread, as S3 does).
    - fail_rate, seed: the n-th S3 request since the last configure() fails when the
      n-th draw of random.Random(seed) is below fail_rate; the same seed and the same
      sequence of requests fail the same ones. A retried request is a new request, so it
      gets a new draw (as on S3, where throttling is not tied to one key).
    - fail_next: the next N requests (of fail_kinds) fail whatever the rate.
    - fail_status: 503 (SlowDown, default), 500, 429, a permanent 403 / 404, or RESET (0):
      the connection is dropped without an answer.
    - fail_kinds: only requests of these kinds may fail (default: all).
    - hold_next, hold_timeout_ms: the next N S3 requests are each held until all N have
      arrived (or for hold_timeout_ms, default 5 s): requests a client makes at once are
      then in flight together however busy the machine is, and requests it makes one
      after another are not (each waits out the timeout), which a trace tells apart.
    """

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()
        self._held = threading.Condition(self._lock)
        self._settings = {}
        self.configure()
        self.reset()

    def configure(self, latency_ms=0.0, fail_rate=0.0, seed=0, fail_next=0, fail_status=503,
                  fail_kinds=KINDS, hold_next=0, hold_timeout_ms=5000.0):
        if fail_status not in _ERRORS and fail_status != RESET:
            raise ValueError(f"fail_status must be one of {sorted(_ERRORS)}, got {fail_status}")
        unknown = set(fail_kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"fail_kinds must be among {KINDS}, got {sorted(unknown)}")
        with self._lock:
            self._settings = dict(latency_ms=float(latency_ms), fail_rate=float(fail_rate),
                                  seed=seed, fail_next=int(fail_next),
                                  fail_status=int(fail_status), fail_kinds=list(fail_kinds),
                                  hold_next=int(hold_next),
                                  hold_timeout_ms=float(hold_timeout_ms))
            self._random = random.Random(seed)
            self._held_arrived = 0
            self._held.notify_all()

    def reset(self):
        with self._lock:
            self._requests = dict.fromkeys(KINDS, 0)
            self._failed = dict.fromkeys(KINDS, 0)
            self._trace = []
            self._epoch_s = None

    def trace(self):
        with self._lock:
            return {"requests": list(self._trace)}

    def _record(self, start_s: float, kind: str, status, path: str) -> None:
        with self._lock:
            if self._epoch_s is None:
                self._epoch_s = start_s
            self._trace.append([round((start_s - self._epoch_s) * 1000, 1),
                                round((time.monotonic() - self._epoch_s) * 1000, 1),
                                kind, status or 200, path])

    def counts(self):
        with self._lock:
            return {"requests": dict(self._requests), "failed": dict(self._failed),
                    "settings": dict(self._settings)}

    def _hold(self) -> None:
        """Holds this request, when it is one of the next hold_next, until they all came."""
        with self._held:
            wanted = self._settings["hold_next"]
            if self._held_arrived >= wanted:
                return
            self._held_arrived += 1
            self._held.notify_all()
            self._held.wait_for(lambda: self._held_arrived >= wanted,
                                timeout=self._settings["hold_timeout_ms"] / 1000)

    def _decide(self, kind: str) -> int | None:
        """The status to fail this request with, or None; counts it."""
        with self._lock:
            self._requests[kind] += 1
            settings = self._settings
            draw = self._random.random()  # one draw per request, failing or not
            if kind not in settings["fail_kinds"]:
                return None
            if settings["fail_next"] > 0:
                settings["fail_next"] -= 1
            elif draw >= settings["fail_rate"]:
                return None
            self._failed[kind] += 1
            return settings["fail_status"]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_proxy/"):
            return self._control(environ, start_response, path[len("/_proxy/"):])
        kind = request_kind(environ)
        if kind == "LIST" and environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        start_s = time.monotonic()
        self._hold()
        status = self._decide(kind)
        latency_ms = self._settings["latency_ms"]
        if latency_ms > 0:
            time.sleep(latency_ms / 1000)
        if status is None:
            try:
                return self._app(environ, start_response)
            finally:
                self._record(start_s, kind, None, path)
        self._record(start_s, kind, status, path)
        _drain(environ)  # the connection is kept alive: the body must not be left unread
        if status == RESET:
            # Both directions shut at once (the handler's own file objects keep the
            # descriptor, so close() would not end the connection); what the server then
            # tries to send is lost, as on a dropped connection.
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            start_response("500 Connection dropped", [("Content-Length", "0")])
            return [b""]
        code, message = _ERRORS[status]
        body = b"" if kind == "HEAD" else (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId>"
            "<HostId>fsspeckit-s3-proxy</HostId></Error>").encode()
        start_response(f"{status} {_REASONS[status]}",
                       [("Content-Type", "application/xml"), ("Content-Length", str(len(body))),
                        ("x-amz-request-id", "fsspeckit-s3-proxy")])
        return [body]

    def _control(self, environ, start_response, command):
        try:
            if command == "counts":
                answer = self.counts()
            elif command == "configure":
                self.configure(**json.loads(_drain(environ) or b"{}"))
                answer = self.counts()
            elif command == "trace":
                answer = self.trace()
            elif command == "reset":
                _drain(environ)
                self.reset()
                answer = self.counts()
            else:
                raise ValueError(f"unknown proxy command {command!r}")
            status = "200 OK"
        except (TypeError, ValueError) as error:
            answer, status = {"error": str(error)}, "400 Bad Request"
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(body)))])
        return [body]


def _drain(environ) -> bytes:
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return stream.read(length) if length else b""


def serve(host: str, port: int, **settings) -> None:
    """Runs moto's S3 behind the middleware until the process is stopped."""
    from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                               create_backend_app)
    from werkzeug.serving import make_server

    app = FaultMiddleware(DomainDispatcherApplication(create_backend_app))
    app.configure(**settings)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"listening on {host}:{server.server_port}", flush=True)
    server.serve_forever()


class S3Proxy(ProxyProcess):
    """A proxy server process and the client side of its settings and counters."""

    @classmethod
    def start(cls, timeout_s: float = 30.0, **settings) -> "S3Proxy":
        return cls.launch(__file__, ["--settings", json.dumps(settings)], timeout_s,
                          "pip install 'moto[server]'")

    def _call(self, command: str, settings=None) -> dict:
        data = None if settings is None else json.dumps(settings).encode()
        request = urllib.request.Request(f"{self.url}/_proxy/{command}", data=data,
                                         method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def configure(self, **settings) -> dict:
        """Replaces all settings (those not given return to their defaults: no latency,
        no faults) and restarts the seeded draws."""
        return self._call("configure", settings)

    def counts(self) -> dict:
        """{"requests": {kind: n}, "failed": {kind: n}, "settings": {...}} since reset()."""
        return self._call("counts")

    def reset(self) -> dict:
        return self._call("reset", {})

    def trace(self) -> list:
        """[start_ms, end_ms, kind, status, path] of every S3 request since reset(); a
        LIST's path ends in its query ("/bucket?list-type=2&prefix=...")."""
        return self._call("trace")["requests"]

    def pyarrow_fs(self, **options):
        import pyarrow.fs as pafs

        options = {"access_key": "testing", "secret_key": "testing", "region": "us-east-1",
                   "endpoint_override": self.url, **options}
        return pafs.S3FileSystem(**options)

    def s3fs(self, **options):
        import s3fs

        client_kwargs = {"endpoint_url": self.url, "region_name": "us-east-1",
                         **options.pop("client_kwargs", {})}
        return s3fs.S3FileSystem(key="testing", secret="testing", client_kwargs=client_kwargs,
                                 **options)

    def make_bucket(self) -> str:
        """A fresh bucket (made through the proxy: create it before configuring faults)."""
        import pyarrow.fs as pafs

        bucket = f"bucket-{uuid.uuid4().hex[:12]}"
        pafs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                          endpoint_override=self.url, allow_bucket_creation=True).create_dir(bucket)
        return bucket


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--latency-ms", type=float)
    parser.add_argument("--fail-rate", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--settings", default="{}", help="a JSON object of settings")
    args = parser.parse_args(argv)
    settings = json.loads(args.settings)
    for name in ("latency_ms", "fail_rate", "seed"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    serve(args.host, args.port, **settings)


if __name__ == "__main__":
    main()
