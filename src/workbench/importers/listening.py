"""Social-listening exports (Talkwalker, Brandwatch, Digimind) -> mentions, social_accounts,
brand_posts.

A listening export lists public posts that matched a query about one brand: date, url, author,
text or title, the source (network or site), reach, engagement and the tool's own sentiment.
`brand` (the brand the query is about: ours or a competitor) is given on the command line,
since the tools name their queries, not the brand.

Why:
* Ids are stable across imports: mention_id = `M-` + hash of the post URL (so replies and
  reshares given as URLs point to the right mention), account_id = `A-` + hash of the platform
  and the author's handle. Handles and display names are written to the personal columns of
  `social_accounts` (identity matching) and never printed.
* Platform is the retailer's vocabulary (profile): the normalised lowercase code of the tool's
  source (twitter for X / twitter.com / SOCIALMEDIA_TWITTER, instagram, youtube, news, forum...).
* Posts written by the brand's own account (author == the brand) are brand posts, not mentions.
* The contracts have no column for the tools' sentiment, reach and engagement: the workbench
  measures sentiment itself (`workbench.sentiment`); the tool's sentiment is only summarised in
  the report, so the two can be compared. Followers come from the export's follower columns,
  else from reach where the tool defines reach as the author's followers (Talkwalker, social).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.importers.base import (
    Mapped,
    Report,
    Spec,
    frame,
    norm,
    number,
    slug,
    stable_id,
    text,
    timestamps,
    unused,
)
from workbench.importers.ga4 import SOCIAL_SITES

TALKWALKER = Spec(
    "talkwalker",
    {
        "date": ("published", "Published", "Date"),
        "url": ("url", "URL"),
        "title": ("title", "Title"),
        "text": ("content", "Content"),
        "platform": ("source_type", "Source type", "Media type"),
        "host": ("host_url", "domain_url"),
        "handle": ("extra_author_attributes.short_name", "author_short_name", "Author short name"),
        "name": ("extra_author_attributes.name", "author_name", "Author name", "Author"),
        "followers": ("extra_author_attributes.followers", "article_extended_attributes.twitter_followers"),
        "reach": ("reach", "Reach"),
        "engagement": ("engagement", "Engagement"),
        "sentiment": ("sentiment", "Sentiment"),
        "reply_to": ("parent_url", "Parent URL"),
    },
    required=("date", "url", "platform"),
    documentation="Talkwalker document fields (developer.talkwalker.com, 'Field information')",
)

BRANDWATCH = Spec(
    "brandwatch",
    {
        "date": ("Date", "date"),
        "url": ("Url", "url"),
        "title": ("Title", "title"),
        "text": ("Full Text", "fullText", "Snippet", "snippet"),
        "platform": ("Page Type", "pageType", "Content Source Name", "Domain"),
        "host": ("Domain", "domain"),
        "handle": ("Author", "author"),
        "name": ("Full Name", "fullname"),
        "reach": ("Reach (new)", "reachEstimate", "Reach"),
        "engagement": ("Engagement Score", "engagementScore"),
        "sentiment": ("Sentiment", "sentiment"),
        "reply_to": ("Twitter Reply to", "replyTo"),
        "retweet_of": ("Twitter Retweet of", "retweetOf"),
    },
    required=("date", "url", "platform", "handle"),
    documentation="Brandwatch Consumer Research mention export / 'Mention Field Definitions' (developers.brandwatch.com)",
)

DIGIMIND = Spec(
    "digimind",
    {
        "date": ("Date", "Date de publication", "Published date", "Publication date"),
        "url": ("URL", "Url", "Lien", "Link"),
        "title": ("Title", "Titre"),
        "text": ("Content", "Contenu", "Texte", "Text", "Extrait"),
        "platform": ("Source type", "Type de source", "Media type", "Type de média", "Réseau social", "Source"),
        "host": ("Source", "Site", "Domain"),
        "handle": ("Author", "Auteur", "Author name"),
        "name": ("Author display name", "Nom de l'auteur"),
        "followers": ("Followers", "Abonnés", "Author followers"),
        "reach": ("Reach", "Audience", "Portée", "Potential reach"),
        "engagement": ("Engagement", "Interactions"),
        "sentiment": ("Sentiment", "Tonalité", "Tonality"),
    },
    required=("date", "url", "platform", "handle"),
    documentation="Digimind Social mention export (Digimind help center, 'Export mentions')",
)

_PLATFORM_SYNONYMS = {
    "x": "twitter", "x_twitter": "twitter", "twitter_x": "twitter", "tweet": "twitter", "ig": "instagram",
    "fb": "facebook", "yt": "youtube", "online_news": "news", "onlinenews": "news", "news_site": "news",
    "blogs": "blog", "forums": "forum", "reviews": "review", "sites_d_actualite": "news", "actualites": "news",
}
_NEG = {"negative", "negatif", "neg", "-1"}
_POS = {"positive", "positif", "pos", "1"}


def platform_code(value) -> str | None:
    """A listening source as a platform code: 'X' / 'twitter.com' / 'SOCIALMEDIA_TWITTER' -> twitter."""
    if value is None:
        return None
    v = str(value).strip().lower().removeprefix("https://").removeprefix("http://").removeprefix("www.")
    v = v.split("/")[0]
    if v in SOCIAL_SITES:
        return SOCIAL_SITES[v]
    s = slug(v)
    if s is None:
        return None
    for prefix in ("socialmedia_", "social_media_", "social_"):
        s = s.removeprefix(prefix)
    if s.startswith("onlinenews") or s.startswith("online_news"):
        return "news"
    s = _PLATFORM_SYNONYMS.get(s, s)
    return SOCIAL_SITES.get(s, s.removesuffix("_com"))


def _sentiment(s: pd.Series) -> pd.Series:
    def one(v):
        if v is None:
            return None
        num = pd.to_numeric(str(v).replace(",", "."), errors="coerce")
        if pd.notna(num):
            return "negative" if num < 0 else ("positive" if num > 0 else "neutral")
        k = norm(v)
        return "negative" if k in _NEG else ("positive" if k in _POS else "neutral")
    return text(s).map(one)


def _dates(s: pd.Series) -> pd.Series:
    txt = text(s)
    num = pd.to_numeric(txt, errors="coerce")
    if txt.notna().any() and (num.notna() == txt.notna()).all():  # Talkwalker: epoch milliseconds
        out = pd.to_datetime(num, unit="ms", utc=True)
        return out.dt.tz_convert("Europe/Paris").dt.tz_localize(None).astype("datetime64[ns]")
    return timestamps(txt.str.replace(r"\.0$", "", regex=True))


def _squash(v) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else norm(v).replace("_", "")


def _is_brand(posts: pd.DataFrame, brand: str) -> pd.Series:
    """Posts by the brand's own account: handle or display name is the brand, written any
    way ('Ma Marque', 'mamarque', 'ma_marque')."""
    b = _squash(brand)
    return (posts["handle"].map(_squash) == b) | (posts["name"].map(_squash) == b)


def _map(df: pd.DataFrame, spec: Spec, brand: str, path) -> Mapped:
    if not brand or not str(brand).strip():
        raise ValueError(f"{spec.name}: give the brand the export is about (--brand NAME)")
    brand = str(brand).strip()
    cols = spec.resolve(df.columns, path)
    report = Report(spec.name, rows_read=len(df), unit="posts")
    df = df.reset_index(drop=True)
    g = lambda k: text(df[cols[k]]) if k in cols else pd.Series(None, index=df.index, dtype="object")  # noqa: E731
    platform = g("platform").map(platform_code)
    if "host" in cols:
        platform = platform.where(platform.notna(), g("host").map(platform_code))
    ts = _dates(df[cols["date"]])
    handle = g("handle").where(g("handle").notna(), g("name"))
    body = g("text").where(g("text").notna(), g("title"))
    url = g("url")
    reasons = pd.Series(None, index=df.index, dtype="object")
    reasons[ts.isna()] = f"posts without a readable date ('{cols['date']}')"
    reasons[reasons.isna() & platform.isna()] = "posts without a source / platform"
    reasons[reasons.isna() & handle.isna()] = "posts without an author"
    reasons[reasons.isna() & body.isna()] = "posts without text nor title"
    for reason, n in reasons.value_counts().items():
        report.drop(reason, int(n))
    keep = reasons.isna()
    mid = [stable_id("M-", u) if u else stable_id("M-", p, h, t, b)
           for u, p, h, t, b in zip(url, platform, handle, ts, body, strict=True)]
    posts = pd.DataFrame({
        "mention_id": mid, "platform": platform, "handle": handle, "name": g("name"),
        "timestamp": ts, "text": body, "sentiment": _sentiment(g("sentiment")),
        "reach": number(df[cols["reach"]]) if "reach" in cols else np.nan,
        "reply_url": g("reply_to"), "retweet_url": g("retweet_of"),
    })[keep.to_numpy()]
    dup = posts.duplicated("mention_id", keep="first")
    report.drop("posts listed twice (same URL)", int(dup.sum()))
    posts = posts[~dup].reset_index(drop=True)
    posts["account_id"] = [stable_id("A-", p, str(h).lower()) for p, h in zip(posts["platform"], posts["handle"], strict=True)]
    def url_to_id(u):  # a post given by its URL: the mention_id it has (or will have)
        return None if u is None or (isinstance(u, float) and np.isnan(u)) or not str(u) else stable_id("M-", u)

    posts["reply_to"] = posts["reply_url"].map(url_to_id).astype("object")
    posts["retweet_of"] = posts["retweet_url"].map(url_to_id).astype("object")

    fcols = [c for c in df.columns if norm(c).endswith("followers") and "following" not in norm(c)]
    if "followers" in cols and cols["followers"] not in fcols:
        fcols.append(cols["followers"])
    followers = pd.concat([number(df[c]) for c in fcols], axis=1).max(axis=1) if fcols else \
        pd.Series(np.nan, index=df.index)
    followers = followers[keep.to_numpy()].reset_index(drop=True)[~dup.to_numpy()].reset_index(drop=True)
    if spec is TALKWALKER and "reach" in cols:  # Talkwalker: reach of a social post = author's followers
        social = posts["platform"].isin(set(SOCIAL_SITES.values()))
        followers = followers.where(followers.notna() | ~social, posts["reach"])
    posts["followers"] = followers.fillna(0).clip(lower=0).round().astype("int64")

    own = _is_brand(posts, brand)
    acc = posts.sort_values("followers", ascending=False, kind="stable").drop_duplicates("account_id")
    acc = acc.sort_values("account_id")
    acc_own = _is_brand(acc, brand)
    accounts = frame("social_accounts", {
        "account_id": acc["account_id"], "platform": acc["platform"], "handle": acc["handle"],
        "display_name": acc["name"], "followers": acc["followers"], "bio": None,
        "account_type": np.where(acc_own, "brand", "person"), "brand": np.where(acc_own, brand, None),
    })
    m = posts[~own]
    mentions = frame("mentions", {
        "mention_id": m["mention_id"], "platform": m["platform"], "account_id": m["account_id"],
        "timestamp": m["timestamp"], "text": m["text"], "brand": [brand] * len(m),
        "reply_to": m["reply_to"], "retweet_of": m["retweet_of"], "category": None,
    })
    b = posts[own]
    brand_posts = frame("brand_posts", {
        "post_id": b["mention_id"].str.replace("M-", "B-", n=1, regex=False), "account_id": b["account_id"],
        "platform": b["platform"], "brand": [brand] * len(b), "timestamp": b["timestamp"],
        "text": b["text"], "reply_to": b["reply_to"],
    })
    if len(b):
        report.notes.append(f"{len(b)} post(s) by the brand's own account written to brand_posts")
    sent = posts.loc[~own, "sentiment"].value_counts()
    if len(sent):
        report.notes.append(f"{spec.name}'s own sentiment (not written, no contract column): "
                            + ", ".join(f"{k} {v}" for k, v in sent.items()))
    report.vocabulary("mentions", "platform", mentions["platform"])
    report.vocabulary("social_accounts", "platform", accounts["platform"])
    used = [v for k, v in cols.items() if k not in ("reach", "engagement", "sentiment") or
            (k == "reach" and spec is TALKWALKER)] + fcols
    report.unused_columns = unused(df.columns, used)
    return Mapped({"social_accounts": accounts, "mentions": mentions, "brand_posts": brand_posts}, report)


def map_talkwalker(df: pd.DataFrame, brand: str, path="talkwalker") -> Mapped:
    """Talkwalker export -> social_accounts, mentions, brand_posts (see the module rules)."""
    return _map(df, TALKWALKER, brand, path)


def map_brandwatch(df: pd.DataFrame, brand: str, path="brandwatch") -> Mapped:
    """Brandwatch mention export -> social_accounts, mentions, brand_posts."""
    return _map(df, BRANDWATCH, brand, path)


def map_digimind(df: pd.DataFrame, brand: str, path="digimind") -> Mapped:
    """Digimind Social mention export -> social_accounts, mentions, brand_posts."""
    return _map(df, DIGIMIND, brand, path)
