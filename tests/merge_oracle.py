"""An independent oracle for merges: plain Python over rows, no fsspeckit code."""

import math


def canonical(value):
    """Key identity as the contract defines it: null == null, NaN == NaN, ints by value."""
    if value is None:
        return ("null",)
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, float) and value == 0.0:
        return ("num", 0.0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("num", value)
    return (type(value).__name__, value)


def key_of(row, keys):
    return tuple(canonical(row[k]) for k in keys)


def expected_rows(target_rows, source_rows, keys, strategy, columns):
    """The dataset's rows after the merge, as a sorted list of tuples over `columns`."""
    latest = {}
    for row in source_rows:  # last wins
        latest[key_of(row, keys)] = row
    target_keys = {key_of(row, keys) for row in target_rows}
    out = []
    for row in target_rows:
        k = key_of(row, keys)
        if strategy in ("update", "upsert") and k in latest:
            out.append({c: latest[k].get(c) for c in columns})
        else:
            out.append(row)
    if strategy in ("insert", "upsert"):
        for k, row in latest.items():
            if k not in target_keys:
                out.append({c: row.get(c) for c in columns})
    return sorted_rows(out, columns)


def sorted_rows(rows, columns):
    def sort_key(row):
        return tuple((v is None, repr(v)) for v in (row[c] for c in columns))
    return sorted((tuple(row[c] for c in columns) for row in rows),
                  key=lambda t: tuple((v is None, repr(v)) for v in t))
