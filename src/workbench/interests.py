"""Customer interests: the product categories a customer cares about, from three sources.

The omnichannel and journey articles describe customers by "âge, profession, sexe et intérêts".
Interests are read in the retailer's own vocabulary (the profile's product categories, never a
list in code), from:

* **achats** (`purchase_evidence`): the category's share of the customer's spend over the
  behaviour window (`cat_<category>` columns of `segmentation.customer_features`), when it is
  well above the category's share of everyone's spend (`min_lift`) and the customer bought
  often enough (`min_purchases`) for the share to mean something;
* **publications** (`post_evidence`): the categories named by the customer's own posts
  (`mentions.category` of original posts, not reshares) of the social accounts linked to them
  (`workbench.identity` links);
* **bio** (`bio_evidence`): a linked account's bio naming the category (its French label or
  code, accents and case ignored).

`customer_interests` combines them (an interest needs one source; the main interest is the
category with the most evidence) and `segment_portrait` puts every dimension (age × sex, CSP,
interests, channel) side by side per segment. Pure functions of DataFrames.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from workbench.frames import text_per_row
from workbench.identity import normalise_text

SOURCE_LABELS = {"purchases": "achats", "posts": "publications", "bio": "bio"}


def purchase_evidence(features: pd.DataFrame, categories, *, min_lift: float = 2.5,
                      min_share: float = 0.4, min_purchases: int = 3) -> pd.DataFrame:
    """Spend share per customer and category where it marks an interest, else 0.

    `features`: one row per customer (index customer_id) with `cat_<category>` spend shares
    and `frequency`. A share counts when it is at least `min_share`, at least `min_lift` times
    the category's share of the whole base's spend, over `min_purchases` purchases or more.
    """
    cols = [f"cat_{c}" for c in categories]
    missing = [c for c in [*cols, "frequency"] if c not in features.columns]
    if missing:
        raise ValueError(f"purchase_evidence: features lack {missing}")
    share = features[cols].astype(float).fillna(0.0)
    share.columns = list(categories)
    spend = share.mul(features["monetary"].astype(float).fillna(0), axis=0) if "monetary" in features \
        else share
    base = spend.sum() / max(float(spend.to_numpy().sum()), 1e-12)
    ok = (share >= min_share) & (share >= min_lift * base) \
        & (features["frequency"].astype(float).fillna(0) >= min_purchases).to_numpy()[:, None]
    return share.where(ok, 0.0)


def post_evidence(mentions: pd.DataFrame, links: pd.DataFrame, categories, *, min_posts: int = 3,
                  min_share: float = 0.5) -> pd.DataFrame:
    """Share of a linked customer's own category-naming posts per category, where it marks an
    interest (at least `min_posts` such posts naming it and `min_share` of them), else 0.

    Rows: customers with at least one linked account that named a category."""
    cats = list(categories)
    own = mentions[mentions["retweet_of"].isna() & mentions["category"].notna()]
    own = own.merge(links[["customer_id", "account_id"]].drop_duplicates(), on="account_id")
    own = own[own["category"].isin(cats)]
    counts = (own.groupby(["customer_id", "category"], observed=True, sort=True).size()
              .unstack(fill_value=0).reindex(columns=cats, fill_value=0))  # pd.crosstab's table
    share = counts.div(counts.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0.0)
    return share.where((counts >= min_posts) & (share >= min_share), 0.0).rename_axis("customer_id")


def _label_patterns(category_labels: dict) -> dict[str, re.Pattern]:
    out = {}
    for code, label in category_labels.items():
        words = {w for w in (normalise_text(label), normalise_text(code.replace("_", " "))) if w}
        out[code] = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")\b")
    return out


def bio_evidence(accounts: pd.DataFrame, links: pd.DataFrame, category_labels: dict) -> pd.DataFrame:
    """1 where a bio of a customer's linked accounts names the category (label or code), else 0.

    `category_labels`: the profile's {code: French label}. Rows: linked customers with a bio."""
    cats = list(category_labels)
    acc = accounts[["account_id", "bio"]].dropna(subset=["bio"])
    acc = acc.merge(links[["customer_id", "account_id"]].drop_duplicates(), on="account_id")
    if acc.empty:
        return pd.DataFrame(columns=cats, dtype=float).rename_axis("customer_id")
    # each distinct bio normalised and searched once (many accounts share a generic bio)
    codes, bios = pd.factorize(acc["bio"])
    norm = pd.Series([normalise_text(t) or "" for t in bios])
    hits = pd.DataFrame({c: norm.str.contains(p).to_numpy()[codes]
                         for c, p in _label_patterns(category_labels).items()},
                        index=acc["customer_id"].to_numpy())
    return hits.groupby(level=0).any().astype(float).rename_axis("customer_id")


def customer_interests(customers, categories, purchases: pd.DataFrame | None = None,
                       posts: pd.DataFrame | None = None, bios: pd.DataFrame | None = None,
                       weights: dict | None = None, min_evidence: float = 0.45) -> pd.DataFrame:
    """Interests of every customer from the evidence tables (any may be None).

    Evidence per category = weighted sum of the sources (`weights`: purchases 1, posts 1, bio
    0.3 by default); a category is an interest above `min_evidence` (by default a bio alone is
    not enough: generic bio phrases such as "Amoureuse de mode" confirm, they do not decide).
    Returns, per customer id of `customers`: `interest` (the category with the
    most evidence, None without evidence), `interests` (every category with evidence, best
    first, '|'-joined, '' without), `n_interests`, `sources` (French names of the sources
    behind the main interest, ' + '-joined) and `evidence_<category>` columns.
    """
    cats = list(categories)
    idx = pd.Index(pd.Index(customers).astype(str), name="customer_id")
    w = {"purchases": 1.0, "posts": 1.0, "bio": 0.3, **(weights or {})}
    srcs = {"purchases": purchases, "posts": posts, "bio": bios}
    total = pd.DataFrame(0.0, index=idx, columns=cats)
    aligned = {}
    for name, ev in srcs.items():
        if ev is None:
            continue
        a = ev.reindex(index=idx, columns=cats).astype(float).fillna(0.0)
        aligned[name] = a
        total += w[name] * a
    vals = total.to_numpy()
    has = vals > min_evidence
    order = np.argsort(-vals, axis=1, kind="stable")
    names = np.array(cats, dtype=object)
    any_ = has.any(axis=1)
    best = np.where(any_, names[order[:, 0]], None)
    # the interests of a row, best first: its categories above the threshold in `order` (they
    # lead it). Rows are grouped by that sequence (-1 past the last interest): one join per
    # distinct sequence instead of one per customer (a million customers, a few sequences)
    seq = np.where(np.take_along_axis(has, order, axis=1), order, -1)
    lists = text_per_row(seq, lambda row: "|".join(names[j] for j in row if j >= 0))
    out = pd.DataFrame({"interest": best, "interests": lists, "n_interests": has.sum(axis=1)}, index=idx)
    # sources behind the main interest: those with evidence > 0 for it, in the sources' order
    rows = np.arange(len(idx))
    found = np.stack([a.to_numpy()[rows, order[:, 0]] > 0 for a in aligned.values()], axis=1) \
        if aligned else np.zeros((len(idx), 0), dtype=bool)
    labels = [SOURCE_LABELS[n] for n in aligned]
    src = text_per_row(found, lambda row: " + ".join(lab for lab, f in zip(labels, row, strict=True) if f))
    out["sources"] = [s if a else "" for s, a in zip(src, any_, strict=True)]
    for c in cats:
        out[f"evidence_{c}"] = total[c].to_numpy()
    return out


def interest_shares(interests: pd.DataFrame, segments: pd.Series | None = None, categories=None) -> pd.DataFrame:
    """Share of customers with each interest (any of their interests), overall or per segment.

    `segments`: segment per customer_id (rows of the result); None = one row "Ensemble".
    Columns: the categories (in `categories` order when given)."""
    # each distinct list of interests is split once (a million customers, a few hundred lists)
    codes, lists = pd.factorize(interests["interests"], use_na_sentinel=False)
    split = [s.split("|") for s in lists]
    cats = list(categories) if categories is not None else sorted(
        {c for parts in split for c in parts if c})
    flags = pd.DataFrame({c: np.array([c in parts for parts in split], dtype=bool)[codes] for c in cats},
                         index=interests.index)
    if segments is None:
        return flags.mean().to_frame("Ensemble").T
    seg = segments.reindex(flags.index)
    return flags[seg.notna().to_numpy()].groupby(seg.dropna()).mean()


def _top(s: pd.Series):
    vc = s.dropna().value_counts(normalize=True)
    return (vc.index[0], float(vc.iloc[0])) if len(vc) else (None, np.nan)


def segment_portrait(features: pd.DataFrame, segments: pd.Series, interests: pd.DataFrame | None = None,
                     social: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every descriptive dimension per segment in one table (rows: segments, biggest first).

    From `features` (index customer_id): `customers`, `women_share` (sex F among known),
    `age_mean`, `top_age_band` / `top_age_band_share`, `top_csp` / `top_csp_share`,
    `top_region`; from `interests` (`customer_interests`): `with_interest` (share with at least
    one interest), `top_interest` / `top_interest_share` (the most frequent interest among
    customers with one); from `social` (`identity.customer_social_profile` rows indexed by
    customer_id): `linked_share` (share with a linked account).
    """
    df = features.join(segments.rename("segment"), how="inner")
    g = df.groupby("segment", observed=True)
    out = pd.DataFrame({"customers": g.size()})
    if "sex" in df:
        known = df[df["sex"].isin(["F", "M"])]
        out["women_share"] = known.groupby("segment")["sex"].agg(lambda s: float((s == "F").mean()))
    if "age" in df:
        out["age_mean"] = g["age"].mean()
    for col, name in (("age_band", "top_age_band"), ("csp", "top_csp"), ("region", "top_region")):
        if col in df:
            tops = g[col].agg(_top)
            out[name] = tops.map(lambda t: t[0])
            out[f"{name}_share"] = tops.map(lambda t: t[1])
    if interests is not None:
        it = interests.reindex(df.index)
        df = df.assign(_interest=it["interest"].to_numpy(), _has=(it["n_interests"].fillna(0) > 0).to_numpy())
        g = df.groupby("segment", observed=True)
        out["with_interest"] = g["_has"].mean()
        tops = g["_interest"].agg(_top)
        out["top_interest"] = tops.map(lambda t: t[0])
        out["top_interest_share"] = tops.map(lambda t: t[1])
    if social is not None:
        out["linked_share"] = g.apply(lambda d: float(d.index.isin(social.index).mean()))
    return out.sort_values("customers", ascending=False)


# French labels of the workbench's fixed codes shown beside the interests (sex, CSP).
SEX_LABELS_FR = {"F": "Femmes", "M": "Hommes"}
CSP_LABELS_FR = {
    "agriculteurs": "Agriculteurs", "artisans_commercants": "Artisans, commerçants",
    "cadres": "Cadres", "professions_intermediaires": "Professions intermédiaires",
    "employes": "Employés", "ouvriers": "Ouvriers", "retraites": "Retraités",
    "sans_activite": "Sans activité",
}
