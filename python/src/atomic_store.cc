// fsspeckit: conditional object writes from Python (botocore) for the C++ dataset lock.
#include <memory>
#include <optional>
#include <string>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include "fsspeckit/io/atomic_object_store.h"
#include "fsspeckit/io/s3_atomic_store.h"
#include "init.h"
#include "py_object.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

// Calls made by the lock from any thread (its lease is renewed in the background):
// each takes the GIL, and what Python raises becomes an IOError Status.
class PyAtomicStore : public io::AtomicObjectStore {
 public:
  explicit PyAtomicStore(nb::object store) : store_(ShareWithThreads(std::move(store))) {}

  arrow::Result<std::optional<io::StoredObject>> Read(const std::string& path) override {
    return Call<std::optional<io::StoredObject>>("read", [&](nb::object result) {
      if (result.is_none()) return std::optional<io::StoredObject>();
      nb::bytes body = nb::cast<nb::bytes>(result[0]);
      return std::optional<io::StoredObject>(
          io::StoredObject{std::string(body.c_str(), body.size()), nb::cast<std::string>(result[1])});
    }, nb::str(path.c_str()));
  }
  arrow::Result<std::optional<std::string>> CreateIfAbsent(const std::string& path,
                                                           const std::string& body) override {
    return Call<std::optional<std::string>>("create", Etag, nb::str(path.c_str()),
                                            nb::bytes(body.data(), body.size()));
  }
  arrow::Result<std::optional<std::string>> ReplaceIfMatch(const std::string& path,
                                                           const std::string& body,
                                                           const std::string& etag) override {
    return Call<std::optional<std::string>>("replace", Etag, nb::str(path.c_str()),
                                            nb::bytes(body.data(), body.size()),
                                            nb::str(etag.c_str()));
  }
  arrow::Result<bool> DeleteIfMatch(const std::string& path, const std::string& etag) override {
    return Call<bool>("delete", [](nb::object result) { return nb::cast<bool>(result); },
                      nb::str(path.c_str()), nb::str(etag.c_str()));
  }

 private:
  static std::optional<std::string> Etag(nb::object result) {
    if (result.is_none()) return std::nullopt;
    return nb::cast<std::string>(result);
  }

  template <typename T, typename Convert, typename... Args>
  arrow::Result<T> Call(const char* method, Convert convert, Args&&... args) {
    nb::gil_scoped_acquire gil;
    try {
      return convert(store_->attr(method)(std::forward<Args>(args)...));
    } catch (nb::python_error& e) {
      return arrow::Status::IOError("the lock's ", method, " request failed: ", e.what());
    } catch (const std::exception& e) {
      return arrow::Status::IOError("the lock's ", method, " request returned an unexpected value: ",
                                    e.what());
    }
  }

  std::shared_ptr<nb::object> store_;
};

void ReleaseFileSystem(PyObject* capsule) {
  delete static_cast<std::shared_ptr<arrow::fs::FileSystem>*>(
      PyCapsule_GetPointer(capsule, "fsspeckit.arrow_filesystem"));
}

// Asks fsspeckit._lock_store (imported on first use, not at import: the stub generator
// imports _core alone) for the conditional writes of the filesystem.
std::shared_ptr<io::AtomicObjectStore> StoreFor(const std::shared_ptr<arrow::fs::FileSystem>& fs) {
  if (!Py_IsInitialized()) return nullptr;
  nb::gil_scoped_acquire gil;
  auto* held = new std::shared_ptr<arrow::fs::FileSystem>(fs);
  nb::object capsule = nb::steal(PyCapsule_New(held, "fsspeckit.arrow_filesystem", ReleaseFileSystem));
  if (!capsule.is_valid()) {
    delete held;
    PyErr_Clear();
    return nullptr;
  }
  nb::object store = nb::module_::import_("fsspeckit._lock_store").attr("store_for")(capsule);
  if (store.is_none()) return nullptr;
  return std::make_shared<PyAtomicStore>(std::move(store));
}

}  // namespace

void InitAtomicStore(nb::module_&) {
  io::SetAtomicStoreProvider([](const std::shared_ptr<arrow::fs::FileSystem>& fs)
                                 -> std::shared_ptr<io::AtomicObjectStore> {
    // Arrow's S3 through libcurl, as the native CLI: no botocore client to build (about
    // 150 ms in a fresh process, on the critical path of every merge) and no GIL for
    // the renewals. Python's botocore where libcurl cannot be loaded, and for fsspec's
    // filesystems.
    arrow::Result<std::shared_ptr<io::AtomicObjectStore>> native = io::S3AtomicStoreFor(fs);
    if (native.ok() && *native) return *native;
    try {
      return StoreFor(fs);
    } catch (const std::exception&) {
      // A store that cannot be built leaves the filesystem without one: the lock then
      // refuses (or honours single_writer) with its own clear message.
      return nullptr;
    }
  });
}

}  // namespace fsspeckit::python
