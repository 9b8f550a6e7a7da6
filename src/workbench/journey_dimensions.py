"""The five dimensions of the customer journey, month by month, in one table: touchpoints,
trends, influencers, audiences and interactions.

Why here: each dimension is detailed on its own page or section (touchpoints and trends on the
journey page, influence on the ambassador page, audience growth on the segmentation and KPI
pages, interactions on the journey page's social section), but a reader needs them side by
side for the report month. These are cheap monthly counts on tables the journey notebook
already reads (it runs before the ambassador notebook and cannot read its outputs), so the
same definitions hold whatever notebook runs first. Pure functions of DataFrames; the page
(`journey_pages.show_dimensions`) turns them into French lines, a figure and links.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import frames

DIMENSIONS = ("touchpoints", "trend", "influencers", "audience", "interactions")


def _months(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts).dt.to_period("M")


def _window(series: pd.Series | pd.DataFrame, months: pd.PeriodIndex):
    return series.reindex(months)


def monthly_touches(touches: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Touches per month (every touch of the stitched log, anonymous visitors included) and the
    month's leading channel with its share. Columns `touches`, `top_channel`, `top_share`."""
    # counted on month numbers and channel codes (tens of millions of touches: no text per row)
    month_no = touches["timestamp"].to_numpy().astype("datetime64[M]").astype(np.int64)
    wanted = pd.PeriodIndex(months, freq="M")
    at = pd.Index(wanted.asi8).get_indexer(month_no)  # (a monthly Period's number = its month's)
    channel = pd.Categorical(touches["channel"])
    keep = (at >= 0) & (channel.codes >= 0)
    n_ch = len(channel.categories)
    counts = np.bincount(at[keep] * n_ch + channel.codes[keep], minlength=len(wanted) * n_ch)
    per = pd.DataFrame(counts.reshape(len(wanted), n_ch), index=wanted,
                       columns=pd.Index(channel.categories.astype(str), name="channel"))
    per = per.loc[:, per.sum(axis=0) > 0].sort_index(axis=1)
    total = per.sum(axis=1)
    top = per.idxmax(axis=1).where(total > 0)
    share = (per.max(axis=1) / total).where(total > 0)
    return pd.DataFrame({"touches": total, "top_channel": top, "top_share": share})


def monthly_trend(decomposition: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Underlying level of daily touches (mean of the STL trend of `journey.daily_decomposition`)
    and the number of peak days, per month. Columns `trend`, `peaks`."""
    d = decomposition.assign(month=_months(decomposition["date"]))
    g = d.groupby("month")
    out = pd.DataFrame({"trend": g["trend"].mean(), "peaks": g["peak"].sum().astype(int)})
    return out.reindex(months)


def _brand_mentions(mentions: pd.DataFrame, brand: str, brand_accounts) -> pd.DataFrame:
    """Mentions of `brand` written by people (the brands' own accounts left out)."""
    m = mentions[mentions["brand"].astype(str) == brand]
    return m[~m["account_id"].isin(pd.Index(brand_accounts))]


def influencers(mentions: pd.DataFrame, interactions: pd.DataFrame, brand: str, brand_accounts,
                months: pd.PeriodIndex, top: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who makes people react to the brand: per month, the interactions (likes, shares,
    comments, retweets) received by people's mentions of `brand`, and the share of them that
    went to the month's `top` most relayed authors (`top_share`, `authors` with at least one).

    Returns (monthly table, the report month's top authors: `account_id`, `platform`,
    `interactions`, `mentions`). The report month is the last of `months`."""
    m = _brand_mentions(mentions, brand, brand_accounts)
    author = pd.Series(m["account_id"].astype(str).to_numpy(), index=m["mention_id"].astype(str).to_numpy())
    author = author[~author.index.duplicated()]
    it = pd.DataFrame({"month": _months(interactions["timestamp"]),
                       "author": frames.map_values(interactions["post_id"], author)})
    it = it[it["author"].notna() & it["month"].isin(months)]
    counts = it.groupby(["month", "author"]).size().rename("n").reset_index()
    rows = {}
    for month, g in counts.groupby("month"):
        n = g["n"].sort_values(ascending=False)
        rows[month] = {"interactions": int(n.sum()), "authors": len(n), "top_share": n.head(top).sum() / n.sum()}
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(months)
    table["interactions"] = table["interactions"].fillna(0).astype(int)
    last = counts[counts["month"] == months[-1]].nlargest(top, "n")
    in_month = m[_months(m["timestamp"]) == months[-1]]
    per_author = in_month.groupby(in_month["account_id"].astype(str)).agg(
        platform=("platform", "first"), mentions=("mention_id", "size"))
    leaders = pd.DataFrame({"account_id": last["author"].to_numpy(), "interactions": last["n"].to_numpy()})
    leaders = leaders.join(per_author, on="account_id")
    leaders["mentions"] = leaders["mentions"].fillna(0).astype(int)
    return table, leaders.reset_index(drop=True)


def known_customers(leaders: pd.DataFrame, links: pd.DataFrame | None, month) -> int | None:
    """How many of the `leaders` (account_id) are linked to a customer of the CRM by the
    month's identity links (`identity.LINKS_TABLE`, saved by the segmentation notebook); None
    when there are no links for `month`."""
    if links is None or "account_id" not in links.columns:
        return None
    if "month" in links.columns and not links["month"].astype(str).eq(str(month)).all():
        return None
    return int(leaders["account_id"].astype(str).isin(set(links["account_id"].astype(str))).sum())


def audience(audience: pd.DataFrame, brand: str, months: pd.PeriodIndex) -> pd.DataFrame:
    """The brand's followers at each month's last day, per platform (wide, one column per
    platform) and in total (`total`). Months without data stay missing."""
    a = audience[audience["brand"].astype(str) == brand]
    a = a.assign(month=_months(a["date"]))
    last = a.sort_values("date").groupby(["month", "platform"]).tail(1)
    wide = last.pivot(index="month", columns="platform", values="followers")
    wide.columns = wide.columns.astype(str)
    wide["total"] = wide.sum(axis=1)
    return wide.reindex(months)


def brand_interactions(interactions: pd.DataFrame, brand_posts: pd.DataFrame, mentions: pd.DataFrame,
                       brand: str, months: pd.PeriodIndex) -> pd.DataFrame:
    """Interactions per month on what is said by and about the brand: its own posts
    (`on_posts`) and people's mentions of it (`on_mentions`), and their sum (`interactions`)."""
    own = brand_posts.loc[brand_posts["brand"].astype(str) == brand, "post_id"].astype(str)
    about = mentions.loc[mentions["brand"].astype(str) == brand, "mention_id"].astype(str)
    post = interactions["post_id"]  # (a dictionary column is looked up once per distinct post)
    month = _months(interactions["timestamp"])
    out = pd.DataFrame({
        "on_posts": month[frames.is_in(post, own)].value_counts(),
        "on_mentions": month[frames.is_in(post, about)].value_counts(),
    }).reindex(months).fillna(0).astype(int)
    out["interactions"] = out["on_posts"] + out["on_mentions"]
    return out


def change(series: pd.Series) -> float | None:
    """Relative change of the last value against the one before (None when not computable)."""
    s = series.dropna()
    if len(s) < 2 or s.iloc[-2] == 0:
        return None
    return float(s.iloc[-1] / s.iloc[-2] - 1)
