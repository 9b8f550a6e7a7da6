"""Customer lifetime value: BG/NBD repeat purchases and Gamma-Gamma spend, by maximum likelihood.

Why: marketers want to know which customers are still "alive", how many purchases they will make
next year and what they are worth, per customer, per segment and per product category. The
`lifetimes` package is broken on pandas 3, so the two classic models of Fader, Hardie & Lee are
written here with scipy (analytic log-likelihoods, log-parameterised optimisation) and validated
against the published CDNOW parameters (tests/test_clv.py). The modified BG/NBD, which lets
customers drop out after their first purchase too, and the out-of-sample choice between the two
are in `workbench.clv_models`; the functions here accept either fitted model.

All functions are pure: DataFrames / arrays in, new DataFrames / results out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from workbench import frames

UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def _unit_days(unit: str | float) -> float:
    if isinstance(unit, int | float) and not isinstance(unit, bool):
        if unit <= 0:
            raise ValueError(f"unit must be a positive number of days, got {unit}")
        return float(unit)
    try:
        return UNIT_DAYS[str(unit).upper()]
    except KeyError:
        raise ValueError(f"unknown time unit {unit!r}; use one of {sorted(UNIT_DAYS)} "
                         "or a number of days") from None


# --------------------------------------------------------------------------------------------
# RFM summary
# --------------------------------------------------------------------------------------------

def rfm_summary(
    transactions: pd.DataFrame,
    observation_end,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "amount",
    unit: str | float = "W",
    observation_start=None,
) -> pd.DataFrame:
    """Per-customer frequency / recency / T / monetary value for BG/NBD and Gamma-Gamma.

    Transactions of one customer on one calendar day count as one purchase (values summed), as
    in Fader, Hardie & Lee. Only transactions in [observation_start, observation_end] are used;
    rows without a customer are refused (count them out before calling). Returns a DataFrame
    indexed by customer with:
      frequency       number of repeat purchase days (purchase days - 1)
      recency         time from first to last purchase (in `unit`)
      T               time from first purchase to `observation_end` (in `unit`)
      monetary_value  mean value of the repeat purchases (0 when frequency is 0)
      first_value     value of the first purchase day
      n_transactions  rows of input behind the customer's purchase days
    """
    needed = [customer_col, date_col] + ([value_col] if value_col else [])
    missing = [c for c in needed if c not in transactions.columns]
    if missing:
        raise ValueError(f"rfm_summary: missing column(s) {missing}; got {list(transactions.columns)}")
    df = transactions[needed]
    if df[customer_col].isna().any():
        n = int(df[customer_col].isna().sum())
        raise ValueError(f"rfm_summary: {n} transaction(s) without {customer_col}; "
                         "drop (and report) anonymous purchases before calling")
    dates = pd.to_datetime(df[date_col])
    if dates.isna().any():
        raise ValueError(f"rfm_summary: {int(dates.isna().sum())} transaction(s) without a date")
    end = pd.Timestamp(observation_end).normalize()
    keep = dates.dt.normalize() <= end
    if observation_start is not None:
        keep &= dates >= pd.Timestamp(observation_start)
    days = dates.dt.normalize()[keep]
    # customers as integer codes in sorted order: one factorisation instead of one per groupby
    # (the column itself, not `.to_numpy()`: Arrow-backed text stays Arrow, no Python string per row)
    codes, customers = pd.factorize(df[customer_col][keep], sort=True)
    daily = pd.DataFrame({"customer": codes, "day": days.to_numpy()})
    daily["value"] = df[value_col][keep].astype(float).to_numpy() if value_col else 0.0
    if daily.empty:
        raise ValueError(f"rfm_summary: no transaction on or before {end.date()}")
    daily["n"] = 1
    # one number per (customer, day), in (customer, day) order: grouped by one integer column
    # (the same groups and sums as grouping by the two columns, without pairing them)
    key, span, first_day = frames.pair_keys(
        daily["customer"].to_numpy(), daily["day"].to_numpy().astype("datetime64[D]").astype(np.int64))
    per_day = daily[["value", "n"]].groupby(key, sort=True).sum()
    per_day = pd.DataFrame({"customer": per_day.index.to_numpy() // span,
                            "day": ((per_day.index.to_numpy() % span + first_day)
                                    .astype("datetime64[D]").astype(daily["day"].dtype)),
                            "value": per_day["value"].to_numpy(), "n": per_day["n"].to_numpy()})
    g = per_day.groupby("customer", sort=True)
    first = g["day"].min()
    last = g["day"].max()
    n_days = g.size()
    total = g["value"].sum()
    first_value = per_day.drop_duplicates("customer", keep="first").set_index("customer")["value"]
    ud = _unit_days(unit)
    out = pd.DataFrame(
        {
            "frequency": (n_days - 1).astype(int),
            "recency": (last - first).dt.days / ud,
            "T": (end - first).dt.days / ud,
            "first_value": first_value,
            "n_transactions": g["n"].sum().astype(int),
        }
    )
    repeat_total = total - first_value
    out["monetary_value"] = np.where(out["frequency"] > 0,
                                     repeat_total / out["frequency"].clip(lower=1), 0.0)
    out.index = pd.Index(pd.Series(np.asarray(customers)).iloc[out.index].to_numpy(), name=customer_col)
    return out[["frequency", "recency", "T", "monetary_value", "first_value", "n_transactions"]]


# --------------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------------

def _check_rft(frequency, recency, T):
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    if not (x.shape == tx.shape == T.shape) or x.ndim != 1:
        raise ValueError("frequency, recency and T must be 1-D arrays of the same length")
    if len(x) == 0:
        raise ValueError("no customer to fit")
    bad = ~np.isfinite(x) | ~np.isfinite(tx) | ~np.isfinite(T)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} customer(s) with missing or infinite frequency/recency/T")
    if (x < 0).any() or (np.floor(x) != x).any():
        raise ValueError("frequency must be a non-negative whole number of repeat purchases")
    if (tx < 0).any() or (tx > T + 1e-9).any():
        raise ValueError("recency must satisfy 0 <= recency <= T "
                         f"({int(((tx < 0) | (tx > T + 1e-9)).sum())} customer(s) violate it)")
    if ((x > 0) & (tx <= 0)).any():
        raise ValueError("customers with repeat purchases must have recency > 0")
    return x, tx, T


def bgnbd_log_likelihood_terms(params, frequency, recency, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6)."""
    r, alpha, a, b = (float(params[k]) for k in ("r", "alpha", "a", "b"))
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    has = x > 0
    # for x = 0 the second term is absent: use -inf so logaddexp returns a3 exactly
    a4 = np.full_like(x, -np.inf)
    xs, txs = x[has], tx[has]
    a4[has] = np.log(a) - np.log(b + xs - 1) - (r + xs) * np.log(alpha + txs)
    return a1 + a2 + np.logaddexp(a3, a4)


class _Values:
    """A column of per-customer values as (distinct values, inverse): `f(v.u)[v.inv]` equals
    `f(column)` element by element for any elementwise `f`, computed once per distinct value
    (frequencies and day-based times repeat a lot across customers)."""

    def __init__(self, values: np.ndarray):
        self.u, self.inv = np.unique(values, return_inverse=True)

    def of(self, f) -> np.ndarray:
        return f(self.u)[self.inv]


def _by_value(x, tx, T):
    """(`_Values` of x, tx, T): the terms of a likelihood that depend on one of them only (the
    special functions of x, the logs of T and tx) are computed once per distinct value."""
    return _Values(x), _Values(tx), _Values(T)


def _bgnbd_neg_ll_and_grad(theta, x, tx, T, inverse=None, by_value=None):
    """Negative BG/NBD log-likelihood and its gradient w.r.t. the log-parameters.

    With `inverse`, (x, tx, T) are the distinct customer histories and `inverse` maps each
    customer to its history: the per-customer terms are computed once per history, spread
    back to the customers and summed in customer order — the same numbers, to the bit, as
    computing them customer by customer (histories repeat: times are whole days). With
    `by_value` (`_by_value(x, tx, T)`), the terms of one variable are computed once per
    distinct value of it (elementwise functions: the same numbers again)."""
    r, alpha, a, b = np.exp(theta)
    vx, vtx, vT = by_value or (None, None, None)

    def of(values, column, f):
        return values.of(f) if values is not None else f(column)

    has = x > 0
    log_aT = of(vT, T, lambda v: np.log(alpha + v))
    log_atx = of(vtx, tx, lambda v: np.log(alpha + v))
    a3 = -(r + x) * log_aT
    a4 = np.full_like(x, -np.inf)
    # (log(b + x - 1) is used where x > 0 only: computed there, b + 0 elsewhere, never < 0)
    a4[has] = (np.log(a) - of(vx, x, lambda v: np.log(b + np.maximum(v, 1) - 1))[has]
               - (r + x[has]) * log_atx[has])
    lse = np.logaddexp(a3, a4)
    ll = (of(vx, x, lambda v: gammaln(r + v)) - gammaln(r) + r * np.log(alpha)
          + of(vx, x, lambda v: betaln(a, b + v)) - betaln(a, b) + lse)
    w3 = np.exp(a3 - lse)
    w4 = np.exp(a4 - lse)  # 0 when x == 0
    inv_bx1 = np.where(has, 1.0 / np.where(has, b + x - 1, 1.0), 0.0)
    psi_abx = of(vx, x, lambda v: digamma(a + b + v))
    d_r = (of(vx, x, lambda v: digamma(r + v)) - digamma(r) + np.log(alpha) - w3 * log_aT
           - w4 * log_atx)
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
    d_a = digamma(a + b) - psi_abx + w4 / a
    d_b = (of(vx, x, lambda v: digamma(b + v)) - digamma(b) + digamma(a + b) - psi_abx
           - w4 * inv_bx1)
    if inverse is not None:
        ll, d_r, d_alpha, d_a, d_b = (v[inverse] for v in (ll, d_r, d_alpha, d_a, d_b))
    grad = np.array([d_r.sum() * r, d_alpha.sum() * alpha, d_a.sum() * a, d_b.sum() * b])
    val = -ll.sum()
    if not np.isfinite(val) or not np.all(np.isfinite(grad)):
        return 1e300, np.zeros(4)
    return val, -grad


def _distinct_histories(x, tx, T):
    """((x, tx, T) of the distinct customer histories, inverse: customer -> history)."""
    uniq, inverse = np.unique(np.stack([x, tx, T], axis=1), axis=0, return_inverse=True)
    return tuple(np.ascontiguousarray(uniq[:, i]) for i in range(3)), inverse.ravel()


@dataclass(frozen=True)
class BGNBDFit:
    """Fitted BG/NBD model: purchase rate ~ Gamma(r, alpha), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool = True
    extra: dict = field(default_factory=dict)
    model: str = "bgnbd"  # key of `clv_models.MODEL_LABELS`, like `clv_models.MBGNBDFit.model`

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def __getitem__(self, key):  # mapping-style access: fit["r"], fit["log_likelihood"]
        if key in ("r", "alpha", "a", "b", "log_likelihood"):
            return getattr(self, key)
        raise KeyError(key)

    def keys(self):
        return ["r", "alpha", "a", "b", "log_likelihood"]


def _fit_positive(fun_and_grad, starts, n_params):
    """Minimise over log-parameters from several starts (L-BFGS-B, analytic gradient)."""
    best = None
    for start in starts:
        res = optimize.minimize(fun_and_grad, start, jac=True, method="L-BFGS-B",
                                bounds=[(-15.0, 15.0)] * n_params,
                                options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-8})
        if best is None or res.fun < best.fun:
            best = res
    return best


def fit_bgnbd(frequency, recency, T, *, penalizer: float = 0.0) -> BGNBDFit:
    """Maximum-likelihood BG/NBD fit from per-customer repeat count, recency and age.

    Inputs in any consistent time unit: `frequency` = repeat purchases, `recency` = time of the
    last purchase since the first (0 if none), `T` = time since the first purchase. Parameters
    are optimised on the log scale (always positive); `penalizer` adds an L2 penalty on the
    parameters like `lifetimes` does (0 = plain maximum likelihood).
    """
    return BGNBDFit(*_fit_purchase_model(_bgnbd_neg_ll_and_grad, bgnbd_log_likelihood_terms,
                                         frequency, recency, T, penalizer))


def _fit_purchase_model(neg_ll_and_grad, ll_terms, frequency, recency, T, penalizer: float):
    """Maximum-likelihood fit shared by the purchase models with parameters (r, alpha, a, b)
    (BG/NBD here, MBG/NBD in `clv_models`): one likelihood evaluation per distinct history,
    log-parameters, several starts. Returns (r, alpha, a, b, log-likelihood, n, converged)."""
    x, tx, T = _check_rft(frequency, recency, T)
    (ux, utx, uT), inverse = _distinct_histories(x, tx, T)
    by_value = _by_value(ux, utx, uT)

    def neg_ll(theta):
        val, grad = neg_ll_and_grad(theta, ux, utx, uT, inverse, by_value)
        ep = np.exp(theta)
        return val + penalizer * float(np.sum(ep ** 2)), grad + penalizer * 2 * ep ** 2

    scale = float(np.mean(T)) or 1.0
    starts = [np.log([1.0, scale, 1.0, 1.0]), np.log([0.5, scale / 4, 0.5, 2.0]), np.zeros(4)]
    res = _fit_positive(neg_ll, starts, 4)
    r, alpha, a, b = np.exp(res.x)
    ll = float(ll_terms({"r": r, "alpha": alpha, "a": a, "b": b}, x, tx, T).sum())
    return float(r), float(alpha), float(a), float(b), ll, len(x), bool(res.success)


def _params(model) -> dict[str, float]:
    if isinstance(model, BGNBDFit | GammaGammaFit):
        return model.params
    if isinstance(model, Mapping):
        return dict(model)
    raise TypeError(f"expected a fitted model or a parameter mapping, got {type(model).__name__}")


def _bgnbd_ratio_term(p, x, tx, T):
    """log of (a / (b + x - 1)) * ((alpha + T) / (alpha + tx))^(r + x), -inf when x == 0."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    out = np.full_like(x, -np.inf, dtype=float)
    has = x > 0
    out[has] = (np.log(a) - np.log(b + x[has] - 1)
                + (r + x[has]) * (np.log(alpha + T[has]) - np.log(alpha + tx[has])))
    return out


def _own_formula(model, name: str):
    """The model's own formula `name` when it carries one (an MBG/NBD fit of
    `workbench.clv_models`), else None: BG/NBD, given as a fit or a parameter mapping."""
    f = getattr(model, name, None)
    return f if callable(f) else None


def probability_alive(model, frequency, recency, T) -> np.ndarray:
    """P(customer still active | history) under BG/NBD (1 for customers without repeat).

    An MBG/NBD fit (`clv_models.fit_mbgnbd`) uses its own formula (below 1 without repeat too).
    """
    if own := _own_formula(model, "probability_alive"):
        return own(frequency, recency, T)
    p = _params(model)
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return np.exp(-np.logaddexp(0.0, _bgnbd_ratio_term(p, x, tx, T)))


def expected_purchases(model, t, frequency, recency, T) -> np.ndarray:
    """Expected number of purchases in the next `t` time units, given each customer's history.

    Fader, Hardie & Lee (2005) eq. 10, with the Gauss hypergeometric function. An MBG/NBD fit
    (`clv_models.fit_mbgnbd`) uses its own formula.
    """
    if own := _own_formula(model, "expected_purchases"):
        return own(t, frequency, recency, T)
    p = _params(model)
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    t = float(t)
    if t < 0:
        raise ValueError("horizon t must be >= 0")
    if t == 0:
        return np.zeros_like(x)
    z = t / (alpha + T + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    first = (a + b + x - 1) / (a - 1)
    second = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    denom = 1 + np.exp(_bgnbd_ratio_term(p, x, tx, T))
    out = first * second / denom
    if not np.all(np.isfinite(out)):
        raise FloatingPointError("expected_purchases: numerical overflow in hyp2f1; "
                                 "use a shorter horizon or a larger time unit")
    return out


def expected_purchases_new_customer(model, t) -> float:
    """E[X(t)] for a customer just acquired (unconditional BG/NBD mean, eq. 7; an MBG/NBD fit
    uses its own formula)."""
    if own := _own_formula(model, "expected_purchases_new_customer"):
        return own(t)
    p = _params(model)
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    z = t / (alpha + t)
    return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z)))


# --------------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend model: spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int
    converged: bool = True

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def mean_spend(self) -> float:
        """Population mean spend per purchase, p * gamma / (q - 1) (inf when q <= 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")

    def __getitem__(self, key):
        if key in ("p", "q", "gamma", "log_likelihood"):
            return getattr(self, key)
        raise KeyError(key)


def gamma_gamma_log_likelihood_terms(params, frequency, monetary_value) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend m_x over x purchases."""
    p, q, g = (float(params[k]) for k in ("p", "q", "gamma"))
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + m * x))


def fit_gamma_gamma(frequency, monetary_value) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on customers with at least one repeat purchase.

    Pass only customers with frequency > 0 and monetary_value > 0 (mean repeat spend); others
    are refused with a clear error so nothing is dropped silently.
    """
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if x.shape != m.shape or x.ndim != 1 or len(x) == 0:
        raise ValueError("frequency and monetary_value must be non-empty 1-D arrays of equal length")
    bad = ~(np.isfinite(x) & np.isfinite(m)) | (x <= 0) | (m <= 0)
    if bad.any():
        raise ValueError(f"fit_gamma_gamma: {int(bad.sum())} customer(s) with frequency <= 0 or "
                         "monetary_value <= 0; keep only repeat buyers with positive spend")

    logm, logx = np.log(m), np.log(x)
    ux = _Values(x)  # terms of the frequency alone: once per distinct frequency (same bits)

    def neg_ll(theta):
        p, q, g = np.exp(theta)
        px = p * x
        lgm = np.log(g + m * x)
        # = -gamma_gamma_log_likelihood_terms(...).sum(), term by term in the same order
        val = -(ux.of(lambda v: gammaln(p * v + q)) - ux.of(lambda v: gammaln(p * v))
                - gammaln(q) + q * np.log(g) + (px - 1) * logm + px * logx - (px + q) * lgm).sum()
        psi = ux.of(lambda v: digamma(p * v + q))
        d_p = (x * (psi - ux.of(lambda v: digamma(p * v)) + logm + logx - lgm)).sum() * p
        d_q = (psi - digamma(q) + np.log(g) - lgm).sum() * q
        d_g = (q / g - (px + q) / (g + m * x)).sum() * g
        grad = -np.array([d_p, d_q, d_g])
        if not np.isfinite(val) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(3)
        return val, grad

    starts = [np.log([1.0, 1.0, float(np.mean(m))]), np.log([5.0, 3.0, 10.0]), np.zeros(3)]
    res = _fit_positive(neg_ll, starts, 3)
    p, q, g = np.exp(res.x)
    ll = float(gamma_gamma_log_likelihood_terms({"p": p, "q": q, "gamma": g}, x, m).sum())
    return GammaGammaFit(float(p), float(q), float(g), ll, len(x), bool(res.success))


def expected_spend(model, frequency, monetary_value) -> np.ndarray:
    """Expected spend per future purchase given history (shrinks m_x towards the population mean)."""
    pr = _params(model)
    p, q, g = pr["p"], pr["q"], pr["gamma"]
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if q <= 1:
        raise ValueError("Gamma-Gamma q <= 1: population mean spend is infinite")
    return (g + m * x) * p / (p * x + q - 1)


# --------------------------------------------------------------------------------------------
# Customer value
# --------------------------------------------------------------------------------------------

def customer_value(
    rfm: pd.DataFrame,
    bgnbd,
    gamma_gamma,
    *,
    horizon: float = 12,
    step: float = 1,
    discount_rate: float = 0.0,
    unit: str | float = "M",
    model_unit: str | float = "W",
) -> pd.DataFrame:
    """Expected purchases, P(alive), expected spend and value over `horizon` per customer.

    `bgnbd`: the repeat-purchase model, a BG/NBD fit (or its parameters) or an MBG/NBD fit
    (`clv_models.fit_mbgnbd` / `clv_models.fit_model`). `rfm` is the output of `rfm_summary` (times in `model_unit`, the unit the models were fitted
    in). The horizon is counted in `unit` (default: 12 months), cut in `step`s; each step's
    expected purchases are valued at the customer's expected spend and discounted by
    `discount_rate` per step (0 = undiscounted). Returns a new DataFrame with the same index.
    """
    for c in ("frequency", "recency", "T", "monetary_value"):
        if c not in rfm.columns:
            raise ValueError(f"customer_value: rfm lacks column {c!r} (use rfm_summary)")
    if horizon <= 0 or step <= 0:
        raise ValueError("horizon and step must be positive")
    x, tx, T = rfm["frequency"], rfm["recency"], rfm["T"]
    ratio = _unit_days(unit) / _unit_days(model_unit)
    n_steps = int(np.ceil(horizon / step - 1e-9))
    edges = np.minimum(np.arange(1, n_steps + 1) * step, horizon)
    cum_prev = np.zeros(len(rfm))
    discounted = np.zeros(len(rfm))
    for i, e in enumerate(edges, start=1):
        cum = expected_purchases(bgnbd, e * ratio, x, tx, T)
        discounted += (cum - cum_prev) / (1 + discount_rate) ** i
        cum_prev = cum
    spend_hist = np.where(rfm["frequency"] > 0, rfm["monetary_value"], np.nan)
    pr = _params(gamma_gamma)
    spend = np.where(rfm["frequency"] > 0,
                     expected_spend(gamma_gamma, x, np.nan_to_num(spend_hist, nan=1.0)),
                     pr["p"] * pr["gamma"] / (pr["q"] - 1))
    out = pd.DataFrame(index=rfm.index)
    out["p_alive"] = probability_alive(bgnbd, x, tx, T)
    out["expected_purchases"] = cum_prev
    out["expected_spend"] = spend
    out["clv"] = discounted * spend
    return out


def value_by_group(values: pd.DataFrame, groups: pd.Series, value_col: str = "clv") -> pd.DataFrame:
    """Sum / mean / share of customer value per group (segment, region...), largest first."""
    joined = values[[value_col]].join(groups.rename("group"), how="left")
    n_missing = int(joined["group"].isna().sum())
    if n_missing:
        raise ValueError(f"value_by_group: {n_missing} customer(s) have no group")
    agg = joined.groupby("group", observed=True)[value_col].agg(customers="size", total="sum",
                                                                mean="mean")
    agg["share"] = agg["total"] / agg["total"].sum()
    return agg.sort_values("total", ascending=False)


def value_by_category(values: pd.DataFrame, category_spend: pd.DataFrame,
                      value_col: str = "clv") -> pd.DataFrame:
    """Split each customer's value across product categories by their historical spend mix.

    `category_spend`: customers x categories (spend). Returns customers x categories of expected
    value: "the importance of a person for a product segment". Customers without category
    history are refused.
    """
    mix = category_spend.reindex(values.index)
    tot = mix.sum(axis=1)
    if mix.isna().all(axis=1).any() or (tot <= 0).any():
        n = int((mix.isna().all(axis=1) | (tot <= 0)).sum())
        raise ValueError(f"value_by_category: {n} customer(s) without category spend history")
    share = mix.fillna(0).div(tot, axis=0)
    return share.mul(values[value_col], axis=0)


def last_complete_month(timestamps: pd.Series) -> pd.Period:
    """Last calendar month fully covered by `timestamps` (data reaching the month's last day)."""
    ts = pd.to_datetime(timestamps).dropna()
    if ts.empty:
        raise ValueError("last_complete_month: no dated transaction")
    last = ts.max()
    month = last.to_period("M")
    if last.normalize() < month.end_time.normalize():
        month -= 1
    if month < ts.min().to_period("M"):
        raise ValueError(f"no complete month between {ts.min().date()} and {last.date()}")
    return month


def holdout_data(transactions: pd.DataFrame, calibration_end, holdout_end, *,
                 customer_col: str = "customer_id", date_col: str = "timestamp",
                 value_col: str = "amount", unit: str | float = "W"):
    """What an out-of-sample check of a purchase model compares: the calibration summary
    (`rfm_summary` up to `calibration_end`), the holdout length in `unit` and each calibration
    customer's actual purchase days in (calibration_end, holdout_end] (0 when none)."""
    cal_end = pd.Timestamp(calibration_end).normalize()
    hold_end = pd.Timestamp(holdout_end).normalize()
    if hold_end <= cal_end:
        raise ValueError("holdout_end must be after calibration_end")
    rfm = rfm_summary(transactions, cal_end, customer_col=customer_col, date_col=date_col,
                      value_col=value_col, unit=unit)
    t = (hold_end - cal_end).days / _unit_days(unit)
    d = pd.to_datetime(transactions[date_col]).dt.normalize()
    hold = transactions.loc[(d > cal_end) & (d <= hold_end), [customer_col]].assign(day=d)
    actual = hold.drop_duplicates().groupby(customer_col).size()
    return rfm, t, actual.reindex(rfm.index, fill_value=0).astype(float)


def holdout_check(
    transactions: pd.DataFrame,
    calibration_end,
    holdout_end,
    *,
    customer_col: str = "customer_id",
    date_col: str = "timestamp",
    value_col: str = "amount",
    unit: str | float = "W",
    max_frequency: int = 7,
) -> tuple[pd.DataFrame, BGNBDFit]:
    """Validate BG/NBD out of sample: fit up to `calibration_end`, predict the purchase days
    in (calibration_end, holdout_end] and compare with what customers actually did.

    Returns (table, fit): one row per calibration frequency (capped at `max_frequency`+) with
    customers, mean predicted and mean actual purchase days in the holdout. BG/NBD only:
    `clv_models.holdout_comparison` compares it with MBG/NBD and picks the better one.
    """
    rfm, t, actual = holdout_data(transactions, calibration_end, holdout_end, customer_col=customer_col,
                                  date_col=date_col, value_col=value_col, unit=unit)
    fit = fit_bgnbd(rfm["frequency"], rfm["recency"], rfm["T"])
    pred = expected_purchases(fit, t, rfm["frequency"], rfm["recency"], rfm["T"])
    out = pd.DataFrame({"frequency": rfm["frequency"].clip(upper=max_frequency),
                        "predicted": pred, "actual": actual})
    table = out.groupby("frequency").agg(customers=("predicted", "size"),
                                         predicted=("predicted", "mean"), actual=("actual", "mean"))
    table.loc["total"] = [len(out), out["predicted"].sum(), out["actual"].sum()]
    return table, fit
