"""Small exact helpers on pandas columns that pandas itself makes slow at retail scale.

pandas' `isin` of text columns (pyarrow-backed strings) against millions of ids runs through
Python objects: ~25 s for 2M mentions. These helpers give the same answers through pyarrow.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["is_in", "keys_are_unique", "map_values", "pair_keys", "positions", "release_memory",
           "text_per_row"]


def _coded(values):
    """(codes with -1 for missing, distinct values as a Series) of a categorical or pyarrow
    dictionary column, else None: such a column is looked up once per distinct value."""
    if not isinstance(values, pd.Series):
        return None
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), pd.Series(values.cat.categories)
    if isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_dictionary(values.dtype.pyarrow_dtype):
        chunked = values.array._pa_array
        if chunked.num_chunks == 0:
            return np.zeros(0, dtype=np.int32), pd.Series([], dtype="str")
        if chunked.num_chunks > 1:
            chunked = chunked.unify_dictionaries()
        arr = chunked.combine_chunks() if chunked.num_chunks > 1 else chunked.chunk(0)
        codes = pc.fill_null(arr.indices.cast(pa.int32()), -1).to_numpy(zero_copy_only=False)
        return codes, pd.Series(pd.arrays.ArrowExtensionArray(arr.dictionary))
    return None


def is_in(values: pd.Series, ref) -> np.ndarray:
    """`values.isin(ref)` as a numpy bool mask (missing values are never in `ref`)."""
    coded = _coded(values)
    if coded is not None:
        codes, distinct = coded
        return np.r_[is_in(distinct, ref), False][codes]
    ref = ref if isinstance(ref, pd.Series) else pd.Series(list(ref), dtype=object)
    try:
        a, r = pa.array(values, from_pandas=True), pa.array(ref, from_pandas=True)
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
            a, r = a.cast(pa.large_string()), r.cast(pa.large_string())
        return pc.is_in(a, value_set=r.drop_null().unique(), skip_nulls=True).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, TypeError, ValueError):
        return values.isin(ref).to_numpy(bool)


def _text_array(values) -> pa.Array:
    a = pa.array(values, from_pandas=True)
    return a.cast(pa.large_string()) if pa.types.is_string(a.type) else a


def keys_are_unique(values) -> bool:
    """Whether `values` has no repeated value (missing values count as one value)."""
    return pc.count_distinct(_text_array(values), mode="all").as_py() == len(values)


def positions(values, keys) -> np.ndarray | None:
    """Position of each value in `keys` (-1 when absent), i.e. `pd.Index(keys).get_indexer(values)`,
    through pyarrow's hash table (pandas hashes a Python object per text id: seconds per
    million). None when the keys repeat or pyarrow cannot compare them (use pandas then)."""
    coded = _coded(values)
    if coded is not None:
        codes, distinct = coded
        per_value = positions(distinct, keys)
        return None if per_value is None else np.r_[per_value, -1][codes]
    try:
        k = _text_array(keys)
        if pc.count_distinct(k, mode="all").as_py() != len(k):
            return None
        pos = pc.index_in(_text_array(values), value_set=k)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    return pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)


def map_values(values: pd.Series, mapping: pd.Series) -> pd.Series:
    """`values.map(mapping)` (same values, dtype, index and name) with `positions`. A mapping
    whose keys repeat goes to pandas (which refuses it)."""
    pos = positions(values, mapping.index)
    if pos is None:
        return values.map(mapping)
    return pd.Series(pd.api.extensions.take(mapping.array, pos, allow_fill=True), index=values.index,
                     name=values.name)


def text_per_row(codes: np.ndarray, text) -> list:
    """[`text(row)` for every row of the 2-D array `codes`], computed once per distinct row (a
    million customers share a few hundred rows of flags or codes)."""
    if len(codes) == 0:
        return []
    uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
    return np.array([text(row) for row in uniq], dtype=object)[inverse.reshape(-1)].tolist()


def distinct(values) -> np.ndarray:
    """The sorted distinct values of a 1-D array, as `np.unique(values)` gives them: for
    integers, one sort and a comparison of neighbours (numpy's hash table is tens of times
    slower on millions of integers); other values go to `np.unique`."""
    values = np.asarray(values)
    if values.dtype.kind not in "iub" or values.ndim != 1:
        return np.unique(values)
    ordered = np.sort(values)
    if len(ordered) == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def distinct_inverse(values) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, position of each value among them), as
    `np.unique(values, return_inverse=True)` gives them; integers over a narrow range (days,
    ages) through a table of the range instead of a sort of every value."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" and values.ndim == 1 and len(values):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo <= 4 * len(values) + 1_000_000:
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[values - lo] = True
            rank = np.cumsum(present) - 1
            return (np.flatnonzero(present) + lo).astype(values.dtype), rank[values - lo].astype(np.intp)
    return np.unique(values, return_inverse=True)


def pair_keys(outer: np.ndarray, inner: np.ndarray) -> tuple[np.ndarray, int, int]:
    """One int64 per (outer, inner) pair of integers (e.g. customer code and day number),
    ordered like the pairs: (keys = outer * span + inner - lo, span, lo); a key's pair is
    (key // span, key % span + lo). Grouping or counting distinct pairs then sorts one column."""
    inner = np.asarray(inner, dtype=np.int64)
    lo = int(inner.min()) if len(inner) else 0
    span = (int(inner.max()) - lo + 1) if len(inner) else 1
    return np.asarray(outer, dtype=np.int64) * span + (inner - lo), span, lo


ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


def kernel_memory_pool() -> dict[str, str]:
    """The environment that gives a notebook kernel pyarrow's jemalloc pool, when this pyarrow
    has it ({} otherwise, or when the user chose a pool): at 1M customers the journeys notebook
    peaks about 0.6 GB lower than with the default mimalloc pool, which keeps much of what the
    large reads and the event layer's outputs free (same speed). Read when pyarrow starts, so
    it must be in the kernel's environment: `workbench run` sets it for its kernels, and
    `make setup` writes it into the workbench kernelspec that JupyterLab starts."""
    if os.environ.get(ARROW_POOL_ENV):
        return {}
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc (e.g. Windows)
        return {}
    return {ARROW_POOL_ENV: "jemalloc"}


def release_memory() -> None:
    """Hand freed memory back to the system: pyarrow's pool and the C allocator keep freed
    blocks for reuse, which a later step of another kind (numpy after DuckDB, pandas after
    pyarrow) cannot always reuse."""
    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to trim
        pass
