"""Customer journeys: from the touchpoint log to paths, funnel, channels, moments and models.

Pure functions: DataFrames in, new DataFrames out. The attribution models live in
`workbench.attribution` and are re-exported here (`markov_attribution`, ...).

Journey rules (documented for analysts):

* Stitching: a device (`visitor_id`) seen with exactly one `customer_id` is that customer's
  device, so its anonymous touchpoints are given that customer. Devices seen with several
  customers (shared) stay unstitched; devices never identified stay anonymous visitors
  (person `anon:<visitor_id>`).
* Journeys: per person, touchpoints in time order. A journey ends at a `purchase` touchpoint
  (the conversion, linked to its transaction) or when the person is inactive for more than
  `window_days`; touchpoints more than `window_days` before the purchase do not belong to
  the converting journey (they form a null journey). Journeys without a purchase are kept as
  null paths. A purchase without any prior touchpoint gets the path `direct`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.attribution import (  # noqa: F401  (public API re-exported here)
    heuristic_attribution,
    markov_attribution,
    markov_bootstrap,
    markov_transition_matrix,
    parse_paths,
    position_based_attribution,
    shapley_attribution,
    time_decay_attribution,
)

PURCHASE = "purchase"
DIRECT = "direct"
RESEARCH_CHANNELS = ("search", "website", "app")
CONSIDERATION_CHANNELS = ("search", "website", "app", "store_visit")
OFFLINE_SALES = ("store",)
ONLINE_SALES = ("web", "app")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


# touchpoint columns the journey functions use (read only these: the table is the largest one)
TOUCHPOINT_COLUMNS = ("visitor_id", "customer_id", "timestamp", "channel", "platform",
                      "transaction_id")

def _require(df: pd.DataFrame, name: str, columns) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")


# ---------------------------------------------------------------------------------------------
# Stitching and journeys
# ---------------------------------------------------------------------------------------------


def _join_paths(touches: pd.DataFrame) -> pd.Series:
    """" > "-joined channels per journey (touches sorted by journey), vectorised with pyarrow."""
    jid = touches["journey_id"].to_numpy()
    if len(jid) == 0:
        return pd.Series(dtype=object)
    starts = np.flatnonzero(np.r_[True, jid[1:] != jid[:-1]])
    offsets = pa.array(np.r_[starts, len(jid)].astype(np.int32))
    values = pa.array(touches["channel"].astype(str).to_numpy(), type=pa.string())
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, values), " > ")
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=jid[starts])


def _map_ids(values: pd.Series, mapping: pd.Series) -> pd.Series:
    """`values.map(mapping)` for text ids (mapping's index unique), looked up with pyarrow:
    pandas' hash lookup of millions of strings is the slow part of stitching at 1M."""
    try:
        v = pa.array(values, from_pandas=True).cast(pa.large_string())
        k = pa.array(mapping.index, from_pandas=True).cast(pa.large_string())
    except (pa.ArrowException, TypeError, ValueError):
        return values.map(mapping)
    pos = pc.fill_null(pc.index_in(v, value_set=k), -1).to_numpy()
    found = pos >= 0
    out = mapping.iloc[np.where(found, pos, 0)].set_axis(values.index) if len(mapping) else \
        pd.Series(pd.NA, index=values.index, dtype=mapping.dtype)
    return out.where(found)


def stitch_visitors(touchpoints: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Anonymous-to-known stitching through `visitor_id`.

    Returns (touchpoints with `person_id`, `customer_key` and `stitched`, a one-row-per-status
    count table). `customer_key` is the known or stitched customer_id (null for anonymous)."""
    _require(touchpoints, "touchpoints", ["visitor_id", "customer_id", "timestamp", "channel"])
    tp = touchpoints.copy()
    known = tp.loc[tp["customer_id"].notna(), ["visitor_id", "customer_id"]].drop_duplicates()
    n_cust = known.groupby("visitor_id")["customer_id"].nunique()
    owner = known[known["visitor_id"].isin(n_cust.index[n_cust == 1])].set_index("visitor_id")
    mapped = _map_ids(tp["visitor_id"], owner["customer_id"])
    was_known = tp["customer_id"].notna()
    tp["customer_key"] = tp["customer_id"].where(was_known, mapped)
    tp["stitched"] = ~was_known & tp["customer_key"].notna()
    tp["person_id"] = tp["customer_key"].where(
        tp["customer_key"].notna(), "anon:" + tp["visitor_id"].astype(str)
    )
    shared = tp["visitor_id"].isin(n_cust.index[n_cust > 1]) & ~was_known
    stats = pd.DataFrame(
        {
            "status": ["identified", "stitched", "shared_device", "anonymous"],
            "touchpoints": [
                int(was_known.sum()),
                int(tp["stitched"].sum()),
                int(shared.sum()),
                int((tp["customer_key"].isna() & ~shared).sum()),
            ],
        }
    )
    stats["share"] = stats["touchpoints"] / max(len(tp), 1)
    return tp, stats


def build_journeys(touchpoints: pd.DataFrame, transactions: pd.DataFrame,
                   window_days: float = 7.0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Cut the touchpoint log into journeys (see the module rules).

    Returns (touches, journeys, stats):
    * touches: one row per non-purchase touchpoint with `journey_id`, `person_id`,
      `customer_key`, `timestamp`, `channel`, `platform`, `position`;
    * journeys: `journey_id`, `person_id`, `customer_id` (null for anonymous visitors),
      `anonymous`, `start`, `end`, `n_touches`, `path`, `converted`, `conversion_time`,
      `transaction_id`, `sales_channel`, `conversion_value`, `days_to_conversion`;
    * stats: counts of what was stitched, kept apart or not matched (nothing is dropped).
    """
    if window_days <= 0:
        raise ValueError(f"window_days must be > 0, got {window_days}")
    _require(transactions, "transactions", ["transaction_id", "channel", "amount", "timestamp"])
    tp, stitch = stitch_visitors(touchpoints)
    if "platform" not in tp.columns:
        tp["platform"] = None
    if "transaction_id" not in tp.columns:
        tp["transaction_id"] = None
    is_purchase = (tp["channel"] == PURCHASE).to_numpy()
    tp["_p"] = is_purchase
    # same order as a stable sort_values(["person_id", "timestamp", "_p"]), but on integer codes
    # (codes of the sorted distinct ids): sorting millions of text ids is the slow part at 1M
    codes, _ = pd.factorize(tp["person_id"], sort=True)
    order = np.lexsort((is_purchase, tp["timestamp"].to_numpy(), codes))
    tp = tp.take(order).reset_index(drop=True)
    person = codes[order]
    t = tp["timestamp"].to_numpy()
    p = tp["_p"].to_numpy()
    window = np.timedelta64(int(window_days * 86400e9), "ns")
    same_person = np.zeros(len(tp), dtype=bool)
    same_person[1:] = person[1:] == person[:-1]
    gap = np.zeros(len(tp), dtype="timedelta64[ns]")
    gap[1:] = t[1:] - t[:-1]
    new = ~same_person
    new[1:] |= p[:-1] | (gap[1:] > window)
    session = np.cumsum(new) - 1
    # the purchase, if any, is the last row of its session
    last = np.r_[session[1:] != session[:-1], True]
    conv_time = pd.Series(np.where(last & p, t, np.datetime64("NaT"))).groupby(session).transform(
        "max"
    ).to_numpy()
    pre = ~p & ~pd.isna(conv_time) & (t < conv_time - window)
    cut = new.copy()
    cut[1:] |= (session[1:] == session[:-1]) & (pre[1:] != pre[:-1])
    tp["journey_id"] = np.cumsum(cut) - 1
    tx = transactions.set_index("transaction_id")
    purchases = tp[p]
    unmatched = ~purchases["transaction_id"].isin(tx.index)
    conv = purchases.assign(
        sales_channel=purchases["transaction_id"].map(tx["channel"]),
        conversion_value=purchases["transaction_id"].map(tx["amount"]).astype(float),
    ).set_index("journey_id")
    touches = tp[~p].copy()
    touches["position"] = touches.groupby("journey_id").cumcount()
    g = touches.groupby("journey_id")
    jids = np.unique(tp["journey_id"].to_numpy())
    first_rows = tp.drop_duplicates("journey_id").set_index("journey_id")
    journeys = pd.DataFrame({"journey_id": jids})
    journeys["person_id"] = journeys["journey_id"].map(first_rows["person_id"])
    journeys["customer_id"] = journeys["journey_id"].map(first_rows["customer_key"])
    journeys["anonymous"] = journeys["customer_id"].isna()
    journeys["start"] = journeys["journey_id"].map(first_rows["timestamp"])
    journeys["end"] = journeys["journey_id"].map(tp.groupby("journey_id")["timestamp"].max())
    journeys["n_touches"] = journeys["journey_id"].map(g.size()).fillna(0).astype(int)
    journeys["path"] = journeys["journey_id"].map(_join_paths(touches)).fillna(DIRECT)
    journeys["converted"] = journeys["journey_id"].isin(conv.index)
    journeys["conversion_time"] = journeys["journey_id"].map(conv["timestamp"])
    journeys["transaction_id"] = journeys["journey_id"].map(conv["transaction_id"])
    journeys["sales_channel"] = journeys["journey_id"].map(conv["sales_channel"])
    journeys["conversion_value"] = journeys["journey_id"].map(conv["conversion_value"]).fillna(0.0)
    journeys["days_to_conversion"] = (
        journeys["conversion_time"] - journeys["start"]
    ).dt.total_seconds() / 86400.0
    touches = touches[
        ["journey_id", "person_id", "customer_key", "timestamp", "channel", "platform", "position"]
    ].reset_index(drop=True)
    n_tx_without_tp = int((~transactions["transaction_id"].isin(purchases["transaction_id"])).sum())
    stats = pd.concat(
        [
            stitch.rename(columns={"status": "item", "touchpoints": "count"})[["item", "count"]],
            pd.DataFrame(
                {
                    "item": [
                        "journeys",
                        "converted_journeys",
                        "null_journeys",
                        "anonymous_journeys",
                        "direct_purchases",
                        "purchases_without_transaction",
                        "transactions_without_touchpoint",
                    ],
                    "count": [
                        len(journeys),
                        int(journeys["converted"].sum()),
                        int((~journeys["converted"]).sum()),
                        int(journeys["anonymous"].sum()),
                        int((journeys["converted"] & (journeys["n_touches"] == 0)).sum()),
                        int(unmatched.sum()),
                        n_tx_without_tp,
                    ],
                }
            ),
        ],
        ignore_index=True,
    )
    return touches, journeys, stats


def journeys_to_paths(journeys: pd.DataFrame) -> pd.DataFrame:
    """Aggregate journeys into the path form: `path`, `total_conversions`,
    `total_conversion_value`, `total_null` (most frequent paths first)."""
    _require(journeys, "journeys", ["path", "converted", "conversion_value"])
    conv = journeys["converted"].astype(bool)
    out = (
        journeys.assign(
            total_conversions=conv.astype(int),
            total_conversion_value=journeys["conversion_value"].where(conv, 0.0),
            total_null=(~conv).astype(int),
        )
        .groupby("path", as_index=False)[["total_conversions", "total_conversion_value",
                                          "total_null"]]
        .sum()
    )
    order = (out["total_conversions"] + out["total_null"]).sort_values(ascending=False).index
    return out.loc[order].reset_index(drop=True)


def top_paths(paths: pd.DataFrame, n: int = 10, converting_only: bool = False) -> pd.DataFrame:
    """The `n` most frequent paths with journeys, conversions and conversion rate."""
    out = paths.assign(
        journeys=paths["total_conversions"] + paths.get("total_null", 0),
    )
    out["conversion_rate"] = out["total_conversions"] / out["journeys"].where(out["journeys"] > 0)
    key = "total_conversions" if converting_only else "journeys"
    return out.sort_values([key, "path"], ascending=[False, True]).head(n).reset_index(drop=True)


def time_to_conversion(journeys: pd.DataFrame) -> pd.DataFrame:
    """Days from first touch to purchase of converted journeys, per sales channel and overall:
    `journeys`, `mean_days`, `median_days`, `p90_days`."""
    conv = journeys[journeys["converted"]]

    def summary(d: pd.Series) -> pd.Series:
        return pd.Series({"journeys": len(d), "mean_days": d.mean(), "median_days": d.median(),
                          "p90_days": d.quantile(0.9)})

    parts = [summary(conv["days_to_conversion"]).rename("all")]
    for ch, d in conv.groupby("sales_channel")["days_to_conversion"]:
        parts.append(summary(d).rename(ch))
    out = pd.DataFrame(parts)
    out.index.name = "sales_channel"
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------


def channel_volumes(touches: pd.DataFrame, journeys: pd.DataFrame) -> pd.DataFrame:
    """Volume and weight of each touchpoint channel: `touches`, `touch_share`, `persons`,
    `journeys`, `converting_journeys`, `conversion_rate` (of journeys touching the channel)."""
    conv = journeys.set_index("journey_id")["converted"]
    t = touches.assign(_conv=touches["journey_id"].map(conv))
    per_j = t.drop_duplicates(["journey_id", "channel"])
    out = pd.DataFrame(
        {
            "touches": t.groupby("channel").size(),
            "persons": t.groupby("channel")["person_id"].nunique(),
            "journeys": per_j.groupby("channel").size(),
            "converting_journeys": per_j.groupby("channel")["_conv"].sum(),
        }
    )
    out["touch_share"] = out["touches"] / out["touches"].sum()
    out["conversion_rate"] = out["converting_journeys"] / out["journeys"]
    out.index.name = "channel"
    return out.sort_values("touches", ascending=False).reset_index()


def channel_matrix(transition: pd.DataFrame) -> pd.DataFrame:
    """Square matrix (rows: from, columns: to) of a long transition table, for a heatmap."""
    m = transition.pivot_table(index="channel_from", columns="channel_to", values="probability",
                               aggfunc="sum", fill_value=0.0)
    first = [s for s in m.index if s == "(start)"] + [s for s in m.index if s != "(start)"]
    last = [c for c in m.columns if not c.startswith("(")] + [
        c for c in ("(conversion)", "(null)") if c in m.columns
    ]
    return m.loc[first, last]


def ropo_rates(touches: pd.DataFrame, journeys: pd.DataFrame) -> pd.DataFrame:
    """Research online, purchase offline (ROPO) and the reverse (showrooming).

    ROPO: share of store purchases whose journey holds an online research touch (search,
    website, app) within the conversion window. Reverse: share of online purchases (web,
    app) whose journey holds a store visit. One row per direction with `purchases`,
    `with_cross_channel`, `rate`."""
    conv = journeys[journeys["converted"]]
    research = set(touches.loc[touches["channel"].isin(RESEARCH_CHANNELS), "journey_id"])
    visited = set(touches.loc[touches["channel"] == "store_visit", "journey_id"])
    store = conv[conv["sales_channel"].isin(OFFLINE_SALES)]
    online = conv[conv["sales_channel"].isin(ONLINE_SALES)]
    rows = [
        ("ropo", len(store), int(store["journey_id"].isin(research).sum())),
        ("reverse_ropo", len(online), int(online["journey_id"].isin(visited).sum())),
    ]
    out = pd.DataFrame(rows, columns=["direction", "purchases", "with_cross_channel"])
    out["rate"] = out["with_cross_channel"] / out["purchases"].where(out["purchases"] > 0)
    return out


def customer_ropo(touches: pd.DataFrame, journeys: pd.DataFrame, min_store_purchases: int = 2,
                  threshold: float = 0.5) -> pd.DataFrame:
    """Per identified customer: store purchases, share researched online first (`ropo_rate`)
    and `web_to_store` = rate >= `threshold` with at least `min_store_purchases`."""
    research = set(touches.loc[touches["channel"].isin(RESEARCH_CHANNELS), "journey_id"])
    store = journeys[journeys["converted"] & journeys["sales_channel"].isin(OFFLINE_SALES)
                     & journeys["customer_id"].notna()]
    store = store.assign(_r=store["journey_id"].isin(research))
    out = store.groupby("customer_id").agg(store_purchases=("_r", "size"), researched=("_r", "sum"))
    out["ropo_rate"] = out["researched"] / out["store_purchases"]
    out["web_to_store"] = (out["store_purchases"] >= min_store_purchases) & (
        out["ropo_rate"] >= threshold
    )
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Funnel
# ---------------------------------------------------------------------------------------------

FUNNEL_STAGES = ("awareness", "consideration", "conversion", "loyalty", "retention")
FUNNEL_RULES = {
    "awareness": "identified customer with at least one touchpoint in the month",
    "consideration": "aware and at least one active touch (search, website, app, store visit)",
    "conversion": "considering and at least one purchase in the month",
    "loyalty": "converted and already bought in the 90 days before the month (repeat buyer)",
    "retention": "loyal and bought in each of the two previous months (regular customer)",
}


def _funnel_flags(touchpoints: pd.DataFrame, transactions: pd.DataFrame,
                  months: pd.PeriodIndex) -> pd.DataFrame:
    """One row per identified customer and month with a touchpoint: the five stage flags."""
    if "customer_key" not in touchpoints.columns:
        raise ValueError("touchpoints must be stitched first: use journey.stitch_visitors(touchpoints)")
    _require(touchpoints, "touchpoints", ["customer_key", "timestamp", "channel"])
    _require(transactions, "transactions", ["customer_id", "timestamp"])
    ordinals = np.asarray(months.asi8)
    t = touchpoints[touchpoints["customer_key"].notna()
                    & (touchpoints["timestamp"] >= months.min().start_time)
                    & (touchpoints["timestamp"] <= months.max().end_time)]
    t_month = _month_ordinal(t["timestamp"])
    keep = np.isin(t_month, ordinals)
    t = pd.DataFrame(
        {
            "customer_id": t["customer_key"].to_numpy()[keep],
            "month": t_month[keep],
            "consideration": t["channel"].isin(CONSIDERATION_CHANNELS + (PURCHASE,)).to_numpy()[keep],
        }
    )
    flags = t.groupby(["customer_id", "month"], as_index=False, sort=False)["consideration"].any()
    flags.insert(2, "awareness", True)
    p = transactions.loc[transactions["customer_id"].notna(), ["customer_id", "timestamp"]]
    p = p.assign(month=_month_ordinal(p["timestamp"]))
    bought = p[["customer_id", "month"]].drop_duplicates()

    def bought_in(shift: int) -> np.ndarray:
        b = bought.assign(month=bought["month"] + shift, _b=True)
        return flags.merge(b, on=["customer_id", "month"], how="left")["_b"].fillna(False).to_numpy(
            dtype=bool)

    flags["conversion"] = flags["consideration"].to_numpy() & bought_in(0)
    flags["_start"] = pd.PeriodIndex.from_ordinals(flags["month"], freq="M").start_time.astype(
        "datetime64[ns]")
    left = flags[["customer_id", "_start"]].reset_index().sort_values("_start")
    right = p[["customer_id", "timestamp"]].astype({"timestamp": "datetime64[ns]"})
    right = right.sort_values("timestamp")
    last = pd.merge_asof(left, right, left_on="_start", right_on="timestamp", by="customer_id",
                         allow_exact_matches=False, direction="backward").set_index("index")
    recent = (flags["_start"] - last["timestamp"].reindex(flags.index)) <= pd.Timedelta(days=90)
    flags["loyalty"] = flags["conversion"] & recent.to_numpy()
    flags["retention"] = flags["loyalty"].to_numpy() & bought_in(1) & bought_in(2)
    flags["month"] = pd.PeriodIndex.from_ordinals(flags["month"], freq="M")
    return flags.drop(columns="_start")


def _month_ordinal(ts: pd.Series) -> np.ndarray:
    """Monthly period ordinals (months since 1970-01), fast (no Period objects)."""
    return ((ts.dt.year.to_numpy() - 1970) * 12 + ts.dt.month.to_numpy() - 1).astype(np.int64)


def _funnel_rows(flags: pd.DataFrame, group: str) -> list[dict]:
    counts = [int(flags[s].sum()) for s in FUNNEL_STAGES]
    rows = []
    for i, s in enumerate(FUNNEL_STAGES):
        prev = counts[i - 1] if i else counts[0]
        rows.append({"group": group, "stage": s, "customers": counts[i],
                     "rate_from_previous": counts[i] / prev if prev else np.nan,
                     "rate_from_awareness": counts[i] / counts[0] if counts[0] else np.nan})
    return rows


def funnel(touchpoints: pd.DataFrame, transactions: pd.DataFrame, month,
           by: str | None = None, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Funnel awareness -> consideration -> conversion -> loyalty -> retention for one month.

    `touchpoints` must be stitched (`stitch_visitors`). `by`: None (whole base), "channel"
    (customers who touched each channel in the month) or "segment" (needs `segments` with
    `customer_id`, `segment`). One row per group and stage: `customers`, `rate_from_previous`,
    `rate_from_awareness`. Stage rules: `FUNNEL_RULES`."""
    month = pd.Period(month, freq="M")
    if by not in (None, "channel", "segment"):
        raise ValueError(f"by must be None, 'channel' or 'segment', got {by!r}")
    if by == "segment":
        if segments is None:
            raise ValueError("by='segment' needs `segments` (customer_id, segment)")
        _require(segments, "segments", ["customer_id", "segment"])
    flags = _funnel_flags(touchpoints, transactions, pd.PeriodIndex([month])).set_index(
        "customer_id")
    if by is None:
        groups = {"ensemble": flags}
    elif by == "channel":
        t = touchpoints[(touchpoints["timestamp"] >= month.start_time)
                        & (touchpoints["timestamp"] <= month.end_time)
                        & touchpoints["customer_key"].notna()
                        & (touchpoints["channel"] != PURCHASE)]
        groups = {ch: flags.loc[flags.index.isin(pd.unique(d["customer_key"]))]
                  for ch, d in t.groupby("channel")}
    else:
        seg = segments.set_index("customer_id")["segment"]
        lab = flags.index.map(seg).fillna("non segmenté")
        groups = {s: flags[lab == s] for s in sorted(pd.unique(lab))}
    rows = [r for g, f in groups.items() for r in _funnel_rows(f, g)]
    out = pd.DataFrame(rows)
    out.insert(0, "month", str(month))
    return out


def funnel_by_month(touchpoints: pd.DataFrame, transactions: pd.DataFrame,
                    months=None) -> pd.DataFrame:
    """Funnel counts for each month (columns = stages) with the month-over-month change of
    each stage (`<stage>_mom`, relative) and `history_complete` (False while the 90-day /
    two-month look-back of loyalty and retention reaches before the data)."""
    if months is None:
        months = pd.period_range(touchpoints["timestamp"].min().to_period("M"),
                                 touchpoints["timestamp"].max().to_period("M"), freq="M")
    months = pd.PeriodIndex(months, freq="M")
    flags = _funnel_flags(touchpoints, transactions, months)
    out = flags.groupby("month")[list(FUNNEL_STAGES)].sum().reindex(months, fill_value=0)
    out = out.astype(int)
    for s in FUNNEL_STAGES:
        out[f"{s}_mom"] = out[s].pct_change().replace([np.inf, -np.inf], np.nan)
    data_start = transactions["timestamp"].min().normalize()
    out["history_complete"] = [m.start_time - pd.Timedelta(days=90) >= data_start for m in months]
    out.index = [str(m) for m in months]
    out.index.name = "month"
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Moments: trends, peaks, best times to send messages
# ---------------------------------------------------------------------------------------------


def weekday_hour_activity(touches: pd.DataFrame, channels=None) -> pd.DataFrame:
    """Touches per weekday (rows, French names, Monday first) and hour (columns 0-23)."""
    t = touches if channels is None else touches[touches["channel"].isin(channels)]
    ts = t["timestamp"]
    table = pd.crosstab(ts.dt.dayofweek, ts.dt.hour).reindex(
        index=range(7), columns=range(24), fill_value=0
    )
    table.index = list(WEEKDAYS_FR)
    table.index.name = "weekday"
    return table


def weekly_activity(touches: pd.DataFrame) -> pd.DataFrame:
    """Touches per ISO week (Monday) and channel (wide: one column per channel)."""
    week = touches["timestamp"].dt.to_period("W-SUN").dt.start_time
    out = pd.crosstab(week, touches["channel"])
    out.index.name = "week"
    return out


def best_moments(touches: pd.DataFrame, journeys: pd.DataFrame,
                 channels=("email", "website", "app", "social"), top: int = 5) -> pd.DataFrame:
    """Best weekday x hour slots to send messages: where online engagement touches (of
    `channels`) of journeys that go on to convert are most frequent. Returns `weekday`,
    `hour`, `touches`, `converting_touches`, `conversion_rate`, ranked by converting touches."""
    conv = journeys.set_index("journey_id")["converted"]
    t = touches[touches["channel"].isin(channels)]
    t = t.assign(weekday=t["timestamp"].dt.dayofweek, hour=t["timestamp"].dt.hour,
                 conv=t["journey_id"].map(conv).astype(float))
    out = t.groupby(["weekday", "hour"]).agg(touches=("conv", "size"),
                                             converting_touches=("conv", "sum"))
    out["conversion_rate"] = out["converting_touches"] / out["touches"]
    out = out.sort_values("converting_touches", ascending=False).head(top).reset_index()
    out["weekday"] = [WEEKDAYS_FR[d] for d in out["weekday"]]
    return out


def daily_decomposition(touches: pd.DataFrame, channel: str | None = None,
                        peak_z: float = 3.0) -> pd.DataFrame:
    """Seasonal decomposition (statsmodels STL, weekly period) of daily touches, with `peak`
    flagging days whose residual exceeds `peak_z` robust standard deviations."""
    from statsmodels.tsa.seasonal import STL

    t = touches if channel is None else touches[touches["channel"] == channel]
    days = t["timestamp"].dt.normalize()  # counted per day without copying the touches
    span = pd.date_range(days.min(), days.max(), freq="D", name="timestamp")
    daily = days.value_counts().reindex(span, fill_value=0).astype(float)
    if len(daily) < 14:
        raise ValueError(f"need at least 14 days of touches for a weekly decomposition, got {len(daily)}")
    res = STL(daily, period=7, robust=True).fit()
    out = pd.DataFrame({"observed": daily, "trend": res.trend, "seasonal": res.seasonal,
                        "resid": res.resid})
    mad = np.median(np.abs(out["resid"] - np.median(out["resid"]))) * 1.4826
    out["peak"] = out["resid"] > peak_z * (mad if mad > 0 else out["resid"].std())
    out.index.name = "date"
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Conversion model
# ---------------------------------------------------------------------------------------------


def exposure_matrix(touches: pd.DataFrame, journeys: pd.DataFrame,
                    include_anonymous: bool = False) -> pd.DataFrame:
    """One row per journey: `converted` and one 0/1 column per channel the journey touched.

    Anonymous visitors' journeys are left out by default: a purchase always identifies the
    buyer, so they cannot convert by construction and would bias every online channel down."""
    j = journeys if include_anonymous else journeys[~journeys["anonymous"]]
    row = pd.Index(j["journey_id"]).get_indexer(touches["journey_id"])
    codes, channels = pd.factorize(touches["channel"], sort=True)
    inside = row >= 0
    x = np.zeros((len(j), len(channels)), dtype=np.int8)
    x[row[inside], codes[inside]] = 1
    out = pd.DataFrame(x, columns=list(channels))
    out.insert(0, "converted", j["converted"].astype(int).to_numpy())
    return out


def conversion_model(exposures: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Logistic regression (statsmodels) of conversion on channel exposures.

    Returns per channel `log_odds`, `std_err`, `p_value`, `odds_ratio`, `or_low`, `or_high`
    (confidence interval at `level`), plus the intercept row."""
    import statsmodels.api as sm

    _require(exposures, "exposures", ["converted"])
    y = exposures["converted"].astype(float)
    x = exposures.drop(columns="converted").astype(float)
    constant = [c for c in x.columns if x[c].nunique() < 2]
    if constant:
        raise ValueError(f"channels without variation cannot be estimated: {constant}")
    model = sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    ci = model.conf_int(alpha=1 - level)
    out = pd.DataFrame(
        {
            "log_odds": model.params,
            "std_err": model.bse,
            "p_value": model.pvalues,
            "odds_ratio": np.exp(model.params),
            "or_low": np.exp(ci[0]),
            "or_high": np.exp(ci[1]),
        }
    )
    out.index.name = "channel"
    out = out.rename(index={"const": "(intercept)"}).reset_index()
    return out


# ---------------------------------------------------------------------------------------------
# Social vs purchase
# ---------------------------------------------------------------------------------------------


def social_vs_purchase(touches: pd.DataFrame, journeys: pd.DataFrame, mentions: pd.DataFrame,
                       interactions: pd.DataFrame, brand: str) -> pd.DataFrame:
    """Per platform: conversations about `brand` (mentions, interactions on them) against the
    purchases and revenue of the customers exposed on that platform (journeys holding a social
    touch of the platform). `conversation_share` vs `revenue_share` says which platforms talk
    and which sell."""
    _require(mentions, "mentions", ["mention_id", "platform", "brand"])
    _require(interactions, "interactions", ["post_id"])
    ours = mentions[mentions["brand"] == brand]
    inter = interactions[interactions["post_id"].isin(ours["mention_id"])]
    inter_platform = inter["post_id"].map(ours.set_index("mention_id")["platform"])
    social = touches[(touches["channel"] == "social") & touches["platform"].notna()]
    conv = journeys.set_index("journey_id")
    per_j = social.drop_duplicates(["journey_id", "platform"])
    per_j = per_j.assign(
        converted=per_j["journey_id"].map(conv["converted"]),
        value=per_j["journey_id"].map(conv["conversion_value"]),
    )
    out = pd.DataFrame(
        {
            "mentions": ours.groupby("platform").size(),
            "interactions": inter_platform.value_counts(),
            "social_touches": social.groupby("platform").size(),
            "exposed_customers": social[social["customer_key"].notna()].groupby("platform")[
                "customer_key"].nunique(),
            "journeys": per_j.groupby("platform").size(),
            "purchases": per_j.groupby("platform")["converted"].sum(),
            "revenue": per_j.groupby("platform")["value"].sum(),
        }
    ).fillna(0)
    out["conversion_rate"] = out["purchases"] / out["journeys"].where(out["journeys"] > 0)
    talk = out["mentions"] + out["interactions"]
    out["conversation_share"] = talk / talk.sum() if talk.sum() else np.nan
    out["revenue_share"] = out["revenue"] / out["revenue"].sum() if out["revenue"].sum() else np.nan
    out["revenue_per_mention"] = out["revenue"] / out["mentions"].where(out["mentions"] > 0)
    out.index.name = "platform"
    return out.reset_index()
