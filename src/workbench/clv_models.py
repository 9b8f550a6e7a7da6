"""Modified BG/NBD (MBG/NBD) and the out-of-sample choice between it and BG/NBD.

Why: under BG/NBD (Fader, Hardie & Lee 2005) a customer can only drop out right after a repeat
purchase, so a customer with no repeat purchase is "alive" with probability 1 and is predicted
at the full purchase rate of the population. When some customers leave after their first
purchase (one-time buyers, early churn), BG/NBD over-predicts them and over-states their
P(actif). The MBG/NBD of Batislam, Denizel & Filiztekin (2007; erratum Wagner & Hoppe 2008) lets
a customer drop out at time 0 too (after the first purchase), with the same parameters
(purchase rate ~ Gamma(r, alpha), drop-out probability per purchase ~ Beta(a, b)).

Which model serves the report is decided on data, not by taste: `holdout_comparison` fits both
models on a calibration period and compares their predictions of the purchase days in the
following months with what customers did, per number of repeat purchases in calibration, and
`choose_model` keeps the one with the smaller out-of-sample error. `holdout_gap_source` says
which group carries most of the remaining gap (for the page's one-sentence reading), and
`tracking` compares observed and expected repeat purchases month by month, which shows the
calendar effects (sales, Christmas) that a constant-rate model cannot follow.

Validated on CDNOW against the published MBG/NBD parameters (BTYDplus, as reproduced by
`lifetimes.ModifiedBetaGeoFitter`'s tests) and against a brute-force integration of the
likelihood (tests/test_clv_models.py). Pure functions: arrays / DataFrames in, results out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from workbench import clv, frames
from workbench.clv import _fit_purchase_model, _unit_days

MODELS = ("bgnbd", "mbgnbd")  # repeat-purchase models known to `fit_model` / `holdout_comparison`
MODEL_LABELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD"}


# --------------------------------------------------------------------------------------------
# MBG/NBD
# --------------------------------------------------------------------------------------------

def _mbgnbd_params(model) -> tuple[float, float, float, float]:
    p = model.params if isinstance(model, MBGNBDFit) else dict(model)
    return tuple(float(p[k]) for k in ("r", "alpha", "a", "b"))


def _log_odds_dead(r, alpha, a, b, x, tx, T):
    """log[(a / (b + x)) * ((alpha + T) / (alpha + tx))^(r + x)]: P(dropped) / P(alive) given
    the history (Batislam et al. 2007, appendix A); defined for x = 0 too (tx = 0)."""
    return np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))


def mbgnbd_log_likelihood_terms(params, frequency, recency, T) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihood.

    L = Gamma(r + x) alpha^r / Gamma(r) * B(a, b + x + 1) / B(a, b)
        * [(alpha + T)^-(r + x) + a / (b + x) * (alpha + t_x)^-(r + x)],
    the second term (drop-out after the last purchase) present for every customer, x = 0 included.
    """
    r, alpha, a, b = _mbgnbd_params(params)
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    return (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + 1) - betaln(a, b)
            + np.logaddexp(a3, a4))


def _mbgnbd_neg_ll_and_grad(theta, x, tx, T, inverse=None, by_value=None):
    """Negative MBG/NBD log-likelihood and its gradient w.r.t. the log-parameters (per distinct
    history, spread back to the customers with `inverse`; the terms of one variable once per
    distinct value of it with `by_value`, like `clv._bgnbd_neg_ll_and_grad`)."""
    r, alpha, a, b = np.exp(theta)
    vx, vtx, vT = by_value or (None, None, None)

    def of(values, column, f):
        return values.of(f) if values is not None else f(column)

    log_aT = of(vT, T, lambda v: np.log(alpha + v))
    a3 = -(r + x) * log_aT
    log_atx = of(vtx, tx, lambda v: np.log(alpha + v))
    a4 = np.log(a) - of(vx, x, lambda v: np.log(b + v)) - (r + x) * log_atx
    lse = np.logaddexp(a3, a4)
    ll = (of(vx, x, lambda v: gammaln(r + v)) - gammaln(r) + r * np.log(alpha)
          + of(vx, x, lambda v: betaln(a, b + v + 1)) - betaln(a, b) + lse)
    w3 = np.exp(a3 - lse)
    w4 = np.exp(a4 - lse)
    psi_abx1 = of(vx, x, lambda v: digamma(a + b + v + 1))
    d_r = (of(vx, x, lambda v: digamma(r + v)) - digamma(r) + np.log(alpha) - w3 * log_aT
           - w4 * log_atx)
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
    d_a = digamma(a + b) - psi_abx1 + w4 / a
    d_b = (of(vx, x, lambda v: digamma(b + v + 1)) - psi_abx1 - digamma(b) + digamma(a + b)
           - w4 / (b + x))
    if inverse is not None:
        ll, d_r, d_alpha, d_a, d_b = (v[inverse] for v in (ll, d_r, d_alpha, d_a, d_b))
    grad = np.array([d_r.sum() * r, d_alpha.sum() * alpha, d_a.sum() * a, d_b.sum() * b])
    val = -ll.sum()
    if not np.isfinite(val) or not np.all(np.isfinite(grad)):
        return 1e300, np.zeros(4)
    return val, -grad


@dataclass(frozen=True)
class MBGNBDFit:
    """Fitted MBG/NBD model: purchase rate ~ Gamma(r, alpha), drop-out p ~ Beta(a, b), a customer
    may drop out after any purchase, the first one included.

    It carries its own formulas (`probability_alive`, `expected_purchases`,
    `expected_purchases_new_customer`), so `clv.customer_value`, `clv.probability_alive` and
    `clv.expected_purchases` accept it wherever they accept a BG/NBD fit."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool = True
    extra: dict = field(default_factory=dict)
    model: str = "mbgnbd"

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def __getitem__(self, key):
        if key in ("r", "alpha", "a", "b", "log_likelihood"):
            return getattr(self, key)
        raise KeyError(key)

    def keys(self):
        return ["r", "alpha", "a", "b", "log_likelihood"]

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        return mbgnbd_probability_alive(self, frequency, recency, T)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        return mbgnbd_expected_purchases(self, t, frequency, recency, T)

    def expected_purchases_new_customer(self, t) -> float:
        return mbgnbd_expected_purchases_new_customer(self, t)


def fit_mbgnbd(frequency, recency, T, *, penalizer: float = 0.0) -> MBGNBDFit:
    """Maximum-likelihood MBG/NBD fit from per-customer repeat count, recency and age.

    Same inputs, checks and optimiser as `clv.fit_bgnbd` (log-parameters, analytic gradient,
    one evaluation per distinct history, several starts); `penalizer` adds an L2 penalty on the
    parameters like `lifetimes` does (0 = plain maximum likelihood).
    """
    return MBGNBDFit(*_fit_purchase_model(_mbgnbd_neg_ll_and_grad, mbgnbd_log_likelihood_terms,
                                          frequency, recency, T, penalizer))


def mbgnbd_probability_alive(model, frequency, recency, T) -> np.ndarray:
    """P(customer still active | history) under MBG/NBD (below 1 without repeat purchase too)."""
    r, alpha, a, b = _mbgnbd_params(model)
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return np.exp(-np.logaddexp(0.0, _log_odds_dead(r, alpha, a, b, x, tx, T)))


def mbgnbd_expected_purchases(model, t, frequency, recency, T) -> np.ndarray:
    """Expected purchases in the next `t` time units given each customer's history (MBG/NBD,
    Wagner & Hoppe 2008): (a + b + x) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
    * 2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))] * P(alive)."""
    r, alpha, a, b = _mbgnbd_params(model)
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    t = float(t)
    if t < 0:
        raise ValueError("horizon t must be >= 0")
    if t == 0:
        return np.zeros_like(x)
    hyp = hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
    second = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    out = (a + b + x) / (a - 1) * second * np.exp(-np.logaddexp(0.0, _log_odds_dead(r, alpha, a, b, x, tx, T)))
    if not np.all(np.isfinite(out)):
        raise FloatingPointError("expected_purchases: numerical overflow in hyp2f1; "
                                 "use a shorter horizon or a larger time unit")
    return out


def mbgnbd_expected_purchases_new_customer(model, t) -> float:
    """E[X(t)] for a customer just acquired under MBG/NBD: b / (a - 1) * [1 - (alpha / (alpha + t))^r
    * 2F1(r, b + 1; a + b; t / (alpha + t))]."""
    r, alpha, a, b = _mbgnbd_params(model)
    return float(b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t))))


def fit_model(model: str, frequency, recency, T, *, penalizer: float = 0.0):
    """Fit the repeat-purchase model named `model` ("bgnbd" or "mbgnbd", see `MODELS`)."""
    fitters = {"bgnbd": clv.fit_bgnbd, "mbgnbd": fit_mbgnbd}
    if model not in fitters:
        raise ValueError(f"unknown repeat-purchase model {model!r}; use one of {list(MODELS)}")
    return fitters[model](frequency, recency, T, penalizer=penalizer)


# --------------------------------------------------------------------------------------------
# Out-of-sample comparison and choice
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HoldoutComparison:
    """Both models' out-of-sample predictions, per number of repeat purchases in calibration.

    `table`: one row per calibration frequency (the row `max_frequency` holds that many repeat
    purchases or more) with `customers`, `actual` and one `predicted_<model>` column per model
    (means per customer), then a "total" row of sums.
    `errors`: one row per model (see `holdout_errors`); `chosen`: the model with the smaller
    out-of-sample error; `fits`: the calibration fits; `max_frequency`: the cap."""

    table: pd.DataFrame
    errors: pd.DataFrame
    chosen: str
    fits: dict
    max_frequency: int

    def table_for(self, model: str | None = None) -> pd.DataFrame:
        """The table of one model (default: the chosen one) in `clv.holdout_check`'s format:
        customers, predicted, actual per calibration frequency and a "total" row of sums."""
        model = model or self.chosen
        return self.table[["customers", f"predicted_{model}", "actual"]].rename(
            columns={f"predicted_{model}": "predicted"})


def holdout_errors(table: pd.DataFrame, models=MODELS) -> pd.DataFrame:
    """Out-of-sample errors of each model from a `HoldoutComparison.table`-shaped table.

    Per model: `predicted` and `actual` purchase days in total, `gap` (predicted / actual - 1),
    `group_error` (sum over frequency groups of |predicted - actual| purchase days, divided by the
    actual total: the error the per-group table shows, which a total can hide when groups
    offset each other), and `worst_group` with its share of that error (`worst_share`).
    """
    body = table.drop(index="total", errors="ignore")
    actual_days = body["customers"] * body["actual"]
    tot_actual = float(actual_days.sum())
    rows = {}
    for m in models:
        pred_days = body["customers"] * body[f"predicted_{m}"]
        abs_gap = (pred_days - actual_days).abs()
        rows[m] = {"predicted": float(pred_days.sum()), "actual": tot_actual,
                   "gap": float(pred_days.sum()) / tot_actual - 1 if tot_actual else np.nan,
                   "group_error": float(abs_gap.sum()) / tot_actual if tot_actual else np.nan,
                   "worst_group": abs_gap.idxmax(),
                   "worst_share": float(abs_gap.max() / abs_gap.sum()) if abs_gap.sum() else np.nan}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "model"
    return out


def choose_model(errors: pd.DataFrame) -> str:
    """The model with the smallest per-group out-of-sample error (`group_error`); ties go to the
    first listed (BG/NBD, the simpler and better known model)."""
    if errors.empty:
        raise ValueError("choose_model: no model to choose from")
    return str(errors["group_error"].idxmin())


def holdout_comparison(
    transactions: pd.DataFrame,
    calibration_end,
    holdout_end,
    *,
    customer_col: str = "customer_id",
    date_col: str = "timestamp",
    value_col: str = "amount",
    unit: str | float = "W",
    max_frequency: int = 7,
    models=MODELS,
) -> HoldoutComparison:
    """Fit each model up to `calibration_end`, predict the purchase days in (calibration_end,
    holdout_end] and compare with what customers did, per calibration frequency.

    The same calibration data and actual purchase days as `clv.holdout_check` (which it extends:
    `table_for("bgnbd")` equals that function's table). The chosen model is the one with the
    smaller per-group error (`choose_model`).
    """
    models = tuple(models)
    rfm, t, actual = clv.holdout_data(transactions, calibration_end, holdout_end, customer_col=customer_col,
                                      date_col=date_col, value_col=value_col, unit=unit)
    x, tx, T = rfm["frequency"], rfm["recency"], rfm["T"]
    out = pd.DataFrame({"frequency": x.clip(upper=max_frequency), "actual": actual})
    fits = {}
    for m in models:
        fits[m] = fit_model(m, x, tx, T)
        out[f"predicted_{m}"] = clv.expected_purchases(fits[m], t, x, tx, T)
    g = out.groupby("frequency")
    table = pd.concat([g.size().rename("customers"), g.mean()], axis=1).astype(float)
    table.loc["total"] = [len(out)] + [out[c].sum() for c in table.columns[1:]]
    table["customers"] = table["customers"].astype(int)
    errors = holdout_errors(table, models)
    return HoldoutComparison(table, errors, choose_model(errors), fits, max_frequency)


def holdout_gap_source(comparison: HoldoutComparison, model: str | None = None) -> dict:
    """What the page needs to state the out-of-sample result in one sentence, for `model`
    (default: the chosen one).

    Keys: `model`, `label` ("MBG/NBD"…), `predicted`, `actual`, `gap` (predicted / actual - 1),
    `other` / `other_gap` (the other model and its total gap, None when only one was fitted),
    `group` (calibration repeat purchases of the group with the largest absolute gap; the
    last group means `max_frequency` or more), `group_is_max` (True for that last group),
    `group_customers`, `group_predicted`, `group_actual` (means per customer), `group_share`
    (its share of the absolute per-group error), `group_error` and the other model's.
    """
    model = model or comparison.chosen
    err = comparison.errors
    row = err.loc[model]
    body = comparison.table.drop(index="total")
    grp = row["worst_group"]
    others = [m for m in err.index if m != model]
    other = others[0] if others else None
    return {
        "model": model, "label": MODEL_LABELS.get(model, model),
        "predicted": float(row["predicted"]), "actual": float(row["actual"]), "gap": float(row["gap"]),
        "group_error": float(row["group_error"]),
        "other": other, "other_label": MODEL_LABELS.get(other, other) if other else None,
        "other_gap": float(err.loc[other, "gap"]) if other else None,
        "other_group_error": float(err.loc[other, "group_error"]) if other else None,
        "group": int(grp), "group_is_max": int(grp) >= comparison.max_frequency,
        "group_customers": int(body.loc[grp, "customers"]),
        "group_predicted": float(body.loc[grp, f"predicted_{model}"]),
        "group_actual": float(body.loc[grp, "actual"]),
        "group_share": float(row["worst_share"]),
    }


def tracking(
    transactions: pd.DataFrame,
    model,
    calibration_end,
    holdout_end,
    *,
    customer_col: str = "customer_id",
    date_col: str = "timestamp",
    unit: str | float = "W",
    freq: str = "M",
) -> pd.DataFrame:
    """Repeat purchase days per period, observed and expected by `model`, calibration and holdout.

    Why: the models assume a constant purchase rate per customer. Fader, Hardie & Lee's tracking
    comparison shows where that fails: over the calibration months the model's curve is smooth,
    so months above or below it are calendar effects (sales, holidays); over the holdout the
    same comparison shows the out-of-sample gap month by month. Customers are those with a first
    purchase on or before `calibration_end` (the calibration cohort); each one is expected to make
    E[X(t)] repeat purchase days t after the first purchase (the model's unconditional mean, for
    a customer who has just bought), summed over the cohort.

    Returns one row per period (`freq`, default months) up to `holdout_end`: `actual`,
    `expected`, `ratio` (actual / expected) and `calibration` (True for periods that end on or
    before `calibration_end`).
    """
    cal_end = pd.Timestamp(calibration_end).normalize()
    hold_end = pd.Timestamp(holdout_end).normalize()
    if hold_end <= cal_end:
        raise ValueError("holdout_end must be after calibration_end")
    # customers as integer codes in sorted order and days as whole day numbers: one
    # factorisation of the ids instead of hashing ids and dates row by row (same cohort order)
    day = pd.to_datetime(transactions[date_col]).dt.normalize()
    keep = (transactions[customer_col].notna() & (day <= hold_end)).to_numpy()
    codes, uniq = pd.factorize(transactions[customer_col][keep], sort=True)
    dnum = day[keep].to_numpy().astype("datetime64[D]").astype(np.int64)
    if len(codes) == 0:
        raise ValueError(f"tracking: no identified purchase on or before {hold_end.date()}")
    first_num = np.full(len(uniq), np.iinfo(np.int64).max)
    np.minimum.at(first_num, codes, dnum)
    first = pd.Series(first_num.astype("datetime64[D]").astype("datetime64[ns]"))
    cohort = (first <= cal_end).to_numpy()
    first = first[cohort]
    # repeat purchase days: the cohort's distinct (customer, day) after its first purchase day
    rep = cohort[codes] & (dnum > first_num[codes])
    keys, span, lo = frames.pair_keys(codes[rep], dnum[rep])
    rep_days = frames.distinct(keys) % span + lo
    periods = pd.period_range(first.min(), hold_end, freq=freq)
    ud = _unit_days(unit)
    # E[X(t)] of each customer at each period end (t in days: one evaluation per distinct t)
    ages = np.concatenate([np.clip((min(p.end_time.normalize(), hold_end) - first).dt.days.to_numpy(), 0, None)
                           for p in periods])
    uniq_t, inv = frames.distinct_inverse(ages)
    curve = np.array([clv.expected_purchases_new_customer(model, t / ud) if t > 0 else 0.0 for t in uniq_t])
    cum = curve[inv].reshape(len(periods), len(first)).sum(axis=1)
    expected = np.diff(np.concatenate([[0.0], cum]))
    # repeat purchase days per period: the period each day falls in (periods are contiguous)
    starts = np.array([p.start_time.normalize().to_datetime64() for p in periods], dtype="datetime64[D]")
    in_period = np.searchsorted(starts.astype(np.int64), rep_days, side="right") - 1
    actual = pd.Series(np.bincount(in_period, minlength=len(periods)), index=periods)
    out = pd.DataFrame({"actual": actual.to_numpy().astype(float), "expected": expected}, index=periods)
    out["ratio"] = out["actual"] / out["expected"].where(out["expected"] > 0)
    out["calibration"] = [p.end_time.normalize() <= cal_end for p in periods]
    out.index.name = "period"
    return out
