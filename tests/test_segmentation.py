"""Segmentation: features, typology rules, clustering, tests, geography, audience, migration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench import regions, segment_model
from workbench import segment_pages as sp
from workbench import segmentation as seg
from workbench.reporting import fmt_int

TABLES = ["customers", "transactions", "transaction_lines", "touchpoints", "email_events"]


# --------------------------------------------------------------------------------------------
# tiny fixtures
# --------------------------------------------------------------------------------------------

def _ts(*values):
    return pd.to_datetime(list(values))


@pytest.fixture
def tiny():
    customers = pd.DataFrame({
        "customer_id": ["A", "B", "C"],
        "birth_year": pd.array([1990, 1960, pd.NA], dtype="Int64"),
        "sex": ["F", "M", None],
        "csp": ["cadres", "retraites", None],
        "city": ["Paris", "Lyon", "Lyon"],
        "region": ["Île-de-France", "Auvergne-Rhône-Alpes", "Auvergne-Rhône-Alpes"],
        "department": ["75", "69", "69"],
        "loyalty_tier": ["gold", "none", "silver"],
        "signup_date": _ts("2020-01-01", "2021-01-01", "2022-01-01"),
    })
    transactions = pd.DataFrame({
        "transaction_id": ["t1", "t2", "t3", "t4", "t5", "t6"],
        "customer_id": ["A", "A", "A", "B", None, "C"],
        "store_id": ["S1", None, "S1", "S2", "S2", "S1"],
        "channel": ["store", "web", "store", "store", "store", "store"],
        "timestamp": _ts("2026-09-10 15:00", "2026-09-20 20:00", "2026-10-05 11:00",
                         "2026-10-10 10:00", "2026-10-11 10:00", "2025-01-01 10:00"),
        "amount": [40.0, 60.0, 20.0, 10.0, 99.0, 5.0],
        "n_items": [2, 3, 1, 1, 4, 1],
    })
    lines = pd.DataFrame({
        "transaction_id": ["t1", "t1", "t2", "t3", "t4"],
        "line_no": [1, 2, 1, 1, 1],
        "category": ["mode", "maison", "mode", "sport", "maison"],
        "quantity": [1, 1, 3, 1, 1],
        "amount": [30.0, 10.0, 60.0, 20.0, 10.0],
    })
    touchpoints = pd.DataFrame({
        "touchpoint_id": [f"p{i}" for i in range(6)],
        "visitor_id": ["v1", "v1", "v1", "v2", "v9", "v9"],
        "customer_id": [None, "A", None, "B", "A", "B"],
        "timestamp": _ts("2026-09-08 20:00", "2026-09-19 21:00", "2026-10-03 20:00",
                         "2026-10-01 09:00", "2026-09-01 09:00", "2026-09-01 09:00"),
        "channel": ["search", "website", "app", "search", "social", "social"],
        "platform": [None, None, None, None, "instagram", "tiktok"],
        "transaction_id": [None] * 6,
    })
    email = pd.DataFrame({
        "campaign_id": ["m1", "m1", "m1", "m2", "m1"],
        "customer_id": ["A", "A", "A", "A", "B"],
        "event": ["sent", "open", "click", "sent", "sent"],
        "timestamp": _ts("2026-09-01", "2026-09-01", "2026-09-01", "2026-10-01", "2026-09-01"),
    })
    return {"customers": customers, "transactions": transactions, "transaction_lines": lines,
            "touchpoints": touchpoints, "email_events": email}


def test_stitch_touchpoints_fills_from_device_and_counts_ambiguous(tiny):
    tp, counts = seg.stitch_touchpoints(tiny["touchpoints"])
    assert tp["customer_id"].tolist()[:3] == ["A", "A", "A"]  # v1 logged in once as A
    assert counts == {"touchpoints": 6, "anonymous_before": 2, "stitched": 2,
                      "still_anonymous": 0, "ambiguous_visitors": 1}  # v9 seen as A and B
    assert tiny["touchpoints"]["customer_id"].isna().sum() == 2  # input untouched


def test_web_research_before_store_window_and_previous_purchase(tiny):
    tp, _ = seg.stitch_touchpoints(tiny["touchpoints"])
    wr = seg.web_research_before_store(tiny["transactions"], tp).set_index("transaction_id")
    # t1: search 1.8 days before, no previous purchase -> researched
    assert bool(wr.loc["t1", "researched"])
    assert wr.loc["t1", "days_since_research"] == pytest.approx(43 / 24)
    # t3: app 1.6 days before, after the web order t2 -> researched
    assert bool(wr.loc["t3", "researched"])
    # t4: B's last search is 9 days before -> outside the 7-day window
    assert not bool(wr.loc["t4", "researched"])
    assert "t5" not in wr.index and "t2" not in wr.index  # anonymous and web purchases
    wide = seg.web_research_before_store(tiny["transactions"], tp, window_days=10)
    assert bool(wide.set_index("transaction_id").loc["t4", "researched"])


def test_research_before_a_web_order_does_not_count_for_the_next_store_visit():
    trx = pd.DataFrame({"transaction_id": ["w", "s"], "customer_id": ["A", "A"],
                        "channel": ["web", "store"],
                        "timestamp": _ts("2026-03-02 20:00", "2026-03-04 15:00")})
    tp = pd.DataFrame({"customer_id": ["A"], "channel": ["search"],
                       "timestamp": _ts("2026-03-02 19:00")})
    wr = seg.web_research_before_store(trx, tp)
    assert wr["researched"].tolist() == [False]


def test_customer_features_exact_values(tiny):
    f = seg.customer_features(tiny, "2026-10")
    assert list(f.index) == ["A", "B", "C"]
    a = f.loc["A"]
    assert a["frequency"] == 3 and a["monetary"] == 120 and a["avg_basket"] == 40
    assert a["share_store"] == pytest.approx(2 / 3) and a["share_web"] == pytest.approx(1 / 3)
    assert a["n_channels"] == 2 and a["n_store"] == 2
    assert a["recency_days"] == pytest.approx(26 + 13 / 24)  # 2026-10-05 11:00 -> 2026-11-01
    assert a["research_share"] == 1.0
    assert a["cat_mode"] == pytest.approx(90 / 120) and a["cat_sport"] == pytest.approx(20 / 120)
    assert a["open_rate"] == 0.5 and a["click_rate"] == 0.5
    assert a["age"] == 36 and a["age_band"] == "35-44"
    assert f.loc["B", "research_share"] == 0.0
    assert f.loc["C", "frequency"] == 0  # only purchase is older than the 365-day lookback
    assert f.loc["C", "age_band"] == "inconnu" and f.loc["C", "r_score"] == 0
    assert f.loc["A", "m_score"] > f.loc["B", "m_score"]
    # lookback: 2 years brings C's old purchase back
    assert seg.customer_features(tiny, "2026-10", lookback_days=730).loc["C", "frequency"] == 1


def test_customer_features_refuses_unknown_customers(tiny):
    bad = dict(tiny)
    bad["transactions"] = tiny["transactions"].assign(customer_id=["A", "A", "A", "Z", None, "C"])
    with pytest.raises(ValueError, match="absent from the customers file"):
        seg.customer_features(bad, "2026-10")
    with pytest.raises(ValueError, match="table 'customers' is required"):
        seg.customer_features({"transactions": tiny["transactions"]}, "2026-10")


def test_sales_periods_follow_the_legal_calendar():
    p = seg.sales_periods([2025, 2026])
    starts = dict(zip(p["name"] + p["start"].dt.year.astype(str), p["start"], strict=True))
    assert starts["soldes d'hiver2025"] == pd.Timestamp("2025-01-08")
    assert starts["soldes d'hiver2026"] == pd.Timestamp("2026-01-07")  # 2nd Wed is the 14th
    assert starts["soldes d'été2025"] == pd.Timestamp("2025-06-25")
    flags = seg.in_sales_period(pd.Series(_ts("2025-11-28 12:00", "2025-12-02 00:00",
                                              "2026-02-03 10:00", "2026-02-04 10:00")))
    assert flags.tolist() == [True, False, True, False]


def test_purchase_features_without_crm_and_rfm_segments(tiny):
    f = seg.purchase_features(tiny["transactions"], "2026-10", lookback_days=None)
    assert list(f.index) == ["A", "B", "C"]  # every buyer, whole history
    assert f.loc["C", "frequency"] == 1
    assert f.attrs["anonymous_purchases"] == 1
    assert f.loc["A", "r_score"] >= 4  # most recent buyers score best on recency
    # the purchase ids are not needed (the monthly synthesis reads the purchases without them)
    no_ids = seg.purchase_features(tiny["transactions"].drop(columns="transaction_id"), "2026-10", lookback_days=None)
    pd.testing.assert_frame_equal(no_ids, f)
    r = pd.Series([5, 4, 4, 2, 3, 1, 0, 3])
    fq = pd.Series([5, 3, 1, 4, 2, 1, 0, 3])
    assert seg.rfm_segment(r, fq).tolist() == ["Champions", "Fidèles", "Nouveaux / prometteurs",
                                               "À risque", "À réveiller", "Perdus", "Sans achat sur la période",
                                               "Fidèles"]


def test_social_profile_rates(tiny):
    f = seg.customer_features(tiny, "2026-10")
    segs = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment_name": ["x", "x", "y"]})
    sp = seg.social_profile(f, segs)
    # A and B each logged in once on social (device v9 is shared, so not stitched further)
    assert sp.loc["x", "social_reached"] == 1.0 and sp.loc["y", "social_reached"] == 0.0
    assert sp.loc["x", "emailed"] == 1.0
    assert sp.loc["x", "open_rate"] == pytest.approx((0.5 + 0.0) / 2)  # A: 1 open / 2 sent; B: 0/1


def test_channel_typology_rules():
    f = pd.DataFrame({
        "frequency":      [0, 5, 6, 4, 10, 5, 8],
        "recency_days":   [365, 200, 10, 10, 5, 5, 3],
        "share_store":    [0, 1, 1, 1, 0.1, 1, 0.5],
        "share_online":   [0, 0, 0, 0, 0.9, 0, 0.3],
        "n_store":        [0, 5, 6, 4, 1, 5, 4],
        "research_share": [0, 1, 0.8, 0.5, 1, 0, 0.9],
    }, index=pd.Index(list("abcdefg"), name="customer_id"))
    t = seg.channel_typology(f).set_index("customer_id")
    assert t["channel_type"].tolist() == ["inactive", "inactive", "web_to_store", "store_only",
                                          "digital_first", "store_only", "omnichannel"]
    assert t.loc["c", "channel_type_fr"] == "Web-to-store"
    strict = seg.channel_typology(f, seg.TypologyRules(research_share_min=0.9))
    assert strict.set_index("customer_id").loc["c", "channel_type"] == "store_only"
    with pytest.raises(ValueError, match="research_share"):
        seg.channel_typology(f.drop(columns="research_share"))


def test_silhouette_matches_sklearn():
    from scipy.spatial.distance import cdist
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    lab = rng.integers(0, 3, 300)
    lab[0] = 7  # a singleton scores 0
    assert seg.silhouette(cdist(X, X), lab) == pytest.approx(silhouette_score(X, lab), abs=1e-12)


def test_name_segments_from_profiles():
    cols = list(seg.CLUSTER_FEATURES)
    base = dict.fromkeys(cols, 0.5)
    rows = []
    for changes in ({"share_online": 0.9, "age": 0.1, "log_social_touchpoints": 0.9, "click_rate": 0.9,
                     "share_store": 0.05},
                    {"research_share": 0.95, "share_store": 0.95},
                    {"share_store": 0.99, "age": 0.9, "log_frequency": 0.8, "log_avg_basket": 0.1,
                     "research_share": 0.05, "open_rate": 0.05},
                    {"log_avg_basket": 0.95, "share_click_collect": 0.9, "loyalty_rank": 0.9},
                    {"promo_share": 0.9, "log_frequency": 0.1, "open_rate": 0.1}):
        rows.append({**base, **changes})
    names = seg.name_segments(pd.DataFrame(rows, columns=cols))
    assert names == [n for n, _ in seg.SEGMENT_ARCHETYPES]
    # a segment like no archetype gets a descriptive name from its traits
    odd = seg.name_segments(pd.DataFrame([base, {**base, "age": 0.9}], columns=cols))
    assert any(n.startswith("Segment") for n in odd)


def test_segment_tests_match_reference_statistics():
    rng = np.random.default_rng(1)
    g = np.repeat([1, 2, 3], 50)
    f = pd.DataFrame({"age": rng.normal(40, 5, 150) + (g == 3) * 6,
                      "csp": rng.choice(["cadres", "employes"], 150)},
                     index=pd.Index([f"c{i}" for i in range(150)], name="customer_id"))
    segs = pd.DataFrame({"customer_id": f.index, "segment": g})
    out = seg.segment_tests(f, segs, numeric=["age"], categorical=["csp"]).set_index("variable")
    ref = stats.f_oneway(*(f["age"][g == k] for k in (1, 2, 3)))
    assert out.loc["age", "statistic"] == pytest.approx(ref.statistic)
    assert out.loc["age", "p_value"] == pytest.approx(ref.pvalue)
    ct = pd.crosstab(f["csp"], g)
    chi2 = stats.chi2_contingency(ct, correction=False)[0]
    assert out.loc["csp", "effect_size"] == pytest.approx(np.sqrt(chi2 / 150))


def test_concentration_and_audience_growth():
    c = regions.concentration(pd.Series({"a": 50, "b": 30, "c": 20}), top=2)
    assert c["top_share"] == pytest.approx(0.8) and c["top_areas"] == ["a", "b"]
    assert c["herfindahl"] == pytest.approx(0.25 + 0.09 + 0.04)
    aud = pd.DataFrame({
        "date": _ts("2026-01-15", "2026-01-31", "2026-02-28", "2026-01-31", "2026-02-28"),
        "platform": ["tiktok", "tiktok", "tiktok", "instagram", "instagram"],
        "brand": ["Maison Lys"] * 5,
        "followers": [90, 100, 150, 1000, 1100],
    })
    g = seg.audience_growth(aud, "Maison Lys")
    feb = g[g["month"] == pd.Period("2026-02", "M")].set_index("platform")
    assert feb.loc["tiktok", "growth"] == pytest.approx(0.5)
    assert feb.loc["instagram", "net_new"] == 100
    fast = seg.fastest_growing(g)
    assert fast["platform"].iloc[0] == "tiktok"
    with pytest.raises(ValueError, match="no audience rows"):
        seg.audience_growth(aud, "Orbe")


# --------------------------------------------------------------------------------------------
# default sample: planted structure
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_tables(sample_dir):
    from workbench import datasets

    return datasets.read_tables(TABLES + ["stores", "social_accounts", "audience"], sample_dir)


@pytest.fixture(scope="module")
def sample_features(sample_tables):
    return seg.customer_features(sample_tables, "2026-10")


def test_typology_recovers_planted_web_to_store(sample_features, truth):
    t = seg.channel_typology(sample_features)
    pred = set(t.loc[t["channel_type"] == "web_to_store", "customer_id"])
    planted = set(truth["web_to_store"]["customer_id"])
    tp = len(pred & planted)
    assert tp / len(pred) >= 0.9, f"precision {tp / len(pred):.3f}"
    assert tp / len(planted) >= 0.9, f"recall {tp / len(planted):.3f}"


def test_clustering_recovers_planted_segments(sample_features, truth):
    from sklearn.metrics import adjusted_rand_score

    s = seg.segment_customers(sample_features, seed=0).set_index("customer_id")
    planted = truth["segments"].set_index("customer_id")["segment"].reindex(s.index)
    assert planted.notna().all()
    assert adjusted_rand_score(planted, s["segment"]) >= 0.8
    # names follow profiles: each planted segment's majority cluster carries the matching name
    majority = pd.crosstab(planted, s["segment_name"]).idxmax(axis=1)
    assert majority["digital_natives"] == "Connectés digitaux"
    assert majority["web_to_store"] == "Web-to-store"
    assert majority["store_traditional"] == "Traditionnels magasin"
    assert majority["premium_omnichannel"] == "Premium omnicanaux"
    assert majority["occasional_bargain"] == "Occasionnels chasseurs de promos"
    # customers without any purchase are not clustered: their own named group, counted
    none = ~segment_model.buyers(sample_features)
    assert none.sum() > 0
    assert (s.loc[none, "segment_name"] == seg.NO_PURCHASE).all() and (s.loc[none, "segment"] == 0).all()
    assert (s.loc[~none, "segment_name"] != seg.NO_PURCHASE).all() and len(s) == len(sample_features)
    # on buyers, the silhouette picks as many segments as the sample plants, one per planted segment
    model = seg.fit_segment_model(sample_features, seed=0)
    assert model.k == truth["segments"]["segment"].nunique()
    assert set(model.names) == {"Connectés digitaux", "Web-to-store", "Traditionnels magasin",
                                "Premium omnicanaux", "Occasionnels chasseurs de promos"}


def test_k_chosen_on_a_sample_of_buyers_as_on_all_of_them(sample_features, truth, monkeypatch):
    """Above CHOOSE_K_ROWS buyers the k-means of each k are fitted on a sample: the same k as
    fits on every buyer, the chosen k then fitted on every buyer (each one gets a segment)."""
    full = seg.fit_segment_model(sample_features, seed=0)
    n_buyers = int(segment_model.buyers(sample_features).sum())
    monkeypatch.setattr(segment_model, "CHOOSE_K_ROWS", n_buyers // 4)
    sampled = seg.fit_segment_model(sample_features, seed=0)
    assert sampled.k == full.k == truth["segments"]["segment"].nunique()
    assert list(sampled.selection["silhouette"].round(1)) == list(full.selection["silhouette"].round(1))
    # inertia over every buyer, so close to the full fits' (a sample's centres do a bit worse)
    ratio = sampled.selection["inertia"] / full.selection["inertia"]
    assert ((ratio >= 0.999) & (ratio < 1.05)).all(), ratio.tolist()
    s = seg.assign_segments(sampled, sample_features)
    assert set(sampled.names) == set(full.names)
    assert len(s) == len(sample_features)
    assert (s["segment"].to_numpy()[segment_model.buyers(sample_features).to_numpy()] > 0).all()
    # the page says so, with the sample's size (the number lives in CHOOSE_K_ROWS only)
    assert (sampled.selection["fit_customers"] == n_buyers // 4).all()
    assert (full.selection["fit_customers"] == n_buyers).all()
    assert (sampled.selection["customers"] == n_buyers).all()
    assert sp.k_sentence(sampled).endswith(
        f"échantillon aléatoire de {fmt_int(n_buyers // 4)} acheteurs (sur {fmt_int(n_buyers)}) ; "
        "les segments retenus sont ensuite calculés sur tous les acheteurs.")
    assert "échantillon" not in sp.k_sentence(full)


def test_profiles_tests_geography_on_sample(sample_features, sample_tables):
    segs = seg.segment_customers(sample_features, k=5, seed=0)
    prof = seg.segment_profiles(sample_features, segs)
    assert prof["customers"].sum() == len(sample_features)
    assert prof.loc["Premium omnicanaux", "avg_basket"] == prof["avg_basket"].max()
    assert prof.loc["Traditionnels magasin", "age"] == prof["age"].max()
    tests = seg.segment_tests(sample_features, segs).set_index("variable")
    assert (tests["p_value"] < 1e-6).all()
    assert tests.loc["age", "effect_size"] > 0.5  # segments are mostly age-driven on the sample
    geo = regions.geography(sample_tables, "2026-10")
    assert geo["customers"].sum() == sample_features["region"].notna().sum()
    total_sales = sample_tables["transactions"]
    in_window = total_sales[(total_sales["timestamp"] >= pd.Timestamp("2025-11-01"))
                            & (total_sales["timestamp"] < pd.Timestamp("2026-11-01"))]
    located = geo["sales"].sum() + geo.attrs["unlocated_sales"]
    assert located == pytest.approx(in_window["amount"].sum())
    assert geo["social_accounts"].sum() > 0
    # both levels at once (bios searched once): each the table of its own level
    both = regions.geographies(sample_tables, "2026-10", levels=("region", "department"))
    pd.testing.assert_frame_equal(both["region"], geo, check_exact=True)
    dep = regions.geography(sample_tables, "2026-10", level="department")
    pd.testing.assert_frame_equal(both["department"], dep, check_exact=True)
    assert both["department"].attrs == dep.attrs and len(dep) > len(geo)


def test_migration_uses_stable_definitions(sample_tables):
    tab, model = seg.segment_migration(sample_tables, "2026-10", k=5, seed=0)
    body = tab.drop(index="Total", columns="Total")
    assert tab.loc["Total", "Total"] == len(sample_tables["customers"])
    named = {*model.names, seg.NO_PURCHASE}  # the window's non-buyers: their own group, not a cluster
    assert set(body.index) <= named and set(body.columns) <= named
    assert seg.NO_PURCHASE not in model.names
    stay = np.trace(body.reindex(index=body.columns).fillna(0).to_numpy()) / body.to_numpy().sum()
    assert stay > 0.8  # one month more of history moves few customers


# --------------------------------------------------------------------------------------------
# per-customer aggregates (datasets.customer_activity) give the same features as raw tables
# --------------------------------------------------------------------------------------------

def _write_event_tables(tables, folder, fmt="parquet"):
    for name in ("transactions", "transaction_lines", "touchpoints", "email_events"):
        if fmt == "parquet":
            tables[name].to_parquet(folder / f"{name}.parquet", index=False)
        else:
            tables[name].to_csv(folder / f"{name}.csv", index=False)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_features_from_activity_equal_raw_tables_on_tiny(tiny, tmp_path, fmt):
    from workbench import datasets

    _write_event_tables(tiny, tmp_path, fmt)
    months = [pd.Period("2026-09", "M"), pd.Period("2026-10", "M")]
    for lookback in (365, 30):
        act = datasets.customer_activity(tmp_path, seg.feature_windows(months, lookback))
        for m in months:
            raw = seg.customer_features(tiny, m, lookback_days=lookback)
            new = seg.customer_features({"customers": tiny["customers"],
                                         "transactions": tiny["transactions"]}, m,
                                        lookback_days=lookback, activity=act[m])
            pd.testing.assert_frame_equal(raw, new, check_exact=True)
        if lookback == 365:  # the window holds every touchpoint: same stitching counts
            _, counts = seg.stitch_touchpoints(tiny["touchpoints"])
            assert act[months[1]].attrs["touchpoints"] == counts


def test_features_from_activity_equal_raw_tables_on_sample(sample_tables, sample_features,
                                                           sample_dir):
    from workbench import datasets

    months = [pd.Period("2026-09", "M"), pd.Period("2026-10", "M")]
    act = datasets.customer_activity(sample_dir, seg.feature_windows(months))
    base = {k: sample_tables[k] for k in ("customers", "transactions")}
    new = seg.customer_features(base, months[1], activity=act[months[1]])
    pd.testing.assert_frame_equal(sample_features, new, check_exact=True)  # bit for bit
    prev = seg.customer_features(base, months[0], activity=act[months[0]])
    pd.testing.assert_frame_equal(seg.customer_features(sample_tables, months[0]), prev,
                                  check_exact=True)
    tab, _ = seg.segment_migration(base, months[1], k=5, seed=0, features=new, activity=act)
    raw_tab, _ = seg.segment_migration(sample_tables, months[1], k=5, seed=0,
                                       features=sample_features)
    pd.testing.assert_frame_equal(tab, raw_tab)


def test_activity_of_another_window_is_refused(tiny, tmp_path):
    from workbench import datasets

    _write_event_tables(tiny, tmp_path)
    act = datasets.customer_activity(tmp_path, seg.feature_windows(["2026-09"]))
    base = {"customers": tiny["customers"], "transactions": tiny["transactions"]}
    with pytest.raises(ValueError, match="was computed for window"):
        seg.customer_features(base, "2026-10", activity=act[pd.Period("2026-09", "M")])
    with pytest.raises(ValueError, match="research 7.0 days"):
        seg.customer_features(base, "2026-09", research_window_days=3,
                              activity=act[pd.Period("2026-09", "M")])
    with pytest.raises(ValueError, match="no aggregates for 2026-09"):
        seg.segment_migration(base, "2026-10", k=2, activity={})


def test_bio_regions_prefilter_keeps_regex_semantics():
    accounts = pd.DataFrame({"account_id": ["a", "b", "c", "d", "e"],
                             "bio": ["Fan de Saint-Étienne", "né à Lyonnais", None,
                                     "Lyon et Paris", "St. Malo forever"],
                             "followers": [1, 2, 3, 4, 5]}, index=[3, 3, 1, 0, 2])
    places = pd.DataFrame({"city": ["Lyon", "Saint-Étienne", "Paris", "St. Malo"],
                           "department": ["69", "42", "75", "35"],
                           "region": ["ARA", "ARA", "IDF", "BRE"]})
    out = regions._bio_regions(accounts, places).set_index("account_id")
    # longest names first; "Lyonnais" is not "Lyon"; the '.' of "St. Malo" stays a regex dot
    assert out["city"].to_dict() == {"a": "Saint-Étienne", "d": "Paris", "e": "St. Malo"}


def test_k_choice_fits_side_by_side_equal_one_after_the_other():
    """The k choice fits its k-means side by side on the cores (one thread each): the same fits
    as one k-means after the other on one thread."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(3)
    Z = np.vstack([rng.normal(c, 0.6, size=(700, 4)) for c in (0.0, 3.0, -3.0)])
    fits = segment_model._fit_kmeans_each(Z, [2, 3, 4, 5], seed=7)
    assert sorted(fits) == [2, 3, 4, 5]
    for k, km in fits.items():
        with threadpool_limits(1):
            ref = KMeans(n_clusters=k, n_init=10, random_state=7).fit(Z)
        assert km.inertia_ == ref.inertia_
        assert np.array_equal(km.labels_, ref.labels_)
        assert np.array_equal(km.cluster_centers_, ref.cluster_centers_)
