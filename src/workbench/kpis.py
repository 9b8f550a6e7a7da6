"""Monthly KPIs: hard and soft measures in one table, and a model linking them over time.

* `hard_kpis` / `soft_kpis` / `monthly_kpis`: one row per month of hard KPIs (sales by channel,
  store traffic, web/app sessions, conversion, customer-service calls) and soft KPIs (engagement
  on the brand's posts, mentions, net sentiment, share of voice, audience growth, e-mail open
  rate, search volume).
* `kpi_changes`: the report month's value of every KPI with its month-over-month and
  year-over-year change (year-over-year only when the data cover the same month a year earlier).
* `weekly_kpis` + `measurement_model` + `granger_tests`: weekly sales regressed on lagged soft
  series with French retail-calendar and month-of-year controls, HAC (Newey-West) standard
  errors and diagnostics, so marketers can see whether the "soft" measures lead the "hard" ones.
* `hard_soft_models` + `robust_effects`: sales, store traffic, web sessions and service calls,
  each against the soft measures; only significant, Granger-consistent effects are headlined.
  The month's synthesis (`workbench.synthesis`) is written from these tables; their French
  tables and charts are in `workbench.kpi_tables`.

Every function takes DataFrames and explicit parameters and returns new objects; nothing is
read or written here. Mentions carry a `sentiment` label (negative / neutral / positive) added
by the caller (e.g. with `workbench.sentiment.score`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench import indicators
from workbench import retail_calendar as retail_calendar_dates
from workbench.frames import is_in

__all__ = [
    "KPIS",
    "hard_kpis",
    "soft_kpis",
    "monthly_kpis",
    "kpi_changes",
    "with_sentiment",
    "weekly_kpis",
    "retail_calendar",
    "measurement_model",
    "granger_tests",
    "ModelResult",
    "hard_soft_models",
    "robust_effects",
    "up_to_month",
]

SENTIMENT_LABELS = ("negative", "neutral", "positive")


# The monthly KPIs, in display order; label, unit, definition, change type and direction come
# from the indicator registry (`workbench.indicators`), the one place that defines them.
KPI_NAMES = (
    "sales", "sales_store", "sales_web", "sales_app", "sales_click_collect", "orders", "average_basket",
    "active_customers", "sales_per_customer",
    "store_traffic", "web_sessions", "app_sessions", "store_conversion", "online_conversion",
    "customer_service_calls",
    "engagement", "engagement_per_post", "mentions", "positive_mentions", "negative_mentions",
    "negative_share", "net_sentiment", "share_of_voice", "followers", "audience_growth",
    "email_open_rate", "brand_searches",
)
Kpi = indicators.Indicator
KPIS: dict[str, Kpi] = {name: indicators.get(name) for name in KPI_NAMES}

# --------------------------------------------------------------------------- input checks


def _require(df: pd.DataFrame, columns, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what}: missing column(s) {missing}; found {list(df.columns)}"
        )


def _fold(text: str) -> str:
    """Lower case without accents: 'Éléa' -> 'elea'."""
    norm = unicodedata.normalize("NFKD", str(text).lower())
    return "".join(c for c in norm if not unicodedata.combining(c))


def _check_brand(mentions: pd.DataFrame, brand: str) -> None:
    brands = sorted(mentions["brand"].dropna().unique().tolist())
    if brand not in brands:
        raise ValueError(f"brand {brand!r} does not appear in mentions.brand; brands found: {brands}")


def _month(ts: pd.Series) -> pd.Series:
    return ts.dt.to_period("M")


def _check_sentiment(mentions: pd.DataFrame) -> None:
    labels = mentions["sentiment"]
    bad = labels.notna() & ~labels.isin(SENTIMENT_LABELS)
    if bad.any():
        raise ValueError(
            f"mentions.sentiment: {int(bad.sum())} value(s) outside {SENTIMENT_LABELS}, e.g. "
            f"{labels[bad].unique()[:3].tolist()}"
        )
    if labels.isna().any():
        raise ValueError(
            f"mentions.sentiment: {int(labels.isna().sum())} mention(s) without a label; score every "
            "mention (e.g. workbench.sentiment.score) before computing sentiment KPIs"
        )


def with_sentiment(mentions: pd.DataFrame, scored: pd.DataFrame, neutral_band: float = 0.1) -> pd.DataFrame:
    """A copy of `mentions` with a `sentiment` label per mention, from a scorer's output.

    scored: one row per mention, aligned on `mentions` (same length and order), with a `label`
    column (negative / neutral / positive, e.g. `workbench.sentiment.score`) or a `polarity`
    column in [-1, 1] (e.g. `workbench.sentiment.textblob_fr`), labelled neutral within
    +/- `neutral_band`.
    """
    if len(scored) != len(mentions):
        raise ValueError(f"scored: {len(scored)} rows for {len(mentions)} mentions; score every mention")
    if "label" in scored.columns:
        labels = pd.Series(np.asarray(scored["label"], dtype=object), index=mentions.index)
    elif "polarity" in scored.columns:
        pol = np.asarray(scored["polarity"], dtype=float)
        labels = pd.Series(np.select([pol > neutral_band, pol < -neutral_band], ["positive", "negative"],
                                     "neutral"), index=mentions.index)
    else:
        raise ValueError(f"scored: expected a 'label' or 'polarity' column, found {list(scored.columns)}")
    out = mentions.assign(sentiment=labels)
    _check_sentiment(out)
    return out


def _own_conversation(mentions: pd.DataFrame, include_retweets: bool) -> pd.DataFrame:
    """Mentions that count as conversation: retweets are reach, not new conversation."""
    if include_retweets or "retweet_of" not in mentions.columns:
        return mentions
    return mentions[mentions["retweet_of"].isna()]


# the column that dates each table's rows (for `up_to_month`)
TIME_COLUMNS = {"transactions": "timestamp", "daily_kpis": "date", "mentions": "timestamp",
                "brand_posts": "timestamp", "interactions": "timestamp", "audience": "date",
                "email_events": "timestamp", "search_keywords": "month"}


def up_to_month(tables: dict, month) -> dict:
    """The tables without their rows after the end of `month` (a past month re-run gives the
    same figures): {name: DataFrame}, dated by `TIME_COLUMNS` (other tables unchanged)."""
    end = pd.Period(month, freq="M").end_time
    out = {}
    for n, df in tables.items():
        keep = (df[TIME_COLUMNS[n]] <= end).to_numpy() if n in TIME_COLUMNS else None
        out[n] = df if keep is None or keep.all() else df[keep]  # no copy of a table already in range
    return out


# --------------------------------------------------------------------------- monthly tables


def hard_kpis(transactions: pd.DataFrame, daily_kpis: pd.DataFrame | None = None) -> pd.DataFrame:
    """Hard KPIs per calendar month (index: monthly Period).

    Sales by channel (euros, VAT included) and orders come from `transactions`; traffic,
    sessions and customer-service calls from `daily_kpis`. Conversion: store tickets / store
    visitors, and online orders (web, app, click & collect) / web + app sessions.
    `days_observed` counts the days of `daily_kpis` in the month (a partial month shows fewer).
    Without `daily_kpis` (None) those columns are NaN. With a `customer_id` column:
    active_customers (identified customers who bought in the month) and sales_per_customer
    (their sales / their number).
    """
    _require(transactions, ["timestamp", "channel", "amount"], "transactions")
    cols = ["store_traffic", "web_sessions", "app_sessions", "customer_service_calls"]
    if daily_kpis is None:
        daily_kpis = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                                   **{c: pd.Series(dtype="float64") for c in cols}})
    _require(daily_kpis, ["date", *cols], "daily_kpis")
    tx = transactions.assign(month=_month(transactions["timestamp"]))
    by_channel = tx.pivot_table(index="month", columns="channel", values="amount", aggfunc="sum",
                                observed=True)
    out = pd.DataFrame(index=by_channel.index)
    out["sales"] = tx.groupby("month")["amount"].sum()
    for ch in ("store", "web", "app", "click_collect"):
        out[f"sales_{ch}"] = by_channel[ch] if ch in by_channel else 0.0
    out = out.fillna({c: 0.0 for c in out.columns if c.startswith("sales_")})
    counts = tx.groupby(["month", "channel"]).size().unstack(fill_value=0)
    out["orders"] = counts.sum(axis=1)
    out["average_basket"] = out["sales"] / out["orders"]
    if "customer_id" in tx.columns:  # identified customers only (anonymous tickets have none)
        out["active_customers"] = tx.groupby("month")["customer_id"].nunique().astype(float)
        known_sales = tx[tx["customer_id"].notna()].groupby("month")["amount"].sum()
        out["sales_per_customer"] = _ratio(known_sales.reindex(out.index), out["active_customers"])
    daily = daily_kpis.assign(month=_month(daily_kpis["date"]))
    sums = daily.groupby("month")[cols].sum().astype("float64")
    out = out.join(sums, how="outer") if len(sums) else out.assign(**{c: np.nan for c in cols})
    out["days_observed"] = daily.groupby("month").size().reindex(out.index).fillna(0).astype(int)
    store_tx = counts.get("store", pd.Series(0, index=counts.index)).reindex(out.index)
    online_tx = sum(counts.get(c, pd.Series(0, index=counts.index)) for c in ("web", "app", "click_collect"))
    out["store_conversion"] = _ratio(store_tx, out["store_traffic"])
    sessions = out["web_sessions"] + out["app_sessions"]
    out["online_conversion"] = _ratio(online_tx.reindex(out.index), sessions)
    out.index.name = "month"
    return out.sort_index()


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = num.astype("float64")
    den = den.astype("float64")
    return (num / den).where(den > 0)


def soft_kpis(
    mentions: pd.DataFrame,
    brand: str,
    brand_posts: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    audience: pd.DataFrame | None = None,
    email_events: pd.DataFrame | None = None,
    search_keywords: pd.DataFrame | None = None,
    include_retweets: bool = False,
) -> pd.DataFrame:
    """Soft KPIs per calendar month (index: monthly Period); a missing table gives NaN columns.

    mentions (with a `sentiment` label column) -> mentions, positive/negative mentions, net
    sentiment ((positive - negative) / mentions) and share of voice (our mentions / mentions of
    every brand); retweets are left out unless `include_retweets`. brand_posts + interactions ->
    engagement (interactions on our posts, by interaction month) and engagement per post.
    audience -> followers at month end (all platforms) and growth vs the previous month end.
    email_events -> open rate (opens / sends, by send month). search_keywords -> searches of
    the keywords containing the brand name (accents and case ignored).
    """
    _require(mentions, ["timestamp", "brand"], "mentions")
    _check_brand(mentions, brand)
    conv = _own_conversation(mentions, include_retweets)
    conv = conv.assign(month=_month(conv["timestamp"]))
    own = conv[conv["brand"] == brand]
    out = pd.DataFrame(index=pd.PeriodIndex(sorted(conv["month"].unique()), freq="M", name="month"))
    out["mentions"] = own.groupby("month").size().reindex(out.index, fill_value=0).astype(float)
    if "sentiment" in mentions.columns:
        _check_sentiment(own)
        sent = own.groupby(["month", "sentiment"]).size().unstack(fill_value=0)
        sent = sent.reindex(index=out.index, columns=list(SENTIMENT_LABELS), fill_value=0)
        out["positive_mentions"] = sent["positive"].astype(float)
        out["negative_mentions"] = sent["negative"].astype(float)
        out["negative_share"] = _ratio(sent["negative"], out["mentions"])
        out["net_sentiment"] = _ratio(sent["positive"] - sent["negative"], out["mentions"])
    else:
        out["positive_mentions"] = out["negative_mentions"] = out["net_sentiment"] = np.nan
        out["negative_share"] = np.nan
    total = conv.groupby("month").size().reindex(out.index, fill_value=0)
    out["share_of_voice"] = _ratio(out["mentions"], total)

    out["engagement"] = out["engagement_per_post"] = np.nan
    if brand_posts is not None and interactions is not None:
        _require(brand_posts, ["post_id", "brand", "timestamp"], "brand_posts")
        _require(interactions, ["post_id", "timestamp"], "interactions")
        posts = brand_posts[brand_posts["brand"] == brand]
        if "reply_to" in posts.columns:  # replies to customers are care, not publications
            posts = posts[posts["reply_to"].isna()]
        inter = interactions[is_in(interactions["post_id"], posts["post_id"])]
        eng = inter.groupby(_month(inter["timestamp"])).size()
        n_posts = posts.groupby(_month(posts["timestamp"])).size()
        idx = out.index.union(eng.index).union(n_posts.index)
        out = out.reindex(idx)
        out["engagement"] = eng.reindex(idx, fill_value=0).astype(float)
        out["engagement_per_post"] = _ratio(out["engagement"], n_posts.reindex(idx, fill_value=0))

    out["followers"] = out["audience_growth"] = np.nan
    if audience is not None:
        _require(audience, ["date", "brand", "followers"], "audience")
        aud = audience[audience["brand"] == brand]
        if len(aud):
            daily = aud.groupby("date")["followers"].sum().astype(float).sort_index()
            by_month = daily.groupby(daily.index.to_period("M"))
            end = by_month.last()
            start = by_month.first()
            prev_end = end.reindex(end.index - 1).to_numpy()  # NaN when the month before is absent
            base = pd.Series(np.where(np.isnan(prev_end), start.to_numpy(), prev_end), index=end.index)
            idx = out.index.union(end.index)
            out = out.reindex(idx)
            out["followers"] = end.reindex(idx)
            out["audience_growth"] = (end / base - 1).reindex(idx)

    out["email_open_rate"] = np.nan
    if email_events is not None:
        _require(email_events, ["campaign_id", "event", "timestamp"], "email_events")
        sent = email_events[email_events["event"] == "sent"]
        send_month = sent.groupby("campaign_id")["timestamp"].min().dt.to_period("M")
        n_sent = sent.groupby("campaign_id").size()
        n_open = email_events[email_events["event"] == "open"].groupby("campaign_id").size()
        camp = pd.DataFrame({"month": send_month, "sent": n_sent,
                             "opens": n_open.reindex(n_sent.index, fill_value=0)})
        per_month = camp.groupby("month")[["sent", "opens"]].sum()
        idx = out.index.union(per_month.index)
        out = out.reindex(idx)
        out["email_open_rate"] = _ratio(per_month["opens"], per_month["sent"]).reindex(idx)

    out["brand_searches"] = np.nan
    if search_keywords is not None:
        _require(search_keywords, ["month", "keyword", "searches"], "search_keywords")
        mine = search_keywords[search_keywords["keyword"].map(_fold).str.contains(_fold(brand), regex=False)]
        if len(mine):
            vol = mine.groupby(mine["month"].dt.to_period("M"))["searches"].sum().astype(float)
            idx = out.index.union(vol.index)
            out = out.reindex(idx)
            out["brand_searches"] = vol.reindex(idx)
    out.index.name = "month"
    return out.sort_index()


def monthly_kpis(hard: pd.DataFrame, soft: pd.DataFrame) -> pd.DataFrame:
    """Hard and soft KPIs side by side, one row per month (months of either table)."""
    both = hard.join(soft, how="outer", rsuffix="_soft")
    both.index.name = "month"
    return both.sort_index()


# --------------------------------------------------------------------------- changes


def _change(kpi: Kpi, now, before) -> float:
    if pd.isna(now) or pd.isna(before):
        return np.nan
    if kpi.change == "points":
        return float(now - before)
    return float(now / before - 1) if before != 0 else np.nan


def kpi_changes(monthly: pd.DataFrame, month, kpis=None) -> pd.DataFrame:
    """The report month's value of each KPI with month-over-month and year-over-year change.

    Relative KPIs change in % (0.12 = +12 %); shares and indexes change in points (difference
    of the two values: 0.012 = +1.2 point). `kpis`: registry names (default: the monthly KPIs;
    e.g. the care indicators of `care.monthly_care` too). `yoy_note` says why a year-over-year change is
    missing (the data do not cover the same month a year earlier). Columns: kpi, label, family,
    unit, change_type, better, value, previous, mom_change, year_ago, yoy_change, yoy_note.
    """
    if not isinstance(monthly.index, pd.PeriodIndex):
        raise ValueError("monthly: expected a monthly PeriodIndex (the output of monthly_kpis)")
    period = pd.Period(month, freq="M")
    if period not in monthly.index:
        raise ValueError(
            f"month {period} not in the KPI table (covers {monthly.index.min()} to {monthly.index.max()})"
        )
    names = [k for k in (kpis or KPIS) if k in monthly.columns]
    prev, year_ago = period - 1, period - 12
    rows = []
    for name in names:
        k = indicators.get(name)
        col = monthly[name]
        now = col.get(period)
        before = col.get(prev) if prev in monthly.index else np.nan
        ago = col.get(year_ago) if year_ago in monthly.index else np.nan
        if year_ago not in monthly.index:
            note = f"données insuffisantes : {year_ago} non couvert"
        elif pd.isna(ago):
            note = f"valeur absente en {year_ago}"
        else:
            note = ""
        rows.append({
            "kpi": name, "label": k.label, "family": k.family, "unit": k.unit,
            "change_type": k.change, "better": k.better,
            "value": now, "previous": before, "mom_change": _change(k, now, before),
            "year_ago": ago, "yoy_change": _change(k, now, ago), "yoy_note": note,
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- weekly series


def retail_calendar(weeks: pd.DatetimeIndex, freq: str = "W-SUN") -> pd.DataFrame:
    """French retail-calendar controls per week (index: the weeks' end dates): the share of the
    week's days in the soldes, the Black Friday week and Christmas shopping, from the one
    retail calendar (`workbench.retail_calendar`)."""
    return retail_calendar_dates.weekly_shares(weeks, freq)


def weekly_kpis(
    transactions: pd.DataFrame,
    mentions: pd.DataFrame,
    brand: str,
    brand_posts: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    freq: str = "W-SUN",
    include_retweets: bool = False,
    daily_kpis: pd.DataFrame | None = None,
    audience: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Weekly hard and soft series for the measurement models (index: week end dates).

    Columns: sales, orders, mentions, positive_mentions, negative_mentions (when mentions carry
    a `sentiment` label), net_sentiment, share_of_voice, engagement (when posts and
    interactions are given), store_traffic, web_sessions, app_sessions and
    customer_service_calls (weekly sums, when `daily_kpis` is given), audience_growth (brand
    followers at week end / the week before - 1, when `audience` is given) and `days` (days of
    the week inside the data period). Weeks not fully covered by the transactions (first and
    last, usually) are dropped; how many is in `attrs["dropped_weeks"]`.
    """
    _require(transactions, ["timestamp", "amount"], "transactions")
    _require(mentions, ["timestamp", "brand"], "mentions")
    _check_brand(mentions, brand)
    first = transactions["timestamp"].min().normalize()
    last = transactions["timestamp"].max().normalize()
    tx = transactions.set_index("timestamp")["amount"]
    out = tx.resample(freq).agg(["sum", "count"]).rename(columns={"sum": "sales", "count": "orders"})
    conv = _own_conversation(mentions, include_retweets)
    conv = conv[(conv["timestamp"] >= first) & (conv["timestamp"] < last + pd.Timedelta(days=1))]
    own = conv[conv["brand"] == brand].set_index("timestamp")
    out["mentions"] = own["brand"].resample(freq).count()
    if "sentiment" in mentions.columns:
        _check_sentiment(own)
        for label in ("positive", "negative"):
            out[f"{label}_mentions"] = (own["sentiment"] == label).astype(float).resample(freq).sum()
        out["net_sentiment"] = _ratio(out["positive_mentions"] - out["negative_mentions"], out["mentions"])
    all_brands = conv.set_index("timestamp")["brand"].resample(freq).count()
    out["share_of_voice"] = _ratio(out["mentions"], all_brands.reindex(out.index))
    if brand_posts is not None and interactions is not None:
        posts = brand_posts[brand_posts["brand"] == brand]
        if "reply_to" in posts.columns:
            posts = posts[posts["reply_to"].isna()]
        inter = interactions[is_in(interactions["post_id"], posts["post_id"])]
        out["engagement"] = inter.set_index("timestamp")["post_id"].resample(freq).count()
    if daily_kpis is not None:
        cols = ["store_traffic", "web_sessions", "app_sessions", "customer_service_calls"]
        _require(daily_kpis, ["date", *cols], "daily_kpis")
        sums = daily_kpis.set_index("date")[cols].astype("float64").resample(freq).sum(min_count=1)
        out = out.join(sums.reindex(out.index))
    if audience is not None:
        _require(audience, ["date", "brand", "followers"], "audience")
        aud = audience[audience["brand"] == brand]
        if len(aud):
            level = aud.groupby("date")["followers"].sum().astype("float64").resample(freq).last()
            out["audience_growth"] = (level / level.shift(1) - 1).reindex(out.index)
    ends = out.index.normalize().to_series()
    starts = ends - pd.Timedelta(days=6)
    covered = (ends.clip(upper=last) - starts.clip(lower=first)).dt.days + 1
    out["days"] = covered.clip(0, 7).to_numpy()
    keep = out["days"] == 7
    dropped = int((~keep).sum())
    out = out[keep].fillna({c: 0.0 for c in out.columns if c.endswith("mentions") or c == "engagement"})
    out.index.name = "week"
    out.attrs["dropped_weeks"] = dropped
    return out


# --------------------------------------------------------------------------- measurement model


@dataclass
class ModelResult:
    """A fitted soft -> hard measurement model, ready to explain."""

    hard: str
    soft: list[str]
    lag: int
    n_weeks: int
    estimated: bool
    coefficients: pd.DataFrame  # term, label, kind, coef, std_err, ci_low, ci_high, p_value, effect_10pct, effect_1pt
    diagnostics: pd.DataFrame  # test, value, p_value, reading (French)
    warnings: list[str] = field(default_factory=list)  # French, shown as-is
    r_squared: float = np.nan
    alpha: float = 0.05
    hac_lags: int = 0
    fitted: pd.DataFrame | None = None  # week, observed, fitted (in the hard KPI's unit)


_TERM_LABELS = {
    "const": "Constante",
    "trend": "Tendance (par semaine)",
    "soldes": "Soldes (part de la semaine)",
    "black_friday": "Semaine du Black Friday",
    "christmas": "Achats de Noël (1-24 décembre)",
}


def _term_label(term: str, soft: list[str]) -> str:
    if term in _TERM_LABELS:
        return _TERM_LABELS[term]
    if term.startswith("month_"):
        return f"Mois {term.split('_', 1)[1]}"
    for s in soft:
        if term.startswith(s + "_lag"):
            label = KPIS[s].label if s in KPIS else s
            k = int(term.rsplit("lag", 1)[1])
            return f"{label} ({'même semaine' if k == 0 else f'semaine -{k}'})"
    return term


def measurement_model(
    weekly: pd.DataFrame,
    hard: str = "sales",
    soft=("positive_mentions",),
    lag: int = 1,
    log: bool = True,
    seasonality: bool = True,
    trend: bool = True,
    hac_lags: int | None = None,
    alpha: float = 0.05,
    min_weeks: int = 40,
) -> ModelResult:
    """Regress the weekly hard KPI on the soft KPIs of `lag` weeks before, with controls.

    log: model log(hard) on log(1 + soft) (coefficients are elasticities: +10 % of a soft
    series -> about `effect_10pct` change of the hard KPI); otherwise levels. Seasonality
    controls: French retail calendar (`retail_calendar`) and month-of-year dummies; trend: a
    linear weekly trend. Standard errors are HAC (Newey-West) with `hac_lags` lags (default:
    the usual rule 0.75 * n^(1/3)). Fewer than `min_weeks` usable weeks gives a warning; too few
    for the number of parameters gives `estimated=False` and an empty coefficient table.
    """
    import statsmodels.api as sm

    soft = [soft] if isinstance(soft, str) else list(soft)
    if not soft:
        raise ValueError("soft: give at least one soft series")
    if lag < 0:
        raise ValueError(f"lag must be >= 0 weeks (0: same week; >= 1: soft series precede the hard one), got {lag}")
    _require(weekly, [hard, *soft], "weekly")
    if not isinstance(weekly.index, pd.DatetimeIndex):
        raise ValueError("weekly: expected a DatetimeIndex of week end dates (output of weekly_kpis)")
    data = weekly.sort_index()
    y = data[hard].astype("float64")
    warnings: list[str] = []
    if log:
        if (y <= 0).any():
            raise ValueError(f"{hard}: {int((y <= 0).sum())} week(s) with a value <= 0; use log=False")
        bad = [s for s in soft if _loggable(s) and (data[s] < 0).any()]
        if bad:
            raise ValueError(f"{bad}: negative values cannot be logged; use log=False")
        y = np.log(y)
    X = pd.DataFrame(index=data.index)
    for s in soft:
        x = data[s].astype("float64")
        X[f"{s}_lag{lag}"] = (np.log1p(x) if log and _loggable(s) else x).shift(lag)
    if trend:
        X["trend"] = np.arange(len(data), dtype=float)
    if seasonality:
        cal = retail_calendar(data.index, _freq_of(data.index))
        for c in cal.columns:
            if cal[c].nunique() > 1:
                X[c] = cal[c].to_numpy()
        months = pd.get_dummies(data.index.month, prefix="month", drop_first=True, dtype=float)
        months.index = data.index
        X = X.join(months)
    frame = pd.concat([y.rename("y"), X], axis=1).dropna()
    n = len(frame)
    n_params = X.shape[1] + 1
    base = dict(hard=hard, soft=soft, lag=lag, n_weeks=n, alpha=alpha)
    empty_coef = pd.DataFrame(columns=["term", "label", "kind", "coef", "std_err", "ci_low", "ci_high",
                                       "p_value", "effect_10pct", "effect_1pt"])
    empty_diag = pd.DataFrame(columns=["test", "value", "p_value", "reading"])
    if n < n_params + 8:
        warnings.append(
            f"Données trop courtes : {n} semaines utilisables pour {n_params} paramètres. "
            "Le modèle n'est pas estimé ; il faut au moins "
            f"{n_params + 8} semaines (idéalement {max(min_weeks, n_params + 8)} et plus)."
        )
        return ModelResult(**base, estimated=False, coefficients=empty_coef, diagnostics=empty_diag,
                           warnings=warnings)
    if n < min_weeks:
        warnings.append(
            f"Attention, série courte : {n} semaines seulement (moins de {min_weeks}). "
            "Les coefficients sont fragiles ; à confirmer quand l'historique s'allongera."
        )
    if trend and n < 104 and seasonality:
        warnings.append(
            "Moins de deux ans de données : la saisonnalité est contrôlée par le calendrier "
            "commercial et les mois, mais un effet « mois » ne peut pas être distingué d'un "
            "événement propre à cette année."
        )
    hac = int(hac_lags) if hac_lags is not None else max(1, int(np.floor(0.75 * n ** (1 / 3))))
    exog = sm.add_constant(frame.drop(columns="y"), has_constant="add")
    fit = sm.OLS(frame["y"], exog).fit(cov_type="HAC", cov_kwds={"maxlags": hac})
    ci = fit.conf_int(alpha)
    rows = []
    for term in exog.columns:
        is_soft = any(term.startswith(s + "_lag") for s in soft)
        kind = "doux" if is_soft else ("constante" if term == "const" else "contrôle")
        b = float(fit.params[term])
        effect = (1.1**b - 1) if (log and is_soft and _loggable(term.rsplit("_lag", 1)[0])) else np.nan
        # a share or index modelled in levels (0-1): relative change of the hard KPI for +1 point
        effect_pt = (np.exp(0.01 * b) - 1) if (log and is_soft and not _loggable(term.rsplit("_lag", 1)[0])) \
            else np.nan
        rows.append({
            "term": term, "label": _term_label(term, soft), "kind": kind, "coef": b,
            "std_err": float(fit.bse[term]), "ci_low": float(ci.loc[term, 0]),
            "ci_high": float(ci.loc[term, 1]), "p_value": float(fit.pvalues[term]), "effect_10pct": effect,
            "effect_1pt": effect_pt,
        })
    coef = pd.DataFrame(rows)
    diag = _diagnostics(fit, exog)
    fitted = pd.DataFrame({
        "observed": np.exp(frame["y"]) if log else frame["y"],
        "fitted": np.exp(fit.fittedvalues) if log else fit.fittedvalues,
    })
    if (diag["test"].eq("Autocorrélation des résidus (Ljung-Box)") & (diag["p_value"] < 0.05)).any():
        warnings.append(
            "Les résidus restent autocorrélés : les écarts-types HAC en tiennent compte, mais une "
            "variable explicative manque peut-être (promotion, météo, concurrence)."
        )
    return ModelResult(**base, estimated=True, coefficients=coef, diagnostics=diag, warnings=warnings,
                       r_squared=float(fit.rsquared), hac_lags=hac, fitted=fitted)


def _series_label(name: str) -> str:
    """French label of a weekly series (the registry's, without 'du mois')."""
    if name not in indicators.REGISTRY:
        return name
    return indicators.label(name).replace(" du mois", "").replace(" (mois)", "")


def _loggable(name: str) -> bool:
    """Volumes (counts, euros) are modelled in logs; shares and indexes (registry units rate /
    index) stay in levels. Names outside the registry are treated as volumes."""
    return name not in indicators.REGISTRY or indicators.get(name).unit in ("eur", "count", "number")


def _freq_of(index: pd.DatetimeIndex) -> str:
    freq = pd.infer_freq(index) if len(index) >= 3 else None
    return freq if freq and freq.startswith("W") else "W-" + index[0].day_name()[:3].upper()


def _diagnostics(fit, exog: pd.DataFrame) -> pd.DataFrame:
    from statsmodels.stats.diagnostic import acorr_ljungbox, het_breuschpagan
    from statsmodels.stats.stattools import durbin_watson, jarque_bera

    resid = fit.resid
    lb_lag = max(1, min(4, len(resid) // 5))
    lb = acorr_ljungbox(resid, lags=[lb_lag], return_df=True)
    jb_stat, jb_p, _, _ = jarque_bera(resid)
    try:
        bp_stat, bp_p, _, _ = het_breuschpagan(resid, exog)
    except (ValueError, np.linalg.LinAlgError):
        bp_stat, bp_p = np.nan, np.nan
    dw = float(durbin_watson(resid))
    r2 = float(fit.rsquared)
    rows = [
        ("Part de la variance expliquée (R²)", r2, np.nan,
         f"le modèle explique {100 * r2:.0f} % des variations hebdomadaires"),
        ("R² ajusté", float(fit.rsquared_adj), np.nan, "R² corrigé du nombre de variables"),
        ("Durbin-Watson", dw, np.nan,
         "proche de 2 : pas d'autocorrélation d'une semaine à l'autre" if 1.5 <= dw <= 2.5
         else "en dessous de 2 : les erreurs d'une semaine se répercutent sur la suivante" if dw < 1.5
         else "au-dessus de 2 : les erreurs alternent d'une semaine à l'autre (une semaine haute, "
              "la suivante basse)"),
        ("Autocorrélation des résidus (Ljung-Box)", float(lb["lb_stat"].iloc[0]), float(lb["lb_pvalue"].iloc[0]),
         "pas d'autocorrélation détectée" if lb["lb_pvalue"].iloc[0] >= 0.05 else "autocorrélation détectée"),
        ("Normalité des résidus (Jarque-Bera)", float(jb_stat), float(jb_p),
         "résidus compatibles avec une loi normale" if jb_p >= 0.05
         else "résidus non normaux (semaines atypiques) : intervalles à lire avec prudence"),
        ("Variance constante (Breusch-Pagan)", float(bp_stat), float(bp_p),
         "variance stable" if not (bp_p < 0.05) else "variance instable : les écarts-types HAC la corrigent"),
    ]
    return pd.DataFrame(rows, columns=["test", "value", "p_value", "reading"])


def _cleaned(weekly: pd.DataFrame, hard: str, soft: list, log: bool, seasonality: bool) -> pd.DataFrame:
    """The hard and soft weekly series, logged when they are volumes and, with `seasonality`,
    as residuals of the retail calendar, month-of-year and trend (so a shared season does not
    pass for a relation)."""
    import statsmodels.api as sm

    data = weekly.sort_index()
    series = {}
    for name in [hard, *soft]:
        x = data[name].astype("float64")
        if log and _loggable(name):
            x = np.log(x.where(x > 0)) if name == hard else np.log1p(x)
        series[name] = x
    frame = pd.DataFrame(series).dropna()
    if seasonality and len(frame):
        cal = retail_calendar(frame.index, _freq_of(frame.index))
        ctrl = cal.loc[:, cal.nunique() > 1].copy()
        ctrl["trend"] = np.arange(len(frame), dtype=float)
        months = pd.get_dummies(frame.index.month, prefix="m", drop_first=True, dtype=float)
        months.index = frame.index
        ctrl = sm.add_constant(ctrl.join(months), has_constant="add")
        frame = frame.apply(lambda col: sm.OLS(col, ctrl).fit().resid)
    return frame


def granger_tests(
    weekly: pd.DataFrame,
    hard: str = "sales",
    soft=("positive_mentions",),
    max_lag: int = 2,
    log: bool = True,
    seasonality: bool = True,
) -> pd.DataFrame:
    """Granger tests: do past values of each soft series improve the forecast of the hard one?

    Volumes are logged (log / log1p; shares and indexes stay as they are) and, with
    `seasonality`, cleaned of the retail calendar, month-of-year and trend first (residuals of
    a regression), so a shared season does not pass for a lead. `corr` is the correlation of
    the cleaned hard series with the cleaned soft series `lag` weeks before: the sign of the
    simple relation, which a model coefficient should share. Columns: soft, lag, f_stat,
    p_value, corr, n_weeks.
    """
    from statsmodels.tsa.stattools import grangercausalitytests

    soft = [soft] if isinstance(soft, str) else list(soft)
    _require(weekly, [hard, *soft], "weekly")
    frame = _cleaned(weekly, hard, soft, log, seasonality)
    rows = []
    for s in soft:
        pair = frame[[hard, s]].to_numpy()
        if len(pair) < 3 * max_lag + 10:
            rows.append({"soft": s, "lag": np.nan, "f_stat": np.nan, "p_value": np.nan, "corr": np.nan,
                         "n_weeks": len(pair)})
            continue
        res = grangercausalitytests(pair, maxlag=max_lag)
        for lag_k, (tests, _) in res.items():
            f, p = tests["ssr_ftest"][:2]
            corr = float(frame[hard].corr(frame[s].shift(int(lag_k))))
            rows.append({"soft": s, "lag": int(lag_k), "f_stat": float(f), "p_value": float(p),
                         "corr": corr, "n_weeks": len(pair)})
    return pd.DataFrame(rows, columns=["soft", "lag", "f_stat", "p_value", "corr", "n_weeks"])


# --------------------------------------------------------------------------- hard and soft KPIs together

HARD_MODELLED = ("sales", "store_traffic", "web_sessions", "customer_service_calls")
SOFT_MODELLED = ("positive_mentions", "negative_mentions", "engagement", "share_of_voice")
# a complaint made public and the call about it happen the same week: calls are read against
# the soft measures of the same week (lag 0), the other hard KPIs against the week before
DEFAULT_LAGS = {"customer_service_calls": 0}


def hard_soft_models(
    weekly: pd.DataFrame,
    hard=HARD_MODELLED,
    soft=SOFT_MODELLED,
    lags: dict | None = None,
    default_lag: int = 1,
    max_lag: int = 2,
    alpha: float = 0.05,
    min_weeks: int = 40,
) -> dict:
    """One measurement model per hard KPI (sales, store traffic, web sessions, service calls…),
    each against the same soft measures, with its Granger tests.

    lags: weeks between soft and hard per hard KPI (default `DEFAULT_LAGS`, else `default_lag`).
    Hard KPIs absent from `weekly` (or empty) are skipped. Returns {hard: {"model": ModelResult,
    "granger": DataFrame}}; for a same-week model (lag 0) "granger" holds the reverse tests
    (does the hard KPI lead the soft one?), in the same columns. Read with `robust_effects`.
    """
    lags = {**DEFAULT_LAGS, **(lags or {})}
    soft = [soft] if isinstance(soft, str) else list(soft)
    soft = [s for s in soft if s in weekly.columns and weekly[s].notna().any()]
    if not soft:
        raise ValueError("soft: none of the soft series is in the weekly table")
    out = {}
    for h in ([hard] if isinstance(hard, str) else hard):
        if h not in weekly.columns or not weekly[h].notna().any() or (weekly[h] <= 0).all():
            continue
        lag = int(lags.get(h, default_lag))
        model = measurement_model(weekly, h, soft, lag=lag, alpha=alpha, min_weeks=min_weeks)
        if lag == 0:
            granger = pd.concat([granger_tests(weekly, s, [h], max_lag=max_lag).assign(soft=s) for s in soft],
                                ignore_index=True)
        else:
            granger = granger_tests(weekly, h, soft, max_lag=max_lag)
        out[h] = {"model": model, "granger": granger}
    return out


def robust_effects(models: dict, weekly: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every soft -> hard effect of `hard_soft_models`, with whether it is robust enough for a
    headline.

    Robust = significant in the model (HAC errors; p-values adjusted with Holm's method over
    all the pairs tested, since testing 16 pairs at 5 % gives about one chance finding) AND
    Granger-consistent AND of
    the same sign as the simple relation of the two cleaned series (a coefficient whose sign
    flips once the other soft measures are in the model is an artefact of their correlation).
    Granger-consistent: for a lagged model, past values of the soft measure improve the
    forecast of the hard KPI (best lag up to max_lag, p < alpha); for a same-week model (lag 0),
    the hard KPI does not lead the soft measure (reverse test not significant). Columns: hard,
    hard_label, soft, soft_label, lag, coef, ci_low, ci_high, p_value, p_adjusted,
    effect_10pct (volumes: +10 % of the soft series), effect_1pt (shares and indexes modelled in
    levels: +1 point), granger_p, same_sign, significant, granger_ok, robust; robust effects first,
    then by p-value.
    """
    from statsmodels.stats.multitest import multipletests

    rows = []
    for h, res in models.items():
        model, granger = res["model"], res["granger"]
        if not model.estimated:
            continue
        alpha = model.alpha
        coefs = model.coefficients[model.coefficients["kind"] == "doux"]
        for c in coefs.itertuples():
            s = c.term.rsplit("_lag", 1)[0]
            g = granger[(granger["soft"] == s)].dropna(subset=["p_value"])
            gp = float(g["p_value"].min()) if len(g) else np.nan
            if model.lag == 0:
                granger_ok = bool(np.isfinite(gp) and gp >= alpha)
                corr = (np.nan if weekly is None else
                        float(_cleaned(weekly, h, [s], True, True).corr().iloc[0, 1]))
            else:
                granger_ok = bool(np.isfinite(gp) and gp < alpha)
                at_lag = g[g["lag"] == model.lag]
                corr = float(at_lag["corr"].iloc[0]) if len(at_lag) and "corr" in at_lag else np.nan
            same_sign = bool(np.isfinite(corr) and np.sign(corr) == np.sign(c.coef))
            rows.append({
                "hard": h, "hard_label": _series_label(h), "soft": s, "soft_label": _series_label(s),
                "lag": model.lag, "coef": c.coef, "ci_low": c.ci_low, "ci_high": c.ci_high,
                "p_value": c.p_value, "effect_10pct": c.effect_10pct, "effect_1pt": c.effect_1pt, "granger_p": gp,
                "same_sign": same_sign, "granger_ok": granger_ok, "alpha": alpha,
            })
    cols = ["hard", "hard_label", "soft", "soft_label", "lag", "coef", "ci_low", "ci_high", "p_value",
            "p_adjusted", "effect_10pct", "effect_1pt", "granger_p", "same_sign", "significant", "granger_ok", "robust"]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["p_adjusted"] = multipletests(out["p_value"].to_numpy(), method="holm")[1]
    out["significant"] = out["p_adjusted"] < out["alpha"]
    out["robust"] = out["significant"] & out["granger_ok"] & out["same_sign"]
    out = out[cols]
    return out.sort_values(["robust", "p_value"], ascending=[False, True], kind="stable").reset_index(drop=True)
