// fsspeckit: a lock on an object store: an object created atomically, held by a lease.
#include "fsspeckit/io/lease_lock.h"

#include <unistd.h>

#include <chrono>
#include <sstream>

#include "fsspeckit/io/unique_name.h"

namespace fsspeckit::io {
namespace {

constexpr const char* kLockHeader = "fsspeckit lock v1";

struct LockHolder {
  std::string owner = "an unknown holder";
  int64_t expires_ms = 0;  ///< 0 (long over) for a lock object we cannot read
};

// A lock object that is not ours to read (an older fsspeckit's empty lock file, or
// damage) counts as expired: it can be taken over after one conditional write.
LockHolder ParseHolder(const std::string& body) {
  LockHolder holder;
  std::istringstream in(body);
  std::string line;
  if (!std::getline(in, line) || line != kLockHeader) return holder;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    const std::string key = line.substr(0, tab), value = line.substr(tab + 1);
    if (key == "owner") holder.owner = value;
    if (key == "expires_ms") holder.expires_ms = std::strtoll(value.c_str(), nullptr, 10);
  }
  return holder;
}

std::string HostName() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 ? name : "unknown-host";
}

}  // namespace

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

LeaseLock::LeaseLock(std::shared_ptr<AtomicObjectStore> store, std::string path,
                     LeaseOptions options)
    : store_(std::move(store)),
      path_(std::move(path)),
      options_(std::move(options)),
      owner_(HostName() + " pid " + std::to_string(::getpid()) + " " + UniqueId()) {}

std::string LeaseLock::Body() const {
  return std::string(kLockHeader) + "\nowner\t" + owner_ + "\nexpires_ms\t" +
         std::to_string(options_.now_ms() + options_.lease_ms) + "\n";
}

arrow::Result<std::unique_ptr<LeaseLock>> LeaseLock::Acquire(
    std::shared_ptr<AtomicObjectStore> store, std::string path, LeaseOptions options) {
  if (options.lease_ms <= 0) return arrow::Status::Invalid("lease_ms must be > 0");
  std::unique_ptr<LeaseLock> lock(new LeaseLock(std::move(store), std::move(path), std::move(options)));
  AtomicObjectStore& s = *lock->store_;
  // Two rounds: the lock may vanish between a failed create and the read (its holder
  // released it), and then creating it again is the whole answer.
  for (int round = 0; round < 2 && lock->etag_.empty(); ++round) {
    ARROW_ASSIGN_OR_RAISE(auto created, s.CreateIfAbsent(lock->path_, lock->Body()));
    if (created) {
      lock->etag_ = *created;
      break;
    }
    ARROW_ASSIGN_OR_RAISE(auto current, s.Read(lock->path_));
    if (!current) continue;
    const LockHolder holder = ParseHolder(current->body);
    if (holder.owner == lock->owner_) {  // our create succeeded; only its answer was lost
      lock->etag_ = current->etag;
      break;
    }
    const int64_t remaining_ms = holder.expires_ms - lock->options_.now_ms();
    if (remaining_ms > 0) {
      return arrow::Status::IOError(
          "another merge or write is running on this dataset (its lock '", lock->path_,
          "' is held by ", holder.owner, " for ", (remaining_ms + 999) / 1000,
          " s more unless renewed); wait for it to finish. A holder that died loses the lock "
          "when that lease runs out");
    }
    ARROW_ASSIGN_OR_RAISE(auto replaced, s.ReplaceIfMatch(lock->path_, lock->Body(), current->etag));
    if (!replaced) {
      return arrow::Status::IOError("another merge or write took over the expired lock '",
                                    lock->path_, "' of ", holder.owner,
                                    " at the same moment; wait for it to finish");
    }
    lock->etag_ = *replaced;
    lock->took_over_ = true;
  }
  if (lock->etag_.empty()) {
    return arrow::Status::IOError("the lock '", lock->path_,
                                  "' keeps appearing and vanishing; another writer is busy on "
                                  "this dataset, try again");
  }
  if (lock->options_.renew_in_background) {
    LeaseLock* self = lock.get();
    lock->renewer_ = std::jthread([self](std::stop_token stop) { self->RenewUntilStopped(stop); });
  }
  return lock;
}

arrow::Status LeaseLock::Renew() {
  std::lock_guard<std::mutex> guard(mutex_);
  ARROW_RETURN_NOT_OK(lost_);
  ARROW_ASSIGN_OR_RAISE(auto renewed, store_->ReplaceIfMatch(path_, Body(), etag_));
  if (!renewed) {  // unless a retried request of ours is what changed the ETag
    ARROW_ASSIGN_OR_RAISE(auto current, store_->Read(path_));
    if (current && ParseHolder(current->body).owner == owner_) renewed = current->etag;
  }
  if (!renewed) {
    lost_ = arrow::Status::IOError(
        "this process lost the dataset lock '", path_,
        "': it was not renewed within its lease and another writer took it over; nothing was "
        "committed, run the operation again");
    return lost_;
  }
  etag_ = *renewed;
  return arrow::Status::OK();
}

arrow::Status LeaseLock::CheckHeld() { return Renew(); }

void LeaseLock::RenewUntilStopped(std::stop_token stop) {
  const auto interval = std::chrono::milliseconds(std::max<int64_t>(1, options_.lease_ms / 3));
  std::mutex wait_mutex;
  std::unique_lock<std::mutex> wait_lock(wait_mutex);
  while (!wake_.wait_for(wait_lock, stop, interval, [] { return false; })) {
    if (stop.stop_requested()) return;
    // A failed request (the network) is tried again next time; a lost lock is final and
    // is reported by CheckHeld before the commit.
    (void)Renew();
    std::lock_guard<std::mutex> guard(mutex_);
    if (!lost_.ok()) return;
  }
}

LeaseLock::~LeaseLock() {
  if (renewer_.joinable()) {
    renewer_.request_stop();
    renewer_.join();
  }
  std::lock_guard<std::mutex> guard(mutex_);
  if (lost_.ok() && !etag_.empty()) (void)store_->DeleteIfMatch(path_, etag_);
}

}  // namespace fsspeckit::io
