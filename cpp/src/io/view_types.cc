// fsspeckit: Arrow view types (string_view, binary_view, list_view) replaced at the edge.
#include "fsspeckit/io/view_types.h"

#include "fsspeckit/io/write_dataset.h"

namespace fsspeckit::io {
namespace {

// The field with its type replaced, or the same field when nothing changed.
std::shared_ptr<arrow::Field> WithoutViewTypes(const std::shared_ptr<arrow::Field>& field) {
  auto type = WithoutViewTypes(field->type());
  return type == field->type() ? field : field->WithType(std::move(type));
}

arrow::FieldVector ChildrenWithoutViewTypes(const arrow::DataType& type, bool* changed) {
  arrow::FieldVector children;
  for (const auto& child : type.fields()) {
    children.push_back(WithoutViewTypes(child));
    *changed = *changed || children.back() != child;
  }
  return children;
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
      auto value = WithoutViewTypes(type->field(0));
      if (type->id() == arrow::Type::LIST && value == type->field(0)) return type;
      return arrow::list(std::move(value));
    }
    case arrow::Type::LARGE_LIST_VIEW:
    case arrow::Type::LARGE_LIST: {
      auto value = WithoutViewTypes(type->field(0));
      if (type->id() == arrow::Type::LARGE_LIST && value == type->field(0)) return type;
      return arrow::large_list(std::move(value));
    }
    case arrow::Type::FIXED_SIZE_LIST: {
      auto value = WithoutViewTypes(type->field(0));
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
      auto key = WithoutViewTypes(map.key_field());
      auto item = WithoutViewTypes(map.item_field());
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
    fields.push_back(WithoutViewTypes(field));
    changed = changed || fields.back() != field;
  }
  return changed ? arrow::schema(std::move(fields), schema->metadata()) : schema;
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> WithoutViewTypes(
    std::shared_ptr<arrow::RecordBatchReader> data) {
  auto plain = WithoutViewTypes(data->schema());
  if (plain == data->schema()) return data;
  return CastToSchema(std::move(data), std::move(plain));
}

}  // namespace fsspeckit::io
