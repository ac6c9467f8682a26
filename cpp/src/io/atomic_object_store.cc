// fsspeckit: the conditional writes of an object store, which a lock on it needs.
#include "fsspeckit/io/atomic_object_store.h"

#include <mutex>

namespace fsspeckit::io {
namespace {

std::mutex& ProviderMutex() {
  static std::mutex mutex;
  return mutex;
}

AtomicStoreProvider& Provider() {
  static AtomicStoreProvider provider;
  return provider;
}

}  // namespace

arrow::Status AtomicObjectStore::Delete(const std::string& path) {
  return arrow::Status::NotImplemented("this store offers no plain delete (of '", path, "')");
}

void SetAtomicStoreProvider(AtomicStoreProvider provider) {
  std::lock_guard<std::mutex> lock(ProviderMutex());
  Provider() = std::move(provider);
}

arrow::Result<std::shared_ptr<AtomicObjectStore>> AtomicStoreFor(
    const std::shared_ptr<arrow::fs::FileSystem>& fs) {
  AtomicStoreProvider provider;
  {
    std::lock_guard<std::mutex> lock(ProviderMutex());
    provider = Provider();
  }
  if (!provider) return std::shared_ptr<AtomicObjectStore>();
  return provider(fs);
}

}  // namespace fsspeckit::io
