"""Customer segmentation: customer features, channel typology, audience growth, migration.

Why: retailers segment customers by socio-demographics, purchase profile and social profile,
and must tell apart "connected" profiles that research on the web before coming to the store
from traditional ones. Every function here is pure: it takes DataFrames and explicit parameters
and returns new DataFrames (inputs are never modified, nothing is read or written).

Main entry points:
  customer_features(tables, as_of)        one row per customer (demography, RFM, mixes, e-mail...)
  channel_typology(features, rules)       explicit channel rules -> channel_type per customer
  segment_customers(features, k, seed)    standardised clustering -> segment and French name
  fit_segment_model / assign_segments     the same, split, for stable month-to-month definitions
  segment_profiles, segment_tests         who is in each segment, and do segments really differ
                                          (these four: `segment_model`, re-exported here)
  audience_growth                         followers per platform, monthly growth, fastest channel
  segment_migration                       transitions between segments from one month to the next
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench import events, frames, retail_calendar
from workbench.datasets import DataError, _problem
from workbench.events import ACTIVITY_CHANNELS as TOUCHPOINT_FEATURE_CHANNELS
from workbench.events import ONLINE_SALES as ONLINE_CHANNELS
from workbench.events import RESEARCH_CHANNELS  # noqa: F401  (re-exported, defined in events.rules)
from workbench.schemas import SALES_CHANNELS
from workbench.segment_model import (  # noqa: F401  (public API: the segments, re-exported)
    CLUSTER_FEATURES,
    FEATURE_SOURCES,
    NO_PURCHASE,
    RFM_SEGMENTS_FR,
    SEGMENT_ARCHETYPES,
    SOCIAL_LINK_FEATURES,
    SegmentModel,
    assign_segments,
    choose_k,
    clustering_matrix,
    fit_segment_model,
    name_segments,
    segment_customers,
    segment_profiles,
    segment_tests,
    silhouette,
    social_profile,
)

AGE_BANDS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 200))
AGE_BAND_LABELS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")

# French labels for report tables (column headers shown to readers).
CHANNEL_TYPE_LABELS = {
    "digital_first": "Digital d'abord",
    "web_to_store": "Web-to-store",
    "omnichannel": "Omnicanal",
    "store_only": "Magasin uniquement",
    "inactive": "Inactif (sans achat récent)",  # not the RFM "Perdus": another rule, another name
}

PROFILE_LABELS_FR = {
    "customers": "Clients",
    "share": "Part des clients",
    "age": "Âge moyen",
    "frequency": "Achats (12 mois)",
    "monetary": "CA (12 mois, €)",
    "avg_basket": "Panier moyen (€)",
    "recency_days": "Récence (jours)",
    "share_store": "Part magasin",
    "share_web": "Part web",
    "share_app": "Part appli",
    "share_click_collect": "Part click & collect",
    "research_share": "Achats magasin précédés d'une recherche web",
    "promo_share": "Achats en soldes / Black Friday",
    "open_rate": "Taux d'ouverture e-mail (tous les clients)",
    "click_rate": "Taux de clic e-mail (tous les clients)",
    "social_touchpoints": "Contacts réseaux sociaux",
    "premium_tier_share": "Part Or / Platine",
    "top_region": "Région principale",
    "top_region_share": "Part de la région principale",
}


# ------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------

def _cutoff(as_of) -> pd.Timestamp:
    """Exclusive end timestamp for data 'as of' a date or a month (the whole day/month counts)."""
    if isinstance(as_of, pd.Period):
        return (as_of + 1).start_time
    if isinstance(as_of, str) and len(as_of) == 7:  # "YYYY-MM"
        return (pd.Period(as_of, "M") + 1).start_time
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)


def feature_window(as_of, lookback_days: int = 365) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the behaviour window of `customer_features` as of `as_of`."""
    end = _cutoff(as_of)
    return end - pd.Timedelta(days=lookback_days), end


def purchase_window(as_of, lookback_days: int | None = 365) -> tuple:
    """(start, end) of the purchases behind the features as of `as_of` ([start, end); start
    None = the whole history), kept in the features' `attrs['window']` so that a later step
    can tell whether they are the ones it needs (e.g. `value_segments.value_migration`)."""
    end = _cutoff(as_of)
    return None if lookback_days is None else end - pd.Timedelta(days=lookback_days), end


def feature_windows(months, lookback_days: int = 365) -> dict:
    """{month: (start, end)} behaviour windows of report months (for `datasets.customer_activity`):
    e.g. `[period - 1, period]` for this month's features and `segment_migration`."""
    return {pd.Period(m, "M"): feature_window(pd.Period(m, "M"), lookback_days) for m in months}


def _require(tables: dict, name: str, columns) -> pd.DataFrame:
    if name not in tables or tables[name] is None:
        raise ValueError(f"table {name!r} is required (got {sorted(tables)})")
    df = tables[name]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"table {name!r} lacks column(s) {missing}")
    return df


def age_band(age: pd.Series) -> pd.Series:
    """Age in years -> band label ('18-24' ... '65+'); missing or under 18 -> 'inconnu'."""
    out = pd.Series("inconnu", index=age.index, dtype=object)
    for (lo, hi), lab in zip(AGE_BANDS, AGE_BAND_LABELS, strict=True):
        out[(age >= lo) & (age <= hi)] = lab
    return out


def sales_periods(years) -> pd.DataFrame:
    """French national soldes and Black Friday periods for `years`: start, end (exclusive), name
    — from the one retail calendar (`workbench.retail_calendar`, where the legal rules are)."""
    return retail_calendar.sales_periods(years)


def in_sales_period(timestamps: pd.Series) -> pd.Series:
    """True when a timestamp falls in a French soldes or Black Friday period."""
    ts = pd.to_datetime(timestamps)
    out = pd.Series(False, index=ts.index)
    if len(ts) == 0:
        return out
    periods = sales_periods(range(ts.min().year, ts.max().year + 1))
    for start, end in zip(periods["start"], periods["end"], strict=True):
        out |= (ts >= start) & (ts < end)
    return out


def stitch_touchpoints(touchpoints: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Fill customer_id of anonymous touchpoints from the same device (visitor_id).

    A visitor seen logged in as exactly one customer gives that customer to all its
    touchpoints; visitors linked to several customers stay anonymous (counted, not guessed).
    The rule is the event layer's (`workbench.events.rules`: device_links,
    stitched_touchpoints), run on DuckDB. Returns (new touchpoints, counts).
    """
    with events.engine.open_session() as ses:  # DuckDB, or Spark under --engine spark
        ses.register_frame("touchpoints", touchpoints, ["visitor_id", "customer_id"])
        rows, counts = events.stitch(ses)
    tp = touchpoints.copy()
    tp["customer_id"] = rows.column("customer_key").to_numpy(zero_copy_only=False)
    return tp, counts


def web_research_before_store(
    transactions: pd.DataFrame,
    touchpoints: pd.DataFrame,
    *,
    window_days: float = 7,
    research_channels=RESEARCH_CHANNELS,
) -> pd.DataFrame:
    """Flag each store purchase preceded by online research of the same customer.

    Research = a touchpoint on `research_channels` of the customer (`touchpoints` already
    stitched, e.g. by `stitch_touchpoints`) within `window_days` before the purchase AND after
    the customer's previous purchase (any channel; purchases at the same instant ordered by
    transaction_id): browsing that ended in a web order belongs to that order, not to the next
    store visit. The rule is the event layer's (`workbench.events.rules`: store_research), run
    on DuckDB. Returns transaction_id, customer_id, timestamp, researched (bool),
    days_since_research, in purchase order.
    """
    with events.engine.open_session() as ses:  # DuckDB, or Spark under --engine spark
        ses.register_frame("transactions", transactions,
                           ["transaction_id", "customer_id", "channel", "timestamp"])
        ses.register_frame("touchpoints", touchpoints, ["customer_id", "timestamp", "channel"])
        ses.create("stitched_touchpoints",
                   'SELECT CAST(customer_id AS VARCHAR) AS customer_key, "timestamp", '
                   "CAST(channel AS VARCHAR) AS channel FROM touchpoints")
        out = events.store_research(ses, window_days=window_days,
                                    research_channels=research_channels)
    out = out.sort_values(["timestamp", "customer_id", "transaction_id"], kind="stable")
    out["timestamp"] = out["timestamp"].astype("datetime64[ns]")
    out["researched"] = out["researched"].astype(bool)
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# Customer features
# ------------------------------------------------------------------------------------------

def _score_quintile(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """1-5 score by quintile of rank; tied customers share a score (their average rank)."""
    v = values if higher_is_better else -values
    pct = v.rank(method="average", pct=True)
    return np.ceil(pct * 5).clip(1, 5).astype("Int64")


# the columns of the purchases that the purchase features read (`_purchase_block`)
PURCHASE_BLOCK_COLUMNS = ["customer_id", "channel", "timestamp", "amount", "n_items"]


def _window(trx: pd.DataFrame, start, end) -> pd.DataFrame:
    """The identified purchases of [start, end) (`start` None: since the first), only the
    columns of `PURCHASE_BLOCK_COLUMNS` (a copy of millions of rows without the ids of the
    transactions and stores, which no feature reads), with the file's row index."""
    keep = (trx["timestamp"] < end) & trx["customer_id"].notna()
    if start is not None:
        keep &= trx["timestamp"] >= start
    t = trx.loc[keep, PURCHASE_BLOCK_COLUMNS]
    return t.assign(customer_id=t["customer_id"].astype(str))


def _purchase_block(t: pd.DataFrame, idx: pd.Index, end: pd.Timestamp,
                    no_purchase_recency: float) -> pd.DataFrame:
    """RFM, basket, channel mix and promo share of the purchases `t` for customers `idx`.

    Customers are grouped by integer codes (one factorisation of the ids instead of one per
    aggregate); sums run over each customer's rows in the same order, so the figures are the
    same as grouping by the ids. (Computed by position, the ids set as the index at the end:
    arithmetic between columns indexed by a million text ids compares the ids each time.)"""
    f = pd.DataFrame(index=pd.RangeIndex(len(idx)))
    codes, uniq = pd.factorize(t["customer_id"], sort=True)
    cid = pd.Index(uniq, name="customer_id")
    # each row's customer code (-1 without purchase), found once: the aggregates (one value per
    # code, in code order) are then placed by position, without a lookup of the ids per column
    row_code = cid.get_indexer(idx)
    has = row_code >= 0
    at = row_code[has]

    def per_customer(series_by_code: pd.Series, fill=0.0, dtype=float) -> np.ndarray:
        by_code = np.full(len(cid), fill, dtype=dtype)
        by_code[series_by_code.index.to_numpy()] = series_by_code.to_numpy(dtype=dtype)
        out = np.full(len(idx), fill, dtype=dtype)
        out[has] = by_code[at]
        return out

    g = t.groupby(codes)
    f["frequency"] = per_customer(g.size())
    f["monetary"] = per_customer(g["amount"].sum())
    f["avg_basket"] = (f["monetary"] / f["frequency"]).where(f["frequency"] > 0, 0.0)
    f["avg_items"] = (per_customer(g["n_items"].sum()) / f["frequency"]).where(f["frequency"] > 0, 0.0)
    last_by_code = g["timestamp"].max()
    last = pd.Series(per_customer(last_by_code, np.datetime64("NaT"), last_by_code.dtype), index=f.index)
    f["recency_days"] = ((end - last).dt.total_seconds() / 86400).fillna(no_purchase_recency)
    # distinct calendar days with a purchase: one (customer, day) number per row, counted once
    keys, span, _ = frames.pair_keys(codes, t["timestamp"].to_numpy().astype("datetime64[D]")
                                     .astype(np.int64))
    customer_days = frames.distinct(keys)
    f["purchase_days"] = per_customer(pd.Series(np.bincount(customer_days // span,
                                                            minlength=len(cid))))
    # purchases per sales channel (channels outside SALES_CHANNELS are not counted)
    channel = frames.positions(t["channel"], list(SALES_CHANNELS))
    if channel is None:  # (values pyarrow cannot compare: pandas' lookup)
        channel = pd.Index(SALES_CHANNELS).get_indexer(t["channel"])
    counted = channel >= 0
    n_ch = len(SALES_CHANNELS)
    per_code = np.bincount(codes[counted].astype(np.int64) * n_ch + channel[counted],
                           minlength=len(cid) * n_ch).reshape(len(cid), n_ch)
    ch = pd.DataFrame({chn: per_customer(pd.Series(per_code[:, i]), 0, np.int64)
                       for i, chn in enumerate(SALES_CHANNELS)}, index=f.index)
    for chn in SALES_CHANNELS:
        f[f"n_{chn}"] = ch[chn].astype(float)
        f[f"share_{chn}"] = (ch[chn] / f["frequency"]).where(f["frequency"] > 0, 0.0)
    f["share_online"] = f[[f"share_{c_}" for c_ in ONLINE_CHANNELS]].sum(axis=1)
    f["n_channels"] = (ch > 0).sum(axis=1).astype(float)
    promo = in_sales_period(t["timestamp"])
    f["promo_share"] = per_customer(promo.groupby(codes).mean())
    # RFM scores among buyers (0 for customers without purchase in the window)
    buyers = (f["frequency"] > 0).to_numpy()
    for col, name, better in (("recency_days", "r_score", False), ("frequency", "f_score", True),
                              ("monetary", "m_score", True)):
        score = _score_quintile(pd.Series(f[col].to_numpy()[buyers]), better)
        values, missing = np.zeros(len(idx), dtype=np.int64), np.zeros(len(idx), dtype=bool)
        values[buyers] = score.to_numpy(dtype=np.int64, na_value=0)
        missing[buyers] = score.isna().to_numpy()
        f[name] = pd.arrays.IntegerArray(values, missing)
    f["rfm_score"] = (f["r_score"].astype(str) + f["f_score"].astype(str) + f["m_score"].astype(str))
    f["rfm_segment"] = rfm_segment(f["r_score"], f["f_score"])
    f.index = idx
    return f


def purchase_features(transactions: pd.DataFrame, as_of, *, lookback_days: int | None = 365,
                      customers=None) -> pd.DataFrame:
    """Purchase-only features (RFM + scores, basket, channel mix, promo share) per customer.

    Works on any `transactions`-shaped table (e.g. the CDNOW log from `datasets.read_cdnow`),
    without a CRM. `lookback_days=None` uses the whole history before `as_of`. `customers`
    (ids) fixes the rows; default = every buyer. Anonymous purchases are left out and counted
    in `.attrs['anonymous_purchases']`; `.attrs['window']` is the window (`purchase_window`)
    when every buyer of it is among the rows (scores are quintiles among the rows' buyers).
    """
    for c in ("customer_id", "channel", "timestamp", "amount", "n_items"):
        if c not in transactions.columns:
            raise ValueError(f"purchase_features: transactions lack column {c!r}")
    end = _cutoff(as_of)
    start = None if lookback_days is None else end - pd.Timedelta(days=lookback_days)
    t = _window(transactions, start, end)
    if t.empty:
        raise ValueError(f"purchase_features: no purchase before {end.date()}")
    idx = pd.Index(pd.Index(t["customer_id"].unique()).sort_values() if customers is None
                   else pd.Index(customers).astype(str), name="customer_id")
    first = t["timestamp"].min()
    none_rec = float(lookback_days) if lookback_days is not None else (end - first).days
    f = _purchase_block(t, idx, end, float(none_rec))
    before = transactions["timestamp"] < end
    if start is not None:
        before &= transactions["timestamp"] >= start
    f.attrs["anonymous_purchases"] = int((before & transactions["customer_id"].isna()).sum())
    if f["frequency"].sum() == len(t):  # every buyer of the window scored (see purchase_window)
        f.attrs["window"] = (start, end)
    return f


def rfm_segment(r_score: pd.Series, f_score: pd.Series) -> pd.Series:
    """Classic RFM value segments (French labels) from R and F scores, rules in RFM_SEGMENTS_FR."""
    r = r_score.astype(float).fillna(0)
    f = f_score.astype(float).fillna(0)
    conds = [(r >= 4) & (f >= 4), (r >= 3) & (f >= 3), (r >= 4) & (f <= 2) & (f >= 1),
             (r <= 2) & (r >= 1) & (f >= 3), (r == 3) & (f <= 2) & (f >= 1),
             (r <= 2) & (r >= 1) & (f <= 2) & (f >= 1)]
    labels = [lab for lab, _ in RFM_SEGMENTS_FR]
    return pd.Series(np.select(conds, labels[:6], labels[6]), index=r_score.index, dtype=object)


def _unknown_customers(trx: pd.DataFrame, t: pd.DataFrame, strangers, cust) -> DataError:
    """The error for purchases by customers absent from the CRM: the transactions file, the
    column, the rows (data rows of the file, when the frame still has the read's row index)
    and the ids, and the customers file they should be in."""
    unknown = t["customer_id"].isin(strangers).to_numpy()
    index = t.index[unknown]
    rows = index + 1 if pd.api.types.is_integer_dtype(index) else []
    return DataError(
        trx.attrs.get("source", "transactions"),
        [_problem("customer_id",
                  f"purchase(s) by {len(strangers)} customer_id(s) absent from the customers file "
                  f"{cust.attrs.get('source', '(customers)')}",
                  "every customer_id of a purchase in the customers table (or empty for an "
                  "anonymous purchase)",
                  rows=rows[:5], values=t.loc[unknown, "customer_id"].iloc[:5], n=int(unknown.sum()))],
        "transactions",
    )


def customer_features(
    tables: dict,
    as_of,
    *,
    lookback_days: int = 365,
    research_window_days: float = 7,
    research_channels=RESEARCH_CHANNELS,
    activity: pd.DataFrame | None = None,
    categories=None,
    loyalty_tiers=None,
) -> pd.DataFrame:
    """One row per CRM customer with the features used by typology, clustering and reports.

    `categories` and `loyalty_tiers` (lowest first) come from the retailer profile; None = the
    categories of the data (sorted, or the `activity` columns) and the tiers ordered by their
    members' mean loyalty points.

    `tables`: dict of raw tables; `customers` and `transactions` are required,
    `transaction_lines`, `touchpoints`, `email_events` and `identity_links`
    (customer_id, account_id, e.g. from `workbench.identity`) with `social_accounts` are
    optional (their features are 0 / missing when absent). Behaviour is measured over the
    `lookback_days` before `as_of` (a date or a "YYYY-MM" month: the whole day/month counts).
    Purchases of customers unknown to the CRM are refused with a clear error.

    `activity`: the per-customer aggregates of the event tables for this window (one frame of
    `datasets.customer_activity(data_dir, feature_windows(...))`); given, it replaces
    `transaction_lines`, `touchpoints` and `email_events` (same features, without loading the
    event tables; aggregates of another window or other research rules are refused).
    """
    cust = _require(tables, "customers", ["customer_id", "birth_year", "sex", "csp", "region",
                                          "department", "loyalty_tier", "signup_date"])
    trx = _require(tables, "transactions", ["transaction_id", "customer_id", "channel",
                                            "timestamp", "amount", "n_items"])
    end = _cutoff(as_of)
    start = end - pd.Timedelta(days=lookback_days)
    idx = pd.Index(cust["customer_id"].astype(str), name="customer_id")
    if idx.has_duplicates:
        raise ValueError(f"customers: {int(idx.duplicated().sum())} duplicated customer_id")

    # computed by position (the customers' order), the ids set as the index at the end:
    # arithmetic between columns indexed by a million text ids compares the ids each time
    f = pd.DataFrame(index=pd.RangeIndex(len(idx)))
    c = cust.reset_index(drop=True)
    f["age"] = ((end - pd.Timedelta(days=1)).year - c["birth_year"].astype("Float64")).astype(float)
    f["age_band"] = age_band(f["age"])
    f["sex"] = c["sex"].astype(object)
    f["csp"] = c["csp"].astype(object)
    f["region"] = c["region"].astype(object)
    f["department"] = c["department"].astype(object)
    f["loyalty_tier"] = c["loyalty_tier"].astype(object)
    tiers = list(loyalty_tiers) if loyalty_tiers else tier_order(c)
    f["loyalty_rank"] = c["loyalty_tier"].map({t: i for i, t in enumerate(tiers)}).astype(float)
    f["tenure_days"] = (end - pd.to_datetime(c["signup_date"])).dt.days.astype(float)

    # --- purchases in the window
    t = _window(trx, start, end)
    buyers = pd.Index(pd.unique(t["customer_id"]))
    strangers = buyers[idx.get_indexer(buyers) < 0]  # hashing: isin on 1M ids is slow
    if len(strangers):
        raise _unknown_customers(trx, t, strangers, cust)
    f = pd.concat([f, _purchase_block(t, idx, end, float(lookback_days)).set_axis(f.index)],
                  axis=1)

    if activity is not None:
        _check_activity(activity, start, end, research_window_days, research_channels)
        f = _activity_blocks(f, activity, categories, ids=idx)
    else:
        f = _raw_event_features(f, idx, tables, t, start, end, research_window_days,
                                research_channels, categories)

    # --- linked social accounts (identity resolution is done elsewhere and passed in)
    links = tables.get("identity_links")
    if links is not None:
        lk = links[["customer_id", "account_id"]].drop_duplicates()
        lk = lk.assign(customer_id=lk["customer_id"].astype(str))
        f["social_accounts"] = (lk.groupby("customer_id").size().reindex(idx, fill_value=0)
                                .astype(float).to_numpy())
        acc = tables.get("social_accounts")
        if acc is not None:
            la = lk.merge(acc[["account_id", "followers"]], on="account_id", how="left")
            f["social_followers"] = (la.groupby("customer_id")["followers"].sum()
                                     .reindex(idx, fill_value=0).astype(float).to_numpy())
        men = tables.get("mentions")
        if men is not None:
            mm = men[(men["timestamp"] >= start) & (men["timestamp"] < end)]
            mc = mm.merge(lk, on="account_id", how="inner").groupby("customer_id").size()
            f["social_mentions"] = mc.reindex(idx, fill_value=0).astype(float).to_numpy()
    f.index = idx
    f.attrs["window"] = (start, end)
    return f


def tier_order(customers: pd.DataFrame) -> list:
    """Loyalty tiers lowest first, by their members' mean loyalty points (when the retailer
    profile does not give them); without points, in alphabetical order."""
    if "loyalty_points" not in customers:
        return sorted(customers["loyalty_tier"].dropna().unique())
    return list(customers.groupby("loyalty_tier", observed=True)["loyalty_points"].mean()
                .sort_values(kind="stable").index)


def _category_block(f: pd.DataFrame, spend: pd.DataFrame, categories) -> pd.DataFrame:
    """cat_<category> (share of spend) and n_categories from spend per customer x category."""
    spend = spend.reindex(index=f.index, columns=list(categories), fill_value=0.0)
    tot = spend.sum(axis=1)
    for cat in categories:
        f[f"cat_{cat}"] = (spend[cat] / tot).where(tot > 0, 0.0)
    f["n_categories"] = (spend > 0).sum(axis=1).astype(float)
    return f


def _touchpoint_block(f: pd.DataFrame, researched: pd.Series, research_share: pd.Series,
                      touches: pd.DataFrame, platforms: pd.Series) -> pd.DataFrame:
    """store_researched, research_share, <channel>_touchpoints and social_platforms."""
    idx = f.index
    f["store_researched"] = researched.reindex(idx, fill_value=0).astype(float)
    f["research_share"] = research_share.reindex(idx).fillna(0.0).astype(float)
    for chn in TOUCHPOINT_FEATURE_CHANNELS:
        col = touches[chn] if chn in touches.columns else pd.Series(dtype=float)
        f[f"{chn}_touchpoints"] = col.reindex(idx, fill_value=0).astype(float)
    f["social_platforms"] = platforms.reindex(idx, fill_value=0).astype(float)
    return f


def _email_block(f: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """emails_sent, open_rate and click_rate from e-mail event counts per customer."""
    cnt = counts.reindex(index=f.index, columns=["sent", "open", "click"], fill_value=0)
    cnt = cnt.astype(float)
    f["emails_sent"] = cnt["sent"]
    f["open_rate"] = (cnt["open"] / cnt["sent"]).where(cnt["sent"] > 0, 0.0).clip(0, 1)
    f["click_rate"] = (cnt["click"] / cnt["sent"]).where(cnt["sent"] > 0, 0.0).clip(0, 1)
    return f


def _raw_event_features(f: pd.DataFrame, ids: pd.Index, tables: dict, t: pd.DataFrame, start,
                        end, research_window_days, research_channels,
                        categories=None) -> pd.DataFrame:
    """Category, touchpoint and e-mail features from the raw event tables (when present): the
    event layer's aggregates (`events.activity`, on DuckDB over the frames) for the window."""
    parts = [name for name in ("transaction_lines", "touchpoints", "email_events")
             if tables.get(name) is not None]
    if not parts:
        return f
    with events.engine.open_session() as ses:  # DuckDB, or Spark under --engine spark
        ses.register_frame("transactions", tables["transactions"],
                           ["transaction_id", "customer_id", "channel", "timestamp"])
        for name in parts:
            ses.register_frame(name, tables[name], events.ACTIVITY_COLUMNS[name])
        act = events.activity(ses, {"w": (start, end)}, research_window_days=research_window_days,
                              research_channels=research_channels, categories=categories,
                              parts=parts)["w"]
    return _activity_blocks(f, act, categories, parts, ids=ids)


def _activity_blocks(f: pd.DataFrame, activity: pd.DataFrame, categories,
                     parts=("transaction_lines", "touchpoints", "email_events"),
                     *, ids: pd.Index) -> pd.DataFrame:
    """The category, touchpoint and e-mail feature blocks from per-customer aggregates (`ids`:
    the customer of each row of `f`, which is indexed by position)."""
    act = activity.reindex(ids).set_axis(f.index)
    if "transaction_lines" in parts:
        cats = list(categories) if categories else [
            col[len("spend_"):] for col in act.columns if col.startswith("spend_")]
        spend = act.reindex(columns=[f"spend_{cat}" for cat in cats]).fillna(0.0).set_axis(
            cats, axis=1)
        f = _category_block(f, spend, cats)
    if "touchpoints" in parts:
        researched = act["store_researched"].fillna(0)
        share = (researched / act["store_purchases"]).where(act["store_purchases"] > 0)
        touches = act[[f"tp_{chn}" for chn in TOUCHPOINT_FEATURE_CHANNELS]].fillna(0).set_axis(
            list(TOUCHPOINT_FEATURE_CHANNELS), axis=1)
        f = _touchpoint_block(f, researched, share, touches, act["social_platforms"].fillna(0))
    if "email_events" in parts:
        emails = act[["emails_sent", "emails_open", "emails_click"]].fillna(0).set_axis(
            ["sent", "open", "click"], axis=1)
        f = _email_block(f, emails)
    return f


def _check_activity(activity: pd.DataFrame, start, end, research_window_days,
                    research_channels) -> None:
    """Refuse aggregates computed for another window or other research rules."""
    a = activity.attrs
    got = (a.get("start"), a.get("end"), a.get("research_window_days"),
           tuple(a.get("research_channels") or ()))
    want = (start, end, float(research_window_days), tuple(research_channels))
    if got != want:
        raise ValueError(
            "customer_features: `activity` was computed for window "
            f"[{got[0]}, {got[1]}), research {got[2]} days on {got[3]}, but the features need "
            f"[{want[0]}, {want[1]}), research {want[2]} days on {want[3]} "
            "(use datasets.customer_activity(data_dir, feature_windows(...)))")
    need = ([f"tp_{c}" for c in TOUCHPOINT_FEATURE_CHANNELS]
            + ["social_platforms", "store_purchases", "store_researched", "emails_sent",
               "emails_open", "emails_click"])
    missing = [c for c in need if c not in activity.columns]
    if missing:
        raise ValueError(f"customer_features: `activity` lacks column(s) {missing}")


# ------------------------------------------------------------------------------------------
# Channel typology (explicit rules)
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TypologyRules:
    """Thresholds of the channel typology (shown in reports so analysts can discuss them).

    Rules, applied in this order:
      1. inactive     : no purchase in the last `lapsed_days`.
      2. web_to_store : at least `min_store_purchases` store purchases, store share of purchases
                        >= `store_share_min`, and >= `research_share_min` of store purchases
                        preceded by online research (search, site, app) within the window.
      3. digital_first: web + app share of purchases >= `online_share_min`.
      4. store_only   : every purchase in store (and not web-to-store).
      5. omnichannel  : everything else (several channels, incl. click & collect).
    """

    lapsed_days: float = 180
    min_store_purchases: int = 3
    store_share_min: float = 0.6
    research_share_min: float = 0.6
    online_share_min: float = 0.6


def channel_typology(features: pd.DataFrame, rules: TypologyRules | None = None) -> pd.DataFrame:
    """Classify each customer by channel behaviour with `rules` (see `TypologyRules`).

    Needs columns frequency, recency_days, share_store, share_online, n_store and
    research_share (from `customer_features` with touchpoints). Returns customer_id,
    channel_type (code) and channel_type_fr (French label).
    """
    rules = rules or TypologyRules()
    need = ["frequency", "recency_days", "share_store", "share_online", "n_store", "research_share"]
    missing = [c for c in need if c not in features.columns]
    if missing:
        raise ValueError(f"channel_typology: features lack {missing} "
                         "(build them with customer_features including touchpoints)")
    fr = features
    inactive = (fr["frequency"] == 0) | (fr["recency_days"] > rules.lapsed_days)
    w2s = ((fr["n_store"] >= rules.min_store_purchases)
           & (fr["share_store"] >= rules.store_share_min)
           & (fr["research_share"] >= rules.research_share_min))
    digital = fr["share_online"] >= rules.online_share_min
    store_only = fr["share_store"] >= 1.0 - 1e-12
    kind = np.select([inactive, w2s, digital, store_only],
                     ["inactive", "web_to_store", "digital_first", "store_only"], "omnichannel")
    out = pd.DataFrame({"customer_id": fr.index.to_numpy(), "channel_type": kind})
    out["channel_type_fr"] = out["channel_type"].map(CHANNEL_TYPE_LABELS)
    return out


# ------------------------------------------------------------------------------------------
# Audience growth
# ------------------------------------------------------------------------------------------

def audience_growth(audience: pd.DataFrame, brand: str | None = None) -> pd.DataFrame:
    """Followers per platform at each month end and month-over-month growth.

    Returns month, platform, brand, followers, growth (ratio - 1 vs previous month),
    net_new. `brand` keeps one brand (None = all brands).
    """
    a = audience if brand is None else audience[audience["brand"] == brand]
    if a.empty:
        raise ValueError(f"audience_growth: no audience rows for brand {brand!r}")
    a = a.assign(month=pd.to_datetime(a["date"]).dt.to_period("M"))
    last = a.sort_values("date").groupby(["brand", "platform", "month"], observed=True).tail(1)
    m = last[["month", "platform", "brand", "followers"]].sort_values(["brand", "platform", "month"])
    m = m.reset_index(drop=True)
    prev = m.groupby(["brand", "platform"])["followers"].shift(1)
    m["followers"] = m["followers"].astype(float)
    m["net_new"] = m["followers"] - prev
    m["growth"] = m["followers"] / prev - 1
    return m


def fastest_growing(growth: pd.DataFrame, month=None) -> pd.DataFrame:
    """Platforms ranked by growth over the last month (or `month`) and over the whole period."""
    g = growth
    month = pd.Period(month, "M") if month is not None else g["month"].max()
    cur = g[g["month"] == month].set_index(["brand", "platform"])
    first = g.sort_values("month").groupby(["brand", "platform"])["followers"].first()
    last = g[g["month"] <= month].sort_values("month").groupby(["brand", "platform"])["followers"].last()
    out = pd.DataFrame({"followers": cur["followers"], "growth_month": cur["growth"],
                        "growth_period": last / first - 1})
    return out.sort_values("growth_month", ascending=False).reset_index()


# ------------------------------------------------------------------------------------------
# Segment migration
# ------------------------------------------------------------------------------------------

def segment_migration(tables: dict, month, *, k: int | None = None, seed: int = 0,
                      lookback_days: int = 365, columns=CLUSTER_FEATURES,
                      features: pd.DataFrame | None = None, activity: dict | None = None):
    """Transitions of customers between segments, previous month -> `month`.

    Stable definitions: the model is fitted on features as of the end of the previous month
    (history up to then only), then both months are assigned with that same model. `features`
    = this month's `customer_features` if already computed (same lookback). `activity` =
    {month: aggregates} from `datasets.customer_activity(data_dir, feature_windows([month - 1,
    month], lookback_days))` to build the features from aggregates instead of raw event tables.
    Returns (transitions, model): a crosstab (rows: previous month's segment, columns: this
    month's).
    """
    cur = pd.Period(month, "M")
    prev = cur - 1
    act = activity or {}
    if activity is not None and prev not in act:
        raise ValueError(f"segment_migration: `activity` has no aggregates for {prev} "
                         f"(got {sorted(map(str, act))})")
    if not set(columns) & set(SOCIAL_LINK_FEATURES):  # linked accounts: not clustered, not computed
        tables = {name: df for name, df in tables.items() if name != "identity_links"}
    # one month's features at a time (a million customers' features are a large frame)
    f_prev = customer_features(tables, prev, lookback_days=lookback_days, activity=act.get(prev))
    model = fit_segment_model(f_prev, k=k, seed=seed, columns=columns)  # on the window's buyers
    a = assign_segments(model, f_prev).set_index("customer_id")["segment_name"]
    del f_prev
    f_cur = (features if features is not None
             else customer_features(tables, cur, lookback_days=lookback_days,
                                    activity=act.get(cur)))
    b = assign_segments(model, f_cur).set_index("customer_id")["segment_name"]
    del f_cur
    both = pd.DataFrame({"avant": a, "apres": b}).dropna()
    tab = pd.crosstab(both["avant"], both["apres"], margins=True, margins_name="Total")
    tab.index.name = f"segment {prev}"
    tab.columns.name = f"segment {cur}"
    return tab, model
