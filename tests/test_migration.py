"""Value segments month over month (workbench.value_segments) against the planted drop-out."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import datasets
from workbench import value_segments as vs


@pytest.fixture(scope="module")
def transactions(sample_dir):
    return datasets.read_table("transactions", sample_dir)


def test_dropped_customers_end_in_risk_segments(transactions, truth):
    """Every customer who stopped buying months ago is "À risque" or "Perdus" in October."""
    seg = vs.value_segments(transactions, ["2026-10"]).iloc[:, 0]
    drop = truth["dropouts"].set_index("customer_id")["dropout_date"]
    long_gone = drop[drop < pd.Timestamp("2026-07-01")].index.intersection(seg.index)
    assert len(long_gone) > 100
    assert seg[long_gone].isin(["À risque", "Perdus"]).all()
    stayers = seg.index.difference(drop.index)
    # the two risk segments hold a much larger share of the drop-outs than of the others
    assert seg[stayers].isin(["À risque", "Perdus"]).mean() < 0.5


def test_migration_moves_and_names_the_flows(transactions, truth):
    tab = vs.value_migration(transactions, "2026-10")
    assert tab.index.name == "segment 2026-09" and tab.columns.name == "segment 2026-10"
    assert tab.loc["Total", "Total"] == tab.drop(index="Total", columns="Total").to_numpy().sum()
    flows = vs.migration_flows(tab)
    assert 0 < flows.attrs["stayed"] < 0.95  # value segments do move from one month to the next
    assert flows["customers"].is_monotonic_decreasing
    down = flows[flows["direction"] == "baisse"]
    assert set(down["to"]) <= {"Nouveaux / prometteurs", "À risque", "À réveiller", "Perdus", vs.NO_PURCHASE}
    # Champions and Fidèles of June who fell to "À risque" / "Perdus" by September: nearly all
    # of those who stopped buying in between, few of the others
    seg = vs.value_segments(transactions, ["2026-06", "2026-09"])
    top = seg[seg.iloc[:, 0].isin(["Champions", "Fidèles"])]
    fell = top.iloc[:, 1].isin(["À risque", "Perdus"])
    drop = truth["dropouts"].set_index("customer_id")["dropout_date"]
    left = drop[(drop >= pd.Timestamp("2026-07-01")) & (drop < pd.Timestamp("2026-08-01"))].index
    is_left = top.index.isin(left)
    assert is_left.sum() > 30
    assert fell[is_left].mean() > 0.9, fell[is_left].mean()
    assert fell[~top.index.isin(drop.index)].mean() < 0.3

def test_flows_direction_follows_the_value_ladder():
    tab = pd.DataFrame([[5, 3, 2], [1, 4, 0], [0, 6, 7]], index=["Champions", "À risque", "Perdus"],
                       columns=["Champions", "À risque", "Perdus"])
    flows = vs.migration_flows(tab).set_index(["from", "to"])
    assert flows.loc[("Champions", "À risque"), "direction"] == "baisse"
    assert flows.loc[("Perdus", "À risque"), "direction"] == "hausse"
    assert flows.loc[("Champions", "À risque"), "share_of_from"] == pytest.approx(0.3)
    assert flows.attrs["stayed"] == pytest.approx(16 / 28)
    lateral = vs.migration_flows(pd.DataFrame([[1, 2], [3, 4]], index=["Champions", "Fidèles"],
                                              columns=["Champions", "Fidèles"]))
    assert set(lateral["direction"]) == {"latéral"}


def test_migration_reuses_this_months_features_only_when_of_the_same_window(transactions, monkeypatch):
    """The report month's value segments come from the features already computed for it (the
    notebook's `customer_features`), with the same table as scoring the month again; features
    of another window (or scored among some customers only) are not reused."""
    from workbench import segmentation as seg

    expected = vs.value_migration(transactions, "2026-10")
    features = seg.purchase_features(transactions, "2026-10", lookback_days=365)
    assert features.attrs["window"] == seg.purchase_window("2026-10", 365)
    calls = []
    real = vs.purchase_features
    monkeypatch.setattr(vs, "purchase_features", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    pd.testing.assert_frame_equal(vs.value_migration(transactions, "2026-10", features=features), expected)
    assert [str(m) for m in calls] == ["2026-09"]  # October reused
    calls.clear()
    short = seg.purchase_features(transactions, "2026-10", lookback_days=90)
    pd.testing.assert_frame_equal(vs.value_migration(transactions, "2026-10", features=short), expected)
    assert [str(m) for m in calls] == ["2026-09", "2026-10"]  # another window: scored again
    some = seg.purchase_features(transactions, "2026-10", customers=features.index[:100])
    assert "window" not in some.attrs  # quintiles among 100 customers: not the month's segments
