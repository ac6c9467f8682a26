// fsspeckit: the Arrow pool operations allocate from, counted with the default pool.
#include "fsspeckit/memory/operation_pool.h"

#include <cstdlib>
#include <string>

#include <arrow/memory_pool.h>

namespace fsspeckit::memory {
namespace {

// Allocates from `backend`; reports the bytes of `backend` and of `also_counted` (the
// default pool, when it is another pool) as its own.
class CountingPool final : public arrow::MemoryPool {
 public:
  CountingPool(arrow::MemoryPool* backend, arrow::MemoryPool* also_counted)
      : backend_(backend), also_counted_(also_counted) {}

  using arrow::MemoryPool::Allocate;
  using arrow::MemoryPool::Free;
  using arrow::MemoryPool::Reallocate;

  arrow::Status Allocate(int64_t size, int64_t alignment, uint8_t** out) override {
    return backend_->Allocate(size, alignment, out);
  }
  arrow::Status Reallocate(int64_t old_size, int64_t new_size, int64_t alignment,
                           uint8_t** ptr) override {
    return backend_->Reallocate(old_size, new_size, alignment, ptr);
  }
  void Free(uint8_t* buffer, int64_t size, int64_t alignment) override {
    backend_->Free(buffer, size, alignment);
  }
  void ReleaseUnused() override {
    backend_->ReleaseUnused();
    also_counted_->ReleaseUnused();
  }
  int64_t bytes_allocated() const override {
    return backend_->bytes_allocated() + also_counted_->bytes_allocated();
  }
  int64_t max_memory() const override {
    return backend_->max_memory() + also_counted_->max_memory();
  }
  int64_t total_bytes_allocated() const override {
    return backend_->total_bytes_allocated() + also_counted_->total_bytes_allocated();
  }
  int64_t num_allocations() const override {
    return backend_->num_allocations() + also_counted_->num_allocations();
  }
  std::string backend_name() const override { return backend_->backend_name(); }

 private:
  arrow::MemoryPool* backend_;
  arrow::MemoryPool* also_counted_;
};

arrow::Result<arrow::MemoryPool*> Backend(const std::string& name) {
  arrow::MemoryPool* pool = nullptr;
  if (name == "jemalloc") ARROW_RETURN_NOT_OK(arrow::jemalloc_memory_pool(&pool));
  if (name == "mimalloc") ARROW_RETURN_NOT_OK(arrow::mimalloc_memory_pool(&pool));
  if (name == "system") pool = arrow::system_memory_pool();
  if (!pool) return arrow::Status::Invalid("unknown pool");
  return pool;
}

arrow::MemoryPool* ChoosePool() {
  arrow::MemoryPool* fallback = arrow::default_memory_pool();
  const char* named = std::getenv(kOperationPoolVariable);
  if (!named || !*named) return fallback;
  arrow::Result<arrow::MemoryPool*> backend = Backend(named);
  // An unknown or missing backend: the default pool, as Arrow does for its own variable.
  if (!backend.ok() || *backend == fallback) return fallback;
  return new CountingPool(*backend, fallback);  // never freed: buffers may outlive main()
}

}  // namespace

arrow::MemoryPool* OperationPool() {
  static arrow::MemoryPool* const pool = ChoosePool();
  return pool;
}

}  // namespace fsspeckit::memory
