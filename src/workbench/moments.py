"""Best moments to address customers: when the brand's posts get engagement, when customers buy,
and which peaks are retail-calendar moments.

Why: ranking peaks by raw volume says when people were active, not when a message works. The
brand's own posts carry their publication time and the interactions they received, so the
weekday x hour slots can be compared on engagement per post; purchases give the buying slots
(store and online apart). Peaks are labelled with the French retail calendar
(`workbench.retail_calendar`) so that "Black Friday" or "soldes d'hiver" is not mistaken for
a campaign effect.

Pure functions of DataFrames; weekdays are 0 = Monday (names in French: `WEEKDAYS_FR`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import retail_calendar
from workbench.retail_calendar import WEEKDAYS_FR


def _require(df: pd.DataFrame, name: str, columns) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")


def _slots(ts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    t = pd.to_datetime(ts)
    return t.dt.dayofweek.to_numpy(), t.dt.hour.to_numpy()


def post_engagement(brand_posts: pd.DataFrame, interactions: pd.DataFrame, brand: str,
                    include_replies: bool = False) -> pd.DataFrame:
    """One row per post of `brand` (replies to customers left out unless `include_replies`):
    `post_id`, `platform`, `timestamp`, `weekday`, `hour`, `interactions` (all types)."""
    _require(brand_posts, "brand_posts", ["post_id", "brand", "timestamp"])
    _require(interactions, "interactions", ["post_id"])
    posts = brand_posts[brand_posts["brand"] == brand]
    if posts.empty:
        raise ValueError(f"no post of brand {brand!r} in brand_posts "
                         f"(brands: {sorted(brand_posts['brand'].dropna().unique())[:10]})")
    if not include_replies and "reply_to" in posts.columns:
        posts = posts[posts["reply_to"].isna()]
    counts = interactions["post_id"].value_counts()
    out = posts[["post_id", *(["platform"] if "platform" in posts.columns else []), "timestamp"]].copy()
    out["weekday"], out["hour"] = _slots(out["timestamp"])
    out["interactions"] = out["post_id"].map(counts).fillna(0).astype(np.int64).to_numpy()
    return out.reset_index(drop=True)


def engagement_by_slot(posts: pd.DataFrame, min_posts: int = 5) -> pd.DataFrame:
    """Per weekday x hour of publication (from `post_engagement`): `posts`, `interactions`,
    `per_post` (mean interactions per post) and `index` (per_post / mean over all posts:
    1.2 = 20 % more engagement than an average post). Slots with fewer than `min_posts`
    posts get no `index` (NaN): too few posts to judge."""
    _require(posts, "posts", ["weekday", "hour", "interactions"])
    g = posts.groupby(["weekday", "hour"])["interactions"].agg(posts="size", interactions="sum")
    g["per_post"] = g["interactions"] / g["posts"]
    mean = posts["interactions"].mean() if len(posts) else np.nan
    g["index"] = (g["per_post"] / mean).where(g["posts"] >= min_posts)
    return g.reset_index()


def purchases_by_slot(transactions: pd.DataFrame, by_channel: bool = True) -> pd.DataFrame:
    """Purchases per weekday x hour (and per sales `channel` when `by_channel`): `purchases`,
    `share` (of the channel's purchases)."""
    _require(transactions, "transactions", ["timestamp"] + (["channel"] if by_channel else []))
    t = transactions
    wd, hr = _slots(t["timestamp"])
    frame = pd.DataFrame({"weekday": wd, "hour": hr})
    keys = ["weekday", "hour"]
    if by_channel:
        frame["channel"] = t["channel"].astype("category").to_numpy()  # grouped by code, not text
        keys = ["channel"] + keys
    g = frame.groupby(keys, observed=True).size().rename("purchases").reset_index()
    if by_channel:  # channels as texts, in text order
        g = g.assign(channel=g["channel"].astype("str")).sort_values(keys, ignore_index=True)
    total = g.groupby("channel")["purchases"].transform("sum") if by_channel else g["purchases"].sum()
    g["share"] = g["purchases"] / total
    return g


def slot_grid(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """A weekday x hour grid (rows: French weekday names, Monday first; columns 0-23) of one
    column of `engagement_by_slot` or `purchases_by_slot`; empty slots are 0 for counts and
    NaN otherwise."""
    grid = table.pivot_table(index="weekday", columns="hour", values=value, aggfunc="sum")
    fill = 0 if value in ("posts", "interactions", "purchases", "share") else np.nan
    grid = grid.reindex(index=range(7), columns=range(24)).fillna(fill) if fill == 0 else \
        grid.reindex(index=range(7), columns=range(24))
    grid.index = pd.Index(list(WEEKDAYS_FR), name="weekday")
    grid.columns.name = "hour"
    return grid


def best_slots(table: pd.DataFrame, value: str, top: int = 5) -> pd.DataFrame:
    """The `top` weekday x hour slots by `value` (NaN left out), with the weekday's French
    name in `day`."""
    out = table.dropna(subset=[value]).sort_values(value, ascending=False, kind="stable").head(top)
    out = out.assign(day=[WEEKDAYS_FR[int(d)] for d in out["weekday"]])
    return out.reset_index(drop=True)


def best_day_part(table: pd.DataFrame, value: str, weight: str) -> dict:
    """Where `value` (e.g. engagement per post) is highest by weekday and by hour, each
    weighted by `weight` (e.g. posts): {"weekday", "day", "weekday_value", "hour",
    "hour_value", "overall"} (overall: the weighted mean)."""
    w = table[weight].astype(float)
    v = table[value].astype(float)
    ok = v.notna() & (w > 0)
    t = table[ok].assign(_wv=(v * w)[ok], _w=w[ok])
    by_day = t.groupby("weekday")[["_wv", "_w"]].sum()
    by_hour = t.groupby("hour")[["_wv", "_w"]].sum()
    day_val = by_day["_wv"] / by_day["_w"]
    hour_val = by_hour["_wv"] / by_hour["_w"]
    d, h = int(day_val.idxmax()), int(hour_val.idxmax())
    return {"weekday": d, "day": WEEKDAYS_FR[d], "weekday_value": float(day_val[d]),
            "hour": h, "hour_value": float(hour_val[h]),
            "overall": float(t["_wv"].sum() / t["_w"].sum())}


def label_peaks(peaks: pd.DataFrame, date_column: str = "date", window_days: int = 1) -> pd.DataFrame:
    """`peaks` with `calendar_event`: the retail-calendar moment of each peak day (within
    `window_days` of its start or end; empty text when none) and `in_calendar` (bool)."""
    _require(peaks, "peaks", [date_column])
    label = retail_calendar.label_dates(peaks[date_column].reset_index(drop=True),
                                        window_days=window_days)
    return peaks.assign(calendar_event=label.to_numpy(),
                        in_calendar=(label != "").to_numpy())


def daily_counts(timestamps: pd.Series) -> pd.DataFrame:
    """Events per day (`date`, `count`, every day between the first and the last, zeros
    included) with the retail-calendar moment of each day (`calendar_event`)."""
    day = pd.to_datetime(timestamps).dt.normalize()
    counts = day.value_counts().sort_index()
    if counts.empty:
        return pd.DataFrame(columns=["date", "count", "calendar_event"])
    span = pd.date_range(counts.index.min(), counts.index.max(), freq="D")
    out = counts.reindex(span, fill_value=0).rename("count").rename_axis("date").reset_index()
    out["calendar_event"] = retail_calendar.label_dates(out["date"]).to_numpy()
    return out


def calendar_lift(daily: pd.DataFrame, value: str = "count") -> pd.DataFrame:
    """Mean daily `value` during each retail event of `daily_counts` against the days outside
    any event: `days`, `mean`, `lift` (mean / mean outside events), sorted by lift."""
    _require(daily, "daily", ["calendar_event", value])
    outside = daily.loc[daily["calendar_event"] == "", value].mean()
    rows = []
    ev = daily.assign(_e=daily["calendar_event"].str.split(", ")).explode("_e")
    for name, g in ev[ev["_e"].fillna("") != ""].groupby("_e"):
        rows.append({"event": name, "days": len(g), "mean": float(g[value].mean()),
                     "lift": float(g[value].mean() / outside) if outside else np.nan})
    out = pd.DataFrame(rows, columns=["event", "days", "mean", "lift"])
    return out.sort_values("lift", ascending=False, ignore_index=True)


def slot_effect(posts: pd.DataFrame, by: str = "hour", min_posts: int = 5) -> dict:
    """Does the publication slot change engagement at all? Kruskal-Wallis test of the
    interactions per post across the values of `by` ("hour" or "weekday") having at least
    `min_posts` posts: {"p_value", "groups", "best", "best_value", "worst", "worst_value"}
    (mean interactions per post of the best and worst group). A p-value above 0.05 means
    the differences between slots are within chance: no slot should be recommended."""
    from scipy.stats import kruskal

    _require(posts, "posts", [by, "interactions"])
    sizes = posts.groupby(by)["interactions"].size()
    keep = sizes[sizes >= min_posts].index
    groups = [g["interactions"].to_numpy() for k, g in posts.groupby(by) if k in keep]
    means = posts[posts[by].isin(keep)].groupby(by)["interactions"].mean()
    if len(groups) < 2:
        return {"p_value": np.nan, "groups": len(groups), "best": None, "best_value": np.nan,
                "worst": None, "worst_value": np.nan}
    p = float(kruskal(*groups).pvalue)
    return {"p_value": p, "groups": len(groups), "best": int(means.idxmax()),
            "best_value": float(means.max()), "worst": int(means.idxmin()),
            "worst_value": float(means.min())}
