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
