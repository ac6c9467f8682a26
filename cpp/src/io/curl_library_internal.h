// fsspeckit: libcurl, loaded at run time, for the few HTTP requests Arrow cannot make.
#pragma once

#include <cstddef>
#include <cstdint>

#include <arrow/result.h>

namespace fsspeckit::io {

// No curl headers are needed to build fsspeckit (a fresh machine has only the runtime
// library, libcurl4), so the part of libcurl's API used here is declared below. libcurl's
// ABI (soname libcurl.so.4) has been stable since 7.16.0 (2006): functions keep their
// signatures and CURLOPT_* / CURLINFO_* / CURLcode values are never renumbered
// (curl's docs/libcurl/ABI.md, include/curl/curl.h).
namespace curl {

struct Slist;  // struct curl_slist, only passed back to libcurl
using Easy = void;  // CURL

// CURLOPT_* = type base + number: LONG 0, OBJECTPOINT/STRINGPOINT/SLISTPOINT 10000,
// FUNCTIONPOINT 20000, OFF_T 30000.
enum Option : int {
  kWriteData = 10001,          // CURLOPT_WRITEDATA
  kUrl = 10002,                // CURLOPT_URL
  kUserPwd = 10005,            // CURLOPT_USERPWD
  kErrorBuffer = 10010,        // CURLOPT_ERRORBUFFER
  kWriteFunction = 20011,      // CURLOPT_WRITEFUNCTION
  kPostFields = 10015,         // CURLOPT_POSTFIELDS
  kHttpHeader = 10023,         // CURLOPT_HTTPHEADER
  kHeaderData = 10029,         // CURLOPT_HEADERDATA
  kCustomRequest = 10036,      // CURLOPT_CUSTOMREQUEST
  kSslVerifyPeer = 64,         // CURLOPT_SSL_VERIFYPEER
  kCaInfo = 10065,             // CURLOPT_CAINFO
  kHeaderFunction = 20079,     // CURLOPT_HEADERFUNCTION
  kSslVerifyHost = 81,         // CURLOPT_SSL_VERIFYHOST
  kNoSignal = 99,              // CURLOPT_NOSIGNAL
  kPostFieldSizeLarge = 30120, // CURLOPT_POSTFIELDSIZE_LARGE
  kTimeoutMs = 155,            // CURLOPT_TIMEOUT_MS
  kConnectTimeoutMs = 156,     // CURLOPT_CONNECTTIMEOUT_MS
  kAwsSigV4 = 10305,           // CURLOPT_AWS_SIGV4 (libcurl 7.75.0)
};
inline constexpr int kInfoResponseCode = 0x200002;  // CURLINFO_RESPONSE_CODE (LONG + 2)
inline constexpr int kOk = 0;                       // CURLE_OK
inline constexpr int kUnknownOption = 48;           // CURLE_UNKNOWN_OPTION
inline constexpr long kGlobalDefault = 3;           // CURL_GLOBAL_DEFAULT (SSL | WIN32)
inline constexpr size_t kErrorBufferBytes = 256;    // CURL_ERROR_SIZE

using WriteCallback = size_t (*)(char* data, size_t size, size_t count, void* user);

}  // namespace curl

/// The libcurl functions fsspeckit calls, resolved from libcurl.so.4.
struct CurlLibrary {
  curl::Easy* (*easy_init)();
  int (*easy_setopt)(curl::Easy*, int option, ...);
  int (*easy_perform)(curl::Easy*);
  int (*easy_getinfo)(curl::Easy*, int info, ...);
  void (*easy_cleanup)(curl::Easy*);
  void (*easy_reset)(curl::Easy*);  ///< options back to defaults; connections kept
  const char* (*easy_strerror)(int code);
  curl::Slist* (*slist_append)(curl::Slist*, const char*);
  void (*slist_free_all)(curl::Slist*);
};

inline constexpr const char* kCurlSoname = "libcurl.so.4";

/// libcurl, loaded (and globally initialised) once per process on first use; an error
/// naming what is missing and how to get it when it cannot be loaded.
arrow::Result<const CurlLibrary*> LoadCurlLibrary();

/// Loads `library_name` and resolves the functions (tests name a missing library).
arrow::Result<CurlLibrary> OpenCurlLibrary(const char* library_name);

}  // namespace fsspeckit::io
