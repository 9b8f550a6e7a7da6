"""Listening follow-up: the care queue (questions and complaints waiting for the brand) and the
ideas board (customer suggestions, online and in store).

* `detect(texts)`: flags questions, complaints and suggestions in French texts with the
  editable rules of `care_rules.yaml` (see `load_rules`).
* Care queue: `care_items` (one row per mention needing the brand, with its first brand reply),
  `care_summary` (per platform / month / department: volumes, share answered, median and
  90th-percentile first-response time), `oldest_unanswered`, `care_scope` (what was counted out).
* Ideas board: `idea_items` (suggestions from mentions and store reviews), `group_ideas`
  (idea themes by clustering the content words), `ideas_board` (counts, online vs in store,
  sentiment, quotes), `ideas_month_over_month` (new and growing ideas).
* Shared with the listening modules: `route_departments` (the alerts' theme -> department
  routing, `concepts`) and `polarity` (`sentiment.score`).

Pure functions: DataFrames in, new DataFrames out; nothing is read or written here except the
rules file by `load_rules` (and the listening taxonomy, through `concepts`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from workbench.frames import is_in
from workbench.text import mask_personal

RULES_FILE = Path(__file__).with_name("care_rules.yaml")
KINDS = ("question", "complaint", "suggestion")
SOURCES = ("online", "store")  # where an idea comes from: social mentions or in-store reviews

_SPACES = re.compile(r"\s+")
_COMBINING = re.compile("[\u0300-\u036f]")
_URL = re.compile(r"https?://\S+|\bwww\.\S+")
_WORD = re.compile(r"[a-z0-9]+")


# --------------------------------------------------------------------------- text helpers


def _fold_table() -> dict[int, str]:
    """Accented Latin letters (U+00C0..U+024F) -> letters without accents, and curly quotes."""
    table = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base != ch:
            table[code] = base
    table.update({ord(k): v for k, v in {"’": "'", "‘": "'", "`": "'", "´": "'"}.items()})
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case, accents removed, curly apostrophes as "'", single spaces: the form the
    rules are matched on."""
    t = text.lower().translate(_FOLD)
    if _COMBINING.search(t):  # text typed with combining accents (e + U+0301)
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return _SPACES.sub(" ", t).strip()


def _fold_pattern(pattern: str) -> str:
    """A rule pattern without accents (escapes such as \\W or \\S keep their case)."""
    p = pattern.translate(_FOLD)
    if _COMBINING.search(p):
        p = "".join(c for c in unicodedata.normalize("NFKD", p) if not unicodedata.combining(c))
    return p


def _texts(texts, what: str = "texts") -> pd.Series:
    if isinstance(texts, str):
        raise TypeError(f"{what}: expected a sequence of texts, got a single str")
    s = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    bad = s.map(lambda x: not isinstance(x, str))
    if bad.any():
        first = s.index[bad.to_numpy()][0]
        raise TypeError(
            f"{what}: {int(bad.sum())} value(s) are not text (first at index {first!r}: "
            f"{s[first]!r}); fill or drop missing texts first"
        )
    return s


# --------------------------------------------------------------------------- rules


def load_rules(path=None) -> dict:
    """Read and check the detection rules (default: the package's `care_rules.yaml`).

    Returns {kind: {"include": [compiled], "exclude": [compiled], "not_if": [kinds]},
    "idea_stopwords": set}. A bad file raises ValueError naming the kind and the pattern.
    """
    path = Path(path) if path is not None else RULES_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return compile_rules(raw, source=str(path))


def compile_rules(raw: dict, source: str = "rules") -> dict:
    """Check and compile a rules dict (same layout as `care_rules.yaml`)."""
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: expected a mapping with keys {', '.join(KINDS)}")
    missing = [k for k in KINDS if k not in raw]
    if missing:
        raise ValueError(f"{source}: missing rule section(s) {', '.join(missing)}")
    rules: dict = {}
    for kind in KINDS:
        sec = raw[kind] or {}
        unknown = set(sec) - {"include", "exclude", "not_if"}
        if unknown:
            raise ValueError(f"{source}: {kind}: unknown key(s) {', '.join(sorted(unknown))}")
        if not sec.get("include"):
            raise ValueError(f"{source}: {kind}: 'include' must list at least one pattern")
        compiled = {}
        for part in ("include", "exclude"):
            pats = sec.get(part) or []
            if not isinstance(pats, list):
                raise ValueError(f"{source}: {kind}.{part} must be a list of patterns")
            compiled[part] = []
            for p in pats:
                try:
                    compiled[part].append(re.compile(_fold_pattern(str(p)), re.IGNORECASE))
                except re.error as e:
                    raise ValueError(f"{source}: {kind}.{part}: bad pattern {p!r}: {e}") from None
            # one alternation per part: one pass over each text
            compiled[part + "_any"] = (
                re.compile("|".join(f"(?:{rx.pattern})" for rx in compiled[part]), re.IGNORECASE)
                if compiled[part] else None
            )
        not_if = list(sec.get("not_if") or [])
        bad = [k for k in not_if if k not in KINDS or k == kind]
        if bad:
            raise ValueError(f"{source}: {kind}.not_if: unknown or self kind(s) {bad}")
        compiled["not_if"] = not_if
        rules[kind] = compiled
    order = _not_if_order(rules, source)
    rules["_order"] = order
    stop = raw.get("idea_stopwords") or ""
    if not isinstance(stop, str):
        raise ValueError(f"{source}: idea_stopwords must be words separated by spaces")
    rules["idea_stopwords"] = set(fold(stop).split())
    return rules


def _not_if_order(rules: dict, source: str) -> list[str]:
    """Kinds in an order where every `not_if` kind is decided first (no cycles allowed)."""
    order, todo = [], list(KINDS)
    while todo:
        ready = [k for k in todo if all(d in order for d in rules[k]["not_if"])]
        if not ready:
            raise ValueError(f"{source}: circular 'not_if' between {', '.join(todo)}")
        order += ready
        todo = [k for k in todo if k not in ready]
    return order


def _rules(rules) -> dict:
    if rules is None:
        return load_rules()
    if isinstance(rules, (str, Path)):
        return load_rules(rules)
    if "_order" not in rules:
        return compile_rules(rules)
    return rules


FLAGS_TABLE = "care_flags"  # processed table: `flags_table`, saved by 05 for 06 (same month)
_FLAG_COLUMNS = [f"is_{k}" for k in KINDS]


def _detect_distinct(folded: list[str], r: dict) -> dict[str, np.ndarray]:
    """{kind: hit per folded text} by the compiled rules `r`."""
    flags: dict[str, np.ndarray] = {}
    for kind in r["_order"]:
        sec = r[kind]
        inc, exc = sec["include_any"], sec["exclude_any"]
        hit = np.fromiter((inc.search(t) is not None for t in folded), bool, len(folded))
        if exc is not None:  # exclusions only where an inclusion fired
            idx = np.flatnonzero(hit)
            hit[idx] = np.fromiter((exc.search(folded[i]) is None for i in idx), bool, len(idx))
        for other in sec["not_if"]:
            hit &= ~flags[other]
        flags[kind] = hit
    return flags


def rules_fingerprint(rules=None) -> str:
    """A short digest of the detection rules (patterns, exclusions, not_if): flags saved under
    other rules are never reused."""
    import hashlib

    r = _rules(rules)
    spec = [(k, [p.pattern for p in r[k]["include"]], [p.pattern for p in r[k]["exclude"]], r[k]["not_if"])
            for k in KINDS]
    return hashlib.sha1(repr(spec).encode("utf-8")).hexdigest()[:16]


def _saved_flags(uniq: pd.Series, saved: pd.DataFrame | None, rules, month) -> tuple[np.ndarray, dict]:
    """(which distinct texts `saved` has, {column: their flags}) for flags saved for `month`
    under the same rules."""
    found = np.zeros(len(uniq), bool)
    if (saved is None or month is None or not len(saved)
            or not {"text_hash", "month", "rules", *_FLAG_COLUMNS} <= set(saved.columns)):
        return found, {}
    same = saved[(saved["month"].astype(str) == str(pd.Period(month, "M")))
                 & (saved["rules"] == rules_fingerprint(rules))]
    if not len(same) or not len(uniq):
        return found, {}
    from workbench.concepts import _text_hash

    same = same.drop_duplicates("text_hash")
    pos = pd.Index(same["text_hash"].to_numpy()).get_indexer(_text_hash(uniq))
    found = pos >= 0
    return found, {c: same[c].to_numpy(bool)[pos[found]] for c in _FLAG_COLUMNS}


def detect(texts, rules=None, saved: pd.DataFrame | None = None, month=None) -> pd.DataFrame:
    """Flag questions, complaints and suggestions in French texts.

    Returns a DataFrame aligned with `texts` (same index for a Series) with boolean columns
    is_question, is_complaint, is_suggestion. `rules`: None (package rules), a path, or the
    output of `load_rules` / a raw rules dict. `saved`/`month`: the flags an earlier notebook
    of the month saved (`flags_table`, table FLAGS_TABLE), reused for the texts it has when
    saved for `month` under the same rules; the other texts are matched here.
    """
    s = _texts(texts)
    r = _rules(rules)
    codes, uniq = pd.factorize(s, sort=False)  # social texts repeat a lot: fold/match once each
    uniq = pd.Series(uniq, dtype=object)
    if len(s) == 0:
        return pd.DataFrame({c: np.zeros(0, bool) for c in _FLAG_COLUMNS}, index=s.index)
    found, known = _saved_flags(uniq, saved, r, month)
    todo = np.flatnonzero(~found)
    fresh = _detect_distinct([fold(t) for t in uniq.to_numpy()[todo]], r)
    out = {}
    for k in KINDS:
        col = np.zeros(len(uniq), bool)
        col[todo] = fresh[k]
        if found.any():
            col[found] = known[f"is_{k}"]
        out[f"is_{k}"] = col[codes]
    return pd.DataFrame(out, index=s.index)


def flags_table(texts, flags: pd.DataFrame, rules, month) -> pd.DataFrame:
    """The flags `detect(texts, rules)` gave, one row per distinct text, to save (table
    FLAGS_TABLE) for a later notebook of the month (`detect(saved=...)`): text_hash (a
    changed text is not reused), is_question, is_complaint, is_suggestion, month, rules
    (`rules_fingerprint`)."""
    from workbench.concepts import _text_hash

    s = _texts(texts)
    if not s.index.equals(flags.index):
        raise ValueError("flags_table: flags must be detect(texts)'s output (same index)")
    first = ~s.duplicated().to_numpy()
    out = pd.DataFrame({"text_hash": _text_hash(s[first]),
                        **{c: flags[c].to_numpy(bool)[first] for c in _FLAG_COLUMNS}})
    out = out.drop_duplicates("text_hash").reset_index(drop=True)
    return out.assign(month=str(pd.Period(month, "M")), rules=rules_fingerprint(rules))


def detection_scores(flags: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall and F1 of detected flags against hand labels (same index, columns
    is_question / is_complaint / is_suggestion), one row per kind."""
    rows = []
    for kind in KINDS:
        col = f"is_{kind}"
        if col not in flags or col not in labels:
            raise KeyError(f"column '{col}' missing in flags or labels")
        p = flags[col].astype(bool).to_numpy()
        y = labels[col].astype(bool).to_numpy()
        tp, fp, fn = int((p & y).sum()), int((p & ~y).sum()), int((~p & y).sum())
        prec = tp / (tp + fp) if tp + fp else np.nan
        rec = tp / (tp + fn) if tp + fn else np.nan
        f1 = 2 * prec * rec / (prec + rec) if tp else (0.0 if tp + fp + fn else np.nan)
        rows.append({"kind": kind, "n_labelled": int(y.sum()), "n_detected": int(p.sum()),
                     "true_positives": tp, "precision": prec, "recall": rec, "f1": f1})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- shared modules


def polarity(texts) -> pd.Series:
    """Sentiment polarity (-1..1) of each text with the project's sentiment module:
    `sentiment.score` when available, else textblob-fr's polarity (one call to swap)."""
    from workbench import sentiment

    s = _texts(texts)
    if hasattr(sentiment, "score"):
        out = sentiment.score(s)
        if isinstance(out, pd.DataFrame):
            if "polarity" not in out.columns:
                raise KeyError(f"sentiment.score returned no 'polarity' column: {list(out.columns)}")
            out = out["polarity"]
        return pd.Series(np.asarray(out, dtype=float), index=s.index, name="polarity")
    return sentiment.textblob_fr(s)["polarity"].rename("polarity")


def route_departments(mentions: pd.DataFrame, saved: pd.DataFrame | None = None, month=None) -> pd.Series:
    """Department in charge of each mention (Series indexed by mention_id), with the same
    routing as the alerts: theme by the listening taxonomy (`concepts.tag_themes`), department
    of that theme ('non routé' when no theme matches). `saved`/`month`: the listening
    notebook's `mention_scores` of that month, reused where it has the mention."""
    from workbench import concepts

    _need(mentions, ("mention_id", "text"), "mentions")
    tags = concepts.mention_tags(mentions, saved, month, with_sentiment=False)
    return pd.Series(tags["department"].to_numpy(), index=mentions["mention_id"].to_numpy(),
                     name="department")


# --------------------------------------------------------------------------- care queue

_MENTION_COLS = ("mention_id", "platform", "account_id", "timestamp", "text", "brand", "reply_to",
                 "retweet_of")
_POST_COLS = ("brand", "timestamp", "reply_to")


def _need(df: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {', '.join(missing)}")


def out_of_scope_reason(mentions: pd.DataFrame, brand: str) -> pd.Series:
    """Reason each mention is out of the care queue's scope ('' when in scope)."""
    other = (mentions["brand"] != brand).to_numpy(bool)
    rt = mentions["retweet_of"].notna().to_numpy(bool) & ~other
    # replies to another person's mention are conversations between customers; replies to a
    # post (not a mention id) are addressed to whoever posted it and stay in scope
    conv = is_in(mentions["reply_to"], mentions["mention_id"]) & ~other & ~rt
    reason = np.select([other, rt, conv], ["autre marque", "repartage (retweet)", "réponse entre internautes"],
                       "").astype(object)
    return pd.Series(reason, index=mentions.index, dtype=object)


def first_responses(mentions: pd.DataFrame, brand_posts: pd.DataFrame, brand: str) -> pd.DataFrame:
    """First public reply of `brand` to each mention: mention_id, first_response_at,
    response_hours. Replies dated before the mention they answer are invalid and raise."""
    _need(brand_posts, _POST_COLS, "brand_posts")
    rep = brand_posts.loc[(brand_posts["brand"] == brand) & brand_posts["reply_to"].notna(),
                          ["reply_to", "timestamp"]]
    first = rep.groupby("reply_to", sort=False)["timestamp"].min().rename("first_response_at")
    out = mentions[["mention_id", "timestamp"]].merge(
        first, left_on="mention_id", right_index=True, how="inner")
    early = out["first_response_at"] < out["timestamp"]
    if early.any():
        ex = out.loc[early, "mention_id"].head(5).tolist()
        raise ValueError(
            f"brand_posts: {int(early.sum())} reply(ies) of {brand} dated before the mention they "
            f"answer (mention_id {', '.join(ex)}); check the time zones of both tables"
        )
    out["response_hours"] = (out["first_response_at"] - out["timestamp"]).dt.total_seconds() / 3600
    return out[["mention_id", "first_response_at", "response_hours"]].reset_index(drop=True)


def care_scope(mentions: pd.DataFrame, brand: str, flags: pd.DataFrame | None = None,
               rules=None, brand_posts: pd.DataFrame | None = None) -> pd.DataFrame:
    """What the care queue counts out, and why: one row per reason (motif) with the number of
    mentions, so that nothing is dropped silently. With `brand_posts`, mentions the brand
    answered count as in the queue (as in `care_items`)."""
    _need(mentions, _MENTION_COLS, "mentions")
    reason = out_of_scope_reason(mentions, brand)
    scope = reason == ""
    if flags is None:
        flags = detect(mentions.loc[scope, "text"], rules)
    flags = flags.reindex(mentions.index)
    need = flags["is_question"].fillna(False).astype(bool) | flags["is_complaint"].fillna(False).astype(bool)
    if brand_posts is not None:
        answered = first_responses(mentions.loc[scope], brand_posts, brand)["mention_id"]
        need |= is_in(mentions["mention_id"], answered)
    reason[scope & ~need] = "ni question ni réclamation"
    reason[scope & need] = "dans la file"
    return reason.value_counts().rename_axis("motif").reset_index(name="mentions")


def care_items(mentions: pd.DataFrame, brand_posts: pd.DataFrame, brand: str,
               flags: pd.DataFrame | None = None, departments: pd.Series | None = None,
               rules=None, keep_handles=(), saved_tags: pd.DataFrame | None = None,
               month=None) -> pd.DataFrame:
    """The care queue: one row per mention addressed to `brand` that is a question or a
    complaint, or that the brand answered anyway.

    Columns: mention_id, platform, account_id (pseudonymous), timestamp, month (Period),
    kind ('question', 'complaint' or 'other' for answered mentions the rules did not flag),
    department (from `departments`, a Series indexed by mention_id; 'non routé' when absent),
    answered, first_response_at, response_hours, text (masked quote).
    `flags`: output of `detect` on mentions["text"] (computed when None). Without
    `departments`, with `month`: the queue's mentions are routed here (`route_departments`,
    reusing `saved_tags`, the listening notebook's `mention_scores` of that month): only
    they are, not every mention.
    """
    _need(mentions, _MENTION_COLS, "mentions")
    scope = out_of_scope_reason(mentions, brand) == ""
    m = mentions.loc[scope]
    if flags is None:
        flags = detect(m["text"], rules)
    else:
        missing = m.index.difference(flags.index)
        if len(missing):
            raise ValueError(f"flags: {len(missing)} in-scope mention(s) have no detection flags")
        flags = flags.loc[m.index]
    resp = first_responses(m, brand_posts, brand)
    m = m.merge(flags, left_index=True, right_index=True).merge(resp, on="mention_id", how="left")
    m["answered"] = m["first_response_at"].notna()
    keep = m["is_question"] | m["is_complaint"] | m["answered"]
    m = m.loc[keep].copy()
    m["kind"] = np.select([m["is_question"], m["is_complaint"]], ["question", "complaint"], "other")
    if departments is None and month is not None:
        departments = route_departments(m, saved_tags, month)
    if departments is not None:
        m["department"] = m["mention_id"].map(departments).fillna("non routé")
    else:
        m["department"] = "non routé"
    m["month"] = m["timestamp"].dt.to_period("M")
    m["text"] = mask_personal(m["text"], keep_handles)
    cols = ["mention_id", "platform", "account_id", "timestamp", "month", "kind", "department",
            "answered", "first_response_at", "response_hours", "text"]
    return m[cols].sort_values(["timestamp", "mention_id"]).reset_index(drop=True)


def care_summary(items: pd.DataFrame, by=("month", "platform")) -> pd.DataFrame:
    """Care KPIs per group: items, questions, complaints, answered, share answered, median and
    90th-percentile first-response time (hours, answered items only), unanswered."""
    by = [by] if isinstance(by, str) else list(by)
    _need(items, by + ["kind", "answered", "response_hours"], "items")
    items = items.assign(response_hours=items["response_hours"].astype(float))
    g = items.groupby(by, observed=True, sort=True)
    out = pd.DataFrame({
        "items": g.size(),
        "questions": g["kind"].apply(lambda k: int((k == "question").sum())),
        "complaints": g["kind"].apply(lambda k: int((k == "complaint").sum())),
        "answered": g["answered"].sum().astype("int64"),
    })
    out["unanswered"] = out["items"] - out["answered"]
    out["share_answered"] = out["answered"] / out["items"]
    out["median_response_hours"] = g["response_hours"].median()
    out["p90_response_hours"] = g["response_hours"].quantile(0.9)
    return out.reset_index()


def monthly_care(items: pd.DataFrame) -> pd.DataFrame:
    """The care indicators of the registry per month (index: monthly Period), one rule for
    every page: care_requests (questions and complaints), care_answered_share (of those, the
    share the brand answered), care_unanswered, care_median_response (hours, median over the
    month's answered items, 'other' answered mentions included)."""
    _need(items, ["month", "kind", "answered", "response_hours"], "items")
    needs = items[items["kind"] != "other"]
    g = needs.groupby("month", observed=True)
    out = pd.DataFrame({
        "care_requests": g.size().astype(float),
        "care_answered_share": g["answered"].mean().astype(float),
        "care_unanswered": (~needs["answered"].astype(bool)).groupby(needs["month"], observed=True).sum()
        .astype(float),
    })
    months = pd.PeriodIndex(sorted(items["month"].unique()), freq="M", name="month")
    out = out.reindex(months)
    out["care_median_response"] = items.groupby("month", observed=True)["response_hours"].median() \
        .astype(float).reindex(months)
    return out


def oldest_unanswered(items: pd.DataFrame, as_of, n: int = 10, kinds=("question", "complaint"),
                      since=None) -> pd.DataFrame:
    """The `n` oldest questions/complaints still without a brand reply at `as_of` (a reply
    after `as_of` does not count), posted since `since` if given, with their age in days
    (pseudonymous account ids, masked quotes)."""
    as_of = pd.Timestamp(as_of)
    open_ = ~items["answered"] | (items["first_response_at"] > as_of)
    sel = open_ & items["kind"].isin(kinds) & (items["timestamp"] <= as_of)
    if since is not None:
        sel &= items["timestamp"] >= pd.Timestamp(since)
    u = items.loc[sel].copy()
    u["age_days"] = (as_of - u["timestamp"]).dt.total_seconds() / 86400
    cols = ["mention_id", "account_id", "platform", "timestamp", "kind", "department", "age_days", "text"]
    return u.sort_values(["timestamp", "mention_id"])[cols].head(n).reset_index(drop=True)


# --------------------------------------------------------------------------- ideas board


def idea_items(mentions: pd.DataFrame, reviews: pd.DataFrame, brand: str,
               mention_flags: pd.DataFrame | None = None, review_flags: pd.DataFrame | None = None,
               rules=None) -> pd.DataFrame:
    """Suggestions about `brand`: from social mentions (source 'online', retweets and replies
    between customers excluded) and store reviews (source 'store').

    Columns: idea_id (mention_id / review_id), source, author_id (account_id / customer_id,
    pseudonymous), place (platform / store_id), date, month (Period), text.
    """
    _need(mentions, _MENTION_COLS, "mentions")
    _need(reviews, ("review_id", "store_id", "customer_id", "date", "text"), "store_reviews")
    m = mentions.loc[out_of_scope_reason(mentions, brand) == ""]
    mf = detect(m["text"], rules) if mention_flags is None else mention_flags.reindex(m.index)
    rf = detect(reviews["text"], rules) if review_flags is None else review_flags.reindex(reviews.index)
    m = m.loc[mf["is_suggestion"].fillna(False).astype(bool)]
    r = reviews.loc[rf["is_suggestion"].fillna(False).astype(bool)]
    on = pd.DataFrame({"idea_id": m["mention_id"], "source": "online", "author_id": m["account_id"],
                       "place": m["platform"], "date": m["timestamp"], "text": m["text"]})
    st = pd.DataFrame({"idea_id": r["review_id"], "source": "store", "author_id": r["customer_id"],
                       "place": r["store_id"], "date": r["date"], "text": r["text"]})
    out = pd.concat([on, st], ignore_index=True)
    out["date"] = pd.to_datetime(out["date"])
    out["month"] = out["date"].dt.to_period("M")
    return out[["idea_id", "source", "author_id", "place", "date", "month", "text"]]


def _brand_terms(brands) -> set[str]:
    out = set()
    for b in brands:
        f = fold(b)
        out.update(_WORD.findall(f))
        out.add(f.replace(" ", ""))
    return out


def _stem(w: str) -> str:
    """Very light French plural folding: 'cabines' -> 'cabine' ('colis', 'prix' kept)."""
    if len(w) > 3 and w.endswith(("s", "x")) and not w.endswith(("ss", "us", "is", "ix", "ax", "ox")):
        return w[:-1]
    return w


def idea_keywords(text: str, rules: dict, brand_terms: set[str]) -> list[str]:
    """Content words of one suggestion: no trigger phrase, brand name, handle, hashtag, link,
    emoji, stop word; light plural folding."""
    t = _URL.sub(" ", mask_personal(text, blank=True))  # no e-mail, phone or IBAN fragments
    t = re.sub(r"[@#]\w+", " ", t)
    f = fold(t)
    for rx in rules["suggestion"]["include"]:
        f = rx.sub(" ", f)
    stop = rules["idea_stopwords"] | brand_terms
    return [_stem(w) for w in _WORD.findall(f) if w not in stop and not w.isdigit() and len(w) > 1]


NO_KEYWORD = "(sans mot-clé)"  # theme of suggestions with no content word left
RARE_IDEAS = "autres idées (rares)"  # theme of rare suggestions close to no frequent idea


def group_ideas(ideas: pd.DataFrame, brands=(), rules=None, distance_threshold: float = 0.7,
                max_clustered: int = 3000) -> pd.DataFrame:
    """Group suggestions into idea themes: presence of their content words (no IDF: the words
    every variant of an idea shares, like "cabine" and "essayage", must weigh the most),
    agglomerative clustering (cosine distance, average linkage, cut at `distance_threshold`).

    Identical keyword sets are clustered once. Only the `max_clustered` most frequent keyword
    sets are clustered (memory grows with its square); each rarer set joins the nearest theme
    when within `distance_threshold` of its centre, else the theme "autres idées (rares)".
    Returns `ideas` plus columns keywords (str) and idea_theme (a readable French label, e.g.
    "cabines d'essayage"; made unique). `brands`: brand names to ignore as words.
    """
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.metrics.pairwise import cosine_distances
    from sklearn.preprocessing import normalize

    _need(ideas, ("text",), "ideas")
    if max_clustered < 2:
        raise ValueError(f"max_clustered must be at least 2, got {max_clustered}")
    r = _rules(rules)
    bt = _brand_terms(brands)
    out = ideas.copy()
    # suggestions repeat word for word (at 200k customers 13,826 ideas have 959 distinct texts):
    # the content words of each distinct text are found once
    codes, distinct = pd.factorize(_texts(out["text"], "ideas.text"))
    kw_of = [idea_keywords(t, r, bt) for t in distinct]
    key_of = [" ".join(sorted(set(k))) for k in kw_of]
    kw = [kw_of[c] for c in codes]
    out["keywords"] = [key_of[c] for c in codes]
    uniq = out.loc[out["keywords"] != "", "keywords"].value_counts()  # most frequent first
    head, tail = uniq.index[:max_clustered], uniq.index[max_clustered:]
    labels: dict[str, object] = {}
    if len(head) == 1:
        labels[head[0]] = 0
    elif len(head) > 1:
        vec = CountVectorizer(analyzer=str.split, binary=True)
        x = normalize(vec.fit_transform(head).astype(float))
        model = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                        distance_threshold=distance_threshold)
        fitted = model.fit_predict(cosine_distances(x))
        labels.update(zip(head, fitted, strict=True))
        if len(tail):
            # rare keyword sets: nearest centre of the frequent themes, if close enough
            k = fitted.max() + 1
            member = np.zeros((k, len(head)))
            member[fitted, np.arange(len(head))] = uniq.iloc[:max_clustered].to_numpy()
            centres = normalize(np.asarray(x.T @ member.T).T)  # count-weighted, one row per theme
            xt = normalize(vec.transform(tail).astype(float))
            sim = np.asarray(xt @ centres.T)
            best = sim.argmax(axis=1)
            close = 1 - sim[np.arange(len(tail)), best] <= distance_threshold
            labels.update(zip(tail, np.where(close, best, -1).tolist(), strict=True))
    cluster = np.array([labels.get(key, -2) if key else -2 for key in out["keywords"]])
    names: dict[int, str] = {-1: RARE_IDEAS, -2: NO_KEYWORD}
    used: Counter = Counter()
    for c in pd.Series(cluster).value_counts().index:  # biggest themes get the plain label
        if c < 0:
            continue
        sel = cluster == c
        name = _theme_label(out["text"].to_numpy()[sel], [kw[i] for i in np.flatnonzero(sel)], r, bt)
        used[name] += 1
        names[c] = name if used[name] == 1 else f"{name} ({used[name]})"
    out["idea_theme"] = [names[c] for c in cluster]
    return out


def _theme_label(texts, keywords, rules, brand_terms) -> str:
    """Readable label of a cluster, as customers write it: its most frequent phrase of two
    content words at most one word apart ("cabines d'essayage", "liste de courses"), else its
    most frequent content word."""
    stop = rules["idea_stopwords"] | brand_terms
    counts = Counter(w for ks in keywords for w in set(ks))
    if not counts:
        return "(sans mot-clé)"
    phrases: Counter = Counter()
    for t, n in Counter(texts).items():  # each distinct text once, counted n times
        t = re.sub(r"[@#]\w+", " ", _URL.sub(" ", mask_personal(t, blank=True)))
        words = re.findall(r"[\w'’-]+", t.lower())
        content = []
        for i, w in enumerate(words):
            last = fold(w).split("'")[-1]
            if last and last not in stop and not last.isdigit() and len(last) > 1:
                content.append(i)
        seen = set()
        for i, j in zip(content, content[1:], strict=False):
            if j - i <= 2:
                seen.add(" ".join(words[i:j + 1]).replace("’", "'"))
        phrases.update(dict.fromkeys(seen, n))
    if phrases:
        best, n = max(phrases.items(), key=lambda kv: (kv[1], -len(kv[0]), kv[0]))
        if n >= 0.5 * max(counts.values()):
            return best
    return counts.most_common(1)[0][0]


def _letters(text: str) -> str:
    """A quote reduced to its letters (folded): two wordings that differ only by case, accents,
    punctuation, spaces or a hashtag sign compare equal."""
    return re.sub(r"[^a-z]", "", fold(str(text)))


def ideas_board(ideas: pd.DataFrame, polarity: pd.Series | None = None, keep_handles=(),
                n_quotes: int = 1) -> pd.DataFrame:
    """One row per idea theme, most frequent first: ideas, online, store, share of all ideas,
    first and last month seen, mean sentiment (`polarity`: a Series aligned with `ideas`, e.g.
    `sentiment.score(ideas.text)`), a representative quote per source (masked @users).

    The representative quote is the theme's most common text, so it reads like the bulk of it.
    """
    _need(ideas, ("idea_theme", "source", "text", "month"), "ideas")
    if ideas.empty:
        return pd.DataFrame(columns=["idea_theme", "ideas", "online", "store", "share",
                                     "first_month", "last_month", "mean_polarity",
                                     "quote_online", "quote_store"])
    d = ideas.copy()
    if polarity is None:
        d["polarity"] = np.nan
    elif isinstance(polarity, pd.Series):
        d["polarity"] = polarity.reindex(d.index).astype(float)
    else:
        values = np.asarray(polarity, dtype=float)
        if len(values) != len(d):
            raise ValueError(f"polarity: {len(values)} values for {len(d)} ideas")
        d["polarity"] = values
    g = d.groupby("idea_theme", sort=False)
    out = pd.DataFrame({
        "ideas": g.size(),
        "online": g["source"].apply(lambda s: int((s == "online").sum())),
        "store": g["source"].apply(lambda s: int((s == "store").sum())),
        "first_month": g["month"].min(),
        "last_month": g["month"].max(),
        "mean_polarity": g["polarity"].mean(),
    })
    out["share"] = out["ideas"] / len(d)
    shown: dict = {}  # theme -> quotes already shown (compared letters only, case and accents folded)
    for src in SOURCES:
        quotes = {}
        for theme, grp in d[d["source"] == src].groupby("idea_theme", sort=False):
            ranked = mask_personal(grp["text"], keep_handles).value_counts().index
            # a second source shows a different wording when it has one: the same sentence twice
            # in a row tells the reader nothing more
            fresh = [t for t in ranked if _letters(t) not in shown.get(theme, set())]
            top = (fresh or list(ranked))[:n_quotes]
            shown.setdefault(theme, set()).update(_letters(t) for t in top)
            quotes[theme] = " | ".join(top)
        out[f"quote_{src}"] = out.index.map(quotes).fillna("")
    out = out.reset_index().sort_values(["ideas", "idea_theme"], ascending=[False, True])
    cols = ["idea_theme", "ideas", "online", "store", "share", "first_month", "last_month",
            "mean_polarity", "quote_online", "quote_store"]
    return out[cols].reset_index(drop=True)


def ideas_month_over_month(ideas: pd.DataFrame, month) -> pd.DataFrame:
    """Per idea theme seen in `month` or the month before: ideas this month, the previous month,
    change, and whether the theme is new (never seen before `month`)."""
    _need(ideas, ("idea_theme", "month"), "ideas")
    month = pd.Period(month, freq="M")
    prev = month - 1
    cur_n = ideas.loc[ideas["month"] == month, "idea_theme"].value_counts()
    prev_n = ideas.loc[ideas["month"] == prev, "idea_theme"].value_counts()
    before = set(ideas.loc[ideas["month"] < month, "idea_theme"])
    themes = sorted(set(cur_n.index) | set(prev_n.index))
    out = pd.DataFrame({"idea_theme": themes})
    out["ideas_month"] = out["idea_theme"].map(cur_n).fillna(0).astype("int64")
    out["ideas_previous_month"] = out["idea_theme"].map(prev_n).fillna(0).astype("int64")
    out["change"] = out["ideas_month"] - out["ideas_previous_month"]
    out["is_new"] = (out["ideas_month"] > 0) & ~out["idea_theme"].isin(before)
    return out.sort_values(["is_new", "ideas_month", "idea_theme"], ascending=[False, False, True]).reset_index(drop=True)
