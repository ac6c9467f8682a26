// fsspeckit: exact, hash-based matching of merge keys (single or composite, any type).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/table.h>

namespace fsspeckit::merge {

/// The type keys are compared in: integers as int64, uint64 as uint64 (int32 1 equals
/// int64 1 equals uint64 1; 2^63 as a uint64 equals no int64), floats as float64 with
/// every NaN equal to every NaN and -0.0 equal to 0.0, string kinds as utf8, binary kinds
/// (fixed_size_binary too) as binary, dates as date64, times as time64[ns], dictionaries
/// as their values, extension types (uuid, ...) as their storage; timestamps, durations
/// and decimals as they are (another unit or scale is compared by value on lookup).
std::shared_ptr<arrow::DataType> CanonicalKeyType(const std::shared_ptr<arrow::DataType>& type);

/// TypeError naming the column and its type when `type` cannot be a key (lists, structs,
/// maps, null, ...): only scalars have one value to compare.
arrow::Status CheckKeyType(const std::string& column, const std::shared_ptr<arrow::DataType>& type);

/// `keys` cast to `canonical` (from CanonicalKeyType of their own type), NaN and -0.0
/// normalised.
arrow::Result<std::shared_ptr<arrow::Array>> CanonicalKeys(
    const std::shared_ptr<arrow::Array>& keys, const std::shared_ptr<arrow::DataType>& canonical);

/// The source's keys in a hash table (Arrow's Grouper). Null equals null, composite keys
/// match only when every component matches, and of several source rows with one key
/// the last wins. Lookups are thread-safe: a Grouper is not, so they take turns. One
/// Grouper, not one per thread: a second copy doubled the index's memory (about 28 MiB
/// per million int64 keys) and the time to build it.
/// A single integer key column without nulls is kept sorted instead (key i has id i): a
/// batch whose keys ascend (a file written in key order, the usual layout) is answered
/// by walking both in step, without the lock; hashing every target row was a fifth of a
/// merge's CPU where every file is rewritten (bench_matrix, random-narrow-all). The
/// Grouper is built from the sorted keys only when a batch's keys do not ascend.
class KeyIndex {
 public:
  /// Invalid when a key column is missing from `source`. Source rows are numbered across
  /// the table's batches (winning_rows() refers to them).
  /// The hash table lives in `pool` (which must outlive the index).
  static arrow::Result<std::unique_ptr<KeyIndex>> Make(
      const arrow::Table& source, std::vector<std::string> key_columns,
      arrow::MemoryPool* pool = arrow::default_memory_pool());
  static arrow::Result<std::unique_ptr<KeyIndex>> Make(
      const arrow::RecordBatch& source, std::vector<std::string> key_columns,
      arrow::MemoryPool* pool = arrow::default_memory_pool());

  /// TypeError naming the column when `target`'s key columns cannot be compared with
  /// the source's (string against int64, say); KeyError when one is missing. Types of one
  /// kind compare by value: integers of any width and sign, timestamps of any unit (with
  /// a time zone or both without), durations, decimals of any precision and scale.
  arrow::Status CheckComparable(const arrow::Schema& target, const std::string& target_name) const;

  /// Per row of `batch` (which holds the key columns, found by name): the key's id in
  /// the source, or null when the source does not have that key (a value the source's
  /// type cannot hold, such as a uint64 past 2^63 against int64 keys, has none).
  arrow::Result<std::shared_ptr<arrow::UInt32Array>> Lookup(const arrow::RecordBatch& batch);

  /// Distinct keys in the source.
  int64_t num_keys() const { return static_cast<int64_t>(winning_rows_.size()); }
  /// Per key id: the source row that wins (the last one with that key).
  const std::vector<int64_t>& winning_rows() const { return winning_rows_; }
  const std::vector<std::string>& key_columns() const { return key_columns_; }
  /// The pool the index lives in: planning reads the dataset's keys from it too.
  arrow::MemoryPool* pool() const { return context_->memory_pool(); }
  const std::vector<std::shared_ptr<arrow::DataType>>& canonical_types() const {
    return canonical_types_;
  }

 private:
  KeyIndex() = default;
  // For one integer key column: the source's distinct keys ascending, with their ids.
  // Keys are held as int64 in an order-preserving form (uint64 with its top bit
  // flipped), so one walk serves both signs.
  arrow::Status MakeGrouper();
  arrow::Status BuildSorted(std::vector<std::pair<int64_t, int64_t>> pairs);
  arrow::Status HashSortedKeys();
  std::shared_ptr<arrow::UInt32Array> AsSortedPositions(std::shared_ptr<arrow::UInt32Array> ids) const;
  // Ids by walking `keys` (non-null, ascending) beside sorted_keys_; null when they do not
  // ascend, for the Grouper to answer.
  arrow::Result<std::shared_ptr<arrow::UInt32Array>> LookupAscending(const arrow::Array& keys) const;
  // Lookup of keys already in the canonical types.
  arrow::Result<std::shared_ptr<arrow::UInt32Array>> LookupCanonical(std::vector<arrow::Datum> keys,
                                                                     int64_t num_rows);
  template <typename T>
  arrow::Result<std::shared_ptr<arrow::UInt32Array>> LookupAscending(const T* values, int64_t n) const;
  std::vector<std::string> key_columns_;
  std::vector<std::shared_ptr<arrow::DataType>> key_types_;  // the source's, for messages
  std::vector<std::shared_ptr<arrow::DataType>> canonical_types_;
  std::unique_ptr<arrow::compute::ExecContext> context_;  // the grouper's pool
  std::mutex mutex_;  // guards grouper_'s lookups
  std::unique_ptr<arrow::compute::Grouper> grouper_;
  std::vector<int64_t> winning_rows_;
  // Read-only after Make, so lookups through them need no lock; in the Arrow pool, so the
  // merge's memory budget sees them (12 bytes per distinct key).
  std::shared_ptr<arrow::Buffer> sorted_keys_;  // int64 (order-preserving form), ascending, distinct
  int64_t num_sorted_ = 0;
  // Per Grouper id, the key's sorted position; null when the two agree (set with grouper_).
  std::shared_ptr<arrow::Buffer> sorted_positions_;
};

}  // namespace fsspeckit::merge
