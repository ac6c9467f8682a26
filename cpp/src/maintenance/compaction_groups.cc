// fsspeckit: which files of one partition folder a compaction rewrites together.
#include "maintenance/compaction_groups_internal.h"

#include <algorithm>

namespace fsspeckit::maintenance {

Packing PackCompactionGroups(const std::vector<PlannedFile>& files, const std::vector<int>& partition,
                             std::optional<int64_t> target_bytes, std::optional<int64_t> target_rows,
                             const std::optional<std::string>& rewrite_codec) {
  Packing packing;
  auto over_rows = [&](int f) { return target_rows && files[f].num_rows > *target_rows; };
  auto other_codec = [&](int f) { return rewrite_codec && files[f].codec != *rewrite_codec; };
  std::vector<int> candidates;
  std::vector<SkippedFile> left;
  for (int f : partition) {
    if (!target_bytes || files[f].size_bytes < *target_bytes || over_rows(f)) {
      candidates.push_back(f);
    } else {
      left.push_back({f, files[f].size_bytes == *target_bytes ? "at_target_size" : "over_target_size"});
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](int a, int b) { return files[a].size_bytes < files[b].size_bytes; });
  std::vector<int> group;
  int64_t group_bytes = 0, group_rows = 0;
  auto close = [&] {
    if (group.size() >= 2 || (group.size() == 1 && (over_rows(group[0]) || other_codec(group[0])))) {
      std::sort(group.begin(), group.end());  // indices follow path order
      packing.groups.push_back(group);
    } else if (group.size() == 1) {
      left.push_back({group[0], "singleton_partition"});
    }
    group.clear();
    group_bytes = group_rows = 0;
  };
  for (int f : candidates) {
    const bool fits = (!target_bytes || group_bytes + files[f].size_bytes <= *target_bytes) &&
                      (!target_rows || group_rows + files[f].num_rows <= *target_rows);
    if (!group.empty() && !fits) close();
    group.push_back(f);
    group_bytes += files[f].size_bytes;
    group_rows += files[f].num_rows;
  }
  close();
  for (const SkippedFile& skip : left) {
    if (other_codec(skip.file)) {
      packing.groups.push_back({skip.file});
    } else {
      packing.skipped.push_back(skip);
    }
  }
  std::sort(packing.groups.begin(), packing.groups.end(),
            [](const std::vector<int>& a, const std::vector<int>& b) { return a[0] < b[0]; });
  std::sort(packing.skipped.begin(), packing.skipped.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.file < b.file; });
  return packing;
}

}  // namespace fsspeckit::maintenance
