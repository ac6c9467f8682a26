"""Conditional writes for the C++ dataset lock (io/atomic_object_store.h).

Arrow's S3FileSystem cannot write conditionally (apache/arrow #44281), so the lock's
four requests are made here with botocore, configured from the filesystem's own
settings: a pyarrow S3FileSystem's options, or an s3fs filesystem's own client. On GCS
they are gcsfs's own requests with generation preconditions. fsspec's
memory filesystem lives in this process, so there a mutex makes each compare-and-swap
exact. The C++ lock decides everything (leases, takeover, errors); this module only
makes requests.
"""

from __future__ import annotations

import hashlib
import threading

import pyarrow.fs as pafs

from . import _fs_bridge

# What S3 answers when a condition does not hold (412), or two conditional writes to
# one key crossed (409); and when the object is not there.
_LOST = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING = {"NoSuchKey", "404", "NotFound"}


def store_for(capsule):
    """An object with read/create/replace/delete for the filesystem, or None."""
    filesystem = _fs_bridge.filesystem_from_capsule(capsule)
    if isinstance(filesystem, pafs.S3FileSystem):
        return _S3Store(_pyarrow_s3_call(filesystem))
    if isinstance(filesystem, pafs.PyFileSystem):
        handler = filesystem.handler
        inner = getattr(handler, "fs", None)
        if not isinstance(handler, pafs.FSSpecHandler):
            return None
        from fsspec.implementations.memory import MemoryFileSystem
        if isinstance(inner, MemoryFileSystem):
            return _MemoryStore(inner)
        try:
            import s3fs
        except ImportError:
            return None
        if isinstance(inner, s3fs.S3FileSystem):
            # s3fs caches listings, which another process's commit makes stale: whoever
            # takes or renews the lock drops them, so it plans and checks on fresh ones.
            return _S3Store(_s3fs_call(inner), after_write=inner.invalidate_cache)
        gcs = _gcsfs_class()
        if gcs is not None and isinstance(inner, gcs):
            return _GcsStore(inner)
    return None


def _gcsfs_class():
    try:
        from gcsfs.core import GCSFileSystem
    except ImportError:
        return None
    return GCSFileSystem


def _pyarrow_s3_call(filesystem: pafs.S3FileSystem):
    """call(operation, **kwargs) on a botocore client with the filesystem's settings."""
    import botocore.config
    import botocore.session
    from botocore import UNSIGNED

    options = filesystem.__reduce__()[1][0]  # the options pyarrow pickles it with
    client_args = {"region_name": options["region"] or None}
    endpoint = options["endpoint_override"]
    if endpoint:
        client_args["endpoint_url"] = endpoint if "://" in endpoint else (
            f"{options['scheme']}://{endpoint}")
    # Transient answers are retried as the rest of fsspeckit's S3 requests are (botocore's
    # standard mode: 503/500/429, throttling codes, timeouts and broken connections).
    # Retrying a conditional write is safe: the lock reads back its owner when a retried
    # create or renewal finds the condition failed (lease_lock.cc).
    from . import _core

    config = {"s3": {"addressing_style": "virtual" if options["force_virtual_addressing"]
                     else ("path" if endpoint else "auto")},
              "retries": {"mode": "standard",
                          "total_max_attempts": _core.retry_options()["max_attempts"]}}
    if options["anonymous"]:
        config["signature_version"] = UNSIGNED
    elif options["access_key"]:
        client_args.update(aws_access_key_id=options["access_key"],
                           aws_secret_access_key=options["secret_key"],
                           aws_session_token=options["session_token"] or None)
    if options["tls_ca_file_path"]:
        client_args["verify"] = options["tls_ca_file_path"]
    client = botocore.session.get_session().create_client(
        "s3", config=botocore.config.Config(**config), **client_args)

    def call(operation, **kwargs):
        response = getattr(client, operation)(**kwargs)
        if operation == "get_object":
            response["Body"] = response["Body"].read()
        return response
    return call


def _s3fs_call(filesystem):
    """call(operation, **kwargs) on s3fs's own (async) client, run on its loop."""
    from fsspec.asyn import sync

    async def run(operation, kwargs):
        client = await filesystem.set_session()
        response = await getattr(client, operation)(**kwargs)
        if operation == "get_object":
            async with response["Body"] as body:
                response["Body"] = await body.read()
        return response

    def call(operation, **kwargs):
        return sync(filesystem.loop, run, operation, kwargs)
    return call


def _error_code(error) -> str | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(code) if code in _LOST | _MISSING else str(status)


class _S3Store:
    """The AtomicObjectStore requests on S3; paths are "bucket/key"."""

    def __init__(self, call, after_write=None):
        self._call = call
        self._after_write = after_write

    @staticmethod
    def _split(path: str):
        bucket, _, key = path.partition("/")
        return bucket, key

    def read(self, path: str):
        bucket, key = self._split(path)
        try:
            response = self._call("get_object", Bucket=bucket, Key=key)
        except Exception as error:
            if _error_code(error) in _MISSING:
                return None
            raise
        return bytes(response["Body"]), response["ETag"]

    def _put(self, path: str, body: bytes, **condition):
        bucket, key = self._split(path)
        try:
            etag = self._call("put_object", Bucket=bucket, Key=key, Body=body,
                              **condition)["ETag"]
        except Exception as error:
            if _error_code(error) in _LOST | _MISSING:
                return None
            raise
        if self._after_write:
            self._after_write()
        return etag

    def create(self, path: str, body: bytes):
        return self._put(path, body, IfNoneMatch="*")

    def replace(self, path: str, body: bytes, etag: str):
        return self._put(path, body, IfMatch=etag)

    def delete(self, path: str, etag: str) -> bool:
        bucket, key = self._split(path)
        try:
            self._call("delete_object", Bucket=bucket, Key=key, IfMatch=etag)
        except Exception as error:
            if _error_code(error) in _LOST | _MISSING:
                return False
            raise
        return True


class _MemoryStore:
    """The AtomicObjectStore requests on fsspec's memory filesystem, whose files are one
    dict shared by every MemoryFileSystem of the process: each check-and-write holds one
    process-wide mutex, so it is as atomic as S3's conditional writes (writers in other
    processes cannot see this memory at all). The ETag is the body's MD5, as S3's: lock
    bodies name their owner and lease end, so two writes never leave equal bodies."""

    _mutex = threading.Lock()

    def __init__(self, filesystem):
        self._fs = filesystem

    def _current(self, path: str):
        try:
            body = bytes(self._fs.cat_file(path))
        except FileNotFoundError:
            return None
        return body, hashlib.md5(body).hexdigest()

    def _write(self, path: str, body: bytes) -> str:
        self._fs.pipe_file(path, bytes(body))
        return hashlib.md5(bytes(body)).hexdigest()

    def read(self, path: str):
        with self._mutex:
            return self._current(path)

    def create(self, path: str, body: bytes):
        with self._mutex:
            return None if self._current(path) is not None else self._write(path, body)

    def replace(self, path: str, body: bytes, etag: str):
        with self._mutex:
            current = self._current(path)
            if current is None or current[1] != etag:
                return None
            return self._write(path, body)

    def delete(self, path: str, etag: str) -> bool:
        with self._mutex:
            current = self._current(path)
            if current is None or current[1] != etag:
                return False
            self._fs.rm_file(path)
            return True


class _GcsStore:
    """The AtomicObjectStore requests on GCS, through gcsfs's own session: generation
    preconditions (https://cloud.google.com/storage/docs/request-preconditions) stand
    for S3's ETags. Create uploads with ifGenerationMatch=0 (no live object); replace
    and delete carry ifGenerationMatch=<the generation read>. The "etag" is the
    generation number as text. gcsfs raises FileExistsError for 412 (the condition
    failed) and FileNotFoundError for 404."""

    def __init__(self, filesystem):
        self._fs = filesystem

    def _object_url(self, path: str) -> str:
        from urllib.parse import quote

        bucket, _, key = path.partition("/")
        return f"{self._fs._location}/storage/v1/b/{quote(bucket, safe='')}/o/{quote(key, safe='')}"

    def read(self, path: str):
        # One request: the body and, in its headers, the generation it is of.
        try:
            headers, body = self._fs.call("GET", self._object_url(path), alt="media")
        except FileNotFoundError:
            return None
        generation = headers.get("X-Goog-Generation") or headers.get("x-goog-generation")
        if generation is None:
            raise OSError(f"GCS answered a read of {path!r} without its generation")
        return bytes(body), str(generation)

    def _upload(self, path: str, body: bytes, generation: str):
        import json
        from urllib.parse import quote

        bucket, _, key = path.partition("/")
        url = f"{self._fs._location}/upload/storage/v1/b/{quote(bucket, safe='')}/o"
        try:
            _, answer = self._fs.call("POST", url, uploadType="media", name=key,
                                      ifGenerationMatch=generation, data=bytes(body),
                                      headers={"Content-Type": "application/octet-stream"})
        except (FileExistsError, FileNotFoundError):
            return None
        self._fs.invalidate_cache()  # listings cached by gcsfs may predate another commit
        return str(json.loads(answer)["generation"])

    def create(self, path: str, body: bytes):
        return self._upload(path, body, "0")

    def replace(self, path: str, body: bytes, etag: str):
        return self._upload(path, body, etag)

    def delete(self, path: str, etag: str) -> bool:
        try:
            self._fs.call("DELETE", self._object_url(path), ifGenerationMatch=etag)
        except (FileExistsError, FileNotFoundError):
            return False
        self._fs.invalidate_cache()
        return True
