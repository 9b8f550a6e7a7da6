"""Social influence of accounts: who rallies others, about what, and in which tone.

The social half of the ambassador pipeline (`workbench.ambassadors` re-exports every public
name, so `ambassadors.influence` etc. keep working):

* `interaction_edges` + `influence`: retweets, shares, replies, comments, likes and @-tags as
  weighted directed edges, and a PageRank-style influence score per account;
* `account_signals`: per person account, participation, amplification, conversations, reach,
  main topic and, with a sentiment score per mention, the balance of positive and negative
  posts about the brand, unanswered negative posts (open complaints) and the detractor flag;
* `main_topic` (the retailer's taxonomy), `brand_sentiment`, `mention_sentiment`: the theme and
  tone of posts.

Pure functions of DataFrames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from workbench.frames import is_in, keys_are_unique, map_values

DEFAULT_EDGE_WEIGHTS: dict[str, float] = {
    "retweet": 1.0,
    "share": 1.0,
    "reply": 0.7,
    "comment": 0.7,
    "like": 0.2,
    "mention": 0.5,
}


class ConvergenceError(RuntimeError):
    """The influence power iteration did not converge."""


# --------------------------------------------------------------------------------------------
# Influence
# --------------------------------------------------------------------------------------------


def _isin(values: pd.Series, allowed) -> np.ndarray:
    """`values.isin(allowed)` as a boolean array, by hashing: pandas' isin on Arrow-backed text
    turns every allowed value into a Python object first (seconds for a million ids)."""
    index = pd.Index(pd.Series(allowed, dtype=object)).unique()
    return index.get_indexer(pd.Index(values, dtype=object)) >= 0


def _check_columns(df: pd.DataFrame, needed: list[str], what: str) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; got {list(df.columns)}")


def influence(
    edges: pd.DataFrame,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> pd.DataFrame:
    """PageRank-style influence of each account on a weighted directed interaction graph.

    `edges` has `source`, `target`, `weight`: *source influences target* (e.g. target retweeted
    source). Credit flows back from the amplifier to the amplified: the PageRank is computed on
    the reversed graph (target -> source), with out-weights normalised, dangling accounts
    spreading their credit uniformly and teleportation `1 - damping` (same conventions as
    `networkx.pagerank`). Duplicate (source, target) pairs are summed; self-loops (an account
    amplifying itself) are excluded and counted in `result.attrs["self_loops_excluded"]`.

    Returns one row per account: `account_id`, `influence` (sums to 1, higher = more
    influential), `amplifiers` (distinct accounts that amplified it), `amplification`
    (total incoming weight); sorted by influence descending (ties by account_id).
    """
    _check_columns(edges, ["source", "target", "weight"], "influence(edges)")
    if not 0 < damping < 1:
        raise ValueError(f"damping must be in (0, 1), got {damping}")
    src = edges["source"]
    tgt = edges["target"]
    if src.isna().any() or tgt.isna().any():
        n = int(src.isna().sum() + tgt.isna().sum())
        raise ValueError(f"influence(edges): {n} missing source/target account id(s)")
    w = pd.to_numeric(edges["weight"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise ValueError(
            f"influence(edges): {int(bad.sum())} weight(s) missing, infinite or negative "
            f"(first rows: {list(edges.index[bad][:5])}); weights must be finite and >= 0"
        )

    codes, ids = pd.factorize(pd.concat([src, tgt], ignore_index=True), sort=True)
    n_nodes = len(ids)
    if n_nodes == 0:
        out = pd.DataFrame(
            {"account_id": pd.Series([], dtype=str), "influence": [], "amplifiers": [],
             "amplification": []}
        )
        out.attrs["self_loops_excluded"] = 0
        return out
    s_code = codes[: len(src)]
    t_code = codes[len(src):]
    loops = s_code == t_code
    keep = ~loops
    s_code, t_code, w = s_code[keep], t_code[keep], w[keep]

    # Reversed-credit matrix: row = amplifier (target), column = amplified (source).
    credit = sparse.csr_matrix((w, (t_code, s_code)), shape=(n_nodes, n_nodes))
    credit.sum_duplicates()
    out_weight = np.asarray(credit.sum(axis=1)).ravel()
    dangling = out_weight == 0
    inv = np.zeros(n_nodes)
    inv[~dangling] = 1.0 / out_weight[~dangling]
    transition = sparse.diags(inv) @ credit  # row-stochastic on non-dangling rows
    transition_t = transition.T.tocsr()

    x = np.full(n_nodes, 1.0 / n_nodes)
    for _ in range(max_iter):
        x_prev = x
        x = damping * (transition_t @ x_prev)
        x += (damping * x_prev[dangling].sum() + (1 - damping)) / n_nodes
        if np.abs(x - x_prev).sum() < n_nodes * tol:
            break
    else:
        raise ConvergenceError(
            f"influence: power iteration did not converge in {max_iter} iterations "
            f"({n_nodes} accounts); raise max_iter or tol"
        )
    x = x / x.sum()

    incoming = sparse.csr_matrix(
        (np.ones_like(w), (s_code, t_code)), shape=(n_nodes, n_nodes)
    )
    incoming.sum_duplicates()
    amplifiers = np.diff(incoming.indptr)
    amplification = np.asarray(credit.sum(axis=0)).ravel()
    out = pd.DataFrame(
        {
            "account_id": pd.Series(ids, dtype=str),
            "influence": x,
            "amplifiers": amplifiers.astype("int64"),
            "amplification": amplification,
        }
    )
    out = out.sort_values(["influence", "account_id"], ascending=[False, True], kind="mergesort")
    out = out.reset_index(drop=True)
    out.attrs["self_loops_excluded"] = int(loops.sum())
    return out


# --------------------------------------------------------------------------------------------
# Interaction graph
# --------------------------------------------------------------------------------------------


def _in_window(df: pd.DataFrame, start, end) -> pd.DataFrame:
    """Rows whose `timestamp` is in [start, end] (an open side when None)."""
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= df["timestamp"] >= start
    if end is not None:
        keep &= df["timestamp"] <= end
    return df[keep]


def post_authors(mentions: pd.DataFrame, brand_posts: pd.DataFrame) -> pd.Series:
    """post id (mention_id or brand post_id) -> author account_id (the first when an id repeats):
    who is amplified or answered, for `interaction_edges` and `account_signals` (any window)."""
    ids = pd.concat([mentions["mention_id"], brand_posts["post_id"]], ignore_index=True)
    authors = pd.concat([mentions["account_id"], brand_posts["account_id"]], ignore_index=True)
    out = pd.Series(authors.array, index=pd.Index(ids.array))
    if keys_are_unique(ids):  # ids are keys: no repeat
        return out
    return out[~out.index.duplicated(keep="first")]


_TAG_RE = r"@([A-Za-z0-9_.]+)"


def _tagged_accounts(mentions: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """(source = tagged account, target = author, type 'mention') for @handles in original posts."""
    orig = mentions[mentions["retweet_of"].isna()]
    orig = orig[orig["text"].astype(str).str.contains("@", regex=False).to_numpy(bool)]  # most have none
    tags = orig["text"].astype(str).str.findall(_TAG_RE)
    ex = pd.DataFrame({"target": orig["account_id"].to_numpy(), "platform": orig["platform"].to_numpy(),
                       "handle": tags.to_numpy(), "timestamp": orig["timestamp"].to_numpy()}
                      ).explode("handle").dropna(subset=["handle"])
    if ex.empty:
        return pd.DataFrame(columns=["post", "target", "type", "source", "timestamp"])
    key = accounts.assign(handle=accounts["handle"].astype(str).str.lower().str.rstrip("."))
    key = key.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])["account_id"]
    ex["handle"] = ex["handle"].str.lower().str.rstrip(".")
    ex["source"] = pd.MultiIndex.from_frame(ex[["platform", "handle"]]).map(key)
    ex = ex[ex["source"].notna()]
    return pd.DataFrame({"post": None, "target": ex["target"].to_numpy(), "type": "mention",
                         "source": ex["source"].to_numpy(), "timestamp": ex["timestamp"].to_numpy()})


# where an action comes from (`actions`' `origin`): the amplification and conversation signals
# count retweets and replies of mentions, and shares, retweets and comments of interactions
MENTION_RETWEET, MENTION_REPLY, INTERACTION, TAG = 0, 1, 2, 3


def actions(
    mentions: pd.DataFrame,
    interactions: pd.DataFrame,
    brand_posts: pd.DataFrame,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    accounts: pd.DataFrame | None = None,
    authors: pd.Series | None = None,
) -> pd.DataFrame:
    """Every action of [start, end] (open sides when None) that can make an influence edge, one
    row each: `target` (who acted), `type`, `source` (the author of the post acted on, missing
    when the post is unknown), `timestamp` and `origin` (MENTION_RETWEET, MENTION_REPLY,
    INTERACTION or TAG). Rows: retweets then replies of `mentions`, then `interactions`, then
    (with `accounts`) the @handles tagged in original mentions (`source` = the tagged account,
    `type` 'mention'). Computed once for the windows of several months (`interaction_edges`
    and `account_signals` take the rows of their own window, in the same order).
    `authors`: `post_authors(mentions, brand_posts)` when already computed."""
    _check_columns(mentions, ["mention_id", "account_id", "timestamp", "reply_to", "retweet_of"],
                   "interaction_edges(mentions)")
    _check_columns(interactions, ["post_id", "account_id", "type", "timestamp"],
                   "interaction_edges(interactions)")
    _check_columns(brand_posts, ["post_id", "account_id"], "interaction_edges(brand_posts)")
    authors = post_authors(mentions, brand_posts) if authors is None else authors
    m = _in_window(mentions, start, end)
    it = _in_window(interactions, start, end)
    parts = []
    for col, kind, origin in (("retweet_of", "retweet", MENTION_RETWEET), ("reply_to", "reply", MENTION_REPLY)):
        sub = m[m[col].notna()]
        parts.append(pd.DataFrame({"post": sub[col].to_numpy(), "target": sub["account_id"].to_numpy(),
                                   "type": kind, "timestamp": sub["timestamp"].to_numpy(), "origin": origin}))
    parts.append(pd.DataFrame({"post": it["post_id"].to_numpy(), "target": it["account_id"].to_numpy(),
                               "type": it["type"].astype(str).to_numpy(), "timestamp": it["timestamp"].to_numpy(),
                               "origin": INTERACTION}))
    acts = pd.concat(parts, ignore_index=True)
    acts["source"] = map_values(acts["post"], authors)
    tagged = _tagged_accounts(m, accounts) if accounts is not None else None
    if tagged is not None and len(tagged):
        acts = pd.concat([acts, tagged.assign(origin=TAG)], ignore_index=True)
    acts["origin"] = acts["origin"].astype(np.int8)
    return acts[["target", "type", "source", "timestamp", "origin"]]


def _window_actions(acts: pd.DataFrame, start, end) -> pd.DataFrame:
    """The rows of `actions` in [start, end], in their order."""
    return _in_window(acts, start, end)


def interaction_edges(
    mentions: pd.DataFrame,
    interactions: pd.DataFrame,
    brand_posts: pd.DataFrame,
    weights: dict[str, float] | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    accounts: pd.DataFrame | None = None,
    authors: pd.Series | None = None,
    acts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Weighted directed edges *source influences target* from retweets, replies and reactions.

    - a mention retweeting (`retweet_of`) or replying to (`reply_to`) a post: the post's author
      influences the mention's author (types `retweet`, `reply`);
    - an interaction (like, share, retweet, comment) on a mention or a brand post: the post's
      author influences the account that interacted;
    - when `accounts` (account_id, platform, handle) is given, an account tagged with `@handle`
      in an original mention influences its author (type `mention`).
    Only actions in [start, end] count (when given). Edges are summed per (source, target);
    `weight` = sum of the type weights (`DEFAULT_EDGE_WEIGHTS` unless given). Actions whose post
    cannot be found are not edges: they are counted in `attrs["unresolved_posts"]`.
    `authors`: `post_authors(mentions, brand_posts)` when already computed (it has no window).
    `acts`: `actions(...)` over a window containing [start, end] (with the same `accounts`),
    when already computed for several months.
    """
    w = {**DEFAULT_EDGE_WEIGHTS, **(weights or {})}
    if acts is None:
        acts = actions(mentions, interactions, brand_posts, start, end, accounts, authors)
    else:
        acts = _window_actions(acts, start, end)
    acts = acts[["target", "type", "source"]]
    unknown_types = sorted(set(acts["type"]) - set(w))
    if unknown_types:
        raise ValueError(f"interaction_edges: no weight for interaction type(s) {unknown_types}")
    unresolved = int(acts["source"].isna().sum())
    acts = acts[acts["source"].notna()]
    acts["weight"] = acts["type"].map(w).astype(float)
    counts = acts.groupby("type").size().to_dict()
    edges = (
        acts.groupby(["source", "target"], sort=True, as_index=False)["weight"].sum()
    )
    edges = edges[edges["weight"] > 0].reset_index(drop=True)
    edges.attrs.update({"unresolved_posts": unresolved, "actions_by_type": counts})
    return edges


# --------------------------------------------------------------------------------------------
# Per-account social signals
# --------------------------------------------------------------------------------------------

def _most_frequent(df: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Most frequent non-null `value` per `key` (ties: first in alphabetical order)."""
    counts = df[[key, value]].dropna().value_counts().rename("n").reset_index()
    counts = counts.sort_values(["n", value], ascending=[False, True], kind="mergesort")
    return counts.drop_duplicates(key).set_index(key)[value]


def main_topic(texts: pd.Series, taxonomy=None) -> pd.Series:
    """The theme of each text by the retailer's taxonomy (`concepts.tag_themes`: the profile's
    taxonomy file, or the default one), as its French label; None when no rule matches."""
    from workbench import concepts

    tax = taxonomy or concepts.default_taxonomy()
    tags = concepts.tag_themes(pd.Series(texts.astype(object).fillna("").to_numpy(), index=texts.index), tax)
    labels = tax.labels
    return tags["theme"].map(lambda t: labels.get(t)).astype(object).where(tags["theme"].isin(list(labels)), None)


def post_topics(mentions: pd.DataFrame, brand: str, start=None, end=None, taxonomy=None,
                saved: pd.DataFrame | None = None, month=None) -> pd.Series:
    """`main_topic` of each original post about `brand` in [start, end], indexed by mention_id
    (None when no rule matches), for `account_signals(topics=...)`: computed once for the
    windows of several months. `saved`/`month`: the listening notebook's `mention_scores` of
    that month, whose tags are reused (the tagger's own theme: a reply's theme inherited from
    its parent is not taken)."""
    from workbench import concepts

    m = _in_window(mentions, start, end)
    m = m[(m["brand"] == brand).to_numpy(bool) & m["retweet_of"].isna().to_numpy(bool)]
    if saved is None or month is None:
        return pd.Series(main_topic(m["text"], taxonomy).to_numpy(), index=m["mention_id"].to_numpy(),
                         dtype=object, name="main_topic")
    tax = taxonomy or concepts.default_taxonomy()
    tags = concepts.mention_tags(m, saved, month, taxonomy=tax, with_sentiment=False)
    own = tags["theme"].where(tags["themes"].astype(str) != "", concepts.UNTAGGED)  # before inheritance
    labels = tax.labels
    topic = own.map(lambda t: labels.get(t)).astype(object).where(own.isin(list(labels)), None)
    return pd.Series(topic.to_numpy(), index=m["mention_id"].to_numpy(), dtype=object, name="main_topic")


def brand_sentiment(texts: pd.Series) -> pd.Series | None:
    """Polarity in [-1, 1] of each text via `workbench.sentiment.score` (None if unavailable)."""
    try:
        from workbench import sentiment
    except ImportError:
        return None
    if not hasattr(sentiment, "score"):
        return None
    scores = sentiment.score(pd.Series(texts.astype(str).to_numpy(), index=texts.index))
    if isinstance(scores, pd.DataFrame):
        col = "polarity" if "polarity" in scores.columns else scores.select_dtypes("number").columns[0]
        scores = scores[col]
    return pd.Series(np.asarray(scores, dtype=float), index=texts.index)


def mention_sentiment(
    mentions: pd.DataFrame,
    brand: str,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    saved: pd.DataFrame | None = None,
    month=None,
) -> pd.Series | None:
    """Sentiment of each original mention of `brand` in [start, end], indexed by mention_id.

    `saved`/`month`: the listening notebook's `mention_scores` of that month, whose polarity is
    reused where it has the mention (same scorer as the listening report). None when
    `workbench.sentiment` is not available (the report then says so).
    """
    m = mentions[(mentions["brand"] == brand) & mentions["retweet_of"].isna()]
    if start is not None:
        m = m[m["timestamp"] >= start]
    if end is not None:
        m = m[m["timestamp"] <= end]
    if saved is not None and month is not None:
        from workbench import concepts

        pol = concepts.mention_tags(m, saved, month)["polarity"].astype(float)
        return pd.Series(pol.to_numpy(), index=m["mention_id"].to_numpy(), name="sentiment")
    pol = brand_sentiment(m["text"])
    if pol is None:
        return None
    return pd.Series(pol.to_numpy(), index=m["mention_id"].to_numpy(), name="sentiment")


def account_signals(
    accounts: pd.DataFrame,
    mentions: pd.DataFrame,
    interactions: pd.DataFrame,
    brand_posts: pd.DataFrame,
    edges: pd.DataFrame,
    brand: str,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    sentiment: pd.Series | None = None,
    detractor_threshold: float = -0.2,
    taxonomy=None,
    topics: pd.Series | None = None,
    authors: pd.Series | None = None,
    acts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per person account: participation, amplification, conversations, influence, reach, topic.

    - `brand_mentions`: own posts about `brand` (not counting retweets) in the window;
    - `amplification_per_post`: retweets + shares their posts received, per post;
    - `conversations_per_post`: replies + comments their posts triggered, per post;
    - `brand_post_engagement`: share of the brand's posts of the window they liked, shared,
      retweeted or commented (a rate, not a count);
    - `influence`: PageRank on `edges` (see `influence`); `followers`: reach;
    - `main_topic`: most frequent theme of their posts about the brand (`main_topic`, by the
      `taxonomy`: the retailer profile's, or the default one); `sentiment`: mean sentiment of their
      posts about the brand when `sentiment` (a score per mention_id) is given, with
      `positive_mentions` / `negative_mentions` (polarity > 0 / < 0) and `open_complaints`
      (negative posts about the brand it never answered: no brand post replies to them);
      `detractor` when the mean is below `detractor_threshold` or the balance of mentions is
      negative (more negative than positive posts about the brand).
    `topics`: `post_topics` of the posts (mention_id -> topic), computed once for several
    windows; posts it lacks are tagged here. `authors`, `acts`: as in `interaction_edges`.
    """
    _check_columns(accounts, ["account_id", "platform", "followers", "account_type"],
                   "account_signals(accounts)")
    people = accounts.loc[accounts["account_type"] == "person", ["account_id", "platform",
                                                                 "followers"]].copy()

    m = _in_window(mentions, start, end)
    it = _in_window(interactions, start, end)
    bp = _in_window(brand_posts, start, end)
    own = m[m["retweet_of"].isna()]
    own_brand = own[own["brand"] == brand]

    posts = own.groupby("account_id").size()
    acts = (actions(mentions, interactions, brand_posts, start, end, authors=authors) if acts is None
            else _window_actions(acts, start, end))
    origin, kind = acts["origin"].to_numpy(), acts["type"].to_numpy(dtype=object)
    from_it = origin == INTERACTION
    amplif = acts.loc[(origin == MENTION_RETWEET) | (from_it & np.isin(kind, ["retweet", "share"])),
                      "source"].value_counts()
    convers = acts.loc[(origin == MENTION_REPLY) | (from_it & (kind == "comment")), "source"].value_counts()
    our_posts = bp.loc[bp["brand"] == brand, "post_id"]
    on_ours = it[is_in(it["post_id"], our_posts)]
    engaged = on_ours.groupby("account_id")["post_id"].nunique()

    out = people
    idx = out["account_id"]
    out["brand_mentions"] = map_values(idx, own_brand.groupby("account_id").size()).fillna(0).astype(int)
    out["posts"] = map_values(idx, posts).fillna(0).astype(int)
    n_posts = out["posts"].where(out["posts"] > 0)
    out["amplification_per_post"] = (map_values(idx, amplif).fillna(0) / n_posts).fillna(0.0)
    out["conversations_per_post"] = (map_values(idx, convers).fillna(0) / n_posts).fillna(0.0)
    n_ours = max(len(our_posts), 1)
    out["brand_post_engagement"] = map_values(idx, engaged).fillna(0) / n_ours
    infl = influence(edges) if len(edges) else pd.DataFrame(columns=["account_id", "influence"])
    out["influence"] = map_values(idx, infl.set_index("account_id")["influence"]).fillna(0.0)
    if topics is not None:
        known = pd.Index(topics.index).get_indexer(own_brand["mention_id"])
        found = pd.Series(topics.to_numpy(dtype=object)[np.maximum(known, 0)], index=own_brand.index,
                          dtype=object).where(known >= 0, None)
        missing = known < 0
        if missing.any():
            found[missing] = main_topic(own_brand.loc[missing, "text"], taxonomy).to_numpy()
        topics = found
    else:
        topics = main_topic(own_brand["text"], taxonomy) if len(own_brand) else pd.Series(dtype=object)
    top = _most_frequent(pd.DataFrame({"account_id": own_brand["account_id"], "topic": topics}),
                         "account_id", "topic")
    out["main_topic"] = map_values(idx, top)
    if sentiment is not None:
        s = map_values(own_brand["mention_id"], sentiment)
        pol = pd.Series(s.to_numpy(dtype=float), index=own_brand["account_id"].to_numpy())
        out["sentiment"] = map_values(idx, pol.groupby(level=0).mean())
        out["positive_mentions"] = map_values(idx, (pol > 0).groupby(level=0).sum()).fillna(0).astype(int)
        out["negative_mentions"] = map_values(idx, (pol < 0).groupby(level=0).sum()).fillna(0).astype(int)
        answered = (brand_posts.loc[brand_posts["brand"] == brand, "reply_to"].dropna()
                    if "reply_to" in brand_posts else pd.Series([], dtype=object))
        unanswered = ~is_in(own_brand["mention_id"], answered)
        open_c = ((pol < 0) & unanswered).groupby(level=0).sum()
        out["open_complaints"] = map_values(idx, open_c).fillna(0).astype(int)
        out["detractor"] = ((out["sentiment"] < detractor_threshold)
                            | (out["negative_mentions"] > out["positive_mentions"]))
    else:
        out["sentiment"] = np.nan
        for c in ("positive_mentions", "negative_mentions", "open_complaints"):
            out[c] = 0
        out["detractor"] = False
    out = out.sort_values("account_id", kind="mergesort").reset_index(drop=True)
    out.attrs["brand_posts_in_window"] = int(len(our_posts))
    return out
