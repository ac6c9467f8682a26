// fsspeckit: how a dataset write or merge commits: who may write beside it, and how durably.
#pragma once

#include <memory>

#include "fsspeckit/io/test_hooks.h"

namespace fsspeckit::io {

/// Chosen from bench/bench_durable.py (bench/RESULTS.md): the fsyncs add about 0.1 s to
/// every commit, which is 35-80% of a small or sparse merge (nothing measurable on a
/// 1M-into-10M one), above the 10% that makes durability opt-in (as LevelDB's sync).
inline constexpr bool kDefaultDurable = false;

struct CommitOptions {
  /// The caller promises that no other process writes the dataset meanwhile. Needed on
  /// filesystems where fsspeckit cannot take a lock atomically (Arrow's GCS, Azure,
  /// HDFS...): there a write without it is refused rather than left unprotected. Local
  /// disks (flock), S3 (conditional writes), GCS through gcsfs (generation
  /// preconditions) and fsspec's memory filesystem (an in-process mutex) lock either way.
  bool single_writer = false;
  /// Local disks: fsync the staged files and their folders before the journal, the
  /// journal itself, and the dataset's folders after the renames, so a committed write
  /// survives a power loss (SQLite's synchronous=FULL, LevelDB's sync). Object stores
  /// are durable once a PUT returns; the flag changes nothing there.
  bool durable = kDefaultDurable;
  /// Crash points and lease timing for tests; nullptr in production.
  std::shared_ptr<const TestHooks> hooks;
};

}  // namespace fsspeckit::io
