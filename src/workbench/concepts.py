"""Social listening beyond sentiment: themes, routing, peaks, alerts, share of voice, concept
clouds and topic discovery, on French mentions.

* `tag_themes` applies the editable taxonomy (taxonomy.yaml: macro/micro themes, keyword rules,
  a department per macro theme); `route_department` / `departments` give the routing used by
  the alerts and by the care queue.
* `sentiment_over_time`: net sentiment and share negative per period and group, with 95 % CIs.
* `detect_peaks` (rolling median + MAD baseline) and `explain_peaks` (themes, sentiment, top
  authors, representative posts); `negative_alerts`: negative surges per theme, routed.
* `share_of_voice`, `negative_drivers` (per product line), `search_opportunities`.
* `concept_cloud` / `concept_alignment` (consumers vs the brand's own posts), `discover_topics`
  (NMF) for themes the taxonomy misses.

Pure functions: DataFrames in, new DataFrames out; nothing is read or written except the
taxonomy file by `load_taxonomy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import text as wtext
from workbench.frames import is_in, map_values, positions
from workbench.text import mask_personal

DEPARTMENTS = ("service client", "logistique", "magasins", "marketing", "e-commerce")
UNTAGGED = "non classé"
UNROUTED = "non routé"
TAXONOMY_FILE = Path(__file__).with_name("taxonomy.yaml")

# ---------------------------------------------------------------------------------------------
# Taxonomy and theme tagging
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """Macro themes -> label, department and micro themes -> keyword / regex rules."""

    themes: dict  # {macro: {"label", "department", "micro": {micro: {"keywords", "patterns"}}}}

    @property
    def departments(self) -> dict[str, str]:
        return {m: t["department"] for m, t in self.themes.items()}

    @property
    def labels(self) -> dict[str, str]:
        return {m: t.get("label", m) for m, t in self.themes.items()}


def _validate_taxonomy(raw: Mapping, source: str) -> Taxonomy:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("themes"), Mapping) or not raw["themes"]:
        raise ValueError(f"{source}: expected a mapping with a non-empty 'themes' section")
    themes = {}
    for macro, spec in raw["themes"].items():
        where = f"{source}: theme {macro!r}"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}: expected a mapping with department and micro")
        dept = spec.get("department")
        if dept not in DEPARTMENTS:
            raise ValueError(f"{where}: department {dept!r} is not one of {list(DEPARTMENTS)}")
        micro = spec.get("micro")
        if not isinstance(micro, Mapping) or not micro:
            raise ValueError(f"{where}: needs at least one micro theme under 'micro'")
        clean = {}
        for name, rule in micro.items():
            rule = rule or {}
            kws = [str(k) for k in (rule.get("keywords") or [])]
            pats = [str(p) for p in (rule.get("patterns") or [])]
            if not kws and not pats:
                raise ValueError(f"{where}, micro theme {name!r}: no keywords nor patterns")
            for p in pats:
                try:
                    re.compile(p)
                except re.error as e:
                    raise ValueError(f"{where}, micro theme {name!r}: bad pattern {p!r}: {e}") from e
            clean[str(name)] = {"keywords": kws, "patterns": pats}
        themes[str(macro)] = {"label": str(spec.get("label", macro)), "department": dept,
                              "micro": clean}
    return Taxonomy(themes)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and check a taxonomy YAML (default: the package's taxonomy.yaml)."""
    import yaml

    p = Path(path) if path is not None else TAXONOMY_FILE
    if not p.exists():
        raise FileNotFoundError(f"taxonomy file not found: {p}")
    return _validate_taxonomy(yaml.safe_load(p.read_text(encoding="utf-8")), str(p))


def taxonomy_from_dict(spec: Mapping) -> Taxonomy:
    """A taxonomy from a mapping shaped like taxonomy.yaml (checked the same way)."""
    return _validate_taxonomy(spec, "taxonomy")


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    return load_taxonomy()


def departments(taxonomy: Taxonomy | None = None) -> dict[str, str]:
    """{macro theme: department} of the taxonomy (the alerts' routing table)."""
    return (taxonomy or default_taxonomy()).departments


def route_department(theme: str, taxonomy: Taxonomy | None = None) -> str:
    """Department receiving a theme's alerts; 'non routé' for an untagged or unknown theme."""
    return departments(taxonomy).get(theme, UNROUTED)


def _norm_kw(k: str) -> str:
    return " ".join(wtext.tokens(k.rstrip("*"), accents=False)) + ("*" if k.endswith("*") else "")


class _Matcher:
    """All keyword rules of a taxonomy as word n-grams (and word prefixes for "xxx*");
    each hit -> (macro, micro, weight)."""

    def __init__(self, tax: Taxonomy):
        self.exact: dict[tuple[str, ...], list[tuple[str, str, float]]] = {}
        self.prefix: dict[tuple[str, ...], list[tuple[str, str, float]]] = {}  # last word = prefix
        self.patterns: list[tuple[re.Pattern, str, str]] = []
        for macro, spec in tax.themes.items():
            for micro, rule in spec["micro"].items():
                for k in rule["keywords"]:
                    nk = _norm_kw(k)
                    words = tuple(nk.rstrip("*").split())
                    if not words:
                        continue
                    weight = 1.0 + 0.5 * (len(words) - 1)  # phrases weigh a bit more
                    target = self.prefix if nk.endswith("*") else self.exact
                    target.setdefault(words, []).append((macro, micro, weight))
                for pat in rule["patterns"]:
                    self.patterns.append((re.compile(pat), macro, micro))
        self.max_len = max([len(k) for k in self.exact] + [len(k) for k in self.prefix] + [1])
        self.prefix_by_len: dict[int, list[tuple[str, ...]]] = {}
        for k in self.prefix:
            self.prefix_by_len.setdefault(len(k), []).append(k)
        self.order = {m: i for i, m in enumerate(tax.themes)}
        # words a rule can start with: most words start none, and are skipped at once
        self.starts = {k[0] for k in self.exact} | {k[0] for k in self.prefix if len(k) > 1}
        self.start_prefixes = tuple(k[0] for k in self.prefix if len(k) == 1)

    def _hits(self, toks: list[str]):
        """Rules hit by the words, longest keyword first, without overlaps."""
        n = len(toks)
        exact, prefix = self.exact, self.prefix
        starts, start_prefixes = self.starts, self.start_prefixes
        i = 0
        while i < n:
            if toks[i] not in starts and not toks[i].startswith(start_prefixes):
                i += 1
                continue
            for k in range(min(self.max_len, n - i), 0, -1):
                key = tuple(toks[i : i + k])
                rules = list(exact.get(key, ()))
                for pk in self.prefix_by_len.get(k, ()):
                    if key[:-1] == pk[:-1] and key[-1].startswith(pk[-1]):
                        rules.extend(prefix[pk])
                if rules:
                    yield from rules
                    i += k
                    break
            else:
                i += 1

    def scores(self, body: str, tail: str) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for txt, factor in ((body, 1.0), (tail, 0.5)):
            if not txt:
                continue
            for macro, micro, w in self._hits(_WORDS.findall(txt)):
                out[(macro, micro)] = out.get((macro, micro), 0.0) + w * factor
            for rx, macro, micro in self.patterns:
                n = len(rx.findall(txt))
                if n:
                    out[(macro, micro)] = out.get((macro, micro), 0.0) + 2.0 * n * factor
        return out


_WORDS = re.compile(r"[\w@][\w'-]*")


@lru_cache(maxsize=8)
def _matcher(tax: Taxonomy) -> _Matcher:
    return _Matcher(tax)


_TRAILING_TAGS = re.compile(r"(?:\s*#\w+)+\s*$")


def _texts_of(texts_or_df, text_col: str) -> tuple[list[str], pd.Index]:
    if isinstance(texts_or_df, pd.DataFrame):
        if text_col not in texts_or_df:
            raise KeyError(f"column {text_col!r} not found (columns: {list(texts_or_df.columns)})")
        s = texts_or_df[text_col]
    elif isinstance(texts_or_df, pd.Series):
        s = texts_or_df
    elif isinstance(texts_or_df, str):
        raise TypeError("expected texts (a sequence, Series or DataFrame), got a single str")
    else:
        s = pd.Series(list(texts_or_df), dtype=object)
    bad = s.isna() | ~s.map(lambda v: isinstance(v, str))
    if bad.any():
        raise TypeError(f"{int(bad.sum())} text(s) missing or not str (first at index {s.index[bad][0]!r})")
    return s.tolist(), s.index


def _tag_row(sc: dict[tuple[str, str], float], matcher: _Matcher, tax: Taxonomy, depts: dict) -> tuple:
    """(theme, micro_theme, department, themes, theme_score) from the rules' scores of one text."""
    if not sc:
        return (UNTAGGED, UNTAGGED, UNROUTED, "", 0.0)
    macro_tot: dict[str, float] = {}
    for (macro, _), v in sc.items():
        macro_tot[macro] = macro_tot.get(macro, 0.0) + v
    ranked = sorted(macro_tot, key=lambda k: (-macro_tot[k], matcher.order[k]))
    best = ranked[0]
    micros = {mi: v for (ma, mi), v in sc.items() if ma == best}
    micro_order = list(tax.themes[best]["micro"])
    micro = sorted(micros, key=lambda k: (-micros[k], micro_order.index(k)))[0]
    return (best, micro, depts[best], "|".join(ranked), macro_tot[best])


def tag_themes(texts_or_df, taxonomy: Taxonomy | None = None, *, text_col: str = "text") -> pd.DataFrame:
    """Macro and micro theme of each text by the taxonomy's rules, and its department.

    Returns a DataFrame aligned with the input (same index): `theme` (macro; 'non classé' when no
    rule matches), `micro_theme`, `department` ('non routé' when untagged), `themes` (every macro
    theme hit, '|'-joined, best first) and `theme_score` (the winning total)."""
    tax = taxonomy or default_taxonomy()
    items, index = _texts_of(texts_or_df, text_col)
    matcher = _matcher(tax)
    depts = tax.departments
    cache: dict[str, tuple] = {}
    # distinct texts often normalise alike (handles, case): the rules run once per normalised pair
    by_norm: dict[tuple[str, str], tuple] = {}
    rows = []
    for t in items:
        r = cache.get(t)
        if r is None:
            m = _TRAILING_TAGS.search(t)
            body, tail = (t[: m.start()], t[m.start():]) if m else (t, "")
            key = (wtext.normalize(body, accents=False), wtext.normalize(tail, accents=False) if tail else "")
            r = by_norm.get(key)
            if r is None:
                r = by_norm[key] = _tag_row(matcher.scores(*key), matcher, tax, depts)
            cache[t] = r
        rows.append(r)
    return pd.DataFrame(rows, columns=["theme", "micro_theme", "department", "themes", "theme_score"],
                        index=index)


TAG_COLUMNS = ("theme", "micro_theme", "department", "themes", "theme_score")
SENTIMENT_COLUMNS = ("polarity", "label")


def themes_and_sentiment(mentions: pd.DataFrame, scorer, taxonomy: Taxonomy | None = None, *,
                         text_col: str = "text", background_from: int = 50_000,
                         known: pd.DataFrame | None = None) -> pd.DataFrame:
    """`tag_themes` joined with `scorer(texts)` (polarity, label), aligned with `mentions`.

    Both are independent passes over the distinct texts: from `background_from` distinct texts
    on, the themes are tagged in a second process while this one scores the sentiment (about
    half the wait on 2 cores at millions of mentions; same results). `known`: polarity and
    label that `scorer` already gave some of the mentions (aligned with `mentions`, missing
    elsewhere; see `saved_sentiment`): their texts are not scored again."""
    _need(mentions, [text_col], "mentions")
    texts = mentions[text_col]
    codes, uniq = pd.factorize(texts, sort=False)
    if (codes < 0).any():
        raise TypeError(f"{int((codes < 0).sum())} text(s) missing or not str "
                        f"(first at index {texts.index[codes < 0][0]!r})")
    uniq = pd.Series(uniq, dtype=object)
    done = np.zeros(len(uniq), dtype=bool)
    if known is not None:
        if len(known) != len(mentions):
            raise ValueError(f"known: {len(known)} rows for {len(mentions)} mentions (align it on them)")
        have = known["polarity"].notna().to_numpy() & known["label"].notna().to_numpy()
        first = pd.Series(np.flatnonzero(have), index=codes[have]).groupby(level=0).first()
        done[first.index.to_numpy()] = True
        pol = np.full(len(uniq), np.nan)
        lab = np.full(len(uniq), None, dtype=object)
        pol[first.index.to_numpy()] = known["polarity"].to_numpy(dtype=float)[first.to_numpy()]
        lab[first.index.to_numpy()] = known["label"].to_numpy(dtype=object)[first.to_numpy()]

    def sentiment_of_uniq() -> pd.DataFrame:
        if not done.any():
            return scorer(uniq).reset_index(drop=True)
        todo = np.flatnonzero(~done)
        fresh = scorer(uniq.iloc[todo].reset_index(drop=True)) if len(todo) else None
        p, lb = pol.copy(), lab.copy()
        if fresh is not None:
            p[todo] = fresh["polarity"].to_numpy(dtype=float)
            lb[todo] = fresh["label"].to_numpy(dtype=object)
        return pd.DataFrame({"polarity": p, "label": lb})

    if len(uniq) < max(background_from, 1) or not background_from:
        tags = tag_themes(uniq, taxonomy).reset_index(drop=True)
        scores = sentiment_of_uniq()
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pending = pool.submit(tag_themes, list(uniq), taxonomy or default_taxonomy())
            scores = sentiment_of_uniq()
            tags = pending.result().reset_index(drop=True)
    out = tags.join(scores)
    return out.iloc[codes].set_axis(texts.index)


def _text_hash(texts: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(texts.astype(str), index=False).to_numpy()


def mention_scores_table(scored: pd.DataFrame, month) -> pd.DataFrame:
    """The listening notebook's themes and sentiment per mention, to save for the later notebooks
    of the month (`mention_tags` reuses them): mention_id, month, text_hash (a changed text is
    not reused), TAG_COLUMNS, SENTIMENT_COLUMNS."""
    _need(scored, ["mention_id", "text", *TAG_COLUMNS, *SENTIMENT_COLUMNS], "scored mentions")
    out = scored[["mention_id", *TAG_COLUMNS, *SENTIMENT_COLUMNS]].reset_index(drop=True)
    out.insert(1, "month", str(month))
    out.insert(2, "text_hash", _text_hash(scored["text"]))
    return out


def sentiment_scores_table(mentions: pd.DataFrame, polarity: pd.Series, month) -> pd.DataFrame:
    """The default scorer's polarity of some mentions (`polarity` per mention_id, e.g.
    `ambassadors.mention_sentiment`), with its label, to save for the listening notebook of the
    month (`saved_sentiment`): mention_id, month, text_hash, polarity, label."""
    from workbench import sentiment

    _need(mentions, ["mention_id", "text"], "mentions")
    m = mentions[is_in(mentions["mention_id"], pd.Series(polarity.index))]
    pol = map_values(m["mention_id"], polarity).to_numpy(dtype=float)
    keep = ~np.isnan(pol)
    m, pol = m[keep], pol[keep]
    return pd.DataFrame({"mention_id": m["mention_id"].to_numpy(), "month": str(month),
                         "text_hash": _text_hash(m["text"]), "polarity": pol,
                         "label": sentiment.label_polarity(pol)})


def saved_sentiment(mentions: pd.DataFrame, saved: pd.DataFrame | None, month) -> pd.DataFrame:
    """The polarity and label saved for `month` by an earlier notebook of the month
    (`sentiment_scores_table`) of each mention, aligned with `mentions` (missing where not
    saved, or saved for another text): `themes_and_sentiment(known=...)` scores the others."""
    cols = list(SENTIMENT_COLUMNS)
    out = pd.DataFrame({"polarity": np.full(len(mentions), np.nan),
                        "label": np.full(len(mentions), None, dtype=object)}, index=mentions.index)
    if saved is None or not {"mention_id", "month", "text_hash", *cols} <= set(saved.columns):
        return out
    found, rows = _saved_rows(mentions, saved, month, cols)
    out.loc[found, "polarity"] = rows["polarity"].to_numpy(dtype=float)
    out.loc[found, "label"] = rows["label"].to_numpy(dtype=object)
    return out


def _saved_rows(mentions: pd.DataFrame, saved: pd.DataFrame, month, cols: list) -> tuple[np.ndarray, pd.DataFrame]:
    """(which mentions have a row saved for `month` with the same text, those rows' `cols`)."""
    in_month = (saved["month"].astype(str) == str(month)).to_numpy()
    same = saved if in_month.all() else saved[in_month]  # usually all: no copy
    pos = positions(mentions["mention_id"], same["mention_id"])  # ids are keys: one hash pass
    if pos is None:  # repeated ids: the first row of each, as pandas
        same = same.drop_duplicates("mention_id")
        pos = pd.Index(same["mention_id"]).get_indexer(mentions["mention_id"])
    found = pos >= 0
    found[found] = same["text_hash"].to_numpy()[pos[found]] == _text_hash(mentions.loc[found, "text"])
    return found, same[cols].iloc[pos[found]]


def mention_tags(mentions: pd.DataFrame, saved: pd.DataFrame | None = None, month=None,
                 taxonomy: Taxonomy | None = None, with_sentiment: bool = True) -> pd.DataFrame:
    """Themes (and sentiment) of each mention, reusing those the listening notebook saved.

    `saved`: the `mention_scores` table written by 03_social_listening (`mention_scores_table`);
    a row is reused only when saved for `month` with the same mention_id and text (same tagging
    and scorer as the listening report, no second pass over millions of texts). Other mentions
    are tagged with `tag_themes` and scored with `sentiment.score`. Returns a DataFrame aligned
    with `mentions` (same index) with TAG_COLUMNS (+ SENTIMENT_COLUMNS); `attrs["reused"]`
    counts the reused rows."""
    from workbench import sentiment

    _need(mentions, ["mention_id", "text"], "mentions")
    cols = list(TAG_COLUMNS) + (list(SENTIMENT_COLUMNS) if with_sentiment else [])
    usable = (saved is not None and month is not None and len(saved) > 0
              and {"mention_id", "month", "text_hash", *cols} <= set(saved.columns))
    found = np.zeros(len(mentions), bool)
    if usable:
        found, rows = _saved_rows(mentions, saved, month, cols)
        out = rows.set_axis(mentions.index[found])
    todo = mentions.loc[~found, "text"]
    if len(todo):
        fresh = tag_themes(todo, taxonomy)
        if with_sentiment:
            fresh = fresh.join(sentiment.score(todo))
        out = pd.concat([out, fresh[cols]]) if found.any() else fresh[cols]
    elif not found.any():
        out = pd.DataFrame(columns=cols, index=mentions.index)
    out = out.reindex(mentions.index)
    out.attrs["reused"] = int(found.sum())
    return out


def untagged_share(tags: pd.DataFrame) -> float:
    """Share of texts no rule tagged (to watch when editing the taxonomy)."""
    return float((tags["theme"] == UNTAGGED).mean()) if len(tags) else 0.0


def inherit_parent_themes(scored: pd.DataFrame, max_depth: int = 5) -> pd.DataFrame:
    """Untagged replies take the theme of the message they answer: "toujours rien ?" under a
    complaint about a late parcel is about delivery. `scored`: mention_id, reply_to and the
    theme columns (`tag_themes`); a reply whose parent (a mention of the same table) is
    tagged gets its theme, micro_theme and department, following chains of replies up to
    `max_depth` levels. Adds `theme_from_parent` (bool). Returns a copy."""
    _need(scored, ["mention_id", "reply_to", "theme"], "inherit_parent_themes")
    cols = [c for c in ("theme", "micro_theme", "department") if c in scored.columns]
    out = scored.copy()
    # each reply's parent row (the first row of its mention_id), found once
    ids = out["mention_id"]
    first = np.flatnonzero(~ids.duplicated().to_numpy())
    at = pd.Index(ids.to_numpy()[first]).get_indexer(out["reply_to"])
    parent = np.where(at >= 0, first[np.maximum(at, 0)], -1)
    values = {c: out[c].to_numpy(dtype=object, copy=True) for c in cols}
    has_parent = out["reply_to"].notna().to_numpy()
    inherited = np.zeros(len(out), dtype=bool)
    for _ in range(max_depth):
        theme = values["theme"]
        todo = (theme == UNTAGGED) & has_parent
        if not todo.any():
            break
        rows = np.flatnonzero(todo)
        rows = rows[parent[rows] >= 0]
        found = theme[parent[rows]]
        ok = pd.notna(found) & (found != UNTAGGED)
        if not ok.any():
            break
        rows, src = rows[ok], parent[rows[ok]]
        snapshot = {c: values[c][src] for c in cols}  # the parents' values before this round
        for c in cols:
            values[c][rows] = snapshot[c]
        inherited[rows] = True
    for c in cols:
        if inherited.any():
            out[c] = pd.Series(values[c], index=out.index).astype(out[c].dtype)
    out["theme_from_parent"] = inherited
    return out


# ---------------------------------------------------------------------------------------------
# Sentiment over time
# ---------------------------------------------------------------------------------------------


def _need(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing} (has {list(df.columns)})")


def _period(ts: pd.Series, freq: str) -> pd.Series:
    return ts.dt.to_period(freq).dt.start_time


def sentiment_over_time(scored: pd.DataFrame, by: Iterable[str] = (), freq: str = "M",
                        z: float = 1.96) -> pd.DataFrame:
    """Per period (and groups `by`, e.g. platform, theme, brand): mentions, positive, neutral,
    negative, share_negative with its Wilson 95 % interval, net_sentiment = (pos - neg) / n with
    its normal-approximation 95 % interval.

    `scored`: one row per mention with `timestamp` and `label` (negative/neutral/positive)."""
    by = list(by)
    _need(scored, ["timestamp", "label", *by], "sentiment_over_time")
    d = pd.DataFrame({"period": _period(scored["timestamp"], freq)})
    for c in by:
        d[c] = scored[c].to_numpy()
    lab = scored["label"].to_numpy()
    d["positive"] = (lab == "positive").astype(int)
    d["neutral"] = (lab == "neutral").astype(int)
    d["negative"] = (lab == "negative").astype(int)
    g = d.groupby(["period", *by], observed=True, sort=True)[["positive", "neutral", "negative"]].sum()
    g["mentions"] = g.sum(axis=1)
    n = g["mentions"].to_numpy(float)
    pneg = g["negative"].to_numpy() / n
    ppos = g["positive"].to_numpy() / n
    denom = 1 + z * z / n
    centre = (pneg + z * z / (2 * n)) / denom
    half = z * np.sqrt(pneg * (1 - pneg) / n + z * z / (4 * n * n)) / denom
    g["share_negative"] = pneg
    g["share_negative_low"] = np.clip(centre - half, 0, 1)
    g["share_negative_high"] = np.clip(centre + half, 0, 1)
    net = ppos - pneg
    se = np.sqrt(np.maximum(ppos + pneg - net * net, 0) / n)
    g["net_sentiment"] = net
    g["net_sentiment_low"] = np.clip(net - z * se, -1, 1)
    g["net_sentiment_high"] = np.clip(net + z * se, -1, 1)
    return g.reset_index()


# ---------------------------------------------------------------------------------------------
# Peaks and alerts
# ---------------------------------------------------------------------------------------------


def _robust_baseline(counts: pd.Series, window: int, min_periods: int) -> tuple[pd.Series, pd.Series]:
    """Trailing rolling median and MAD (previous `window` periods, current one excluded)."""
    past = counts.shift(1)
    med = past.rolling(window, min_periods=min_periods).median()
    mad = past.rolling(window, min_periods=min_periods).apply(
        lambda x: np.median(np.abs(x - np.median(x))), raw=True)
    return med, mad


def daily_volume(mentions: pd.DataFrame, by: Iterable[str] = ()) -> pd.DataFrame:
    """Mentions per day (and group), every day of the covered range present (zeros filled)."""
    by = list(by)
    _need(mentions, ["timestamp", *by], "daily_volume")
    d = pd.DataFrame({"period": mentions["timestamp"].dt.floor("D").to_numpy()})
    for c in by:
        d[c] = mentions[c].to_numpy()
    counts = d.groupby(["period", *by], observed=True).size().rename("mentions")
    full = pd.date_range(d["period"].min(), d["period"].max(), freq="D", name="period")
    if by:
        groups = counts.reset_index()[by].drop_duplicates()
        grid = groups.merge(pd.DataFrame({"period": full}), how="cross")[["period", *by]]
        counts = counts.reindex(pd.MultiIndex.from_frame(grid), fill_value=0)
    else:
        counts = counts.reindex(full, fill_value=0)
    return counts.reset_index()


def detect_peaks(mentions: pd.DataFrame, *, by: Iterable[str] = (), window: int = 28,
                 threshold: float = 4.0, min_excess: int = 10, min_periods: int = 14) -> pd.DataFrame:
    """Unusual daily mention volume: robust z = (count - rolling median) / (1.4826 * MAD) over
    the previous `window` days; a day is a peak when z > threshold and the excess over the
    median is at least `min_excess` mentions. Consecutive peak days form one peak.

    Returns one row per peak (and group): start, end, peak_date (the highest day), mentions
    (over the peak), baseline (expected over the same days), max_z."""
    by = list(by)
    cols = [*by, "start", "end", "peak_date", "days", "mentions", "baseline", "max_z"]
    _need(mentions, ["timestamp", *by], "detect_peaks")
    if mentions.empty:
        return pd.DataFrame(columns=cols)
    vol = daily_volume(mentions, by)
    rows = []
    groups = vol.groupby(by, observed=True, sort=True) if by else [((), vol)]
    for key, g in groups:
        g = g.sort_values("period")
        c = g["mentions"].astype(float).reset_index(drop=True)
        med, mad = _robust_baseline(c, window, min_periods)
        scale = 1.4826 * mad.clip(lower=1.0)
        zs = (c - med) / scale
        flag = (zs > threshold) & ((c - med) >= min_excess)
        dates = g["period"].reset_index(drop=True)
        run = (flag != flag.shift()).cumsum()
        for _, idx in flag[flag].groupby(run[flag]).groups.items():
            idx = list(idx)
            top = max(idx, key=lambda i: c[i])
            row = {"start": dates[idx[0]], "end": dates[idx[-1]], "peak_date": dates[top],
                   "days": len(idx), "mentions": int(c[idx].sum()),
                   "baseline": float(med[idx].sum()), "max_z": float(zs[idx].max())}
            if by:
                row.update(dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)))
            rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def explain_peaks(peaks: pd.DataFrame, mentions: pd.DataFrame, *, baseline_days: int = 28,
                  n_authors: int = 3, n_posts: int = 3) -> pd.DataFrame:
    """Why each peak happened: its main theme (share during the peak and lift over the previous
    `baseline_days`), share negative (vs baseline), top authors (pseudonymous account_id) and
    representative posts (most repeated texts, @handles masked).

    Counts reconcile with the daily chart of the same `mentions`: `peak_day_mentions` (and
    `peak_day_negative`) is the count of the peak day itself, `mentions` the total over the
    episode (`start` to `end`, `days` days) — a page must label the latter as a multi-day total.

    `mentions`: timestamp, text, account_id, theme, label (tag_themes + sentiment.score)."""
    _need(mentions, ["timestamp", "text", "account_id", "theme", "label"], "explain_peaks")
    by = [c for c in peaks.columns if c not in
          ("start", "end", "peak_date", "days", "mentions", "baseline", "max_z")]
    day = mentions["timestamp"].dt.floor("D")
    rows = []
    for _, p in peaks.iterrows():
        sel = np.ones(len(mentions), bool)
        for c in by:
            sel &= (mentions[c] == p[c]).to_numpy()
        inside = mentions[sel & (day >= p["start"]).to_numpy() & (day <= p["end"]).to_numpy()]
        before = mentions[sel & (day < p["start"]).to_numpy()
                          & (day >= p["start"] - pd.Timedelta(days=baseline_days)).to_numpy()]
        share_in = inside["theme"].value_counts(normalize=True)
        share_out = before["theme"].value_counts(normalize=True)
        lift = (share_in / share_out.reindex(share_in.index).fillna(0).clip(lower=1e-3))
        # main theme: largest excess of mentions over what the baseline mix predicts
        excess = share_in * len(inside) - share_out.reindex(share_in.index).fillna(0) * len(inside)
        main = excess.idxmax() if len(excess) else UNTAGGED
        authors = inside["account_id"].value_counts().head(n_authors)
        posts = mask_personal(inside.loc[inside["theme"] == main, "text"]).value_counts().head(n_posts)
        on_peak_day = (inside["timestamp"].dt.floor("D") == p["peak_date"]).to_numpy()
        rows.append({
            **{c: p[c] for c in by},
            "peak_date": p["peak_date"], "start": p["start"], "end": p["end"], "days": int(p["days"]),
            "peak_day_mentions": int(on_peak_day.sum()),
            "peak_day_negative": int((inside["label"].to_numpy()[on_peak_day] == "negative").sum()),
            "mentions": int(p["mentions"]),
            "baseline": float(p["baseline"]), "main_theme": main,
            "theme_share": float(share_in.get(main, 0.0)), "theme_lift": float(lift.get(main, np.nan)),
            "share_negative": float((inside["label"] == "negative").mean()) if len(inside) else np.nan,
            "baseline_share_negative": float((before["label"] == "negative").mean()) if len(before) else np.nan,
            "top_authors": ", ".join(f"{a} ({n})" for a, n in authors.items()),
            "representative_posts": " | ".join(posts.index),
        })
    return pd.DataFrame(rows)


def negative_alerts(scored: pd.DataFrame, *, by: Iterable[str] = ("brand",), window: int = 28,
                    threshold: float = 4.0, min_negative: int = 10, min_periods: int = 14,
                    originals_only: bool = True, n_examples: int = 2,
                    taxonomy: Taxonomy | None = None,
                    alert_departments: Iterable[str] | None = None) -> pd.DataFrame:
    """Negative surges per theme, routed to a department.

    Daily negative mentions per theme (and `by`, e.g. brand) against a trailing rolling median
    + MAD baseline (`detect_peaks`); a day alerts when the robust z exceeds `threshold` and the
    day has at least `min_negative` negative mentions above the median. Consecutive alert days
    are one alert. By default retweets are not counted (`originals_only`, needs `retweet_of`):
    one influential post reshared many times is not a surge of people complaining.

    `scored`: timestamp, theme, label, text, account_id (and the `by` columns). Returns, sorted
    by date: theme, department, the `by` columns, start, end, peak_date, days,
    negative_mentions, authors (distinct), baseline, max_z, examples (personal data masked).
    `alert_departments` (the retailer profile's): an alert whose department is not among them
    is 'non routé'."""
    by = list(by)
    _need(scored, ["timestamp", "theme", "label", "text", "account_id", *by], "negative_alerts")
    neg = scored[(scored["label"] == "negative") & (scored["theme"] != UNTAGGED)]
    if originals_only:
        _need(scored, ["retweet_of"], "negative_alerts(originals_only=True)")
        neg = neg[neg["retweet_of"].isna()]
    cols = ["theme", "department", *by, "start", "end", "peak_date", "days", "negative_mentions",
            "authors", "baseline", "max_z", "examples"]
    if neg.empty:
        return pd.DataFrame(columns=cols)
    peaks = detect_peaks(neg, by=["theme", *by], window=window, threshold=threshold,
                         min_excess=min_negative, min_periods=min_periods)
    peaks = peaks.rename(columns={"mentions": "negative_mentions"})
    peaks["department"] = peaks["theme"].map(lambda t: route_department(t, taxonomy))
    if alert_departments is not None:  # the retailer profile's: others are not routed
        peaks.loc[~peaks["department"].isin(list(alert_departments)), "department"] = UNROUTED
    day = neg["timestamp"].dt.floor("D")
    authors, examples = [], []
    for _, p in peaks.iterrows():
        sel = (day >= p["start"]) & (day <= p["end"]) & (neg["theme"] == p["theme"])
        for c in by:
            sel &= neg[c] == p[c]
        inside = neg[sel]
        authors.append(int(inside["account_id"].nunique()))
        top = mask_personal(inside["text"]).value_counts().head(n_examples)
        examples.append(" | ".join(top.index))
    peaks["authors"] = authors
    peaks["examples"] = examples
    return peaks[cols].sort_values(["start", "theme"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Share of voice, negative drivers, search
# ---------------------------------------------------------------------------------------------


def share_of_voice(mentions: pd.DataFrame, *, by: Iterable[str] = ("platform",), freq: str = "M") -> pd.DataFrame:
    """Each brand's share of the mentions per period and group (e.g. platform): mentions,
    total of the period/group, share."""
    by = list(by)
    _need(mentions, ["timestamp", "brand", *by], "share_of_voice")
    d = pd.DataFrame({"period": _period(mentions["timestamp"], freq), "brand": mentions["brand"].to_numpy()})
    for c in by:
        d[c] = mentions[c].to_numpy()
    g = d.groupby(["period", *by, "brand"], observed=True).size().rename("mentions").reset_index()
    g["total"] = g.groupby(["period", *by], observed=True)["mentions"].transform("sum")
    g["share"] = g["mentions"] / g["total"]
    return g


def negative_drivers(scored: pd.DataFrame, *, group: str = "category", top: int = 3) -> pd.DataFrame:
    """Why a product line fails: per `group` value, mentions, share negative, and the themes
    that carry its negative mentions (share of its negatives, and lift = that share over the
    theme's share of all negatives), the `top` drivers first.

    `scored`: group column, theme, label. Rows with no group value are counted apart as
    'non renseigné'."""
    _need(scored, [group, "theme", "label"], "negative_drivers")
    d = scored[[group, "theme", "label"]].copy()
    d[group] = d[group].astype(object).where(d[group].notna(), "non renseigné")
    overall_neg = d[d["label"] == "negative"]["theme"].value_counts(normalize=True)
    rows = []
    for gv, g in d.groupby(group, sort=True):
        neg = g[g["label"] == "negative"]
        share = neg["theme"].value_counts(normalize=True)
        lift = share / overall_neg.reindex(share.index).clip(lower=1e-9)
        for rank, (theme, s) in enumerate(share.head(top).items(), start=1):
            rows.append({group: gv, "mentions": len(g), "share_negative": len(neg) / len(g),
                         "rank": rank, "theme": theme, "share_of_negatives": float(s),
                         "lift": float(lift[theme])})
    return pd.DataFrame(rows, columns=[group, "mentions", "share_negative", "rank", "theme",
                                       "share_of_negatives", "lift"])


def search_opportunities(search_keywords: pd.DataFrame, brand_terms: Iterable[str],
                         competitor_terms: Iterable[str] = (), recent_months: int = 3,
                         rising: float = 0.1) -> pd.DataFrame:
    """Most searched keywords and what they reveal: total searches, last `recent_months`
    vs the same number of months before (growth), `trend` ("en hausse" / "en baisse" beyond
    ±`rising`, else "stable") and the kind of keyword (marque, concurrent, générique).
    Generic keywords that rise (growth >= `rising`, whatever their volume) or are large and not
    falling are opportunities (content, assortment, SEA) the brand does not own yet; a large
    but falling query is not."""
    _need(search_keywords, ["month", "keyword", "searches"], "search_opportunities")
    d = search_keywords.copy()
    d["searches"] = d["searches"].astype(float)
    months = np.sort(d["month"].unique())
    recent = months[-recent_months:]
    prev = months[-2 * recent_months:-recent_months]
    g = d.groupby("keyword")
    out = pd.DataFrame({
        "searches": g["searches"].sum(),
        "recent": d[d["month"].isin(recent)].groupby("keyword")["searches"].sum(),
        "previous": d[d["month"].isin(prev)].groupby("keyword")["searches"].sum(),
    }).fillna(0.0)
    out["growth"] = np.where(out["previous"] > 0, out["recent"] / out["previous"].where(out["previous"] > 0) - 1, np.nan)
    bt = [wtext.strip_accents(b.lower()) for b in brand_terms]
    ct = [wtext.strip_accents(c.lower()) for c in competitor_terms]

    def kind(k: str) -> str:
        k = wtext.strip_accents(k.lower())
        if any(b in k for b in bt):
            return "marque"
        if any(c in k for c in ct):
            return "concurrent"
        return "générique"

    out["kind"] = [kind(k) for k in out.index]
    gen = out["kind"] == "générique"
    vol_cut = out.loc[gen, "searches"].median() if gen.any() else np.inf
    growth = out["growth"].fillna(0.0)
    out["trend"] = np.where(growth >= rising, "en hausse", np.where(growth <= -rising, "en baisse", "stable"))
    # an opportunity grows (any volume) or is large without falling; a falling query is not one
    out["opportunity"] = gen & ((growth >= rising) | ((out["searches"] >= vol_cut) & (growth > -rising)))
    return out.sort_values("searches", ascending=False).reset_index()


# ---------------------------------------------------------------------------------------------
# Concept clouds and topics: in workbench.concept_cloud, reachable here too
# ---------------------------------------------------------------------------------------------

_CLOUD_NAMES = ("STOP_POS", "CONCEPT_POS", "concept_terms", "absorb_parts", "concept_cloud",
                "concept_alignment", "discover_topics")


def __getattr__(name: str):
    """`concepts.concept_cloud` and the other concept-cloud names, loaded on first use (the
    module imports this one, so it cannot be imported at the top)."""
    if name in _CLOUD_NAMES:
        from workbench import concept_cloud

        return getattr(concept_cloud, name)
    raise AttributeError(f"module 'workbench.concepts' has no attribute {name!r}")
