"""workbench.frames: exact equivalents of slow pandas operations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import frames


def test_is_in_equals_pandas_isin_for_text_ids_with_missing_values():
    values = pd.Series(["M1", None, "M3", "M4", "M1", ""], dtype="str")
    ref = pd.Series(["M1", "M4", None, ""], dtype="str")
    got = frames.is_in(values, ref)
    assert got.dtype == bool
    np.testing.assert_array_equal(got, [True, False, False, True, True, True])
    np.testing.assert_array_equal(got, values.isin(ref).to_numpy() & values.notna().to_numpy())
    assert not frames.is_in(values, pd.Series([], dtype="str")).any()


def test_is_in_other_types_and_plain_collections():
    np.testing.assert_array_equal(frames.is_in(pd.Series([1, 2, 3]), [2, 3, 9]), [False, True, True])
    np.testing.assert_array_equal(frames.is_in(pd.Series(["a", "b"], dtype=object), {"b"}), [False, True])


def test_dictionary_and_categorical_columns_give_the_answers_of_their_texts():
    import pyarrow as pa

    texts = ["P2", "P1", None, "P3", "P1", "P9", "P2"]
    chunks = pa.chunked_array([pa.array(texts[:3]).dictionary_encode(),  # two chunks, two dictionaries
                               pa.array(texts[3:]).dictionary_encode()])
    plain = pd.Series(texts, dtype="str")
    keys = pd.Index(["P3", "P1", "P7"])
    for coded in (pd.Series(pd.arrays.ArrowExtensionArray(chunks)), plain.astype("category")):
        np.testing.assert_array_equal(frames.is_in(coded, ["P1", "P9"]), frames.is_in(plain, ["P1", "P9"]))
        np.testing.assert_array_equal(frames.positions(coded, keys), [-1, 1, -1, 0, 1, -1, -1])
        mapped = frames.map_values(coded, pd.Series(["a", "b"], index=["P1", "P2"]))
        assert mapped.tolist() == plain.map(pd.Series(["a", "b"], index=["P1", "P2"])).tolist()
    assert frames.positions(plain.astype("category"), pd.Index(["P1", "P1"])) is None  # repeated keys


def test_distinct_and_distinct_inverse_give_numpy_unique_exactly():
    rng = np.random.default_rng(3)
    cases = [rng.integers(-5, 3000, 50_000), rng.integers(0, 10**12, 50_000),  # narrow, wide
             rng.integers(0, 5, 40).astype(np.int32), np.array([], dtype=np.int64),
             np.array([7], dtype=np.uint8)]
    for values in cases:
        expected = np.unique(values)
        got = frames.distinct(values)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)
        uniq, inverse = np.unique(values, return_inverse=True)
        got_u, got_i = frames.distinct_inverse(values)
        assert got_u.dtype == uniq.dtype and np.array_equal(got_u, uniq)
        assert got_i.dtype == inverse.dtype and np.array_equal(got_i, inverse)
    floats = np.array([2.5, np.nan, 1.0, 2.5, np.nan])  # not integers: numpy's own answer
    assert np.array_equal(frames.distinct(floats), np.unique(floats), equal_nan=True)


def test_pair_keys_order_and_decode_like_the_pairs():
    rng = np.random.default_rng(5)
    outer, inner = rng.integers(0, 50, 2000), rng.integers(19_000, 19_400, 2000)
    keys, span, lo = frames.pair_keys(outer, inner)
    assert np.array_equal(keys // span, outer) and np.array_equal(keys % span + lo, inner)
    by_pair = np.lexsort((inner, outer))  # sorted by (outer, inner)
    assert np.all(np.diff(keys[by_pair]) >= 0)
    assert len(frames.distinct(keys)) == len({(a, b) for a, b in zip(outer, inner, strict=True)})
