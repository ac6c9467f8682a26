// fsspeckit: a memory pool whose allocations fail beyond a budget, instead of overshooting.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <arrow/memory_pool.h>

namespace fsspeckit::memory {

/// Allocates from `parent`, refusing with OutOfMemory any allocation (or growth) that
/// would take the parent's bytes_allocated() past `limit_bytes`: everything the parent
/// holds counts (a caller's tables too), so the budget is the parent pool's, as the
/// MemoryMonitor reads it. Admissions take turns, so allocations made at once through
/// this pool cannot pass the limit together; allocations made from the parent directly
/// are not refused, but count. A refusal carries a BudgetError for Limit::kPool.
class CappedMemoryPool : public arrow::MemoryPool {
 public:
  CappedMemoryPool(arrow::MemoryPool* parent, int64_t limit_bytes);

  using arrow::MemoryPool::Allocate;
  using arrow::MemoryPool::Free;
  using arrow::MemoryPool::Reallocate;

  arrow::Status Allocate(int64_t size, int64_t alignment, uint8_t** out) override;
  arrow::Status Reallocate(int64_t old_size, int64_t new_size, int64_t alignment,
                           uint8_t** ptr) override;
  void Free(uint8_t* buffer, int64_t size, int64_t alignment) override;
  void ReleaseUnused() override { parent_->ReleaseUnused(); }

  /// What this pool holds (allocated through it, not yet freed) and its peak.
  int64_t bytes_allocated() const override { return stats_.bytes_allocated(); }
  int64_t max_memory() const override { return stats_.max_memory(); }
  int64_t total_bytes_allocated() const override { return stats_.total_bytes_allocated(); }
  int64_t num_allocations() const override { return stats_.num_allocations(); }
  std::string backend_name() const override { return parent_->backend_name(); }

  /// The parent's bytes_allocated() at its highest right after an allocation through
  /// this pool: the parent's peak while this pool was used, as far as it saw it.
  int64_t parent_peak_bytes() const;
  int64_t limit_bytes() const { return limit_bytes_; }
  /// What the parent may still grow by before reaching the limit (negative when past).
  int64_t available_bytes() const { return limit_bytes_ - parent_->bytes_allocated(); }

 private:
  arrow::Status Admit(int64_t growth_bytes) const;

  arrow::MemoryPool* parent_;
  int64_t limit_bytes_;
  mutable std::mutex mutex_;  // one admission at a time: check and allocate together
  int64_t parent_peak_bytes_ = 0;
  arrow::internal::MemoryPoolStats stats_;
};

/// Whether `message` is (or quotes) a CappedMemoryPool's refusal: for the places that
/// turn a refused allocation into an exception carrying only its message.
bool IsCappedPoolRefusal(std::string_view message);

}  // namespace fsspeckit::memory
