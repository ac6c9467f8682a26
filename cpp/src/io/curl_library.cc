// fsspeckit: libcurl, loaded at run time, for the few HTTP requests Arrow cannot make.
#include "io/curl_library_internal.h"

#include <dlfcn.h>

#include <string>

namespace fsspeckit::io {
namespace {

arrow::Status NotLoaded(const char* library_name, const std::string& why) {
  return arrow::Status::IOError(
      "cannot load ", library_name, " (", why,
      "), which the native fsspeckit needs for the conditional requests of the S3 dataset "
      "lock: install libcurl4 (Debian/Ubuntu; libcurl on Fedora), or pass --single-writer "
      "if no other process writes the dataset meanwhile");
}

template <typename Function>
arrow::Status Resolve(void* handle, const char* library_name, const char* symbol,
                      Function& function) {
  function = reinterpret_cast<Function>(::dlsym(handle, symbol));
  if (function == nullptr) return NotLoaded(library_name, std::string("it has no ") + symbol);
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<CurlLibrary> OpenCurlLibrary(const char* library_name) {
  // Never closed: libcurl keeps global state (TLS) for the life of the process.
  void* handle = ::dlopen(library_name, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return NotLoaded(library_name, why ? why : "dlopen failed");
  }
  CurlLibrary curl{};
  int (*global_init)(long flags) = nullptr;
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_global_init", global_init));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_easy_init", curl.easy_init));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_easy_setopt", curl.easy_setopt));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_easy_perform", curl.easy_perform));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_easy_getinfo", curl.easy_getinfo));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_easy_cleanup", curl.easy_cleanup));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_easy_reset", curl.easy_reset));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_easy_strerror", curl.easy_strerror));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_slist_append", curl.slist_append));
  ARROW_RETURN_NOT_OK(Resolve(handle, library_name, "curl_slist_free_all", curl.slist_free_all));
  // Not thread-safe in older libcurls: done once, before any request (LoadCurlLibrary).
  const int initialised = global_init(curl::kGlobalDefault);
  if (initialised != curl::kOk) {
    return NotLoaded(library_name, "curl_global_init failed: " +
                                       std::string(curl.easy_strerror(initialised)));
  }
  return curl;
}

arrow::Result<const CurlLibrary*> LoadCurlLibrary() {
  // A function-local static is initialised once, even with threads racing to it.
  static const arrow::Result<CurlLibrary> loaded = OpenCurlLibrary(kCurlSoname);
  ARROW_RETURN_NOT_OK(loaded.status());
  return &loaded.ValueUnsafe();
}

}  // namespace fsspeckit::io
