"""MBG/NBD (published CDNOW parameters, brute-force likelihood, simulation) and the out-of-sample
choice between BG/NBD and MBG/NBD (simulated data and the sample's planted drop-out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from workbench import clv
from workbench import clv_models as cm


def _simulate_mbgnbd(n, r, alpha, a, b, T, seed):
    """Simulate MBG/NBD histories: a customer may drop out right after the first purchase (time 0)
    and after every repeat purchase, with probability p; observed for T after the first purchase.
    Returns (x, tx, T, future) with `future` the repeat purchases in (T, 2T]."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    future = np.zeros(n)
    for i in range(n):
        t = 0.0
        while rng.random() >= p[i]:  # alive after the purchase at t
            t += rng.exponential(1 / lam[i])
            if t > 2 * T:
                break
            if t <= T:
                x[i] += 1
                tx[i] = t
            else:
                future[i] += 1
    return x, tx, np.full(n, float(T)), future


@pytest.fixture(scope="module")
def cdnow_rfm(shared_data):
    path = shared_data / "cdnow" / "CDNOW_sample.txt"
    if not path.exists():
        pytest.skip(f"{path} not found (CDNOW sample of the shared evaluation data)")
    df = pd.read_csv(path, sep=r"\s+", header=None, names=["customer_id", "sample_id", "date", "cds", "dollars"],
                     dtype={"customer_id": str, "sample_id": str, "date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return clv.rfm_summary(df, "1997-09-30", value_col="dollars", unit="W")


@pytest.mark.real_data
def test_fit_mbgnbd_reproduces_published_cdnow_parameters(cdnow_rfm):
    # BTYDplus's MBG/NBD on the CDNOW sample (weeks, calibration to 1997-09-30), the reference
    # of lifetimes' ModifiedBetaGeoFitter tests: r=0.525, alpha=6.183, a=0.891, b=1.614
    fit = cm.fit_mbgnbd(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    assert (round(fit.r, 3), round(fit.alpha, 3), round(fit.a, 3), round(fit.b, 3)) == (0.525, 6.183, 0.891, 1.614)
    assert fit.converged and fit.n_customers == 2357
    terms = cm.mbgnbd_log_likelihood_terms(fit.params, cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    assert fit.log_likelihood == pytest.approx(terms.sum(), rel=1e-12)
    # a maximum: moving any parameter by 1 % lowers the likelihood
    for k in fit.params:
        for f in (0.99, 1.01):
            moved = {**fit.params, k: fit.params[k] * f}
            assert cm.mbgnbd_log_likelihood_terms(moved, cdnow_rfm["frequency"], cdnow_rfm["recency"],
                                                  cdnow_rfm["T"]).sum() < fit.log_likelihood
    # one-time buyers are no longer certainly alive, and buyers without repeat are the least alive
    pa = cm.mbgnbd_probability_alive(fit, cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    assert np.all((pa > 0) & (pa < 1))
    zero = cdnow_rfm["frequency"].to_numpy() == 0
    assert pa[zero].max() < 0.5 < np.median(pa[~zero])


@pytest.mark.parametrize("x, tx, T", [(0, 0.0, 10.0), (1, 3.0, 10.0), (4, 9.5, 12.0), (2, 0.5, 30.0)])
def test_mbgnbd_likelihood_equals_brute_force_integration(x, tx, T):
    """The closed form equals the integral over the purchase rate and the drop-out probability of
    the individual likelihood: alive at T after x repeats, (1-p)^(x+1) lam^x e^(-lam T), or
    dropped right after the x-th purchase (the first one when x = 0), p (1-p)^x lam^x e^(-lam t_x)."""
    params = {"r": 0.8, "alpha": 5.0, "a": 0.7, "b": 3.0}
    # Gauss quadrature on the mixing densities: generalised Laguerre for Gamma(r, alpha) (rate
    # lam = u / alpha), Jacobi for Beta(a, b) (p = (1 + v) / 2); 200 x 200 nodes
    u, wu = special.roots_genlaguerre(200, params["r"] - 1)
    v, wv = special.roots_jacobi(200, params["b"] - 1, params["a"] - 1)
    lam = u[:, None] / params["alpha"]
    p = (1 + v[None, :]) / 2
    ind = (1 - p) ** (x + 1) * lam ** x * np.exp(-lam * T) + p * (1 - p) ** x * lam ** x * np.exp(-lam * tx)
    w = (wu / special.gamma(params["r"]))[:, None] * (wv / 2 ** (params["a"] + params["b"] - 1)
                                                     / special.beta(params["a"], params["b"]))[None, :]
    assert w.sum() == pytest.approx(1.0, rel=1e-10)  # the two densities integrate to 1
    brute = float((w * ind).sum())
    closed = np.exp(cm.mbgnbd_log_likelihood_terms(params, [x], [tx], [T]))[0]
    assert closed == pytest.approx(brute, rel=1e-8)
    # the BG/NBD closed form is a different number (no drop-out before the first repeat)
    assert np.exp(clv.bgnbd_log_likelihood_terms(params, [x], [tx], [T]))[0] != pytest.approx(brute, rel=1e-3)


def test_mbgnbd_gradient_matches_finite_differences():
    x, tx, T, _ = _simulate_mbgnbd(300, 0.8, 6.0, 0.6, 3.0, T=40, seed=5)
    theta = np.log([0.7, 5.0, 0.8, 2.5])
    err = optimize.check_grad(lambda th: cm._mbgnbd_neg_ll_and_grad(th, x, tx, T)[0],
                              lambda th: cm._mbgnbd_neg_ll_and_grad(th, x, tx, T)[1], theta)
    assert err < 1e-4 * np.linalg.norm(cm._mbgnbd_neg_ll_and_grad(theta, x, tx, T)[1])


def test_mbgnbd_recovers_simulated_parameters_and_predicts_the_future():
    true = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 3.0}
    x, tx, T, future = _simulate_mbgnbd(8000, **true, T=52, seed=1)
    fit = cm.fit_mbgnbd(x, tx, T)
    for k, v in true.items():
        assert fit.params[k] == pytest.approx(v, rel=0.2), k
    assert fit.log_likelihood >= cm.mbgnbd_log_likelihood_terms(true, x, tx, T).sum()
    # conditional expectation with the true parameters matches the simulated next 52 weeks,
    # for one-time buyers as for the others
    pred = cm.mbgnbd_expected_purchases(true, 52, x, tx, T)
    for group in (x == 0, (x >= 1) & (x <= 3), x > 3):
        se = future[group].std() / np.sqrt(group.sum())
        assert abs(pred[group].mean() - future[group].mean()) < 3 * se
    # a fresh customer (x = 0, t_x = 0, T = 0) has the unconditional expectation
    fresh = cm.mbgnbd_expected_purchases(true, 52, [0.0], [0.0], [0.0])[0]
    assert fresh == pytest.approx(cm.mbgnbd_expected_purchases_new_customer(true, 52), rel=1e-9)
    assert x.mean() == pytest.approx(fresh, rel=0.05)


def test_clv_functions_accept_an_mbgnbd_fit():
    x, tx, T, _ = _simulate_mbgnbd(3000, 0.8, 6.0, 0.6, 3.0, T=40, seed=6)
    fit = cm.fit_model("mbgnbd", x, tx, T)
    assert isinstance(fit, cm.MBGNBDFit) and isinstance(cm.fit_model("bgnbd", x, tx, T), clv.BGNBDFit)
    np.testing.assert_array_equal(clv.probability_alive(fit, x, tx, T), cm.mbgnbd_probability_alive(fit, x, tx, T))
    np.testing.assert_array_equal(clv.expected_purchases(fit, 13, x, tx, T),
                                  cm.mbgnbd_expected_purchases(fit.params, 13, x, tx, T))
    assert clv.expected_purchases_new_customer(fit, 13) == cm.mbgnbd_expected_purchases_new_customer(fit.params, 13)
    assert clv.probability_alive(fit, [0], [0.0], [40.0])[0] < 1.0  # BG/NBD would say 1
    rfm = pd.DataFrame({"frequency": x, "recency": tx, "T": T, "monetary_value": np.where(x > 0, 20.0, 0.0)})
    v = clv.customer_value(rfm, fit, {"p": 6.25, "q": 3.74, "gamma": 15.44}, horizon=12, step=3, unit="W",
                           model_unit="W")
    np.testing.assert_allclose(v["expected_purchases"], cm.mbgnbd_expected_purchases(fit, 12, x, tx, T))
    np.testing.assert_array_equal(v["p_alive"], cm.mbgnbd_probability_alive(fit, x, tx, T))
    with pytest.raises(ValueError, match="unknown repeat-purchase model"):
        cm.fit_model("pareto", x, tx, T)
    with pytest.raises(ValueError, match="recency must satisfy"):
        cm.fit_mbgnbd([1, 2], [5.0, 1.0], [4.0, 4.0])


def _transactions_from_mbgnbd(n, seed):
    """Transactions of MBG/NBD customers acquired over 8 weeks, observed for 78 weeks."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.8, 1 / 6.0, n)
    p = rng.beta(0.6, 3.0, n)
    start = rng.uniform(0, 8, n)
    rows = []
    for i in range(n):
        t = start[i]
        rows.append((i, t))
        while rng.random() >= p[i]:
            t += rng.exponential(1 / lam[i])
            if t > 78:
                break
            rows.append((i, t))
    tx = pd.DataFrame(rows, columns=["customer_id", "week"])
    tx["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["week"] * 7, unit="D")
    tx["amount"] = 10.0
    tx["customer_id"] = tx["customer_id"].astype(str)
    return tx


def test_holdout_comparison_extends_holdout_check_and_picks_the_true_model():
    tx = _transactions_from_mbgnbd(3000, seed=4)
    cal, end = pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=52), pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=78)
    comp = cm.holdout_comparison(tx, cal, end)
    old, old_fit = clv.holdout_check(tx, cal, end)
    pd.testing.assert_frame_equal(comp.table_for("bgnbd"), old, check_dtype=False)
    assert comp.fits["bgnbd"].params == old_fit.params
    # data with drop-out at the first purchase: MBG/NBD predicts the one-time buyers better
    body = comp.table.drop(index="total")
    err0 = (body.loc[0, ["predicted_bgnbd", "predicted_mbgnbd"]] - body.loc[0, "actual"]).abs()
    assert err0["predicted_mbgnbd"] < err0["predicted_bgnbd"]
    assert comp.chosen == "mbgnbd"
    assert comp.errors.loc["mbgnbd", "group_error"] < comp.errors.loc["bgnbd", "group_error"]
    assert comp.table.loc["total", "actual"] == comp.errors.loc["mbgnbd", "actual"]
    # the one-sentence reading: totals and the group with the largest absolute gap
    src = cm.holdout_gap_source(comp)
    days = (body["customers"] * (body["predicted_mbgnbd"] - body["actual"])).abs()
    assert src["group"] == days.idxmax() and src["group_share"] == pytest.approx(days.max() / days.sum())
    assert src["gap"] == pytest.approx(comp.table.loc["total", "predicted_mbgnbd"] / comp.table.loc["total", "actual"] - 1)
    assert (src["label"], src["other"], src["other_label"]) == ("MBG/NBD", "bgnbd", "BG/NBD")
    with pytest.raises(ValueError, match="after calibration_end"):
        cm.holdout_comparison(tx, end, cal)
    with pytest.raises(ValueError, match="no model"):
        cm.choose_model(comp.errors.iloc[:0])


@pytest.fixture(scope="module")
def sample_fits(sample_dir, truth):
    """The sample's known-customer transactions, both models fitted to October 2026 and the
    out-of-sample comparison of the page (calibration to July, holdout August-October)."""
    from workbench import datasets

    tx = datasets.read_table("transactions", sample_dir)
    tx = tx[tx["customer_id"].notna()]
    period = pd.Period("2026-10", "M")
    rfm = clv.rfm_summary(tx, period.end_time, date_col="timestamp", value_col="amount", unit="W")
    fits = {m: cm.fit_model(m, rfm["frequency"], rfm["recency"], rfm["T"]) for m in cm.MODELS}
    comp = cm.holdout_comparison(tx, (period - 3).end_time, period.end_time)
    return tx, rfm, fits, comp


def test_sample_mbgnbd_predicts_customers_without_repeat_better(sample_fits, truth):
    """Issue 17, problem 4: BG/NBD predicted the customers without repeat purchase at 2.1 purchase
    days against 0.36 observed; MBG/NBD, which lets them drop out, is closer and is chosen."""
    _, _, _, comp = sample_fits
    zero = comp.table.loc[0]
    assert abs(zero["predicted_mbgnbd"] - zero["actual"]) < abs(zero["predicted_bgnbd"] - zero["actual"])
    assert zero["predicted_mbgnbd"] < 0.7 * zero["predicted_bgnbd"]
    assert comp.chosen == "mbgnbd"
    # ...but the zero-repeat group is a small part of the total gap: most of it is elsewhere
    src = cm.holdout_gap_source(comp)
    assert src["group"] != 0 and src["gap"] > 0


def test_sample_planted_dropouts_get_a_lower_p_alive_under_mbgnbd(sample_fits, truth):
    from sklearn.metrics import roc_auc_score

    _, rfm, fits, _ = sample_fits
    drop = truth["dropouts"].set_index("customer_id")["dropout_date"]
    dropped = rfm.index.isin(drop.index)
    x, tx, T = rfm["frequency"], rfm["recency"], rfm["T"]
    pa = {m: clv.probability_alive(f, x, tx, T) for m, f in fits.items()}
    zero = (x == 0).to_numpy()
    # BG/NBD cannot see a drop-out without repeat purchase; MBG/NBD can
    assert np.all(pa["bgnbd"][zero] == 1.0)
    assert pa["mbgnbd"][zero & dropped].mean() < 0.5 * pa["mbgnbd"][zero & ~dropped].mean()
    auc = {m: roc_auc_score(dropped, -p) for m, p in pa.items()}
    assert auc["mbgnbd"] > auc["bgnbd"] + 0.02
    assert auc["mbgnbd"] > 0.9
    assert pa["mbgnbd"][dropped].mean() < pa["bgnbd"][dropped].mean()


def test_tracking_follows_a_constant_rate_population():
    """On data with constant purchase rates the model's monthly curve tracks the observed repeat
    purchase days, in calibration and holdout alike; holdout totals agree with the comparison."""
    tx = _transactions_from_mbgnbd(4000, seed=7)
    cal, end = pd.Timestamp("2024-12-31"), pd.Timestamp("2025-06-30")
    comp = cm.holdout_comparison(tx, cal, end)
    tr = cm.tracking(tx, comp.fits["mbgnbd"], cal, end)
    assert list(tr.columns) == ["actual", "expected", "ratio", "calibration"]
    assert tr.index[0] == pd.Period("2024-01", "M") and tr.index[-1] == pd.Period("2025-06", "M")
    assert tr["calibration"].sum() == 12
    busy = tr[tr["expected"] > 150]  # months with enough purchases to compare
    assert len(busy) >= 15 and busy["ratio"].between(0.85, 1.15).all()
    hold = tr[~tr["calibration"]]
    assert hold["actual"].sum() == comp.table.loc["total", "actual"]
    # the cohort's unconditional mean and the sum of conditional expectations agree
    assert hold["expected"].sum() == pytest.approx(comp.table.loc["total", "predicted_mbgnbd"], rel=0.02)
    with pytest.raises(ValueError, match="after calibration_end"):
        cm.tracking(tx, comp.fits["mbgnbd"], end, cal)


def test_sample_tracking_shows_the_calendar_behind_the_holdout_gap(sample_fits):
    """The sample's gap is mostly calendar: inside the calibration period already, the months with
    sales or Christmas are above the constant-rate model and the others below; the holdout's
    quiet August is the month that misses most."""
    from workbench import retail_calendar

    tx, _, _, comp = sample_fits
    tr = cm.tracking(tx, comp.fits[comp.chosen], "2026-07-31", "2026-10-31")
    cal = tr[tr["calibration"]].iloc[1:]  # the first month is the cohort's first purchases
    sales = retail_calendar.sales_periods([2025, 2026])
    busy_months = {p for s in sales.itertuples() for p in pd.period_range(s.start, s.end, freq="M")} | {
        pd.Period("2025-12", "M")}
    busy = cal.index.isin(list(busy_months))
    assert cal.loc[busy, "ratio"].mean() > 1.1 > 0.9 > cal.loc[~busy, "ratio"].mean()
    hold = tr[~tr["calibration"]]
    assert hold["ratio"].idxmin() == pd.Period("2026-08", "M")
    assert hold["ratio"].min() >= cal["ratio"].min() - 0.05  # no worse than a quiet calibration month
