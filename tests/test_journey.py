"""Journeys from the touchpoint log: stitching, journey cuts, ROPO, models; and the
planted behaviour of the default sample recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from workbench import journey

D0 = pd.Timestamp("2026-09-01")


def _t(days: float, hour: float = 12.0) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=days) + pd.Timedelta(hours=hour)


@pytest.fixture
def log():
    """A hand-made touchpoint log with every case of the journey rules."""
    rows = [
        # C1: anonymous search on device V1 (stitched), then a known website visit, a store
        # visit and a store purchase: research online, purchase offline.
        ("V1", None, _t(0), "search", None, None),
        ("V1", "C1", _t(1), "website", None, None),
        ("V0", "C1", _t(2, 15), "store_visit", None, None),
        ("V0", "C1", _t(2, 15.3), "purchase", None, "T1"),
        # C1 later: display + email, then 12 days of silence (> window): null journey;
        # then a website visit and a web order.
        ("V1", None, _t(20), "display", None, None),
        ("V0", "C1", _t(22), "email", None, None),
        ("V1", "C1", _t(34), "website", None, None),
        ("V1", "C1", _t(35), "purchase", None, "T2"),
        # C2: search at day 0 and day 5.9 (older than 7 days before the purchase at day
        # 13: a null journey), app at day 12, app order at day 13.
        ("V2", "C2", _t(0), "search", None, None),
        ("V2", "C2", _t(5.9), "search", None, None),
        ("V2", "C2", _t(12), "social", "instagram", None),
        ("V2", "C2", _t(13), "purchase", None, "T3"),
        # an unknown visitor: anonymous null journey
        ("V9", None, _t(3), "social", "tiktok", None),
        # a shared device (C3 and C4): its anonymous touch cannot be stitched
        ("V5", "C3", _t(1), "website", None, None),
        ("V5", "C4", _t(2), "website", None, None),
        ("V5", None, _t(3), "app", None, None),
        # C3 buys in store without any touch before: a direct purchase
        ("V6", "C3", _t(30), "purchase", None, "T4"),
    ]
    tp = pd.DataFrame(rows, columns=["visitor_id", "customer_id", "timestamp", "channel",
                                     "platform", "transaction_id"])
    tp.insert(0, "touchpoint_id", [f"P{i}" for i in range(len(tp))])
    tx = pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T3", "T4", "T5"],
            "customer_id": ["C1", "C1", "C2", "C3", None],
            "channel": ["store", "web", "app", "store", "store"],
            "timestamp": [_t(2, 15.3), _t(35), _t(13), _t(30), _t(31)],
            "amount": [50.0, 80.0, 20.0, 10.0, 5.0],
        }
    )
    return tp, tx


def test_stitching(log):
    tp, _ = log
    out, stats = journey.stitch_visitors(tp)
    s = stats.set_index("status")["touchpoints"]
    assert s["stitched"] == 2  # C1's two anonymous V1 touches
    assert s["shared_device"] == 1
    assert s["anonymous"] == 1  # V9; the unstitchable V5 touch is counted as shared_device
    assert s.sum() == len(tp)  # every touch counted once
    assert out.loc[out["visitor_id"] == "V9", "person_id"].item() == "anon:V9"
    assert (out.loc[out["visitor_id"] == "V1", "customer_key"] == "C1").all()


def test_journeys_cut_as_documented(log):
    tp, tx = log
    before = tp.copy()
    touches, journeys, stats = journey.build_journeys(tp, tx, window_days=7)
    pd.testing.assert_frame_equal(tp, before)  # input untouched
    c1 = journeys[journeys["person_id"] == "C1"].sort_values("start")
    assert c1["path"].tolist() == ["search > website > store_visit", "display > email", "website"]
    assert c1["converted"].tolist() == [True, False, True]
    assert c1["sales_channel"].tolist()[0] == "store"
    assert c1["conversion_value"].tolist() == [50.0, 0.0, 80.0]
    c2 = journeys[journeys["person_id"] == "C2"].sort_values("start")
    assert c2["path"].tolist() == ["search > search", "social"]
    assert c2["converted"].tolist() == [False, True]
    direct = journeys[journeys["transaction_id"] == "T4"]
    assert direct["path"].item() == "direct"
    assert direct["days_to_conversion"].item() == 0
    s = stats.set_index("item")["count"]
    # C1: 3, C2: 2, C3: 2 (a null one and the direct purchase), C4: 1, V9 and shared V5: 1 each
    assert s["journeys"] == len(journeys) == 10
    assert s["converted_journeys"] == 4
    assert s["anonymous_journeys"] == 2
    assert s["transactions_without_touchpoint"] == 1  # T5, anonymous purchase
    assert s["direct_purchases"] == 1
    assert len(touches) == (tp["channel"] != "purchase").sum()


def test_stitched_log_gives_the_journeys_of_the_raw_log(log):
    tp, tx = log
    stitched, _ = journey.stitch_visitors(tp)
    t_raw, j_raw, s_raw = journey.build_journeys(tp, tx, window_days=7)
    t_st, j_st, s_st = journey.build_journeys(stitched, tx, window_days=7)
    for raw, st in ((t_raw, t_st), (j_raw, j_st)):
        assert raw.astype(str).equals(st.astype(str))
    assert s_raw.equals(s_st)
    # text ids (no dictionary columns) and a reordered log: the same journeys
    plain = stitched.astype({"person_id": object, "customer_key": object}).iloc[::-1]
    _, j_plain, _ = journey.build_journeys(plain.reset_index(drop=True), tx, window_days=7)
    key = ["person_id", "start"]
    assert (j_plain.sort_values(key)[["person_id", "path", "converted"]].astype(str).to_numpy()
            == j_st.sort_values(key)[["person_id", "path", "converted"]].astype(str).to_numpy()).all()


def test_stitched_log_with_its_counts_needs_no_count_columns(log):
    tp, tx = log
    stitched, counts = journey.stitch_visitors(tp)
    t_st, j_st, s_st = journey.build_journeys(stitched, tx, window_days=7)
    slim = stitched.drop(columns=["visitor_id", "customer_id", "stitched", "shared_device"])
    t, j, s = journey.build_journeys(slim, tx, window_days=7, stitch_stats=counts)
    assert t.astype(str).equals(t_st.astype(str)) and j.astype(str).equals(j_st.astype(str))
    assert s.equals(s_st)
    with pytest.raises(ValueError, match=r"without stitch_stats .* needs column\(s\) "
                                         r"\['customer_id', 'stitched', 'shared_device'\]"):
        journey.build_journeys(slim, tx, window_days=7)


def test_stitched_log_needs_one_customer_per_person(log):
    tp, tx = log
    stitched, _ = journey.stitch_visitors(tp)
    broken = stitched.astype({"person_id": object, "customer_key": object})
    broken.loc[broken["person_id"] == "C2", "customer_key"] = ["C2", "C2", "C9", "C2"]
    with pytest.raises(ValueError, match=r"person_id with several customer_key values \['C2'\]"):
        journey.build_journeys(broken, tx, window_days=7)
    broken = stitched.astype({"person_id": object})
    broken.loc[0, "person_id"] = None
    with pytest.raises(ValueError, match="person_id is missing in 1 row"):
        journey.build_journeys(broken, tx, window_days=7)


def test_window_changes_the_cut(log):
    tp, tx = log
    _, journeys, _ = journey.build_journeys(tp, tx, window_days=14)
    c2 = journeys[journeys["person_id"] == "C2"]
    assert c2["path"].tolist() == ["search > search > social"]
    with pytest.raises(ValueError, match="window_days"):
        journey.build_journeys(tp, tx, window_days=0)


def test_paths_ropo_and_models_on_fixture(log):
    tp, tx = log
    touches, journeys, _ = journey.build_journeys(tp, tx)
    paths = journey.journeys_to_paths(journeys)
    assert paths["total_conversions"].sum() == 4
    assert paths["total_null"].sum() == 6
    assert paths["total_conversion_value"].sum() == pytest.approx(160.0)
    res = journey.markov_attribution(paths)
    assert res["conversions"].sum() == pytest.approx(4)
    ropo = journey.ropo_rates(touches, journeys).set_index("direction")
    assert ropo.loc["ropo", "purchases"] == 2  # T1, T4
    assert ropo.loc["ropo", "rate"] == pytest.approx(0.5)
    assert ropo.loc["reverse_ropo", "rate"] == pytest.approx(0.0)
    per = journey.customer_ropo(touches, journeys, min_store_purchases=1).set_index("customer_id")
    assert bool(per.loc["C1", "web_to_store"]) and not bool(per.loc["C3", "web_to_store"])
    ttc = journey.time_to_conversion(journeys).set_index("sales_channel")
    assert ttc.loc["store", "journeys"] == 2
    assert ttc.loc["web", "mean_days"] == pytest.approx(1.0)


def test_conversion_model_recovers_simulated_log_odds():
    rng = np.random.default_rng(3)
    n = 40_000
    x = pd.DataFrame({c: rng.random(n) < 0.4 for c in ("a", "b", "c")}).astype(int)
    logit = -0.5 + 1.0 * x["a"] + 0.0 * x["b"] - 0.7 * x["c"]
    x.insert(0, "converted", (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))
    res = journey.conversion_model(x).set_index("channel")
    for ch, beta in {"(intercept)": -0.5, "a": 1.0, "b": 0.0, "c": -0.7}.items():
        assert res.loc[ch, "log_odds"] == pytest.approx(beta, abs=0.08)
    assert res.loc["a", "or_low"] < np.exp(1.0) < res.loc["a", "or_high"]
    with pytest.raises(ValueError, match="without variation"):
        journey.conversion_model(x.assign(d=1))


def test_moments_shapes(log):
    tp, tx = log
    touches, journeys, _ = journey.build_journeys(tp, tx)
    heat = journey.weekday_hour_activity(touches)
    assert heat.shape == (7, 24) and heat.to_numpy().sum() == len(touches)
    assert heat.index[0] == "lundi"
    weekly = journey.weekly_activity(touches)
    assert weekly.to_numpy().sum() == len(touches)
    best = journey.best_moments(touches, journeys, top=2)
    assert len(best) <= 2 and best["converting_touches"].is_monotonic_decreasing


# ---------------------------------------------------------------------------------------------
# Default sample: planted truth recovered
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(sample_dir):
    from workbench import datasets

    tables = datasets.read_tables(["touchpoints", "transactions", "mentions", "interactions"],
                                  sample_dir)
    touches, journeys, stats = journey.build_journeys(tables["touchpoints"],
                                                      tables["transactions"])
    return tables, touches, journeys, stats


def test_sample_web_to_store_recovered(built, truth):
    """Planted: web_to_store customers research online before ~90 % of their store purchases,
    others ~10 %. The per-customer ROPO rate must separate them: mean >= 0.75 for the truth
    group and <= 0.30 for others (others sit a little above 10 % because their own online
    journeys sometimes fall in the 7 days before a store purchase); the rule 'rate >= 0.5 with
    >= 2 store purchases' must find >= 90 % of them with precision >= 60 % (same reason)."""
    _, touches, journeys, _ = built
    per = journey.customer_ropo(touches, journeys)
    planted = per["customer_id"].isin(set(truth["web_to_store"]["customer_id"]))
    assert per.loc[planted, "ropo_rate"].mean() >= 0.75
    assert per.loc[~planted, "ropo_rate"].mean() <= 0.30
    found = per["web_to_store"]
    recall = (found & planted).sum() / planted.sum()
    precision = (found & planted).sum() / found.sum()
    assert recall >= 0.9 and precision >= 0.6


def test_sample_channel_effects_recovered(built, truth):
    """Planted: per-journey log-odds of each channel exposure. Journeys are rebuilt from the
    log (stitching, 7-day window), which merges some null journeys into converting ones and
    attenuates the estimates, so we ask for: every planted effect >= 0.3 estimated positive and
    significant; ranking preserved (Spearman >= 0.8); the strongest and the weakest channel
    identified; every estimate within 0.35 of its planted value."""
    _, touches, journeys, _ = built
    planted = {k: v for k, v in truth["channel_effects"].items() if k != "intercept"}
    res = journey.conversion_model(journey.exposure_matrix(touches, journeys))
    res = res.set_index("channel").drop(index="(intercept)")
    assert set(planted) <= set(res.index)
    est = res.loc[list(planted), "log_odds"]
    truth_s = pd.Series(planted)
    for ch, beta in planted.items():
        if beta >= 0.3:
            assert est[ch] > 0 and res.loc[ch, "p_value"] < 0.01, ch
        assert abs(est[ch] - beta) <= 0.35, ch
    assert spearmanr(est, truth_s[est.index]).statistic >= 0.8
    assert est.idxmax() == truth_s.idxmax() and est.idxmin() == truth_s.idxmin()


def test_sample_journey_accounting(built):
    """Nothing silently dropped: every purchase touchpoint is a converted journey, every
    non-purchase touchpoint is in exactly one journey."""
    tables, touches, journeys, stats = built
    tp = tables["touchpoints"]
    s = stats.set_index("item")["count"]
    assert s["converted_journeys"] == (tp["channel"] == "purchase").sum()
    assert len(touches) == (tp["channel"] != "purchase").sum()
    assert s["converted_journeys"] + s["null_journeys"] == len(journeys)
    assert s["purchases_without_transaction"] == 0


def test_sample_social_vs_purchase(built):
    tables, touches, journeys, _ = built
    from workbench import sample

    out = journey.social_vs_purchase(touches, journeys, tables["mentions"],
                                     tables["interactions"], sample.BRAND)
    assert set(out["platform"]) == {"twitter", "instagram", "facebook", "tiktok"}
    assert out["conversation_share"].sum() == pytest.approx(1)
    assert out["revenue_share"].sum() == pytest.approx(1)
    assert (out["purchases"] <= out["journeys"]).all()


def test_map_ids_matches_pandas_map():
    from oracles import _map_ids

    mapping = pd.Series(["c1", "c2"], index=pd.Index(["v1", "v2"], dtype="str"), dtype="str")
    values = pd.Series(["v2", None, "v9", "v1", "v2"], index=[5, 6, 7, 8, 9], dtype="str")
    got = _map_ids(values, mapping)
    pd.testing.assert_series_equal(got, values.map(mapping), check_dtype=False)
    assert got.isna().tolist() == [False, True, True, False, False]
    assert _map_ids(pd.Series([1, 2]), mapping.iloc[:0]).isna().all()


# ---------------------------------------------------------------------------------------------
# Integer-coded implementation: same results as the plain pandas computations
# ---------------------------------------------------------------------------------------------


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain text, for comparisons."""
    return df.assign(**{c: df[c].astype(object).where(df[c].notna(), None) for c in df.columns
                        if isinstance(df[c].dtype, (pd.CategoricalDtype, pd.ArrowDtype))
                        or pd.api.types.is_string_dtype(df[c])})


def test_categorical_input_gives_the_same_journeys(log):
    tp, tx = log
    cat = tp.astype({c: "category" for c in ["visitor_id", "customer_id", "channel", "platform",
                                              "transaction_id"]})
    # categories deliberately not sorted: the codes are re-ranked
    cat["visitor_id"] = cat["visitor_id"].cat.reorder_categories(
        list(cat["visitor_id"].cat.categories[::-1]))
    a = journey.build_journeys(tp, tx)
    b = journey.build_journeys(cat, tx.astype({"transaction_id": "category"}))
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(_text(x), _text(y), check_dtype=False)
    stitched, _ = journey.stitch_visitors(tp)
    assert stitched["shared_device"].sum() == 1
    pd.testing.assert_frame_equal(_text(journey.build_journeys(stitched, tx)[1]), _text(a[1]))


def test_add_paths_for_a_subset_equals_full_paths(log):
    tp, tx = log
    touches, journeys, _ = journey.build_journeys(tp, tx)
    _, bare, _ = journey.build_journeys(tp, tx, with_paths=False)
    assert "path" not in bare.columns
    some = bare[bare["journey_id"] % 2 == 1]
    got = journey.add_paths(some, touches.sample(frac=1, random_state=0))  # order of touches free
    assert got["path"].tolist() == journeys.loc[some.index, "path"].tolist()


def test_sample_moments_equal_pandas_reference(built):
    _, touches, journeys, _ = built
    ts = touches["timestamp"]
    heat = pd.crosstab(ts.dt.dayofweek, ts.dt.hour).reindex(index=range(7), columns=range(24),
                                                             fill_value=0)
    got = journey.weekday_hour_activity(touches)
    assert (got.to_numpy() == heat.to_numpy()).all()
    week = ts.dt.to_period("W-SUN").dt.start_time
    ref = pd.crosstab(week, touches["channel"].astype("str"))
    got = journey.weekly_activity(touches)
    assert (got.index == ref.index).all() and list(got.columns) == list(ref.columns)
    assert (got.to_numpy() == ref.to_numpy()).all()
    daily = ts.dt.normalize().value_counts().sort_index()
    dec = journey.daily_decomposition(touches).set_index("date")["observed"]
    assert (dec[dec > 0] == daily.astype(float)).all() and dec.sum() == len(touches)
    conv = journeys.set_index("journey_id")["converted"]
    t = touches[touches["channel"].isin(("email", "website", "app", "social"))]
    ref = t.assign(weekday=t["timestamp"].dt.dayofweek, hour=t["timestamp"].dt.hour,
                   conv=t["journey_id"].map(conv).astype(float)).groupby(["weekday", "hour"]).agg(
        touches=("conv", "size"), converting_touches=("conv", "sum")).sort_values(
        "converting_touches", ascending=False).head(5)
    best = journey.best_moments(touches, journeys, top=5)
    assert best["touches"].tolist() == ref["touches"].tolist()
    assert best["converting_touches"].tolist() == ref["converting_touches"].tolist()


def test_sample_channel_volumes_equal_pandas_reference(built):
    tables, touches, journeys, _ = built
    conv = journeys.set_index("journey_id")["converted"]
    t = touches.assign(channel=touches["channel"].astype("str"), _conv=touches["journey_id"].map(conv))
    per_j = t.drop_duplicates(["journey_id", "channel"])
    got = journey.channel_volumes(touches, journeys).set_index("channel")
    assert got["touches"].to_dict() == t.groupby("channel").size().to_dict()
    assert got["persons"].to_dict() == t.groupby("channel")["person_id"].nunique().to_dict()
    assert got["converting_journeys"].to_dict() == per_j.groupby("channel")["_conv"].sum().to_dict()


def test_grouped_conversion_model_equals_logit_per_journey():
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    n = 5_000
    x = pd.DataFrame({c: (rng.random(n) < 0.3).astype(np.int8) for c in ("a", "b", "c")})
    logit = -1 + 0.8 * x["a"] - 0.4 * x["c"]
    x.insert(0, "converted", (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))
    ref = sm.Logit(x["converted"].astype(float), sm.add_constant(x.drop(columns="converted")
                                                                 .astype(float))).fit(disp=0)
    got = journey.conversion_model(x).set_index("channel").rename(index={"(intercept)": "const"})
    assert np.allclose(got["log_odds"], ref.params[got.index], atol=1e-8)
    assert np.allclose(got["std_err"], ref.bse[got.index], rtol=1e-6)
    assert np.allclose(got["p_value"], ref.pvalues[got.index], rtol=1e-5, atol=1e-12)


def test_sample_compact_read_gives_the_same_journeys(built, sample_dir):
    """The notebook's path (ids read as pyarrow dictionary columns, channels as categoricals,
    stitched once, text paths added afterwards) gives the journeys of the plain text path."""
    from workbench import datasets

    tables, touches, journeys, stats = built
    tp = datasets.read_table_compact("touchpoints", sample_dir, columns=journey.TOUCHPOINT_COLUMNS,
                                     dictionary=journey.ID_COLUMNS)
    tx = datasets.read_table_compact("transactions", sample_dir,
                                     columns=journey.TRANSACTION_COLUMNS,
                                     dictionary=journey.ID_COLUMNS)
    stitched, _ = journey.stitch_visitors(tp)
    t2, j2, s2 = journey.build_journeys(stitched.drop(columns="visitor_id"), tx, with_paths=False)
    pd.testing.assert_frame_equal(s2, stats)
    pd.testing.assert_frame_equal(_text(t2), _text(touches), check_dtype=False)
    j2 = journey.add_paths(j2, t2)
    pd.testing.assert_frame_equal(_text(j2[journeys.columns]), _text(journeys), check_dtype=False)


@pytest.mark.parametrize("compact", [False, True])
def test_purchase_without_transaction_keeps_its_id(log, compact):
    """A purchase touchpoint whose transaction is not in the transactions keeps its id on the
    journey, is counted, and has no sales channel or value; the others are matched (ids as
    plain texts or as dictionary columns)."""
    tp, tx = log
    tp = tp.copy()
    tp.loc[tp["transaction_id"] == "T3", "transaction_id"] = "T99"  # C2's app order, unknown
    if compact:
        import pyarrow as pa

        dict_type = pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string()))
        def coded(s):
            return pd.Series(pa.array(s, from_pandas=True, type=pa.string()).dictionary_encode(),
                             dtype=dict_type)

        tp["transaction_id"] = coded(tp["transaction_id"])
        tx = tx.assign(transaction_id=coded(tx["transaction_id"]))
    _, journeys, stats = journey.build_journeys(tp, tx, window_days=7)
    s = stats.set_index("item")["count"]
    assert s["purchases_without_transaction"] == 1
    c2 = journeys[journeys["person_id"] == "C2"].sort_values("start")
    bought = c2[c2["converted"]]
    assert bought["transaction_id"].astype(str).tolist() == ["T99"]
    assert bought["sales_channel"].isna().all() and bought["conversion_value"].tolist() == [0.0]
    c1 = journeys[(journeys["person_id"] == "C1") & journeys["converted"]].sort_values("start")
    assert c1["transaction_id"].astype(str).tolist() == ["T1", "T2"]
    assert c1["sales_channel"].astype(str).tolist() == ["store", "web"]
    assert c1["conversion_value"].tolist() == [50.0, 80.0]
