// fsspeckit: a batch source read ahead on a background thread, within a byte budget.
#pragma once

#include <cstdint>
#include <memory>

#include "fsspeckit/scan/batch_source.h"

namespace fsspeckit::scan {

/// Reads `inner` ahead on one background thread while the consumer works, holding at
/// most about `readahead_bytes` of batches read ahead (one batch more at most: a batch's
/// size is known once it is read). SetReadahead(false), which the ladder calls at
/// CRITICAL, stops reading ahead at once; batches already read are still handed out,
/// in order, and further ones are read when asked for. Errors come in order too.
/// `inner` is only ever read by one thread at a time, but from two different threads:
/// it must not need the caller's locks (a stream produced in Python would need the GIL).
std::unique_ptr<BatchSource> MakePrefetchSource(std::unique_ptr<BatchSource> inner,
                                                int64_t readahead_bytes);

}  // namespace fsspeckit::scan
