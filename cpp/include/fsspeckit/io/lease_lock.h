// fsspeckit: a lock on an object store: an object created atomically, held by a lease.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <arrow/result.h>

#include "fsspeckit/io/atomic_object_store.h"

namespace fsspeckit::io {

inline constexpr int64_t kDefaultLeaseMs = 30'000;

/// Wall-clock milliseconds since the epoch: leases are read by other machines.
int64_t SystemNowMs();

struct LeaseOptions {
  /// How long the lock outlives its holder's last renewal. The holder renews every
  /// third of it, so a killed holder blocks others for at most this long; clocks of the
  /// machines sharing a dataset must agree to well within it.
  int64_t lease_ms = kDefaultLeaseMs;
  std::function<int64_t()> now_ms = SystemNowMs;
  /// Renew from a background thread while held (tests drive Renew() themselves).
  bool renew_in_background = true;
};

/// The lock object holds its owner and the time its lease ends. Taking it: create it
/// if absent (If-None-Match); if present and its lease has ended, replace it on the
/// ETag that was read (If-Match), so of several takers exactly one wins. The holder
/// renews on its ETag; a renewal that finds another ETag means the lock was taken over
/// (this holder stalled past its lease) and the holder must not commit.
class LeaseLock {
 public:
  /// IOError naming the holder and when its lease ends when the lock is held.
  static arrow::Result<std::unique_ptr<LeaseLock>> Acquire(std::shared_ptr<AtomicObjectStore> store,
                                                           std::string path, LeaseOptions options);
  /// Stops renewing and deletes the lock object if it is still ours.
  ~LeaseLock();

  /// Extends the lease by lease_ms from now; IOError when the lock is no longer ours.
  arrow::Status Renew();
  /// Renews now and reports whether the lock is still held: the check before a commit.
  arrow::Status CheckHeld();
  /// Whether Acquire replaced a lock whose lease had ended (its holder died).
  bool took_over() const { return took_over_; }
  const std::string& owner() const { return owner_; }

 private:
  LeaseLock(std::shared_ptr<AtomicObjectStore> store, std::string path, LeaseOptions options);
  std::string Body() const;
  void RenewUntilStopped(std::stop_token stop);

  std::shared_ptr<AtomicObjectStore> store_;
  std::string path_;
  LeaseOptions options_;
  std::string owner_;
  bool took_over_ = false;
  std::mutex mutex_;  // guards etag_ and lost_ (renewals run on their own thread)
  std::string etag_;
  arrow::Status lost_;
  std::condition_variable_any wake_;
  std::jthread renewer_;  // last: stopped and joined before the rest is destroyed
};

}  // namespace fsspeckit::io
