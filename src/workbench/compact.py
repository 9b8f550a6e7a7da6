"""Compact reads of the big event tables (`read_table_compact`): categorical and pyarrow
dictionary columns, validated like `datasets.read_table`. Re-exported by `workbench.datasets`.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from workbench.dataerrors import MAX_SHOWN, DataError, _problem
from workbench.datasets import _restrict, contract, find_table_file, read_file
from workbench.readers import _conform
from workbench.schemas import TABLES, Table

# --------------------------------------------------------------------------- compact reads


def read_table_compact(name: str, data_dir=None, columns=None, categorical=None,
                       until=None, dictionary=()) -> pd.DataFrame:
    """Read and validate raw table `name` like `read_table`, with compact dtypes for the big
    event tables (tens of millions of rows).

    Text columns in `categorical` (default: every text column read) come back as pandas
    Categoricals: pyarrow reads them dictionary-encoded, so each row holds a small integer code
    and each distinct text is stored once; categories are the distinct values present, sorted
    (grouping by them gives the same order as grouping the text). Text columns in `dictionary`
    (ids with millions of distinct values) come back as pyarrow dictionary columns
    (`pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string()))`, sorted dictionary): as compact,
    without the pandas index of the categories (one Python string per distinct id) that a
    Categorical builds when compared or grouped. `until`: keep only the rows
    whose `timestamp` is <= `until` (the others are validated, then not loaded into pandas).
    Every row read is validated against the contract with the same messages as `read_table`
    (a bad file raises one DataError naming the file, column, rows and values); Parquet text
    columns are checked on their dictionary (missing values, allowed values), other columns
    go through the usual parsing and checks. CSV files are read by `read_file`, then converted.
    """
    if name not in TABLES:
        raise KeyError(f"unknown table '{name}'; known tables: {', '.join(TABLES)}")
    path = find_table_file(name, data_dir)
    t = contract(name, data_dir) if columns is None else _restrict(contract(name, data_dir), list(columns))
    text = [c.name for c in t.columns if c.dtype == "str"]
    dictionary = [c for c in text if c in set(dictionary or ())]
    cats = [c for c in text if c not in dictionary and (categorical is None or c in set(categorical))]
    coded = cats + dictionary
    if until is not None and "timestamp" not in t.column_names:
        raise ValueError(f"until= needs the 'timestamp' column of table '{name}'")
    table = _compact_parquet(path, t, coded) if path.suffix.lower() == ".parquet" else None
    if table is None:  # CSV or unusual Parquet: the general reader, then compact dtypes
        df = read_file(path, name, columns=columns)
        if until is not None:
            df = df[df["timestamp"] <= pd.Timestamp(until)].reset_index(drop=True)
        for c in coded:
            values = df[c]
            uniques = pd.Index(values.dropna().unique(), dtype="str").sort_values()
            codes = uniques.get_indexer(values)
            df[c] = pd.Categorical.from_codes(codes, categories=uniques) if c in cats else \
                _arrow_dictionary(codes, uniques)
        df.attrs = {"source": str(path), "table": t.name}
        return df
    encoded, dense = table
    n_rows = len(dense) if dense is not None else len(next(iter(encoded.values()))[0])
    problems = []
    for c in t.columns:
        if c.name in coded:
            problems += _dictionary_problems(encoded[c.name], c)
    if len(t.key) == 1 and t.key[0] in coded:
        problems += _dictionary_key_problems(encoded[t.key[0]], t)
    rest = [c.name for c in t.columns if c.name not in coded]
    try:
        plain = _conform(dense, dataclasses.replace(t, columns=tuple(
            c for c in t.columns if c.name in rest), key=t.key if set(t.key) <= set(rest) else ()),
            path, decimal_comma=False) if rest else pd.DataFrame(index=range(n_rows))
    except DataError as exc:
        problems += exc.problems
        plain = None
    if n_rows == 0 and not rest:
        problems.append(_problem(None, "the file has no data rows", "at least one data row"))
    if problems:
        order = {c: i for i, c in enumerate(t.column_names)}
        problems.sort(key=lambda p: order.get(p["column"], -1))
        raise DataError(path, problems, t.name)
    keep = None
    if until is not None:
        keep = plain["timestamp"].to_numpy() <= np.datetime64(pd.Timestamp(until).as_unit("ns"))
        if keep.all():
            keep = None
        else:
            plain = plain[keep].reset_index(drop=True)
    with ThreadPoolExecutor(max_workers=2) as pool:  # sorts and takes run outside the GIL
        jobs = {c: pool.submit(_dictionary_categorical, encoded.pop(c), keep, arrow=c in dictionary)
                for c in coded}
        out = {c.name: jobs[c.name].result() if c.name in jobs else plain[c.name]
               for c in t.columns}
    df = pd.DataFrame(out)
    df.attrs = {"source": str(path), "table": t.name}
    return df


def _compact_parquet(path: Path, t: Table, cats: list[str]):
    """({text column: (codes with -1 for missing, pyarrow dictionary)}, pandas frame of the other
    columns) for a Parquet file whose headers and text types fit, else None. Text columns are
    read one at a time and dictionary-encoded by pyarrow (one hash table per column, so the
    row groups share one dictionary)."""
    import pyarrow.types as pa_types

    try:
        names = pq.read_schema(path).names
    except Exception:  # noqa: BLE001 - read_file gives the clear message
        return None
    by_lower: dict[str, list[str]] = {}
    for n in names:
        by_lower.setdefault(n.lower(), []).append(n)
    actual = {}
    for c in t.columns:
        found = by_lower.get(c.name.lower(), [])
        if len(found) != 1:
            return None
        actual[c.name] = found[0]

    def encode(c):
        column = pq.read_table(path, columns=[actual[c]]).column(0)
        typ = column.type
        if not (pa_types.is_string(typ) or pa_types.is_large_string(typ)):
            return None  # e.g. numbers in a text column: read_file converts them
        return _dictionary_parts(column)

    rest = [c for c in t.column_names if c not in cats]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:  # pyarrow works outside the GIL
            jobs = {c: pool.submit(encode, c) for c in cats}
            dense = None
            if rest:
                dense = pq.read_table(path, columns=[actual[c] for c in rest]).rename_columns(
                    rest).to_pandas()
            encoded = {c: job.result() for c, job in jobs.items()}
    except Exception:  # noqa: BLE001 - read_file gives the clear message
        return None
    if any(v is None for v in encoded.values()):
        return None
    return encoded, dense


def _dictionary_parts(column):
    """(codes with -1 for missing, dictionary values as a pyarrow array) of a text
    ChunkedArray, dictionary-encoded by pyarrow."""
    import pyarrow
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column)
    if encoded.num_chunks == 0:
        return np.zeros(0, dtype=np.int32), pyarrow.array([], type=pyarrow.string())
    dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary
    if any(len(ch.dictionary) != len(dictionary) for ch in encoded.chunks):
        encoded = encoded.unify_dictionaries()
        dictionary = encoded.chunk(0).dictionary
    parts = [pc.fill_null(chunk.indices.cast(pyarrow.int32()), -1).to_numpy(zero_copy_only=False)
             for chunk in encoded.chunks]
    codes = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return codes.astype(np.int32, copy=False), dictionary


def _dictionary_problems(encoded, c) -> list[dict]:
    """Missing values and values outside the allowed list of a dictionary-encoded column."""
    import pyarrow
    import pyarrow.compute as pc

    codes, values = encoded
    problems = []
    if not c.nullable and (codes < 0).any():
        idx = np.flatnonzero(codes < 0)
        problems.append(_problem(c.name, "missing value",
                                 "a value in every row (column is not nullable)",
                                 rows=idx[:MAX_SHOWN] + 1, n=len(idx)))
    if c.allowed is not None and len(values):
        used = np.bincount(codes[codes >= 0], minlength=len(values)) > 0
        allowed = pc.is_in(values, value_set=pyarrow.array([str(a) for a in c.allowed]))
        bad_code = used & ~pc.fill_null(allowed, False).to_numpy(zero_copy_only=False)
        if bad_code.any():
            idx = np.flatnonzero(bad_code[np.maximum(codes, 0)] & (codes >= 0))
            shown = values.take(pyarrow.array(codes[idx[:MAX_SHOWN]])).to_pylist()
            problems.append(_problem(c.name, "value outside the allowed list",
                                     "one of: " + ", ".join(map(str, c.allowed)),
                                     rows=idx[:MAX_SHOWN] + 1, values=shown, n=len(idx)))
    return problems


def _dictionary_key_problems(encoded, t: Table) -> list[dict]:
    """Duplicate values of a one-column key read dictionary-encoded."""
    import pyarrow

    codes, values = encoded
    counts = np.bincount(codes[codes >= 0], minlength=len(values))
    dup = (codes >= 0) & (counts[np.maximum(codes, 0)] > 1)
    if not dup.any():
        return []
    idx = np.flatnonzero(dup)
    key = "/".join(t.key)
    shown = values.take(pyarrow.array(codes[idx[:MAX_SHOWN]])).to_pylist()
    return [_problem(key, "duplicate key", f"each {key} once (key of table '{t.name}')",
                     rows=idx[:MAX_SHOWN] + 1, values=shown, n=len(idx))]


def _arrow_dictionary(codes: np.ndarray, values):
    """A pyarrow dictionary column (pandas ArrowDtype) from codes (-1 = missing) and values."""
    import pyarrow

    indices = pyarrow.array(np.asarray(codes, dtype=np.int32), mask=np.asarray(codes) < 0)
    values = values if isinstance(values, pyarrow.Array) else pyarrow.array(
        pd.Series(values, dtype="str"), type=pyarrow.string())
    return pd.arrays.ArrowExtensionArray(pyarrow.DictionaryArray.from_arrays(indices, values))


def _dictionary_categorical(encoded, keep: np.ndarray | None, arrow: bool = False):
    """A dictionary-encoded column as a pandas Categorical (or, `arrow`, a pyarrow dictionary
    column) of its used values, sorted."""
    import pyarrow
    import pyarrow.compute as pc

    codes, values = encoded
    if keep is not None:
        codes = codes[keep]
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(values)) > 0)
    used_values = values.take(pyarrow.array(used, type=pyarrow.int64()))
    order = pc.sort_indices(used_values).to_numpy(zero_copy_only=False)
    remap = np.full(len(values) + 1, -1, dtype=np.int32)  # last slot: missing (-1)
    remap[used[order]] = np.arange(len(used), dtype=np.int32)
    if arrow:
        return _arrow_dictionary(remap[codes], used_values.take(pyarrow.array(order)).cast(
            pyarrow.string()))
    cats = pd.Index(used_values.take(pyarrow.array(order)).to_pandas(), dtype="str")
    return pd.Categorical.from_codes(remap[codes], categories=cats, validate=False)
