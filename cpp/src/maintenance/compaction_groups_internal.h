// fsspeckit: which files of one partition folder a compaction rewrites together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fsspeckit/maintenance/plan.h"

namespace fsspeckit::maintenance {

struct Packing {
  std::vector<std::vector<int>> groups;  ///< file indices, each group in path order
  std::vector<SkippedFile> skipped;
};

/// The original's grouping (plan_compaction_groups), for the files `partition` (indices
/// into `files`, in path order) of one folder:
///  - candidates are the files under `target_bytes` (all when absent) and those over
///    `target_rows`; the others are skipped "at_target_size" or "over_target_size";
///  - candidates, smallest first (ties in path order), are packed greedily while the
///    group stays within both targets;
///  - a group of one file is kept only when it holds more than `target_rows` (it is
///    split) or, with `rewrite_codec`, when its codec is not that one; else it is
///    skipped "singleton_partition". Skipped files in another codec than `rewrite_codec`
///    become groups of their own too.
/// Groups come out ordered by their first file's path.
Packing PackCompactionGroups(const std::vector<PlannedFile>& files, const std::vector<int>& partition,
                             std::optional<int64_t> target_bytes, std::optional<int64_t> target_rows,
                             const std::optional<std::string>& rewrite_codec);

}  // namespace fsspeckit::maintenance
