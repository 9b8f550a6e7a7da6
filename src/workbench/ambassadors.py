"""Ambassador selection: who engages with the brand, who rallies others, who represents the base.

The pipeline, one pure function per step (DataFrames in, new DataFrames out):

1. `interaction_edges` + `influence` (in `workbench.social_influence`, re-exported here): who
   influences whom on social networks (retweets, shares, replies, comments, likes as weighted
   directed edges) and a PageRank-style influence score.
2. `account_signals` (same module): per social account, amplification per post, conversations
   triggered, reach (followers), main topic and, when available, sentiment toward the brand,
   balance of mentions and open complaints.
3. `link_identities` (see `workbench.identity`): which social accounts belong to CRM customers.
4. `customer_signals` + `engagement_score`: per customer, normalised engagement rates across
   channels (e-mail, social, store) combined with weights given as parameters.
5. `candidate_pool`: online and offline paths (store format decides: large stores use CRM,
   loyalty and e-mail data; small stores rely on staff nominations), consent filter.
6. `select_panel`: N ambassadors maximising the score under quotas that keep the panel close to
   the customer base (region, age band, online/offline, segment), with `representativeness`
   (total variation distance per dimension) against a score-only selection.
7. `shortlist` and `compare_shortlists`: the output table and the month-over-month follow-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import segmentation
from workbench.frames import is_in, map_values
from workbench.identity import explain_links, link_identities  # noqa: F401  (public API)
from workbench.social_influence import (  # noqa: F401  (public API, re-exported)
    DEFAULT_EDGE_WEIGHTS,
    ConvergenceError,
    _check_columns,
    _isin,
    _most_frequent,
    account_signals,
    actions,
    brand_sentiment,
    influence,
    interaction_edges,
    main_topic,
    mention_sentiment,
    post_authors,
    post_topics,
)

# Default weight of each interaction type on the influence graph (parameters, shown in reports).

# --------------------------------------------------------------------------------------------
# Per-customer signals and engagement score
# --------------------------------------------------------------------------------------------

# Signals of the engagement score with their French label (shown in reports).
SIGNAL_LABELS: dict[str, str] = {
    "email_open_rate": "taux d'ouverture des e-mails",
    "email_click_rate": "taux de clic des e-mails",
    "brand_post_engagement": "réactions aux posts de la marque",
    "brand_mentions": "mentions de la marque",
    "amplification_per_post": "relais par publication",
    "conversations_per_post": "conversations suscitées",
    "influence": "influence (relais en chaîne)",
    "followers": "audience (abonnés)",
    "store_visits": "visites en magasin",
    "loyalty_points": "points de fidélité",
    "nominations": "nomination par le magasin",
}

DEFAULT_SIGNAL_WEIGHTS: dict[str, float] = {
    "email_open_rate": 1.0,
    "email_click_rate": 1.5,
    "brand_post_engagement": 1.5,
    "brand_mentions": 1.0,
    "amplification_per_post": 2.0,
    "conversations_per_post": 1.5,
    "influence": 2.0,
    "followers": 1.0,
    "store_visits": 1.0,
    "loyalty_points": 0.5,
    "nominations": 2.0,
}

ONLINE = "en ligne"
OFFLINE_LARGE = "hors ligne · grand magasin (CRM)"
OFFLINE_SMALL = "hors ligne · petit magasin (nomination)"


def report_window(month: str | pd.Period, window_months: int = 3) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end] timestamps of the `window_months` months ending with the report month."""
    if window_months < 1:
        raise ValueError(f"window_months must be >= 1, got {window_months}")
    p = pd.Period(month, freq="M")
    start = (p - (window_months - 1)).start_time
    return start, p.end_time


def panels_window(month: str | pd.Period, window_months: int = 3) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end] covering the windows of the report month's panel and of the previous
    month's (`report_window` of both): what the page's two panels read, so that the social
    actions, post topics and mention sentiment found once serve both. The previous panel's
    first month lies outside this month's window: a sentiment found over this month's window
    only would leave that month's posts without a tone (and their authors never detractors)."""
    start, _ = report_window(pd.Period(month, freq="M") - 1, window_months)
    return start, report_window(month, window_months)[1]


def signal_windows(months, window_months: int = 3) -> dict:
    """{month: (start, end)} half-open windows of the signals of report months (the
    `report_window`, end excluded one nanosecond later), for `datasets.customer_contacts`."""
    out = {}
    for m in months:
        start, end = report_window(m, window_months)
        out[pd.Period(m, freq="M")] = (start, end + pd.Timedelta(1, "ns"))
    return out


def customer_signals(
    customers: pd.DataFrame,
    transactions: pd.DataFrame | None,
    email_events: pd.DataFrame | None,
    links: pd.DataFrame,
    accounts: pd.DataFrame,
    nominations: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    nomination_start: pd.Timestamp | None = None,
    contacts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Raw engagement signals per customer over [start, end] (rates and per-month figures).

    E-mail open and click rates among e-mails sent; store visits per month; loyalty points;
    staff nominations (since `nomination_start`, default `start`: a nomination stays valid
    longer than a click); and, through `links` (customer_id, account_id), the social signals of
    `accounts` (output of `account_signals`) of the customer's accounts: rates are maxima over
    accounts, mentions, influence and followers are summed. `linked_accounts` counts them.
    `contacts`: the e-mail and purchase counts of this window from
    `datasets.customer_contacts(data_dir, signal_windows(...))`, in place of `transactions`
    and `email_events` (same signals; counts of another window are refused).
    """
    _check_columns(customers, ["customer_id", "loyalty_points"], "customer_signals(customers)")
    if contacts is None:
        _check_columns(transactions, ["customer_id", "channel", "timestamp"],
                       "customer_signals(transactions)")
        _check_columns(email_events, ["customer_id", "event", "timestamp"],
                       "customer_signals(email_events)")
    _check_columns(links, ["customer_id", "account_id"], "customer_signals(links)")
    _check_columns(nominations, ["customer_id", "date"], "customer_signals(nominations)")
    if end < start:
        raise ValueError(f"customer_signals: end {end} is before start {start}")
    months = max((end - start).days / 30.44, 1.0)
    ids = customers["customer_id"]
    out = pd.DataFrame({"customer_id": ids.to_numpy()})

    if contacts is None:
        ev = email_events[(email_events["timestamp"] >= start)
                          & (email_events["timestamp"] <= end)]
        counts = ev.groupby(["customer_id", "event"]).size().unstack(fill_value=0)
        tx = transactions[(transactions["timestamp"] >= start)
                          & (transactions["timestamp"] <= end)]
        store_tx = tx[tx["channel"] == "store"].groupby("customer_id").size()
        online_tx = tx[tx["channel"].isin(["web", "app"])].groupby("customer_id").size()
        unknown_events = int((~_isin(ev["customer_id"], ids)).sum())
    else:
        window = (contacts.attrs.get("start"), contacts.attrs.get("end"))
        if window != (start, end + pd.Timedelta(1, "ns")):
            raise ValueError(f"customer_signals: `contacts` cover [{window[0]}, {window[1]}), "
                             f"the signals need [{start}, {end}] "
                             "(use datasets.customer_contacts(data_dir, signal_windows(...)))")
        counts = contacts[["emails_sent", "emails_open", "emails_click"]].rename(
            columns=lambda c: c.removeprefix("emails_"))
        counts = counts[counts.sum(axis=1) > 0]
        store_tx = contacts.loc[contacts["store_purchases"] > 0, "store_purchases"]
        online_tx = contacts.loc[contacts["online_orders"] > 0, "online_orders"]
        unknown_events = int(counts.loc[~_isin(counts.index.to_series(), ids)].to_numpy().sum())
    for col in ("sent", "open", "click"):
        if col not in counts.columns:
            counts[col] = 0
    sent = map_values(ids, counts["sent"]).fillna(0).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["email_open_rate"] = np.where(sent > 0, map_values(ids, counts["open"]).fillna(0) / sent, 0.0)
        out["email_click_rate"] = np.where(sent > 0, map_values(ids, counts["click"]).fillna(0) / sent, 0.0)
    out["emails_sent"] = sent.astype(int)

    out["store_visits"] = map_values(ids, store_tx).fillna(0).to_numpy() / months
    out["online_orders"] = map_values(ids, online_tx).fillna(0).to_numpy() / months
    out["loyalty_points"] = customers["loyalty_points"].astype(float).fillna(0).to_numpy()

    since = (nomination_start if nomination_start is not None else start).normalize()
    nom = nominations[(nominations["date"] >= since) & (nominations["date"] <= end)]
    out["nominations"] = map_values(ids, nom.groupby("customer_id").size()).fillna(0).astype(int).to_numpy()

    social = links[["customer_id", "account_id"]].merge(accounts, on="account_id", how="inner")
    agg = social.groupby("customer_id").agg(
        linked_accounts=("account_id", "nunique"),
        brand_post_engagement=("brand_post_engagement", "max"),
        brand_mentions=("brand_mentions", "sum"),
        amplification_per_post=("amplification_per_post", "max"),
        conversations_per_post=("conversations_per_post", "max"),
        influence=("influence", "sum"),
        followers=("followers", "sum"),
        sentiment=("sentiment", "mean"),
        detractor=("detractor", "any"),
        **{c: (c, "sum") for c in ("positive_mentions", "negative_mentions", "open_complaints")
           if c in accounts.columns},
    )
    agg["main_topic"] = _most_frequent(social, "customer_id", "main_topic")
    agg["brand_mentions"] = agg["brand_mentions"] / months
    out = out.merge(agg, left_on="customer_id", right_index=True, how="left")
    for col in ("positive_mentions", "negative_mentions", "open_complaints"):
        if col not in out:
            out[col] = 0
    for col in ("linked_accounts", "brand_post_engagement", "brand_mentions",
                "amplification_per_post", "conversations_per_post", "influence", "followers",
                "positive_mentions", "negative_mentions", "open_complaints"):
        out[col] = out[col].fillna(0)
    out["linked_accounts"] = out["linked_accounts"].astype(int)
    out["detractor"] = out["detractor"].astype("boolean").fillna(False).astype(bool)
    out.attrs["email_events_unknown_customer"] = unknown_events
    out.attrs["links_unknown_customer"] = int((~_isin(links["customer_id"], ids)).sum())
    return out


def _normalise_signal(values: pd.Series) -> pd.Series:
    """0 for no activity, else the percentile rank among active customers, in (0, 1]."""
    v = values.astype(float).fillna(0.0)
    pos = v > 0
    out = pd.Series(0.0, index=v.index)
    if pos.any():
        out[pos] = v[pos].rank(pct=True, method="average")
    return out


def engagement_score(
    signals: pd.DataFrame, weights: dict[str, float] | None = None, top_k: int = 3,
    explain: bool = True,
) -> pd.DataFrame:
    """Weighted engagement score in [0, 1] from normalised signals, with its top contributors.

    Each signal is normalised (percentile rank among active customers, 0 when inactive) so that
    rates and heavy-tailed counts weigh alike; the score is the weighted mean. `contrib_<signal>`
    is each signal's share of the score; `top_signals` names (in French) the `top_k` largest;
    `explanation` gives every signal that counted, largest first, with its share of the score
    (French text, never cut: "influence (relais en chaîne) 31 % · relais par publication 22 % · …").
    `explain=False` leaves the two texts out (`explain_scores` adds them to the rows shown:
    a million customers' texts cost more than the score itself).
    """
    w = {**DEFAULT_SIGNAL_WEIGHTS, **(weights or {})}
    unknown = sorted(set(w) - set(SIGNAL_LABELS))
    if unknown:
        raise ValueError(f"engagement_score: unknown signal(s) {unknown}; known: {list(SIGNAL_LABELS)}")
    if any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise ValueError("engagement_score: weights must be >= 0 with a positive total")
    _check_columns(signals, ["customer_id", *w], "engagement_score(signals)")
    total = float(sum(w.values()))
    contrib = pd.DataFrame(
        {f"contrib_{k}": _normalise_signal(signals[k]) * (v / total) for k, v in w.items()},
        index=signals.index,
    )
    out = signals[["customer_id"]].copy()
    out["score"] = contrib.sum(axis=1)
    if explain:
        texts = explain_scores(contrib, top_k)
        out["top_signals"] = texts["top_signals"].to_numpy()
        out["explanation"] = texts["explanation"].to_numpy()
    return pd.concat([out, contrib], axis=1)


def _explained(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (with `score` and the contrib_ columns) with `top_signals` and `explanation` after
    `score`, as `engagement_score` places them."""
    texts = explain_scores(rows)
    out = rows.copy()
    at = out.columns.get_loc("score") + 1
    out.insert(at, "top_signals", texts["top_signals"].to_numpy())
    out.insert(at + 1, "explanation", texts["explanation"].to_numpy())
    out.attrs = dict(rows.attrs)
    return out


def explain_scores(scored: pd.DataFrame, top_k: int = 3) -> pd.DataFrame:
    """`top_signals` and `explanation` (see `engagement_score`) of the rows of `scored`, from
    their `contrib_<signal>` columns (in their order), aligned with `scored`."""
    contrib = [c for c in scored.columns if c.startswith("contrib_")]
    names = np.array([SIGNAL_LABELS[c.removeprefix("contrib_")] for c in contrib])
    values = scored[contrib].to_numpy(dtype=float)
    order = np.argsort(-values, axis=1, kind="stable")
    score = values.sum(axis=1)
    tops, explanations = [], []
    for row, all_idx, sc in zip(values, order, score, strict=True):
        tops.append(", ".join(names[i] for i in all_idx[:top_k] if row[i] > 0))
        explanations.append(" · ".join(f"{names[i]} {round(100 * row[i] / sc)} %" for i in all_idx
                                       if row[i] > 0 and round(100 * row[i] / sc) > 0)
                            if sc > 0 else "aucun signal")
    return pd.DataFrame({"top_signals": tops, "explanation": explanations}, index=scored.index)


# --------------------------------------------------------------------------------------------
# Pool: online and offline paths, nominations, consent
# --------------------------------------------------------------------------------------------

def age_band(birth_year: pd.Series, year: int) -> pd.Series:
    """French age band label ('18-24', ..., '65+', 'inconnu') at `year`: the segmentation's bands."""
    return segmentation.age_band(year - pd.to_numeric(birth_year, errors="coerce"))


def customer_profile(
    customers: pd.DataFrame,
    links: pd.DataFrame,
    year: int,
    segments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The diversity dimensions of every customer: region, age band, online/offline, segment.

    `online` = "en ligne" when the customer owns a linked social account, else "hors ligne".
    Missing values become explicit categories ("inconnue"/"inconnu"), never dropped.
    """
    out = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy()})
    out["region"] = customers["region"].astype(object).fillna("inconnue").to_numpy()
    out["age_band"] = age_band(customers["birth_year"], year).to_numpy()
    linked = is_in(out["customer_id"], links["customer_id"])
    out["online"] = np.where(linked, "en ligne", "hors ligne")
    if segments is not None:
        _check_columns(segments, ["customer_id", "segment"], "customer_profile(segments)")
        seg = segments.drop_duplicates("customer_id").set_index("customer_id")["segment"]
        out["segment"] = map_values(out["customer_id"], seg).astype(object).fillna("inconnu")
    return out


# why a customer is left out of the pool (`candidate_pool`'s `exclusion`), and the reason of a
# move in or out of the shortlist when that changed between the months (`compare_shortlists`)
_NO_CONSENT = "pas de consentement"
_DETRACTOR = "détracteur (plus de mentions négatives que positives)"
_COMPLAINT = "réclamation sans réponse"
_ENTRY_REASON = {_NO_CONSENT: "consentement donné", _DETRACTOR: "n'est plus détracteur",
                 _COMPLAINT: "réclamation traitée (plus de message négatif sans réponse)"}
_EXIT_REASON = {_NO_CONSENT: "consentement retiré", _DETRACTOR: "devenu détracteur",
                _COMPLAINT: "réclamation sans réponse"}


def candidate_pool(
    customers: pd.DataFrame,
    stores: pd.DataFrame,
    scored: pd.DataFrame,
    signals: pd.DataFrame,
    nominations: pd.DataFrame,
    staff_formats=None,
    exclude_risks: bool = True,
) -> pd.DataFrame:
    """Candidates with their path, store, nomination and consent status.

    `staff_formats`: the store formats that recruit through staff nominations (the retailer
    profile's `recruiting: staff`); None = the formats whose stores nominate in the data.

    Paths: "en ligne" (linked social account); offline customers of a large store (or without
    a store) are scored from CRM, loyalty and e-mail data; offline customers of a small store
    enter through staff nominations only. Nominated customers are always kept (flag
    `nominated`); those with no activity signal besides the nomination are `unscored`.
    Only `ambassador_consent` customers are `eligible`; with `exclude_risks` (default) neither
    are detractors (negative balance of mentions or low sentiment) nor customers with an open
    complaint (a negative post about the brand left unanswered): `exclusion` says why a
    candidate is not eligible (French). Counts in `attrs`: nominations of unknown customers,
    small-store customers without nomination, customers without consent, detractors and
    open complaints excluded.
    """
    fmt = stores.set_index("store_id")["format"]
    base = customers[["customer_id", "home_store_id", "ambassador_consent"]].rename(
        columns={"home_store_id": "store_id"}
    )
    base = base.merge(scored, on="customer_id", how="left").merge(
        signals[["customer_id", "linked_accounts", "nominations", "detractor", "sentiment",
                 "main_topic", "influence", "followers",
                 *[c for c in ("positive_mentions", "negative_mentions", "open_complaints")
                   if c in signals.columns]]],
        on="customer_id", how="left",
    )
    base["store_format"] = base["store_id"].map(fmt)
    online = base["linked_accounts"].fillna(0) > 0
    if staff_formats is None:
        nominating = nominations["store_id"].unique() if "store_id" in nominations else []
        staff_formats = set(fmt.reindex(nominating).dropna())
    small = base["store_format"].isin(list(staff_formats))
    base["path"] = np.where(online, ONLINE, np.where(small, OFFLINE_SMALL, OFFLINE_LARGE))
    base["nominated"] = base["nominations"].fillna(0) > 0
    contrib = [c for c in base.columns if c.startswith("contrib_") and c != "contrib_nominations"]
    base["unscored"] = base["nominated"] & (base[contrib].fillna(0).sum(axis=1) == 0)
    in_pool = (base["path"] != OFFLINE_SMALL) | base["nominated"]
    unknown_nom = ~_isin(nominations["customer_id"], customers["customer_id"])
    pool = base[in_pool].copy()
    consent = pool["ambassador_consent"].astype(bool)
    detractor = pool["detractor"].astype("boolean").fillna(False).astype(bool)
    complaint = (pool["open_complaints"].fillna(0) > 0 if "open_complaints" in pool
                 else pd.Series(False, index=pool.index))
    pool["eligible"] = consent & ~((detractor | complaint) & exclude_risks)
    pool["exclusion"] = np.select(
        [~consent, detractor & exclude_risks, complaint & exclude_risks],
        [_NO_CONSENT, _DETRACTOR, _COMPLAINT], "")
    pool = pool.sort_values(["score", "customer_id"], ascending=[False, True], kind="mergesort")
    pool = pool.reset_index(drop=True)
    pool.attrs.update(
        {
            "customers": int(len(base)),
            "small_store_not_nominated": int((~in_pool).sum()),
            "nominations": int(len(nominations)),
            "nominations_unknown_customer": int(unknown_nom.sum()),
            "nominated_unscored": int(pool["unscored"].sum()),
            "excluded_no_consent": int((~consent).sum()),
            "excluded_detractors": int((consent & detractor & exclude_risks).sum()),
            "excluded_open_complaints": int((consent & ~detractor & complaint & exclude_risks).sum()),
            "eligible": int(pool["eligible"].sum()),
        }
    )
    return pool


# --------------------------------------------------------------------------------------------
# Diverse selection and representativeness
# --------------------------------------------------------------------------------------------


def _quotas(shares: pd.Series, n: int) -> dict:
    """Integer quotas summing to n, proportional to shares (largest remainder)."""
    raw = shares * n
    q = np.floor(raw).astype(int)
    rest = n - int(q.sum())
    order = (raw - q).sort_values(ascending=False, kind="mergesort").index[:rest]
    q[order] += 1
    return q.to_dict()


def select_panel(
    pool: pd.DataFrame,
    base: pd.DataFrame,
    n: int,
    dimensions: list[str],
    score_col: str = "score",
) -> pd.DataFrame:
    """Choose n eligible candidates maximising the score under quotas matching the base.

    For each dimension (e.g. region, age band, online/offline, segment) every category gets a
    quota proportional to its share of the customer `base` (one row per customer with the
    dimension columns). Candidates are taken by decreasing score when they fit every quota;
    if the quotas cannot all be met (too few candidates of a kind), they are relaxed one seat
    at a time. Only `eligible` candidates are selectable. Returns the panel with `rank`.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    _check_columns(base, ["customer_id", *dimensions], "select_panel(base)")
    _check_columns(pool, ["customer_id", "eligible", score_col], "select_panel(pool)")
    cand = pool[pool["eligible"].astype(bool)].drop(columns=dimensions, errors="ignore")
    cand = cand.merge(base[["customer_id", *dimensions]], on="customer_id", how="left")
    cand = cand.sort_values([score_col, "customer_id"], ascending=[False, True], kind="mergesort")
    cand = cand.reset_index(drop=True)
    if len(cand) <= n:
        out = cand.copy()
        out["rank"] = np.arange(1, len(out) + 1)
        return out
    quotas = {d: _quotas(base[d].value_counts(normalize=True), n) for d in dimensions}
    cats = {d: cand[d].to_numpy() for d in dimensions}
    chosen: list[int] = []
    taken = np.zeros(len(cand), dtype=bool)
    counts = {d: dict.fromkeys(quotas[d], 0) for d in dimensions}
    slack = 0
    while len(chosen) < n:
        for i in range(len(cand)):
            if len(chosen) >= n:
                break
            if taken[i]:
                continue
            if all(counts[d].get(cats[d][i], 0) < quotas[d].get(cats[d][i], 0) + slack
                   for d in dimensions):
                taken[i] = True
                chosen.append(i)
                for d in dimensions:
                    counts[d][cats[d][i]] = counts[d].get(cats[d][i], 0) + 1
        slack += 1
    out = cand.iloc[sorted(chosen)].copy()
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs["quota_slack"] = slack - 1
    return out.reset_index(drop=True)


def score_only_panel(pool: pd.DataFrame, n: int, score_col: str = "score") -> pd.DataFrame:
    """The n eligible candidates with the highest score, ignoring diversity (the benchmark)."""
    cand = pool[pool["eligible"].astype(bool)]
    cand = cand.sort_values([score_col, "customer_id"], ascending=[False, True], kind="mergesort")
    out = cand.head(n).copy()
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)


def representativeness(panel: pd.DataFrame, base: pd.DataFrame, dimensions: list[str]) -> pd.Series:
    """Total variation distance (0 = same mix as the base, 1 = disjoint) per dimension."""
    sel = base[is_in(base["customer_id"], panel["customer_id"])]
    out = {}
    for d in dimensions:
        p = sel[d].value_counts(normalize=True)
        q = base[d].value_counts(normalize=True)
        p, q = p.align(q, fill_value=0.0)
        out[d] = 0.5 * float(np.abs(p - q).sum())
    return pd.Series(out, name="distance")


def compare_representativeness(
    diverse: pd.DataFrame, score_only: pd.DataFrame, base: pd.DataFrame, dimensions: list[str]
) -> pd.DataFrame:
    """Distance per dimension (and mean) of the diverse panel next to the score-only one."""
    out = pd.DataFrame(
        {
            "diverse": representativeness(diverse, base, dimensions),
            "score_only": representativeness(score_only, base, dimensions),
        }
    )
    out.loc["moyenne"] = out.mean()
    return out


# --------------------------------------------------------------------------------------------
# Shortlist and month-over-month follow-up
# --------------------------------------------------------------------------------------------

SHORTLIST_COLUMNS = [
    "rank", "customer_id", "score", "top_signals", "explanation", "store_id", "store_format", "path",
    "nominated", "unscored", "detractor", "main_topic",
]

# French headers for reports.
SHORTLIST_LABELS = {
    "rank": "rang",
    "customer_id": "id client",
    "score": "score d'engagement",
    "top_signals": "signaux principaux",
    "explanation": "pourquoi (part de chaque signal dans le score)",
    "topics": "sujets",
    "store_id": "magasin",
    "store_format": "format du magasin",
    "path": "parcours",
    "nominated": "nommé par le magasin",
    "unscored": "nommé, non scoré",
    "detractor": "détracteur",
    "main_topic": "sujet principal",
}


def shortlist(panel: pd.DataFrame, topics: pd.Series | None = None) -> pd.DataFrame:
    """The ambassador shortlist: pseudonymous id, why (every signal's share), store, path, flags.

    `topics`: per customer_id, what they care about beyond their posts (e.g. the product
    interests of `workbench.interests`, French labels); `topics` joins the main topic of their
    posts and these, "aucun sujet repéré" when neither is known (never missing)."""
    _check_columns(panel, SHORTLIST_COLUMNS, "shortlist(panel)")
    out = panel[SHORTLIST_COLUMNS].copy()
    extra = (out["customer_id"].map(topics) if topics is not None
             else pd.Series(None, index=out.index, dtype=object))
    out["topics"] = [
        " ; ".join(t for t in (f"publications : {a}" if isinstance(a, str) and a else None,
                               f"achats : {b}" if isinstance(b, str) and b else None) if t)
        or "aucun sujet repéré"
        for a, b in zip(out["main_topic"], extra, strict=True)]
    out["score"] = out["score"].astype(float).round(4)
    for c in ("nominated", "unscored", "detractor"):
        out[c] = out[c].fillna(False).astype(bool)
    out["store_format"] = out["store_format"].astype(object)
    return out.reset_index(drop=True)


def _fr(x: float) -> str:
    """0.12 -> '0,12' (French decimal comma)."""
    return f"{float(x):.2f}".replace(".", ",")


def compare_shortlists(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    previous_pool: pd.DataFrame,
    current_pool: pd.DataFrame,
) -> pd.DataFrame:
    """Who entered and who left the shortlist since last month, and why (French reason).

    A customer excluded one month and not the other moved for the reason of the exclusion
    (`candidate_pool`'s `exclusion`: consent, detractor or unanswered complaint); pools without
    that column are read as excluded for consent."""
    prev_ids, cur_ids = set(previous["customer_id"]), set(current["customer_id"])
    pp = previous_pool.set_index("customer_id")
    cp = current_pool.set_index("customer_id")

    def excluded_for(pool, cid) -> str:  # (never "" for a customer not eligible)
        return str(pool.at[cid, "exclusion"]) if "exclusion" in pool.columns else _NO_CONSENT

    rows = []
    for cid in sorted(cur_ids - prev_ids):
        if cid not in pp.index:
            why = "nouveau dans le vivier"
        elif not bool(pp.at[cid, "eligible"]):
            why = _ENTRY_REASON[excluded_for(pp, cid)]
        elif bool(cp.at[cid, "nominated"]) and not bool(pp.at[cid, "nominated"]):
            why = "nouvelle nomination par le magasin"
        elif cp.at[cid, "score"] > pp.at[cid, "score"]:
            why = f"score en hausse ({_fr(pp.at[cid, 'score'])} → {_fr(cp.at[cid, 'score'])})"
        else:
            why = "place libérée dans son quota de diversité"
        rows.append({"customer_id": cid, "mouvement": "entrée", "raison": why})
    for cid in sorted(prev_ids - cur_ids):
        if cid not in cp.index:
            why = "sorti du vivier (plus de signal ni de nomination)"
        elif not bool(cp.at[cid, "eligible"]):
            why = _EXIT_REASON[excluded_for(cp, cid)]
        elif cp.at[cid, "score"] < pp.at[cid, "score"]:
            why = f"score en baisse ({_fr(pp.at[cid, 'score'])} → {_fr(cp.at[cid, 'score'])})"
        else:
            why = "dépassé par d'autres candidats de son quota"
        rows.append({"customer_id": cid, "mouvement": "sortie", "raison": why})
    return pd.DataFrame(rows, columns=["customer_id", "mouvement", "raison"])


# --------------------------------------------------------------------------------------------
# One month, end to end
# --------------------------------------------------------------------------------------------

TABLES_NEEDED = (
    "customers", "stores", "transactions", "email_events", "social_accounts", "mentions",
    "interactions", "brand_posts", "staff_nominations",
)
# the same when the e-mail and purchase counts come from `datasets.customer_contacts`
TABLES_NEEDED_WITH_CONTACTS = tuple(t for t in TABLES_NEEDED
                                    if t not in ("transactions", "email_events"))


def build_panel(
    tables: dict[str, pd.DataFrame],
    month: str | pd.Period,
    brand: str,
    links: pd.DataFrame,
    n: int = 50,
    signal_weights: dict[str, float] | None = None,
    edge_weights: dict[str, float] | None = None,
    window_months: int = 3,
    dimensions: tuple[str, ...] = ("region", "age_band", "online"),
    segments: pd.DataFrame | None = None,
    sentiment: pd.Series | None = None,
    detractor_threshold: float = -0.2,
    nomination_months: int = 12,
    contacts: pd.DataFrame | None = None,
    topics: pd.Series | None = None,
    taxonomy=None,
    exclude_risks: bool = True,
    base: pd.DataFrame | None = None,
    post_topics: pd.Series | None = None,  # noqa: F811 - the topics computed by `post_topics` (public name)
    authors: pd.Series | None = None,
    acts: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """All the steps for one report month; returns every intermediate table by name.

    `links` comes from `link_identities` (run once, it does not depend on the month);
    `sentiment` is an optional polarity per mention_id (see `mention_sentiment`): accounts whose
    mean polarity is below `detractor_threshold` are flagged detractors (kept, never dropped);
    `segments` (customer_id, segment) adds the segment dimension to the quotas. Signals cover
    the `window_months` months ending with `month`; staff nominations stay valid
    `nomination_months` months. `contacts` = this month's e-mail and purchase counts
    (`datasets.customer_contacts`), in place of the `transactions` and `email_events` tables.
    `exclude_risks`: see `candidate_pool`. `base`: the customers' diversity dimensions
    (`customer_profile`) when already built (e.g. with segments), else built here.
    `post_topics`: the topic of each post (`post_topics`), computed once for several months.
    `authors`: the author of each post (`post_authors`, returned as "authors"): give the first
    month's to the second month's call. `acts`: the social actions (`actions`, with the
    `social_accounts` table) over a window that holds this month's, e.g. both months' windows:
    found once for both calls (the post authors and tagged handles of millions of rows).
    """
    needed = TABLES_NEEDED if contacts is None else TABLES_NEEDED_WITH_CONTACTS
    missing = [t for t in needed if t not in tables]
    if missing:
        raise ValueError(f"build_panel: missing table(s) {missing}")
    t = tables
    start, end = report_window(month, window_months)
    if authors is None:
        authors = post_authors(t["mentions"], t["brand_posts"])
    if acts is None:
        acts = actions(t["mentions"], t["interactions"], t["brand_posts"], start, end, t["social_accounts"],
                       authors)
    edges = interaction_edges(t["mentions"], t["interactions"], t["brand_posts"], edge_weights,
                              start, end, t["social_accounts"], authors=authors, acts=acts)
    accounts = account_signals(t["social_accounts"], t["mentions"], t["interactions"],
                               t["brand_posts"], edges, brand, start, end, sentiment,
                               detractor_threshold, taxonomy, topics=post_topics, authors=authors, acts=acts)
    nomination_start, _ = report_window(month, max(nomination_months, window_months))
    signals = customer_signals(t["customers"], t.get("transactions"), t.get("email_events"), links,
                               accounts, t["staff_nominations"], start, end, nomination_start,
                               contacts=contacts)
    if base is None:
        base = customer_profile(t["customers"], links, pd.Period(month, freq="M").year, segments)
    chosen = select_ambassadors(signals, base, t["customers"], t["stores"],
                                t["staff_nominations"], n, signal_weights, dimensions, topics=topics,
                                exclude_risks=exclude_risks)
    return {"edges": edges, "accounts": accounts, "signals": signals, "base": base, "authors": authors,
            **chosen}


def select_ambassadors(
    signals: pd.DataFrame,
    base: pd.DataFrame,
    customers: pd.DataFrame,
    stores: pd.DataFrame,
    nominations: pd.DataFrame,
    n: int = 50,
    signal_weights: dict[str, float] | None = None,
    dimensions: tuple[str, ...] = ("region", "age_band", "online"),
    topics: pd.Series | None = None,
    exclude_risks: bool = True,
) -> dict[str, pd.DataFrame]:
    """Score, pool, diverse and score-only panels, representativeness and shortlist.

    The fast part of `build_panel` (no graph, no linkage): re-run it to re-weight the signals.
    The `segment` dimension is added when `base` has it. The panels carry `top_signals` and
    `explanation` (`explain_scores`); `scored` and `pool` (every customer) do not.
    """
    dims = list(dimensions)
    if "segment" in base.columns and "segment" not in dims:
        dims.append("segment")
    scored = engagement_score(signals, signal_weights, explain=False)
    pool = candidate_pool(customers, stores, scored, signals, nominations, exclude_risks=exclude_risks)
    diverse = _explained(select_panel(pool, base, n, dims))
    score_only = _explained(score_only_panel(pool, n))
    return {
        "scored": scored,
        "pool": pool,
        "panel": diverse,
        "score_only": score_only,
        "representativeness": compare_representativeness(diverse, score_only, base, dims),
        "shortlist": shortlist(diverse, topics),
    }
