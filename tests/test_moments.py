"""Retail calendar (known French dates) and best moments (exact references, the sample's planted
purchase hours and seasonal boosts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import moments
from workbench import retail_calendar as rc


@pytest.mark.parametrize("year, winter, summer, bf, mothers", [
    (2024, "2024-01-10", "2024-06-26", "2024-11-29", "2024-05-26"),
    (2025, "2025-01-08", "2025-06-25", "2025-11-28", "2025-05-25"),
    (2026, "2026-01-07", "2026-06-24", "2026-11-27", "2026-05-31"),
    # 2004: Pentecost on the last Sunday of May -> Mother's Day on 6 June
    (2004, "2004-01-07", "2004-06-23", "2004-11-26", "2004-06-06"),
])
def test_calendar_known_dates(year, winter, summer, bf, mothers):
    assert rc.winter_sales_start(year) == pd.Timestamp(winter)
    assert rc.summer_sales_start(year) == pd.Timestamp(summer)
    assert rc.black_friday(year) == pd.Timestamp(bf)
    assert rc.mothers_day(year) == pd.Timestamp(mothers)


def test_calendar_easter_and_black_friday_not_the_last_friday():
    assert [rc.easter(y) for y in (2024, 2025, 2026)] == [
        pd.Timestamp("2024-03-31"), pd.Timestamp("2025-04-20"), pd.Timestamp("2026-04-05")]
    # November 2029 has five Fridays: Black Friday is the 23rd (after Thanksgiving), not the 30th
    assert rc.black_friday(2029) == pd.Timestamp("2029-11-23")


def test_calendar_events_periods_and_labels():
    ev = rc.events([2026]).set_index("name")
    assert ev.loc[rc.WINTER_SALES, "end"] - ev.loc[rc.WINTER_SALES, "start"] == pd.Timedelta(weeks=4)
    assert ev.loc[rc.BLACK_WEEK, "start"] == pd.Timestamp("2026-11-23")  # Monday
    assert ev.loc[rc.BLACK_WEEK, "end"] == pd.Timestamp("2026-12-01")  # Cyber Monday included
    assert set(rc.sales_periods([2026])["name"]) == {rc.WINTER_SALES, rc.SUMMER_SALES, rc.BLACK_WEEK}
    # 1 December 2025 is Cyber Monday (Black Friday on 28 November) and in Christmas shopping
    days = pd.Series(pd.to_datetime(["2026-01-07", "2026-02-04", "2025-12-01", "2026-10-14",
                                     "2026-02-03 18:30:00"], format="ISO8601"))
    labels = rc.label_dates(days)
    assert labels.tolist() == [rc.WINTER_SALES, "", f"{rc.BLACK_WEEK}, {rc.CHRISTMAS}", "",
                               rc.WINTER_SALES]
    assert rc.label_dates(days, window_days=1).iloc[1] == rc.WINTER_SALES  # the day after
    weekly = rc.weekly_shares(pd.DatetimeIndex(["2026-01-11", "2026-03-01"]))
    assert weekly.loc["2026-01-11", "soldes"] == pytest.approx(5 / 7)  # Wed 7 .. Sun 11
    assert weekly.loc["2026-03-01"].sum() == 0


def test_engagement_and_purchase_slots_exact():
    posts = pd.DataFrame({
        "post_id": ["B1", "B2", "B3", "B4", "X1"],
        "brand": ["ours", "ours", "ours", "ours", "other"],
        "timestamp": pd.to_datetime(["2026-10-05 09:10", "2026-10-05 09:50", "2026-10-06 18:00",
                                     "2026-10-06 18:30", "2026-10-05 09:00"]),
        "reply_to": [None, None, None, "M9", None],
    })
    inter = pd.DataFrame({"post_id": ["B1", "B1", "B2", "B3", "B3", "B3", "B3", "B4", "X1"]})
    pe = moments.post_engagement(posts, inter, "ours")
    assert pe["post_id"].tolist() == ["B1", "B2", "B3"]  # the reply is left out
    assert pe["interactions"].tolist() == [2, 1, 4]
    slots = moments.engagement_by_slot(pe, min_posts=1).set_index(["weekday", "hour"])
    assert slots.loc[(0, 9), "posts"] == 2 and slots.loc[(0, 9), "per_post"] == pytest.approx(1.5)
    assert slots.loc[(1, 18), "index"] == pytest.approx(4 / (7 / 3))
    strict = moments.engagement_by_slot(pe, min_posts=2).set_index(["weekday", "hour"])
    assert np.isnan(strict.loc[(1, 18), "index"])  # one post only: not judged
    assert strict.loc[(0, 9), "index"] == pytest.approx(1.5 / (7 / 3))
    best = moments.best_slots(moments.engagement_by_slot(pe, min_posts=1), "per_post", top=1)
    assert (best.loc[0, "day"], best.loc[0, "hour"]) == ("mardi", 18)
    grid = moments.slot_grid(moments.engagement_by_slot(pe, min_posts=1), "posts")
    assert grid.shape == (7, 24) and grid.loc["lundi", 9] == 2 and grid.to_numpy().sum() == 3
    with pytest.raises(ValueError, match="no post of brand"):
        moments.post_engagement(posts, inter, "nobody")


def test_slot_effect_detects_a_planted_hour():
    rng = np.random.default_rng(0)
    hours = rng.integers(8, 20, 3000)
    flat = pd.DataFrame({"hour": hours, "interactions": rng.poisson(18, 3000)})
    boosted = flat.assign(interactions=rng.poisson(np.where(hours == 18, 24, 18)))
    assert moments.slot_effect(flat)["p_value"] > 0.01
    eff = moments.slot_effect(boosted)
    assert eff["p_value"] < 1e-6 and eff["best"] == 18


@pytest.fixture(scope="module")
def sample_tables(sample_dir):
    from workbench import datasets

    return datasets.read_tables(["transactions", "brand_posts", "interactions"], sample_dir)


def test_sample_purchase_moments_planted(sample_tables):
    """Planted in the sample: store purchases around 15 h (normal, sd 2.6 h) with a Saturday
    peak; online purchases mostly in the evening (~21 h) with a Sunday peak; soldes, Black
    Friday week and Christmas shopping boost sales, other calendar moments do not."""
    tx = sample_tables["transactions"]
    slots = moments.purchases_by_slot(tx)
    store = slots[slots["channel"] == "store"]
    web = slots[slots["channel"] == "web"]
    assert moments.best_day_part(store, "purchases", "purchases")  # runs on counts too
    store_hours = store.groupby("hour")["purchases"].sum()
    assert store_hours.idxmax() in (14, 15)
    assert store.groupby("weekday")["purchases"].sum().idxmax() == 5  # Saturday
    web_hours = web.groupby("hour")["purchases"].sum()
    assert 19 <= web_hours.idxmax() <= 22
    assert web.groupby("weekday")["purchases"].sum().idxmax() == 6  # Sunday
    ref = tx.assign(w=tx["timestamp"].dt.dayofweek, h=tx["timestamp"].dt.hour)
    ref = ref[ref["channel"] == "store"].groupby(["w", "h"]).size()
    assert store.set_index(["weekday", "hour"])["purchases"].sort_index().tolist() == ref.sort_index().tolist()
    lift = moments.calendar_lift(moments.daily_counts(tx["timestamp"])).set_index("event")["lift"]
    boosted = lift[[rc.WINTER_SALES, rc.SUMMER_SALES, rc.BLACK_WEEK, rc.CHRISTMAS]]
    assert (boosted > 1.3).all()
    assert boosted.min() > lift[[rc.BACK_TO_SCHOOL, rc.FATHERS_DAY]].max()


def test_sample_post_engagement_has_no_planted_slot(sample_tables):
    """The sample plants no effect of the publication time on engagement: the test must not
    find one (so the page does not recommend a slot on noise)."""
    from workbench import profile

    brand = profile.profile_for(None).brand
    pe = moments.post_engagement(sample_tables["brand_posts"], sample_tables["interactions"], brand)
    assert moments.slot_effect(pe, "weekday")["p_value"] > 0.01
    labelled = moments.label_peaks(pd.DataFrame({"date": pd.to_datetime(["2026-11-27", "2026-10-14"])}))
    assert labelled["calendar_event"].tolist() == [rc.BLACK_WEEK, ""]
    assert labelled["in_calendar"].tolist() == [True, False]
