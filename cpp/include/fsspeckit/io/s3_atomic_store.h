// fsspeckit: the conditional writes of Arrow's S3FileSystem, made without Python.
#pragma once

#include <memory>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

#include "fsspeckit/io/atomic_object_store.h"

namespace fsspeckit::io {

/// An AtomicStoreProvider for arrow::fs::S3FileSystem: the lock's four requests
/// (GET; PUT with If-None-Match: *; PUT and DELETE with If-Match), and the plain DELETE
/// a commit under the lock deletes its replaced and staged files with, made with libcurl,
/// loaded at run time (libcurl.so.4, 7.75 or later: it signs them with AWS SigV4), to
/// the filesystem's endpoint, region and credentials. Transient answers (500, 502, 503,
/// 504, 429, broken connections, timeouts) are retried as GetRetryOptions() says.
/// nullptr for any other filesystem; an error saying what to install when libcurl
/// cannot be loaded. The native CLI installs it:
///   SetAtomicStoreProvider(S3AtomicStoreFor);
arrow::Result<std::shared_ptr<AtomicObjectStore>> S3AtomicStoreFor(
    const std::shared_ptr<arrow::fs::FileSystem>& fs);

}  // namespace fsspeckit::io
