// fsspeckit: replacing some rows of a column in place, keeping every other row.
#include "merge/row_replacement_internal.h"

#include <cstring>
#include <limits>

#include <arrow/array/array_primitive.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/concatenate.h>
#include <arrow/buffer.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/initialize.h>
#include <arrow/datum.h>
#include <arrow/util/bitmap_ops.h>
#include <arrow/util/bit_util.h>

namespace fsspeckit::merge {
namespace {

namespace cp = arrow::compute;

// The target's validity with the replaced rows' taken from `replacements`; nullptr when
// neither has a null.
arrow::Result<std::shared_ptr<arrow::Buffer>> ReplacedValidity(const arrow::Array& target,
                                                               const std::vector<int64_t>& positions,
                                                               const arrow::Array& replacements,
                                                               arrow::MemoryPool* pool) {
  if (target.null_count() == 0 && replacements.null_count() == 0) return nullptr;
  const int64_t length = target.length();
  ARROW_ASSIGN_OR_RAISE(auto bitmap, arrow::AllocateBitmap(length, pool));
  if (target.null_bitmap_data() != nullptr) {
    arrow::internal::CopyBitmap(target.null_bitmap_data(), target.offset(), length,
                                bitmap->mutable_data(), 0);
  } else {
    arrow::bit_util::SetBitsTo(bitmap->mutable_data(), 0, length, true);
  }
  for (size_t k = 0; k < positions.size(); ++k) {
    arrow::bit_util::SetBitTo(bitmap->mutable_data(), positions[k],
                              replacements.IsValid(static_cast<int64_t>(k)));
  }
  return std::shared_ptr<arrow::Buffer>(std::move(bitmap));
}

// Fixed-width values of whole bytes (integers, floats, dates, decimals...): the target's
// values copied at once, the replaced ones written over them. A quarter of the time of
// ReplaceWithMask, which walks the mask in runs.
arrow::Result<std::shared_ptr<arrow::Array>> Scatter(const arrow::Array& target,
                                                     const std::vector<int64_t>& positions,
                                                     const arrow::Array& replacements,
                                                     int64_t byte_width, arrow::MemoryPool* pool) {
  const int64_t length = target.length();
  ARROW_ASSIGN_OR_RAISE(auto values, arrow::AllocateBuffer(length * byte_width, pool));
  uint8_t* out = values->mutable_data();
  const uint8_t* in = target.data()->buffers[1]->data() + target.offset() * byte_width;
  const uint8_t* replacing = replacements.data()->buffers[1]->data() + replacements.offset() * byte_width;
  if (length > 0) std::memcpy(out, in, length * byte_width);
  for (size_t k = 0; k < positions.size(); ++k) {
    std::memcpy(out + positions[k] * byte_width, replacing + k * byte_width, byte_width);
  }
  ARROW_ASSIGN_OR_RAISE(auto validity, ReplacedValidity(target, positions, replacements, pool));
  return arrow::MakeArray(arrow::ArrayData::Make(target.type(), length,
                                                 {std::move(validity), std::move(values)}));
}

// The offsets of a list-like column (a string is a list of bytes) whose replaced rows
// take the replacements' elements: the target's rows between two replaced ones move as
// one run. Elements are copied by `copy(from_target, first, count, out)` (element
// indices), once per run and once per replaced row.
template <typename Offset, typename Copy>
arrow::Result<std::shared_ptr<arrow::Buffer>> SpliceOffsets(int64_t length,
                                                            const std::vector<int64_t>& positions,
                                                            const Offset* in, const Offset* replacing,
                                                            arrow::MemoryPool* pool, Copy&& copy) {
  ARROW_ASSIGN_OR_RAISE(auto offsets, arrow::AllocateBuffer((length + 1) * sizeof(Offset), pool));
  auto* out = reinterpret_cast<Offset*>(offsets->mutable_data());
  Offset cursor = 0;
  int64_t row = 0;
  auto copy_run = [&](int64_t end) {  // target rows [row, end)
    const Offset count = in[end] - in[row];
    if (count > 0) copy(true, in[row], count, cursor);
    const Offset shift = cursor - in[row];
    for (int64_t i = row; i < end; ++i) out[i] = in[i] + shift;
    cursor += count;
  };
  for (size_t k = 0; k < positions.size(); ++k) {
    copy_run(positions[k]);
    const Offset count = replacing[k + 1] - replacing[k];
    out[positions[k]] = cursor;
    if (count > 0) copy(false, replacing[k], count, cursor);
    cursor += count;
    row = positions[k] + 1;
  }
  copy_run(length);
  out[length] = cursor;
  return std::shared_ptr<arrow::Buffer>(std::move(offsets));
}

// How many elements (bytes of a string column, values of a list column) the spliced
// column holds; refused past what its offset type can address.
template <typename Offset>
arrow::Result<int64_t> SplicedElements(const Offset* in, int64_t length, const Offset* replacing,
                                       const std::vector<int64_t>& positions) {
  int64_t elements = (in[length] - in[0]) + (replacing[positions.size()] - replacing[0]);
  for (int64_t p : positions) elements -= in[p + 1] - in[p];
  if (elements > std::numeric_limits<Offset>::max()) {
    return arrow::Status::CapacityError("replaced column holds ", elements,
                                        " values, more than its offset type allows");
  }
  return elements;
}

template <typename ArrayType>
arrow::Result<std::shared_ptr<arrow::Array>> Splice(const ArrayType& target,
                                                    const std::vector<int64_t>& positions,
                                                    const ArrayType& replacements,
                                                    arrow::MemoryPool* pool) {
  const auto* in = target.raw_value_offsets();
  const auto* replacing = replacements.raw_value_offsets();
  ARROW_ASSIGN_OR_RAISE(int64_t bytes, SplicedElements(in, target.length(), replacing, positions));
  ARROW_ASSIGN_OR_RAISE(auto data, arrow::AllocateBuffer(bytes, pool));
  uint8_t* out = data->mutable_data();
  ARROW_ASSIGN_OR_RAISE(
      auto offsets,
      SpliceOffsets(target.length(), positions, in, replacing, pool,
                    [&](bool from_target, int64_t first, int64_t count, int64_t at) {
                      const uint8_t* from = from_target ? target.raw_data() : replacements.raw_data();
                      std::memcpy(out + at, from + first, count);
                    }));
  ARROW_ASSIGN_OR_RAISE(auto validity, ReplacedValidity(target, positions, replacements, pool));
  return arrow::MakeArray(arrow::ArrayData::Make(target.type(), target.length(),
                                                 {std::move(validity), std::move(offsets),
                                                  std::move(data)}));
}

// The width in bytes of a type whose values are fixed-width whole bytes (integers,
// floats, dates, decimals...); 0 for any other (booleans, dictionaries, nested).
int64_t WholeByteWidth(const arrow::DataType& type) {
  if (!arrow::is_fixed_width(type.id()) || type.id() == arrow::Type::BOOL ||
      type.id() == arrow::Type::DICTIONARY || type.num_fields() != 0) {
    return 0;
  }
  const int bits = static_cast<const arrow::FixedWidthType&>(type).bit_width();
  return bits % 8 == 0 ? bits / 8 : 0;
}

// A list of fixed-width values spliced as strings are: runs of the target's rows with
// their values, each replaced row with its replacement's; nulls among the values kept.
template <typename ListArrayType>
arrow::Result<std::shared_ptr<arrow::Array>> SpliceList(const ListArrayType& target,
                                                        const std::vector<int64_t>& positions,
                                                        const ListArrayType& replacements,
                                                        int64_t width, arrow::MemoryPool* pool) {
  const arrow::Array& target_values = *target.values();
  const arrow::Array& replacing_values = *replacements.values();
  const auto* in = target.raw_value_offsets();
  const auto* replacing = replacements.raw_value_offsets();
  ARROW_ASSIGN_OR_RAISE(int64_t elements, SplicedElements(in, target.length(), replacing, positions));
  ARROW_ASSIGN_OR_RAISE(auto values, arrow::AllocateBuffer(elements * width, pool));
  std::shared_ptr<arrow::Buffer> value_validity;
  if (target_values.null_count() > 0 || replacing_values.null_count() > 0) {
    ARROW_ASSIGN_OR_RAISE(value_validity, arrow::AllocateBitmap(elements, pool));
  }
  auto copy = [&](bool from_target, int64_t first, int64_t count, int64_t at) {
    const arrow::Array& from = from_target ? target_values : replacing_values;
    std::memcpy(values->mutable_data() + at * width,
                from.data()->buffers[1]->data() + (from.offset() + first) * width, count * width);
    if (!value_validity) return;
    if (from.null_bitmap_data() != nullptr) {
      arrow::internal::CopyBitmap(from.null_bitmap_data(), from.offset() + first, count,
                                  value_validity->mutable_data(), at);
    } else {
      arrow::bit_util::SetBitsTo(value_validity->mutable_data(), at, count, true);
    }
  };
  ARROW_ASSIGN_OR_RAISE(auto offsets, SpliceOffsets(target.length(), positions, in, replacing, pool, copy));
  auto value_data = arrow::ArrayData::Make(target_values.type(), elements,
                                           {std::move(value_validity), std::move(values)});
  ARROW_ASSIGN_OR_RAISE(auto validity, ReplacedValidity(target, positions, replacements, pool));
  return arrow::MakeArray(arrow::ArrayData::Make(target.type(), target.length(),
                                                 {std::move(validity), std::move(offsets)},
                                                 {std::move(value_data)}));
}

// For the types nothing above handles (maps, lists of strings or structs...): both
// arrays concatenated, then taken in order. (Concatenating slices of the runs instead
// copies once, but costs more per slice: 1.35x slower with a replaced row in 20.)
arrow::Result<std::shared_ptr<arrow::Array>> Interleave(const arrow::Array& target,
                                                        const std::vector<int64_t>& positions,
                                                        const arrow::Array& replacements,
                                                        arrow::MemoryPool* pool) {
  arrow::Int64Builder order(pool);
  ARROW_RETURN_NOT_OK(order.Reserve(target.length()));
  size_t k = 0;
  for (int64_t i = 0; i < target.length(); ++i) {
    const bool replaced = k < positions.size() && positions[k] == i;
    order.UnsafeAppend(replaced ? target.length() + static_cast<int64_t>(k++) : i);
  }
  ARROW_ASSIGN_OR_RAISE(auto indices, order.Finish());
  ARROW_ASSIGN_OR_RAISE(auto both, arrow::Concatenate({target.Slice(0), replacements.Slice(0)}, pool));
  cp::ExecContext context(pool);
  ARROW_ASSIGN_OR_RAISE(arrow::Datum taken,
                        cp::Take(both, indices, cp::TakeOptions::Defaults(), &context));
  return taken.make_array();
}

}  // namespace

arrow::Result<RowReplacement> RowReplacement::Make(int64_t length, std::vector<int64_t> positions) {
  ARROW_RETURN_NOT_OK(cp::Initialize());  // ReplaceWithMask and Take; idempotent
  RowReplacement replacement;
  replacement.length_ = length;
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bits, arrow::AllocateEmptyBitmap(length));
  int64_t previous = -1;
  for (int64_t p : positions) {
    if (p <= previous || p >= length) {
      return arrow::Status::Invalid("replaced row positions must ascend below ", length);
    }
    arrow::bit_util::SetBit(bits->mutable_data(), p);
    previous = p;
  }
  replacement.mask_ = std::make_shared<arrow::BooleanArray>(length, std::move(bits));
  replacement.positions_ = std::move(positions);
  return replacement;
}

arrow::Result<std::shared_ptr<arrow::Array>> RowReplacement::Apply(
    const std::shared_ptr<arrow::Array>& target,
    const std::shared_ptr<arrow::Array>& replacements, arrow::MemoryPool* pool) const {
  if (target->length() != length_ ||
      replacements->length() != static_cast<int64_t>(positions_.size()) ||
      !target->type()->Equals(*replacements->type())) {
    return arrow::Status::Invalid("replacement rows do not fit the column: ", target->length(),
                                  " rows of ", target->type()->ToString(), " for ", length_,
                                  ", and ", replacements->length(), " replacements of ",
                                  replacements->type()->ToString());
  }
  switch (target->type_id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return Splice(static_cast<const arrow::BinaryArray&>(*target), positions_,
                    static_cast<const arrow::BinaryArray&>(*replacements), pool);
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return Splice(static_cast<const arrow::LargeBinaryArray&>(*target), positions_,
                    static_cast<const arrow::LargeBinaryArray&>(*replacements), pool);
    case arrow::Type::LIST:
      if (const int64_t width = WholeByteWidth(*target->type()->field(0)->type()); width > 0) {
        return SpliceList(static_cast<const arrow::ListArray&>(*target), positions_,
                          static_cast<const arrow::ListArray&>(*replacements), width, pool);
      }
      break;
    case arrow::Type::LARGE_LIST:
      if (const int64_t width = WholeByteWidth(*target->type()->field(0)->type()); width > 0) {
        return SpliceList(static_cast<const arrow::LargeListArray&>(*target), positions_,
                          static_cast<const arrow::LargeListArray&>(*replacements), width, pool);
      }
      break;
    case arrow::Type::STRUCT:
      return ReplaceFields(static_cast<const arrow::StructArray&>(*target),
                           static_cast<const arrow::StructArray&>(*replacements), pool);
    default:
      break;
  }
  if (const int64_t width = WholeByteWidth(*target->type()); width > 0) {
    return Scatter(*target, positions_, *replacements, width, pool);
  }
  cp::ExecContext context(pool);
  auto replaced = cp::ReplaceWithMask(target, mask_, replacements, &context);
  if (replaced.ok()) return replaced->make_array();
  if (!replaced.status().IsNotImplemented()) return replaced.status();
  return Interleave(*target, positions_, *replacements, pool);
}

// A struct's fields are replaced one by one, each the fastest way its type allows.
arrow::Result<std::shared_ptr<arrow::Array>> RowReplacement::ReplaceFields(
    const arrow::StructArray& target, const arrow::StructArray& replacements,
    arrow::MemoryPool* pool) const {
  std::vector<std::shared_ptr<arrow::ArrayData>> fields;
  for (int i = 0; i < target.num_fields(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto field, Apply(target.field(i), replacements.field(i), pool));
    fields.push_back(field->data());
  }
  ARROW_ASSIGN_OR_RAISE(auto validity, ReplacedValidity(target, positions_, replacements, pool));
  return arrow::MakeArray(arrow::ArrayData::Make(target.type(), length_, {std::move(validity)},
                                                 std::move(fields)));
}

}  // namespace fsspeckit::merge
