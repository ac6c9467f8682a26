// fsspeckit: Arrow view types (string_view, binary_view, list_view) replaced at the edge.
#include "fsspeckit/io/view_types.h"

#include "mapped_reader.h"

#include <arrow/array/array_nested.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/buffer_builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/memory_pool.h>

namespace fsspeckit::io {
namespace {

// The field with its type replaced, or the same field when nothing changed.
std::shared_ptr<arrow::Field> FieldWithoutViewTypes(const std::shared_ptr<arrow::Field>& field) {
  auto type = WithoutViewTypes(field->type());
  return type == field->type() ? field : field->WithType(std::move(type));
}

arrow::FieldVector ChildrenWithoutViewTypes(const arrow::DataType& type, bool* changed) {
  arrow::FieldVector children;
  for (const auto& child : type.fields()) {
    children.push_back(FieldWithoutViewTypes(child));
    *changed = *changed || children.back() != child;
  }
  return children;
}

// A list_view as a list: the values each row points at, gathered in row order.
// (ListArray::FromListView and Arrow 26's cast both mishandle sliced list_views.)
template <typename ViewArray, typename ListArray, typename OffsetBuilder>
arrow::Result<std::shared_ptr<arrow::Array>> ListFromView(const arrow::Array& array) {
  const auto& view = static_cast<const ViewArray&>(array);
  OffsetBuilder offsets;
  arrow::Int64Builder gather;
  arrow::TypedBufferBuilder<bool> validity;
  ARROW_RETURN_NOT_OK(offsets.Reserve(view.length() + 1));
  ARROW_RETURN_NOT_OK(validity.Reserve(view.length()));
  int64_t next = 0;
  for (int64_t i = 0; i < view.length(); ++i) {
    offsets.UnsafeAppend(static_cast<typename OffsetBuilder::value_type>(next));
    validity.UnsafeAppend(view.IsValid(i));
    if (view.IsNull(i)) continue;
    for (int64_t j = 0; j < view.value_length(i); ++j) {
      ARROW_RETURN_NOT_OK(gather.Append(view.value_offset(i) + j));
    }
    next += view.value_length(i);
  }
  offsets.UnsafeAppend(static_cast<typename OffsetBuilder::value_type>(next));
  ARROW_ASSIGN_OR_RAISE(auto offset_array, offsets.Finish());
  ARROW_ASSIGN_OR_RAISE(auto indices, gather.Finish());
  ARROW_ASSIGN_OR_RAISE(auto plain_values, WithoutViewTypes(view.values()));  // take has no view kernels
  ARROW_ASSIGN_OR_RAISE(arrow::Datum values, arrow::compute::Take(plain_values, indices));
  ARROW_ASSIGN_OR_RAISE(auto bitmap, validity.Finish());
  return ListArray::FromArrays(*offset_array, *values.make_array(), arrow::default_memory_pool(),
                               bitmap, view.null_count());
}


}  // namespace

std::shared_ptr<arrow::DataType> WithoutViewTypes(const std::shared_ptr<arrow::DataType>& type) {
  bool changed = false;
  switch (type->id()) {
    case arrow::Type::STRING_VIEW:
      return arrow::utf8();
    case arrow::Type::BINARY_VIEW:
      return arrow::binary();
    case arrow::Type::LIST_VIEW:
    case arrow::Type::LIST: {
      auto value = FieldWithoutViewTypes(type->field(0));
      if (type->id() == arrow::Type::LIST && value == type->field(0)) return type;
      return arrow::list(std::move(value));
    }
    case arrow::Type::LARGE_LIST_VIEW:
    case arrow::Type::LARGE_LIST: {
      auto value = FieldWithoutViewTypes(type->field(0));
      if (type->id() == arrow::Type::LARGE_LIST && value == type->field(0)) return type;
      return arrow::large_list(std::move(value));
    }
    case arrow::Type::FIXED_SIZE_LIST: {
      auto value = FieldWithoutViewTypes(type->field(0));
      if (value == type->field(0)) return type;
      return arrow::fixed_size_list(
          std::move(value), static_cast<const arrow::FixedSizeListType&>(*type).list_size());
    }
    case arrow::Type::STRUCT: {
      auto children = ChildrenWithoutViewTypes(*type, &changed);
      return changed ? arrow::struct_(std::move(children)) : type;
    }
    case arrow::Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(*type);
      auto key = FieldWithoutViewTypes(map.key_field());
      auto item = FieldWithoutViewTypes(map.item_field());
      if (key == map.key_field() && item == map.item_field()) return type;
      return std::make_shared<arrow::MapType>(std::move(key), std::move(item), map.keys_sorted());
    }
    case arrow::Type::DICTIONARY: {
      const auto& dictionary = static_cast<const arrow::DictionaryType&>(*type);
      auto value = WithoutViewTypes(dictionary.value_type());
      if (value == dictionary.value_type()) return type;
      return arrow::dictionary(dictionary.index_type(), std::move(value), dictionary.ordered());
    }
    default:
      return type;
  }
}

std::shared_ptr<arrow::Schema> WithoutViewTypes(const std::shared_ptr<arrow::Schema>& schema) {
  bool changed = false;
  arrow::FieldVector fields;
  for (const auto& field : schema->fields()) {
    fields.push_back(FieldWithoutViewTypes(field));
    changed = changed || fields.back() != field;
  }
  return changed ? arrow::schema(std::move(fields), schema->metadata()) : schema;
}

arrow::Result<std::shared_ptr<arrow::Array>> WithoutViewTypes(
    const std::shared_ptr<arrow::Array>& array) {
  auto plain = WithoutViewTypes(array->type());
  if (plain == array->type()) return array;
  std::shared_ptr<arrow::Array> converted = array;
  if (array->type_id() == arrow::Type::LIST_VIEW) {
    ARROW_ASSIGN_OR_RAISE(converted, (ListFromView<arrow::ListViewArray, arrow::ListArray,
                                                   arrow::Int32Builder>(*array)));
  } else if (array->type_id() == arrow::Type::LARGE_LIST_VIEW) {
    ARROW_ASSIGN_OR_RAISE(converted, (ListFromView<arrow::LargeListViewArray, arrow::LargeListArray,
                                                   arrow::Int64Builder>(*array)));
  }
  if (converted->type()->Equals(*plain)) return converted;
  return arrow::compute::Cast(*converted, plain);  // string_view etc., also inside lists
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> WithoutViewTypes(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  auto schema = WithoutViewTypes(batch->schema());
  if (schema == batch->schema()) return batch;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (const auto& column : batch->columns()) {
    ARROW_ASSIGN_OR_RAISE(columns.emplace_back(), WithoutViewTypes(column));
  }
  return arrow::RecordBatch::Make(std::move(schema), batch->num_rows(), std::move(columns));
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> WithoutViewTypes(
    std::shared_ptr<arrow::RecordBatchReader> data) {
  auto plain = WithoutViewTypes(data->schema());
  if (plain == data->schema()) return data;
  return std::make_shared<MappedReader>(
      std::move(data), std::move(plain),
      [](const std::shared_ptr<arrow::RecordBatch>& batch) { return WithoutViewTypes(batch); });
}

}  // namespace fsspeckit::io
