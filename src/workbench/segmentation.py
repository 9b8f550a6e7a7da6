"""Customer segmentation: profiles, channel typology, clusters, geography, audience, migration.

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
  geography, concentration                customers, sales and social audience by region/department
  audience_growth                         followers per platform, monthly growth, fastest channel
  segment_migration                       transitions between segments from one month to the next
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench import events, frames, retail_calendar
from workbench.datasets import DataError, _problem
from workbench.events import ACTIVITY_CHANNELS as TOUCHPOINT_FEATURE_CHANNELS
from workbench.events import ONLINE_SALES as ONLINE_CHANNELS
from workbench.events import RESEARCH_CHANNELS  # noqa: F401  (re-exported, defined in events.rules)
from workbench.schemas import SALES_CHANNELS

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


def _count_table(rows: pd.Series, cols: pd.Series) -> pd.DataFrame:
    """Counts per (row value, column value), wide; like `pd.crosstab` (missing keys left out)
    but vectorised (pandas' crosstab aggregates group by group in Python: minutes at 1M)."""
    return rows.groupby([rows, cols], observed=True, sort=True).size().unstack(fill_value=0)


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
    for c in ("transaction_id", "customer_id", "channel", "timestamp", "amount", "n_items"):
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


RFM_SEGMENTS_FR = (
    # (label, rule) on R and F scores 1-5, checked in order; 0 = no purchase
    ("Champions", "R >= 4 et F >= 4"),
    ("Fidèles", "R >= 3 et F >= 3"),
    ("Nouveaux / prometteurs", "R >= 4 et F <= 2"),
    ("À risque", "R <= 2 et F >= 3"),
    ("À réveiller", "R = 3 et F <= 2"),
    ("Perdus", "R <= 2 et F <= 2"),
    ("Sans achat sur la période", "aucun achat sur la période"),
)
# Customers without any purchase in the window: the last RFM segment, and the group the
# behavioural segmentation puts them in (they are not clustered: with no purchase, their
# basket, frequency and channel shares are zeros that k-means would turn into a segment of its own).
NO_PURCHASE = RFM_SEGMENTS_FR[-1][0]


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
# Clustering
# ------------------------------------------------------------------------------------------

CLUSTER_FEATURES = (
    "age",
    "log_frequency",
    "log_avg_basket",
    "share_store",
    "share_online",
    "share_click_collect",
    "research_share",
    "promo_share",
    "open_rate",
    "click_rate",
    "log_social_touchpoints",
    "loyalty_rank",
)


# features of the linked social accounts (`customer_features` with `identity_links`)
SOCIAL_LINK_FEATURES = ("social_accounts", "social_followers", "social_mentions")

# file columns behind the features that can be entirely empty (optional columns)
FEATURE_SOURCES = {"age": "customers.birth_year"}


def clustering_matrix(features: pd.DataFrame, columns=CLUSTER_FEATURES) -> pd.DataFrame:
    """The (unscaled) numeric matrix used for clustering; derived log features added here.

    Missing age is imputed with the median age (the count is in `.attrs['imputed_age']`);
    columns absent from `features` are refused.
    """
    f = features
    derived = {
        "log_frequency": lambda: np.log1p(f["frequency"]),
        "log_avg_basket": lambda: np.log1p(f["avg_basket"]),
        "log_monetary": lambda: np.log1p(f["monetary"]),
        "log_social_touchpoints": lambda: np.log1p(f["social_touchpoints"]),
        "log_search_touchpoints": lambda: np.log1p(f["search_touchpoints"]),
    }
    cols = {}
    for c in columns:
        if c in f.columns:
            cols[c] = f[c].astype(float)
        elif c in derived:
            try:
                cols[c] = derived[c]().astype(float)
            except KeyError as err:
                raise ValueError(f"clustering_matrix: feature {c!r} needs column {err}") from None
        else:
            raise ValueError(f"clustering_matrix: unknown feature {c!r}")
    X = pd.DataFrame(cols, index=f.index)
    # a feature with no value at all (an optional column left empty in the file) is left out
    # of the clustering, and said: `attrs['dropped']` names the file column it comes from
    empty = [c for c in X.columns if len(X) and X[c].isna().all()]
    X = X.drop(columns=empty)
    n_age = int(X["age"].isna().sum()) if "age" in X else 0
    if n_age:
        X["age"] = X["age"].fillna(X["age"].median())
    bad = X.isna().any(axis=1)
    if bad.any():
        raise ValueError(f"clustering_matrix: {int(bad.sum())} customer(s) with missing values in "
                         f"{X.columns[X.isna().any()].tolist()}")
    X.attrs["imputed_age"] = n_age
    X.attrs["dropped"] = {c: FEATURE_SOURCES.get(c, c) for c in empty}
    return X


@dataclass(frozen=True)
class SegmentModel:
    """A fitted segmentation: scaling, cluster centres, names. Reuse it to assign other months."""

    columns: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    centers: np.ndarray  # in standardised units, one row per segment
    names: tuple[str, ...]
    k: int
    seed: int
    selection: pd.DataFrame = field(default_factory=pd.DataFrame)  # k, silhouette, bic

    def standardise(self, X: pd.DataFrame) -> np.ndarray:
        return (X[list(self.columns)].to_numpy(float) - self.mean) / self.scale


def silhouette(D: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette width from a precomputed distance matrix (singletons score 0)."""
    labels = np.asarray(labels)
    uniq, lab = np.unique(labels, return_inverse=True)
    if len(uniq) < 2:
        return float("nan")
    onehot = np.zeros((len(lab), len(uniq)))
    onehot[np.arange(len(lab)), lab] = 1.0
    counts = onehot.sum(axis=0)
    sums = D @ onehot  # total distance of each point to each cluster
    own = counts[lab]
    a = sums[np.arange(len(lab)), lab] / np.maximum(own - 1, 1)
    mean_other = sums / counts
    mean_other[np.arange(len(lab)), lab] = np.inf
    b = mean_other.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.mean(s))


def choose_k(Z: np.ndarray, k_values=range(2, 9), seed: int = 0, sample_size: int = 4000):
    """Silhouette of k-means and BIC of a Gaussian mixture for each k (one table).

    Silhouette is computed on a fixed random subsample of `sample_size` customers to keep
    it fast; k with the highest silhouette is the recommended one.
    """
    return _choose_k(Z, k_values, seed, sample_size)[0]


def _fit_kmeans(Z: np.ndarray, k: int, seed: int):
    """k-means (10 starts) on one thread: its result does not depend on how many cores the
    machine has (two threads add their partial sums in whichever order they finish), and on a
    shared machine OpenMP oversubscription made it 20x slower."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="openmp"):  # (this thread's OpenMP setting)
        return KMeans(n_clusters=k, n_init=10, random_state=seed).fit(Z)


def _fit_kmeans_each(Z: np.ndarray, ks, seed: int) -> dict:
    """{k: `_fit_kmeans(Z, k, seed)`} for each k, the fits side by side on the machine's cores
    (one thread each: the same fits as one after the other, in less time)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    ks = list(ks)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with threadpool_limits(1):  # BLAS on one thread for every fit (a process-wide setting)
        if len(ks) < 2 or (cores or 1) < 2:
            return {k: _fit_kmeans(Z, k, seed) for k in ks}
        with ThreadPoolExecutor(max_workers=min(len(ks), cores)) as pool:
            # (sklearn's k-means runs outside the GIL) the largest k first: they take longest
            fits = {k: pool.submit(_fit_kmeans, Z, k, seed) for k in sorted(ks, reverse=True)}
            return {k: fits[k].result() for k in ks}


def _choose_k(Z: np.ndarray, k_values, seed: int, sample_size: int = 4000):
    """(choose_k table, {k: fitted KMeans}) — the fits are reused for the chosen k."""
    from scipy.spatial.distance import cdist
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    sub = rng.choice(len(Z), size=min(sample_size, len(Z)), replace=False)
    D = cdist(Z[sub], Z[sub])  # computed once, shared by every k
    rows = []
    ks = [k for k in k_values if k < len(Z)]
    models = _fit_kmeans_each(Z, ks, seed)
    with threadpool_limits(1):
        for k in ks:
            km = models[k]
            lab = km.labels_[sub]
            sil = silhouette(D, lab)
            gm = GaussianMixture(n_components=k, covariance_type="diag", random_state=seed,
                                 n_init=1).fit(Z[sub])
            rows.append({"k": k, "silhouette": float(sil), "bic": float(gm.bic(Z[sub])),
                         "inertia": float(km.inertia_)})
    return pd.DataFrame(rows), models


def buyers(features: pd.DataFrame) -> pd.Series:
    """True for customers with at least one purchase in the features' window (all True when
    the features carry no `frequency`)."""
    if "frequency" not in features.columns:
        return pd.Series(True, index=features.index)
    return features["frequency"].fillna(0) > 0


def fit_segment_model(features: pd.DataFrame, k: int | None = None, seed: int = 0,
                      columns=CLUSTER_FEATURES, k_values=range(2, 9)) -> SegmentModel:
    """Standardise features, pick k by silhouette (unless given), fit k-means, name segments.

    Fitted on buyers only (`buyers`): customers without any purchase in the window have no
    basket, frequency or channel mix, and k-means gave them a segment of their own, named like
    a real one ("petit panier, achats rares"); `assign_segments` puts them in the `NO_PURCHASE`
    group instead, counted with the segments."""
    X = clustering_matrix(features[buyers(features)], columns)
    if len(X) < 10:
        raise ValueError(f"fit_segment_model: need at least 10 customers, got {len(X)}")
    mean = X.mean().to_numpy()
    scale = X.std(ddof=0).replace(0, 1.0).to_numpy()
    Z = (X.to_numpy(float) - mean) / scale
    selection, fitted = pd.DataFrame(), {}
    if k is None:
        selection, fitted = _choose_k(Z, k_values, seed)
        k = int(selection.loc[selection["silhouette"].idxmax(), "k"])
    km = fitted.get(k)  # the same fit (same data, k and seed) as choose_k's
    if km is None:
        km = _fit_kmeans_each(Z, [k], seed)[k]
    # order segments by size (largest = 1) so numbering is stable and readable
    sizes = np.bincount(km.labels_, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    centers = km.cluster_centers_[order]
    centers_raw = pd.DataFrame(centers * scale + mean, columns=X.columns)
    names = name_segments(centers_raw, X.mean())
    return SegmentModel(tuple(X.columns), mean, scale, centers, tuple(names), k, seed, selection)


ASSIGN_BLOCK_ROWS = 65_536  # customers per block of distances in assign_segments


def assign_segments(model: SegmentModel, features: pd.DataFrame) -> pd.DataFrame:
    """Nearest-centre segment of each buyer under a fitted model (stable definitions);
    customers without a purchase in the window get segment 0 and the name `NO_PURCHASE`
    (every customer of `features` is in the result, none is dropped)."""
    has = buyers(features).to_numpy()
    seg = np.zeros(len(features), dtype=int)
    names = np.full(len(features), NO_PURCHASE, dtype=object)
    if has.any():
        Z = model.standardise(clustering_matrix(features[has], model.columns))
        # squared distances to the centres by blocks of rows: the same values row by row, without
        # a (customers x centres x features) temporary of gigabytes at a million customers
        lab = np.empty(len(Z), dtype=np.intp)
        for i in range(0, len(Z), ASSIGN_BLOCK_ROWS):
            block = Z[i:i + ASSIGN_BLOCK_ROWS]
            d = ((block[:, None, :] - model.centers[None, :, :]) ** 2).sum(axis=2)
            lab[i:i + ASSIGN_BLOCK_ROWS] = d.argmin(axis=1)
        seg[has] = lab + 1
        names[has] = np.asarray(model.names, dtype=object)[lab]
    return pd.DataFrame({"customer_id": features.index.to_numpy(), "segment": seg, "segment_name": names})


def segment_customers(features: pd.DataFrame, k: int | None = None, seed: int = 0,
                      columns=CLUSTER_FEATURES) -> pd.DataFrame:
    """Cluster customers: customer_id, segment (1 = largest, 0 = no purchase) and a French
    segment_name."""
    model = fit_segment_model(features, k=k, seed=seed, columns=columns)
    return assign_segments(model, features)


# Archetypes used to name segments: (French name, {feature: direction}) where direction +1
# means "high", -1 "low". A segment gets the archetype whose signature best matches its
# standardised profile; names are unique (greedy best matches first).
SEGMENT_ARCHETYPES = (
    ("Connectés digitaux", {"share_app": 1, "share_web": 1, "age": -1, "log_social_touchpoints": 1,
                            "click_rate": 1}),
    ("Web-to-store", {"research_share": 1, "share_store": 1}),
    ("Traditionnels magasin", {"share_store": 1, "age": 1, "log_frequency": 1, "log_avg_basket": -1,
                               "research_share": -1, "open_rate": -1}),
    ("Premium omnicanaux", {"log_avg_basket": 1, "share_click_collect": 1, "loyalty_rank": 1}),
    ("Occasionnels chasseurs de promos", {"promo_share": 1, "log_frequency": -1, "open_rate": -1}),
)


def name_segments(centers: pd.DataFrame, overall_mean: pd.Series | None = None) -> list[str]:
    """French names derived from segment profiles (centres in original units).

    Each centre is compared with the others (z-score across segments); the archetype whose
    signature it matches best names it. Leftover segments are named by their two most
    distinctive traits ("Segment 6 : panier élevé, âge bas").
    """
    z = (centers - centers.mean()) / centers.std(ddof=0).replace(0, 1.0)
    scores = []
    for i in range(len(centers)):
        for j, (_name, sig) in enumerate(SEGMENT_ARCHETYPES):
            used = [c for c in sig if c in z.columns]
            if not used:
                continue
            s = float(np.mean([sig[c] * z.iloc[i][c] for c in used]))
            scores.append((s, i, j))
    names: list[str | None] = [None] * len(centers)
    taken = set()
    for s, i, j in sorted(scores, reverse=True):
        if names[i] is None and j not in taken and s > 0.3:
            names[i] = SEGMENT_ARCHETYPES[j][0]
            taken.add(j)
    trait_fr = {  # feature: (French label when high, when low)
        "age": ("plus âgés", "plus jeunes"), "log_frequency": ("achats fréquents", "achats rares"),
        "log_avg_basket": ("gros panier", "petit panier"),
        "share_store": ("surtout en magasin", "peu en magasin"),
        "share_online": ("surtout en ligne", "peu en ligne"),
        "share_click_collect": ("click & collect", "sans click & collect"),
        "research_share": ("recherche web avant magasin", "sans recherche web"),
        "promo_share": ("achats en promotion", "hors promotions"),
        "open_rate": ("lisent les e-mails", "ouvrent peu les e-mails"),
        "click_rate": ("cliquent dans les e-mails", "cliquent peu"),
        "log_social_touchpoints": ("actifs sur les réseaux", "absents des réseaux"),
        "loyalty_rank": ("haut niveau de fidélité", "faible niveau de fidélité"),
    }
    for i in range(len(centers)):
        if names[i] is None:
            row = z.iloc[i]
            top = row.abs().sort_values(ascending=False).index[:2]
            parts = [trait_fr.get(c, (f"{c} élevé", f"{c} faible"))[0 if row[c] > 0 else 1]
                     for c in top]
            names[i] = f"Segment {i + 1} : " + ", ".join(parts)
    return [str(n) for n in names]


# ------------------------------------------------------------------------------------------
# Profiles and tests
# ------------------------------------------------------------------------------------------

def segment_profiles(features: pd.DataFrame, segments: pd.DataFrame,
                     group_col: str = "segment_name") -> pd.DataFrame:
    """Segment profile table: size, value, channel mix, age, main region, engagement.

    Columns are codes (see PROFILE_LABELS_FR for the French headers shown in reports).
    """
    df = features.join(segments.set_index("customer_id")[[group_col]], how="inner")
    if len(df) != len(segments):
        raise ValueError(f"segment_profiles: {len(segments) - len(df)} segmented customer(s) "
                         "are missing from features")
    g = df.groupby(group_col, observed=True)
    out = pd.DataFrame({"customers": g.size()})
    out["share"] = out["customers"] / out["customers"].sum()
    for c in ("age", "frequency", "monetary", "avg_basket", "recency_days", "share_store",
              "share_web", "share_app", "share_click_collect", "research_share", "promo_share",
              "open_rate", "click_rate", "social_touchpoints"):
        if c in df.columns:
            out[c] = g[c].mean()
    top_rank = df["loyalty_rank"].max()  # premium = the two highest loyalty tiers
    out["premium_tier_share"] = g["loyalty_rank"].agg(lambda s: (s >= top_rank - 1).mean())
    top = g["region"].agg(lambda s: s.value_counts().index[0] if s.notna().any() else None)
    out["top_region"] = top
    out["top_region_share"] = g["region"].agg(
        lambda s: s.value_counts(normalize=True).iloc[0] if s.notna().any() else np.nan)
    return out.sort_values("customers", ascending=False)


def social_profile(features: pd.DataFrame, segments: pd.DataFrame,
                   group_col: str = "segment_name") -> pd.DataFrame:
    """Social and e-mail engagement per segment: share reached on social networks, platforms,
    e-mail open / click rates among customers e-mailed and, when identity links were given to
    `customer_features`, share with a linked social account, followers and brand mentions."""
    df = features.join(segments.set_index("customer_id")[[group_col]], how="inner")
    g = df.groupby(group_col, observed=True)
    out = pd.DataFrame({"customers": g.size()})
    if "social_touchpoints" in df:
        out["social_reached"] = g["social_touchpoints"].agg(lambda v: (v > 0).mean())
        out["social_touchpoints"] = g["social_touchpoints"].mean()
        out["social_platforms"] = g["social_platforms"].mean()
    if "emails_sent" in df:
        mailed = df[df["emails_sent"] > 0].groupby(group_col, observed=True)
        out["emailed"] = g["emails_sent"].agg(lambda v: (v > 0).mean())
        out["open_rate"] = mailed["open_rate"].mean()
        out["click_rate"] = mailed["click_rate"].mean()
    if "social_accounts" in df:
        out["linked_account"] = g["social_accounts"].agg(lambda v: (v > 0).mean())
        if "social_followers" in df:
            out["followers"] = g["social_followers"].mean()
        if "social_mentions" in df:
            out["mentions"] = g["social_mentions"].mean()
    return out.sort_values("customers", ascending=False)


def segment_tests(features: pd.DataFrame, segments: pd.DataFrame,
                  numeric=("age", "frequency", "avg_basket", "share_store", "research_share",
                           "open_rate"),
                  categorical=("age_band", "csp", "region", "loyalty_tier"),
                  group_col: str = "segment") -> pd.DataFrame:
    """Do segments differ? One-way ANOVA (eta²) per numeric feature, chi-square (Cramér's V)
    per categorical feature, with statsmodels. Rows: variable, test, statistic, df, p_value,
    effect_size, effect. A variable with fewer than two values among the customers (an optional
    column left empty in the file) cannot be tested: it is left out and named in
    `attrs['untestable']`."""
    import statsmodels.api as sm
    from statsmodels.formula.api import ols

    seg = segments.set_index("customer_id")
    if "segment_name" in segments.columns:  # the no-purchase group is not a segment of the clustering
        named = (seg["segment_name"] != NO_PURCHASE).rename("_clustered")
        df = features.join(seg[[group_col]].join(named), how="inner")
        df = df[df.pop("_clustered").to_numpy()]
    else:
        df = features.join(seg[[group_col]], how="inner")
    rows, untestable = [], []
    for c in (*numeric, *categorical):
        if c in df.columns and (df[c].nunique() < 2 or df[group_col].nunique() < 2):
            untestable.append(c)
    for c in numeric:
        if c not in df.columns or c in untestable:
            continue
        d = pd.DataFrame({"y": df[c].astype(float), "g": df[group_col].astype(str)}).dropna()
        # the groups as a Categorical (levels sorted, as patsy sorts text), named bare in the
        # formula (patsy codes a Categorical at once, but checks a C(...)-wrapped column value by
        # value: minutes at 1M customers); the same design matrix as "y ~ C(g)" on the text
        d["g"] = pd.Categorical(d["g"])
        fit = ols("y ~ g", data=d).fit()
        tab = sm.stats.anova_lm(fit, typ=1)
        ss_b, ss_r = tab["sum_sq"].iloc[0], tab["sum_sq"].iloc[1]
        rows.append({"variable": c, "test": "ANOVA", "statistic": float(tab["F"].iloc[0]),
                     "df": float(tab["df"].iloc[0]), "p_value": float(tab["PR(>F)"].iloc[0]),
                     "effect_size": float(ss_b / (ss_b + ss_r)), "effect": "eta²",
                     "excluded": int(len(df) - len(d))})
    for c in categorical:
        if c not in df.columns or c in untestable:
            continue
        d = df[[c, group_col]].dropna()
        ct = _count_table(d[c], d[group_col])  # (pd.crosstab's table, grouped at once)
        ct = ct.loc[ct.sum(axis=1) > 0]
        res = sm.stats.Table(ct).test_nominal_association()
        n = ct.to_numpy().sum()
        v = np.sqrt(res.statistic / (n * max(1, min(ct.shape) - 1)))
        rows.append({"variable": c, "test": "khi-deux", "statistic": float(res.statistic),
                     "df": float(res.df), "p_value": float(res.pvalue), "effect_size": float(v),
                     "effect": "V de Cramér", "excluded": int(len(df) - len(d))})
    out = pd.DataFrame(rows)
    out.attrs["untestable"] = untestable
    return out


# ------------------------------------------------------------------------------------------
# Geography
# ------------------------------------------------------------------------------------------

def _contains_literal(texts: pd.Series, needle: str) -> pd.Series:
    """texts contain `needle` (plain substring), by pyarrow: a fast prefilter for regexes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    hits = pc.match_substring(pa.array(texts.astype("str"), type=pa.large_string()), needle)
    return pd.Series(pc.fill_null(hits, False).to_numpy(zero_copy_only=False), index=texts.index)


def _bio_regions(accounts: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Region/department of social accounts whose bio names a known city (first match)."""
    acc = accounts[accounts["bio"].notna()][["account_id", "bio", "followers"]]
    cities = places.dropna(subset=["city"]).drop_duplicates("city")
    cities = cities.assign(_len=cities["city"].str.len()).sort_values("_len", ascending=False)
    bio = acc["bio"].str.lower().reset_index(drop=True)
    found = pd.Series(pd.NA, index=bio.index, dtype=object)
    for city in cities["city"]:
        todo = found.isna()
        name = city.lower()
        if not set(name) & set(".^$*+?{}[]\\|()"):  # literal name: only bios containing it
            todo &= _contains_literal(bio, name)
        hit = bio[todo].str.contains(rf"\b{name}\b", regex=True)
        found[hit[hit].index] = city
    loc = cities.set_index("city")[["department", "region"]]
    out = acc.assign(city=pd.Series(found.to_numpy(), index=acc.index, dtype=object))
    out = out.dropna(subset=["city"])
    return out.join(loc, on="city")[["account_id", "followers", "city", "department", "region"]]


def _map_values(values: pd.Series, mapping: pd.Series) -> pd.Series:
    """`values.map(mapping)`, looking up each distinct value once (millions of purchases,
    thousands of stores / a million customers)."""
    codes, uniq = pd.factorize(values)
    mapped = pd.Series(uniq).map(mapping)
    out = mapped.iloc[np.maximum(codes, 0)].set_axis(values.index)
    if (codes < 0).any():
        out[codes < 0] = None
    return out


def geography(tables: dict, as_of=None, *, lookback_days: int = 365,
              level: str = "region") -> pd.DataFrame:
    """Customers, sales and social audience by region (or department).

    Sales are located at the store for store / click & collect purchases and at the
    customer's home for web / app orders. Social audience = person accounts whose bio names a
    city known from the stores / customers tables (accounts without a located bio are counted
    in `.attrs['unlocated_accounts']`, not guessed). Returns one row per area with counts and
    shares, largest customer base first. `geographies` gives several levels at once.
    """
    return geographies(tables, as_of, lookback_days=lookback_days, levels=(level,))[level]


def geographies(tables: dict, as_of=None, *, lookback_days: int = 365,
                levels=("region", "department")) -> dict:
    """`geography` at each of `levels`: {level: table}. The purchases of the window are
    selected and the bios searched for cities once for all levels (the bio search is the
    slow part: a pass over the accounts per known city)."""
    for level in levels:
        if level not in ("region", "department"):
            raise ValueError("level must be 'region' or 'department'")
    cust = _require(tables, "customers", ["customer_id", *levels])
    trx = _require(tables, "transactions", ["customer_id", "store_id", "channel", "amount",
                                            "timestamp"])
    stores = _require(tables, "stores", ["store_id", "city", "department", "region"])
    t = trx
    if as_of is not None:
        end = _cutoff(as_of)
        # the window's purchases, only the columns read below (a copy of millions of rows)
        t = trx.loc[(trx["timestamp"] >= end - pd.Timedelta(days=lookback_days)) & (trx["timestamp"] < end),
                    ["customer_id", "store_id", "channel", "amount"]]
    at_store = t["channel"].isin(["store", "click_collect"])
    acc = tables.get("social_accounts")
    if acc is not None:
        persons = acc[acc["account_type"] == "person"]
        places = pd.concat([stores[["city", "department", "region"]],
                            cust[["city", "department", "region"]] if "city" in cust else None])
        loc = _bio_regions(persons, places)
    result = {}
    for level in levels:
        out = pd.DataFrame({"customers": cust.groupby(level).size()})
        by_store = _map_values(t["store_id"], stores.set_index("store_id")[level])
        by_home = _map_values(t["customer_id"], cust.set_index("customer_id")[level])
        area = by_store.where(at_store & by_store.notna(), by_home)
        out = out.join(t["amount"].groupby(area).sum().rename("sales"), how="outer")
        attrs = {"unlocated_sales": float(t.loc[area.isna(), "amount"].sum())}
        if acc is not None:
            aud = loc.groupby(level).agg(social_accounts=("account_id", "size"),
                                         social_followers=("followers", "sum"))
            out = out.join(aud, how="outer")
            attrs["unlocated_accounts"] = int(len(persons) - len(loc))
            attrs["located_accounts"] = int(len(loc))
        out = out.fillna(0)
        for c in [c for c in ("customers", "sales", "social_accounts", "social_followers") if c in out]:
            out[f"{c}_share"] = out[c] / out[c].sum() if out[c].sum() else 0.0
        out.index.name = level
        out = out.sort_values("customers", ascending=False)
        out.attrs.update(attrs)
        result[level] = out
    return result


def concentration(values: pd.Series, top: int = 3) -> dict:
    """Concentration of a distribution: share of the `top` areas and Herfindahl index (0-1)."""
    v = values.astype(float).clip(lower=0)
    tot = v.sum()
    if tot <= 0:  # nothing located (e.g. the region column is empty in the file): not measurable
        return {"top_share": float("nan"), "top_areas": [], "herfindahl": float("nan"), "areas": 0}
    s = (v / tot).sort_values(ascending=False)
    return {"top_share": float(s.iloc[:top].sum()), "top_areas": list(s.index[:top]),
            "herfindahl": float((s ** 2).sum()), "areas": int((s > 0).sum())}


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
