"""BG/NBD and Gamma-Gamma: published CDNOW values, simulated recovery, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import clv


def _simulate_bgnbd(n, r, alpha, a, b, T, seed):
    """Simulate BG/NBD histories (each customer observed for T after the first purchase)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return x, tx, np.full(n, float(T))


@pytest.fixture(scope="module")
def cdnow_sample(shared_data):
    path = shared_data / "cdnow" / "CDNOW_sample.txt"
    if not path.exists():
        pytest.skip(f"{path} not found")
    df = pd.read_csv(path, sep=r"\s+", header=None,
                     names=["customer_id", "sample_id", "date", "cds", "dollars"],
                     dtype={"customer_id": str, "sample_id": str, "date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


@pytest.fixture(scope="module")
def cdnow_rfm(cdnow_sample):
    return clv.rfm_summary(cdnow_sample, "1997-09-30", value_col="dollars", unit="W")


@pytest.mark.real_data
def test_rfm_summary_cdnow_matches_published_summary(cdnow_rfm):
    # Fader, Hardie & Lee (2005): 2,357 customers, customer 4 has x=2, t_x=30.43, T=38.86
    assert len(cdnow_rfm) == 2357
    c4 = cdnow_rfm.loc["00004"]
    assert c4["frequency"] == 2
    assert c4["recency"] == pytest.approx(30.43, abs=0.005)
    assert c4["T"] == pytest.approx(38.86, abs=0.005)
    assert int((cdnow_rfm["frequency"] > 0).sum()) == 946  # repeat buyers of the GG note


@pytest.mark.real_data
def test_fit_bgnbd_reproduces_published_cdnow_parameters(cdnow_rfm):
    fit = clv.fit_bgnbd(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    assert round(fit.r, 3) == 0.243
    assert round(fit.alpha, 3) == 4.414
    assert round(fit.a, 3) == 0.793
    assert round(fit.b, 3) == 2.426
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert fit.params == {"r": fit.r, "alpha": fit.alpha, "a": fit.a, "b": fit.b}
    assert fit["log_likelihood"] == fit.log_likelihood
    # published conditional expectation: E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226
    ey = clv.expected_purchases(fit, 39, np.array([2]), np.array([30.43]), np.array([38.86]))
    assert ey[0] == pytest.approx(1.226, abs=0.001)


@pytest.mark.real_data
def test_fit_gamma_gamma_reproduces_published_cdnow_parameters(cdnow_rfm):
    # Fader & Hardie (2013) "The Gamma-Gamma model of monetary value": p=6.25, q=3.74,
    # gamma=15.44, LL=-4055.9 on the 946 repeat buyers (mean spend of repeat purchase days)
    rep = cdnow_rfm[cdnow_rfm["frequency"] > 0]
    gg = clv.fit_gamma_gamma(rep["frequency"], rep["monetary_value"])
    assert (round(gg.p, 2), round(gg.q, 2), round(gg.gamma, 2)) == (6.25, 3.74, 15.44)
    assert gg.log_likelihood == pytest.approx(-4055.92, abs=0.01)
    # conditional spend lies between the customer's mean and the population mean
    e = clv.expected_spend(gg, rep["frequency"], rep["monetary_value"])
    lo = np.minimum(rep["monetary_value"], gg.mean_spend)
    hi = np.maximum(rep["monetary_value"], gg.mean_spend)
    assert np.all((e >= lo - 1e-9) & (e <= hi + 1e-9))


def test_fit_bgnbd_recovers_simulated_parameters():
    true = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 3.0}
    x, tx, T = _simulate_bgnbd(6000, **true, T=52, seed=1)
    fit = clv.fit_bgnbd(x, tx, T)
    for k, v in true.items():
        assert fit.params[k] == pytest.approx(v, rel=0.2), k
    # the fit is a maximum: the true parameters do not score better
    ll_true = clv.bgnbd_log_likelihood_terms(true, x, tx, T).sum()
    assert fit.log_likelihood >= ll_true


def test_expected_purchases_new_customer_matches_simulation():
    params = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 3.0}
    x, _, _ = _simulate_bgnbd(20000, **params, T=26, seed=2)
    analytic = clv.expected_purchases_new_customer(params, 26)
    assert x.mean() == pytest.approx(analytic, rel=0.05)
    # a fresh customer (x=0, t_x=0, T=0) has the unconditional expectation
    cond = clv.expected_purchases(params, 26, np.array([0.0]), np.array([0.0]), np.array([0.0]))
    assert cond[0] == pytest.approx(analytic, rel=1e-9)


def test_probability_alive_properties():
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    x = np.array([0, 3, 3, 10])
    tx = np.array([0, 30.0, 5.0, 30.0])
    T = np.array([38.0, 38.0, 38.0, 38.0])
    pa = clv.probability_alive(params, x, tx, T)
    assert pa[0] == 1.0  # no repeat purchase: cannot have dropped out under BG/NBD
    assert pa[1] > pa[2]  # same frequency, a recent last purchase means more likely alive
    assert np.all((pa > 0) & (pa <= 1))


def test_gamma_gamma_recovers_simulated_parameters():
    rng = np.random.default_rng(3)
    p, q, g = 4.0, 3.0, 20.0
    n = 4000
    nu = rng.gamma(q, 1 / g, n)
    x = rng.integers(1, 8, n)
    m = np.array([rng.gamma(p, 1 / nu[i], x[i]).mean() for i in range(n)])
    fit = clv.fit_gamma_gamma(x, m)
    assert fit.p == pytest.approx(p, rel=0.15)
    assert fit.q == pytest.approx(q, rel=0.2)
    assert fit.gamma == pytest.approx(g, rel=0.25)


def test_rfm_summary_collapses_days_and_cuts_at_observation_end():
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B"],
        "date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-15 00:00",
                                "2024-03-01 00:00", "2024-01-08 00:00"]),
        "amount": [10.0, 5.0, 30.0, 99.0, 7.0],
    })
    s = clv.rfm_summary(tx, "2024-01-29", unit="W")
    assert s.loc["A", "frequency"] == 1  # two same-day tickets = one purchase; March is after end
    assert s.loc["A", "recency"] == pytest.approx(2.0)
    assert s.loc["A", "T"] == pytest.approx(4.0)
    assert s.loc["A", "first_value"] == 15.0
    assert s.loc["A", "monetary_value"] == 30.0
    assert s.loc["B", "frequency"] == 0 and s.loc["B", "monetary_value"] == 0
    assert s.loc["B", "T"] == pytest.approx(3.0)
    assert len(tx) == 5  # input untouched


def test_customer_value_and_group_splits():
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    gg = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    rfm = pd.DataFrame({"frequency": [0, 2, 5], "recency": [0.0, 30.43, 35.0],
                        "T": [38.86, 38.86, 38.86], "monetary_value": [0.0, 20.0, 60.0]},
                       index=pd.Index(["a", "b", "c"], name="customer_id"))
    v = clv.customer_value(rfm, params, gg, horizon=39, step=13, unit="W", model_unit="W")
    ey = clv.expected_purchases(params, 39, rfm["frequency"], rfm["recency"], rfm["T"])
    np.testing.assert_allclose(v["expected_purchases"], ey)
    np.testing.assert_allclose(v["clv"], ey * v["expected_spend"])  # undiscounted
    assert v.loc["a", "expected_spend"] == pytest.approx(6.25 * 15.44 / 2.74)
    vd = clv.customer_value(rfm, params, gg, horizon=39, step=13, unit="W", model_unit="W",
                            discount_rate=0.05)
    assert np.all(vd["clv"] < v["clv"])
    by = clv.value_by_group(v, pd.Series({"a": "x", "b": "y", "c": "y"}))
    assert by.loc["y", "customers"] == 2
    assert by["share"].sum() == pytest.approx(1.0)
    mix = pd.DataFrame({"mode": [1.0, 3.0, 0.0], "sport": [1.0, 1.0, 2.0]}, index=rfm.index)
    cat = clv.value_by_category(v, mix)
    np.testing.assert_allclose(cat.sum(axis=1), v["clv"])
    assert cat.loc["b", "mode"] == pytest.approx(0.75 * v.loc["b", "clv"])


def test_clear_errors_on_bad_input():
    with pytest.raises(ValueError, match="recency must satisfy"):
        clv.fit_bgnbd([1, 2], [5.0, 1.0], [4.0, 4.0])
    with pytest.raises(ValueError, match="whole number"):
        clv.fit_bgnbd([1.5], [1.0], [4.0])
    with pytest.raises(ValueError, match="keep only repeat buyers"):
        clv.fit_gamma_gamma([0, 2], [0.0, 10.0])
    with pytest.raises(ValueError, match="without customer_id"):
        clv.rfm_summary(pd.DataFrame({"customer_id": [None], "date": ["2024-01-01"],
                                      "amount": [1.0]}), "2024-02-01")
    with pytest.raises(ValueError, match="missing column"):
        clv.rfm_summary(pd.DataFrame({"customer_id": ["a"]}), "2024-02-01")
    with pytest.raises(ValueError, match="unknown time unit"):
        clv.rfm_summary(pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"],
                                      "amount": [1.0]}), "2024-02-01", unit="fortnight")


def test_holdout_check_predicts_simulated_future_purchases():
    # BG/NBD customers acquired over 8 weeks, observed 78 weeks; calibrate on the first 52
    rng = np.random.default_rng(4)
    n = 3000
    lam = rng.gamma(0.8, 1 / 6.0, n)
    p = rng.beta(0.6, 3.0, n)
    start = rng.uniform(0, 8, n)
    rows = []
    for i in range(n):
        t = start[i]
        rows.append((i, t))
        while True:
            if rng.random() < p[i]:
                break
            t += rng.exponential(1 / lam[i])
            if t > 78:
                break
            rows.append((i, t))
    tx = pd.DataFrame(rows, columns=["customer_id", "week"])
    tx["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["week"] * 7, unit="D")
    tx["amount"] = 10.0
    tx["customer_id"] = tx["customer_id"].astype(str)
    table, fit = clv.holdout_check(tx, pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=52),
                                   pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=78))
    assert table.loc["total", "customers"] == n
    assert table.loc["total", "predicted"] == pytest.approx(table.loc["total", "actual"], rel=0.1)
    body = table.drop(index="total")
    assert body["predicted"].is_monotonic_increasing  # more past purchases, more expected
    with pytest.raises(ValueError, match="after calibration_end"):
        clv.holdout_check(tx, "2024-06-01", "2024-05-01")


def test_last_complete_month():
    ts = pd.Series(pd.to_datetime(["2024-01-03 00:00", "2024-03-31 10:00"]))
    assert clv.last_complete_month(ts) == pd.Period("2024-03", "M")
    assert clv.last_complete_month(ts.iloc[:1].tolist() + [pd.Timestamp("2024-03-30")]) == \
        pd.Period("2024-02", "M")
    with pytest.raises(ValueError, match="no complete month"):
        clv.last_complete_month(pd.Series(pd.to_datetime(["2024-01-03", "2024-01-20"])))


def test_p_alive_sees_the_planted_dropout_and_agrees_with_rfm(sample_dir, truth):
    """BG/NBD's P(actif) on the sample (October 2026) separates the customers who stopped buying
    (planted drop-out) from the others, and RFM's "Perdus" are the low-P(actif) customers: the
    two models now tell the same story (issue 17, item 4)."""
    from workbench import datasets
    from workbench import value_segments as vs

    tx = datasets.read_table("transactions", sample_dir)
    tx = tx[tx["customer_id"].notna()]
    end = pd.Period("2026-10", "M").end_time
    rfm = clv.rfm_summary(tx, end, date_col="timestamp", value_col="amount", unit="W")
    bg = clv.fit_bgnbd(rfm["frequency"], rfm["recency"], rfm["T"])
    p = pd.Series(np.asarray(clv.probability_alive(bg, rfm["frequency"], rfm["recency"], rfm["T"])),
                  index=rfm.index, name="p_alive")
    drop = truth["dropouts"].set_index("customer_id")["dropout_date"]
    gone = p.index.isin(drop[drop < pd.Timestamp("2026-07-01")].index)
    stay = ~p.index.isin(drop.index)
    assert p[gone].mean() < 0.4 < 0.85 < p[stay].mean()
    # rank agreement: a dropped customer has a lower P(actif) than a staying one 85 % of the time
    from scipy.stats import mannwhitneyu

    u = mannwhitneyu(p[stay], p[p.index.isin(drop.index)]).statistic
    assert u / (stay.sum() * p.index.isin(drop.index).sum()) > 0.85
    check = vs.dropout_check(p.to_frame(), vs.value_segments(tx, ["2026-10"]).iloc[:, 0])
    assert check.loc["Perdus", "p_alive_mean"] < check.loc["Champions", "p_alive_mean"] - 0.3
