"""SQL WHERE text as a pyarrow expression (``read_parquet(path, filters="id > 5")``).

A conversion at the Python edge: sqlglot parses the text, each node becomes the pyarrow
expression with the same meaning, and literals are cast to the type of the column they
are compared with (so ``day = '2025-01-01'`` works on a date column). Anything without
a pyarrow equivalent is refused with an error naming the construct.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["sql_to_expression"]

_COMPARISONS = {
    "EQ": lambda a, b: a == b, "NEQ": lambda a, b: a != b,
    "GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b, "LTE": lambda a, b: a <= b,
}
# The same comparison with its operands swapped (5 < id is id > 5).
_MIRRORED = {"EQ": "EQ", "NEQ": "NEQ", "GT": "LT", "GTE": "LTE", "LT": "GT", "LTE": "GTE"}


def sql_to_expression(sql: str, schema: pa.Schema) -> pc.Expression:
    """The pyarrow expression for the SQL WHERE condition ``sql`` over ``schema``.

    Supported: comparisons (=, !=, <>, <, <=, >, >=), AND, OR, NOT, parentheses,
    IN (...), BETWEEN, IS [NOT] NULL, [NOT] LIKE / ILIKE, TRUE/FALSE, typed literals
    (DATE '2025-01-01', CAST('...' AS TIMESTAMP)). ValueError names
    any other construct, unknown columns and literals that do not fit their column.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    if not sql.strip():
        raise ValueError("SQL filter is empty: give a WHERE condition such as \"id > 5\"")
    try:
        tree = sqlglot.parse_one(sql)
    except ParseError as error:
        raise ValueError(f"cannot parse SQL filter {sql!r}: {error}") from None
    return _Translator(schema, exp).condition(tree)


class _Translator:
    def __init__(self, schema: pa.Schema, exp):
        self.schema = schema
        self.exp = exp

    def condition(self, node) -> pc.Expression:
        expression = self.positive(node)
        # Newer sqlglot spells "x NOT LIKE y" (and may spell others) as a negated node.
        return ~expression if node.args.get("negate") else expression

    def positive(self, node) -> pc.Expression:
        exp = self.exp
        if isinstance(node, exp.Paren):
            return self.condition(node.this)
        if isinstance(node, exp.And):
            return self.condition(node.left) & self.condition(node.right)
        if isinstance(node, exp.Or):
            return self.condition(node.left) | self.condition(node.right)
        if isinstance(node, exp.Not):
            return ~self.condition(node.this)
        if isinstance(node, exp.Boolean):
            return pc.scalar(node.this)
        key = type(node).__name__.upper()
        if key in _COMPARISONS:
            return self.comparison(key, node.left, node.right)
        if isinstance(node, exp.Is):
            if not isinstance(node.expression, exp.Null):
                raise self.unsupported(node, "IS is only supported with NULL")
            return self.column(node.this).is_null()
        if isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
                raise self.unsupported(node, "IN takes a list of literals here")
            column = self.column(node.this)
            values = [self.literal(v, column_type=self.column_type(node.this))
                      for v in node.expressions]
            return column.isin(values)
        if isinstance(node, exp.Between):
            column_type = self.column_type(node.this)
            column = self.column(node.this)
            return ((column >= self.literal(node.args["low"], column_type))
                    & (column <= self.literal(node.args["high"], column_type)))
        if isinstance(node, (exp.Like, exp.ILike)):
            if node.args.get("escape"):
                raise self.unsupported(node, "LIKE ... ESCAPE is not supported")
            pattern = self.literal(node.expression, pa.string())
            return pc.match_like(self.column(node.this), pattern.as_py(),
                                 ignore_case=isinstance(node, exp.ILike))
        if isinstance(node, exp.Escape):
            raise self.unsupported(node, "LIKE ... ESCAPE is not supported")
        raise self.unsupported(node)

    def comparison(self, key: str, left, right) -> pc.Expression:
        exp = self.exp
        if not isinstance(left, exp.Column) and isinstance(right, exp.Column):
            left, right, key = right, left, _MIRRORED[key]
        if not isinstance(left, exp.Column):
            raise self.unsupported(left, "a comparison needs a column on one side")
        if isinstance(right, exp.Column):
            return _COMPARISONS[key](self.column(left), self.column(right))
        if isinstance(right, exp.Null):
            raise ValueError(f"comparing column '{left.name}' with NULL is never true in SQL; "
                             f"write '{left.name} IS NULL' instead")
        return _COMPARISONS[key](self.column(left),
                                 self.literal(right, self.column_type(left)))

    def column_type(self, node) -> pa.DataType:
        exp = self.exp
        if not isinstance(node, exp.Column):
            raise self.unsupported(node, "expected a column name")
        name = node.name
        index = self.schema.get_field_index(name)
        if index < 0:
            raise ValueError(f"SQL filter names column '{name}', which is not in the dataset; "
                             f"it has: {', '.join(self.schema.names)}")
        return self.schema.field(index).type

    def column(self, node) -> pc.Expression:
        self.column_type(node)  # checks the name
        return pc.field(node.name)

    def literal(self, node, column_type: pa.DataType) -> pa.Scalar:
        """The literal as a scalar of `column_type` where it converts without loss."""
        exp = self.exp
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
            # DATE '2025-01-01', CAST('...' AS TIMESTAMP): the text is cast to the
            # column's type below, as a bare string would be.
            node = node.this
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            value = -self.python_value(node.this)
        elif isinstance(node, exp.Literal):
            value = self.python_value(node)
        elif isinstance(node, exp.Boolean):
            value = node.this
        elif isinstance(node, exp.Null):
            value = None
        else:
            raise self.unsupported(node, "only literal values are supported here")
        scalar = pa.scalar(value)
        if scalar.type == column_type or value is None:
            return pa.scalar(value, type=column_type)
        try:
            return scalar.cast(column_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            # 2.5 against an integer column compares as a number; anything else would
            # fail (or mean something else) when the filter runs.
            numeric = pa.types.is_integer(column_type) or pa.types.is_floating(column_type)
            if numeric and isinstance(value, (int, float)) and not isinstance(value, bool):
                return scalar
            raise ValueError(f"SQL filter literal {node.sql()} cannot be compared with a "
                             f"{column_type} column") from None

    @staticmethod
    def python_value(literal):
        if literal.is_string:
            return literal.this
        text = literal.this
        try:
            return int(text)
        except ValueError:
            return float(text)

    @staticmethod
    def unsupported(node, why: str | None = None) -> ValueError:
        construct = type(node).__name__.upper()
        message = f"SQL filter construct not supported: {construct} in {node.sql()!r}"
        if why:
            message += f" ({why})"
        return ValueError(message + "; supported: comparisons, AND, OR, NOT, IN, BETWEEN, "
                                    "IS [NOT] NULL, LIKE, ILIKE")
