// fsspeckit: what a test may inject into a write or a merge (crash points, lease timing),
// handed in through options, never read from the environment by the core.
#pragma once

#include <cstdint>
#include <functional>

namespace fsspeckit::io {

/// Every member may be empty. Production code passes no hooks at all (nullptr).
struct TestHooks {
  /// Before each move of a commit's journal is applied, with the moves done so far: a
  /// crash test kills the process here, after the commit point.
  std::function<void(int64_t moves_done)> before_commit_move;
  /// After each row group a merge's rewrite task has read, with the count so far: a
  /// fault test kills a worker here, so a retried attempt must run through.
  std::function<void(int64_t row_groups_done)> after_rewrite_row_group;
  /// The lock's lease on object stores (io/lease_lock), when positive: a test that kills
  /// a holder waits one lease, not the default 30 s.
  int64_t lease_ms = 0;
};

}  // namespace fsspeckit::io
