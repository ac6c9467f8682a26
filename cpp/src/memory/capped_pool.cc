// fsspeckit: a memory pool whose allocations fail beyond a budget, instead of overshooting.
#include "fsspeckit/memory/capped_pool.h"

#include <algorithm>
#include <string>

#include "fsspeckit/memory/budget_error.h"
#include "fsspeckit/memory/byte_text.h"

#include "fsspeckit/memory/memory_snapshot.h"

namespace fsspeckit::memory {
namespace {

constexpr std::string_view kRefusal = " would take the Arrow pool from ";

}  // namespace

bool IsCappedPoolRefusal(std::string_view message) {
  return message.find(kRefusal) != std::string_view::npos;
}

CappedMemoryPool::CappedMemoryPool(arrow::MemoryPool* parent, int64_t limit_bytes)
    : parent_(parent), limit_bytes_(limit_bytes) {}

arrow::Status CappedMemoryPool::Admit(int64_t growth_bytes) const {
  const int64_t held = parent_->bytes_allocated();
  // Nothing more is always fine, even when allocations elsewhere passed the limit.
  if (growth_bytes <= 0 || growth_bytes <= limit_bytes_ - held) return arrow::Status::OK();
  return BudgetExceeded("allocating " + std::to_string(growth_bytes) + " bytes" +
                            std::string(kRefusal) + MibText(held) + " past its budget of " +
                            MibText(limit_bytes_),
                        {Limit::kPool});
}

arrow::Status CappedMemoryPool::Allocate(int64_t size, int64_t alignment, uint8_t** out) {
  std::lock_guard<std::mutex> lock(mutex_);
  ARROW_RETURN_NOT_OK(Admit(size));
  ARROW_RETURN_NOT_OK(parent_->Allocate(size, alignment, out));
  stats_.DidAllocateBytes(size);
  parent_peak_bytes_ = std::max(parent_peak_bytes_, parent_->bytes_allocated());
  return arrow::Status::OK();
}

arrow::Status CappedMemoryPool::Reallocate(int64_t old_size, int64_t new_size, int64_t alignment,
                                           uint8_t** ptr) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A reallocation may hold old and new buffers at once: the growth is what is checked,
  // as the parent counts it.
  ARROW_RETURN_NOT_OK(Admit(new_size - old_size));
  ARROW_RETURN_NOT_OK(parent_->Reallocate(old_size, new_size, alignment, ptr));
  stats_.DidReallocateBytes(old_size, new_size);
  parent_peak_bytes_ = std::max(parent_peak_bytes_, parent_->bytes_allocated());
  return arrow::Status::OK();
}

void CappedMemoryPool::Free(uint8_t* buffer, int64_t size, int64_t alignment) {
  parent_->Free(buffer, size, alignment);
  stats_.DidFreeBytes(size);
}

int64_t CappedMemoryPool::parent_peak_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return parent_peak_bytes_;
}

}  // namespace fsspeckit::memory
