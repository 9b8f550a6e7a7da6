"""Customer segments: the RFM value segments' names and the behavioural segments (k-means).

Why: a marketer acts on a few named groups of customers, not on a million rows. The behavioural
segments cluster the standardised customer features (`segmentation.customer_features`) with
k-means, k chosen by the silhouette criterion, and get French names from archetypes; a fitted
model (`fit_segment_model`) assigns later months with the same definitions (`assign_segments`).
`segment_profiles` and `segment_tests` say who is in each segment and whether the segments
really differ. Every function is pure (DataFrames and parameters in, new DataFrames out).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RFM_SEGMENTS_FR = (
    # (label, rule) on R and F scores 1-5, checked in order; 0 = no purchase
    ("Champions", "R >= 4 et F >= 4"),
    ("Fidèles", "R >= 3 et F >= 3"),
    ("Nouveaux / prometteurs", "R >= 4 et F <= 2"),
    ("À risque", "R <= 2 et F >= 3"),
    ("À réveiller", "R = 3 et F <= 2"),
    ("Perdus", "R <= 2 et F <= 2"),
    ("Sans achat sur la période", "aucun achat sur la période"),
)
# Customers without any purchase in the window: the last RFM segment, and the group the
# behavioural segmentation puts them in (they are not clustered: with no purchase, their
# basket, frequency and channel shares are zeros that k-means would turn into a segment of its own).
NO_PURCHASE = RFM_SEGMENTS_FR[-1][0]


def _count_table(rows: pd.Series, cols: pd.Series) -> pd.DataFrame:
    """Counts per (row value, column value), wide; like `pd.crosstab` (missing keys left out)
    but vectorised (pandas' crosstab aggregates group by group in Python: minutes at 1M)."""
    return rows.groupby([rows, cols], observed=True, sort=True).size().unstack(fill_value=0)


# ------------------------------------------------------------------------------------------
# Clustering
# ------------------------------------------------------------------------------------------

CLUSTER_FEATURES = (
    "age",
    "log_frequency",
    "log_avg_basket",
    "share_store",
    "share_online",
    "share_click_collect",
    "research_share",
    "promo_share",
    "open_rate",
    "click_rate",
    "log_social_touchpoints",
    "loyalty_rank",
)


# features of the linked social accounts (`customer_features` with `identity_links`)
SOCIAL_LINK_FEATURES = ("social_accounts", "social_followers", "social_mentions")

# file columns behind the features that can be entirely empty (optional columns)
FEATURE_SOURCES = {"age": "customers.birth_year"}


def clustering_matrix(features: pd.DataFrame, columns=CLUSTER_FEATURES) -> pd.DataFrame:
    """The (unscaled) numeric matrix used for clustering; derived log features added here.

    Missing age is imputed with the median age (the count is in `.attrs['imputed_age']`);
    columns absent from `features` are refused.
    """
    f = features
    derived = {
        "log_frequency": lambda: np.log1p(f["frequency"]),
        "log_avg_basket": lambda: np.log1p(f["avg_basket"]),
        "log_monetary": lambda: np.log1p(f["monetary"]),
        "log_social_touchpoints": lambda: np.log1p(f["social_touchpoints"]),
        "log_search_touchpoints": lambda: np.log1p(f["search_touchpoints"]),
    }
    cols = {}
    for c in columns:
        if c in f.columns:
            cols[c] = f[c].astype(float)
        elif c in derived:
            try:
                cols[c] = derived[c]().astype(float)
            except KeyError as err:
                raise ValueError(f"clustering_matrix: feature {c!r} needs column {err}") from None
        else:
            raise ValueError(f"clustering_matrix: unknown feature {c!r}")
    X = pd.DataFrame(cols, index=f.index)
    # a feature with no value at all (an optional column left empty in the file) is left out
    # of the clustering, and said: `attrs['dropped']` names the file column it comes from
    empty = [c for c in X.columns if len(X) and X[c].isna().all()]
    X = X.drop(columns=empty)
    n_age = int(X["age"].isna().sum()) if "age" in X else 0
    if n_age:
        X["age"] = X["age"].fillna(X["age"].median())
    bad = X.isna().any(axis=1)
    if bad.any():
        raise ValueError(f"clustering_matrix: {int(bad.sum())} customer(s) with missing values in "
                         f"{X.columns[X.isna().any()].tolist()}")
    X.attrs["imputed_age"] = n_age
    X.attrs["dropped"] = {c: FEATURE_SOURCES.get(c, c) for c in empty}
    return X


@dataclass(frozen=True)
class SegmentModel:
    """A fitted segmentation: scaling, cluster centres, names. Reuse it to assign other months."""

    columns: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    centers: np.ndarray  # in standardised units, one row per segment
    names: tuple[str, ...]
    k: int
    seed: int
    # k, silhouette, bic, inertia, fit_customers (buyers the k-means saw), customers (buyers)
    selection: pd.DataFrame = field(default_factory=pd.DataFrame)

    def standardise(self, X: pd.DataFrame) -> np.ndarray:
        return (X[list(self.columns)].to_numpy(float) - self.mean) / self.scale


def silhouette(D: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette width from a precomputed distance matrix (singletons score 0)."""
    labels = np.asarray(labels)
    uniq, lab = np.unique(labels, return_inverse=True)
    if len(uniq) < 2:
        return float("nan")
    onehot = np.zeros((len(lab), len(uniq)))
    onehot[np.arange(len(lab)), lab] = 1.0
    counts = onehot.sum(axis=0)
    sums = D @ onehot  # total distance of each point to each cluster
    own = counts[lab]
    a = sums[np.arange(len(lab)), lab] / np.maximum(own - 1, 1)
    mean_other = sums / counts
    mean_other[np.arange(len(lab)), lab] = np.inf
    b = mean_other.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.mean(s))


def choose_k(Z: np.ndarray, k_values=range(2, 9), seed: int = 0, sample_size: int = 4000):
    """Silhouette of k-means and BIC of a Gaussian mixture for each k (one table).

    Silhouette is computed on a fixed random subsample of `sample_size` customers to keep
    it fast, the k-means of each k on a random sample of `CHOOSE_K_ROWS` customers when there
    are more; k with the highest silhouette is the recommended one.
    """
    return _choose_k(Z, k_values, seed, sample_size)[0]


def _fit_kmeans(Z: np.ndarray, k: int, seed: int):
    """k-means (10 starts) on one thread: its result does not depend on how many cores the
    machine has (two threads add their partial sums in whichever order they finish), and on a
    shared machine OpenMP oversubscription made it 20x slower."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="openmp"):  # (this thread's OpenMP setting)
        return KMeans(n_clusters=k, n_init=10, random_state=seed).fit(Z)


def _fit_kmeans_each(Z: np.ndarray, ks, seed: int) -> dict:
    """{k: `_fit_kmeans(Z, k, seed)`} for each k, the fits side by side on the machine's cores
    (one thread each: the same fits as one after the other, in less time)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    ks = list(ks)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with threadpool_limits(1):  # BLAS on one thread for every fit (a process-wide setting)
        if len(ks) < 2 or (cores or 1) < 2:
            return {k: _fit_kmeans(Z, k, seed) for k in ks}
        with ThreadPoolExecutor(max_workers=min(len(ks), cores)) as pool:
            # (sklearn's k-means runs outside the GIL) the largest k first: they take longest
            fits = {k: pool.submit(_fit_kmeans, Z, k, seed) for k in sorted(ks, reverse=True)}
            return {k: fits[k].result() for k in ks}


# buyers the k-means of each k are fitted on when choosing k (a random sample above it): at a
# million customers the seven fits on everyone took 20 s for the same choice; the chosen k is
# then fitted on every buyer
CHOOSE_K_ROWS = 200_000


def _choose_k(Z: np.ndarray, k_values, seed: int, sample_size: int = 4000, fit_rows: int | None = None):
    """(choose_k table, {k: KMeans fitted on every row of Z}, empty when the fits were on a
    sample of `fit_rows` rows, default `CHOOSE_K_ROWS`): the fits on every row are reused for
    the chosen k. The table says how many rows the fits saw (`fit_customers`, of `customers`)."""
    from scipy.spatial.distance import cdist
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    sub = rng.choice(len(Z), size=min(sample_size, len(Z)), replace=False)
    D = cdist(Z[sub], Z[sub])  # computed once, shared by every k
    rows = []
    ks = [k for k in k_values if k < len(Z)]
    fit_rows = CHOOSE_K_ROWS if fit_rows is None else fit_rows
    sampled = len(Z) > fit_rows
    fit_on = np.sort(rng.choice(len(Z), size=fit_rows, replace=False)) if sampled else None
    models = _fit_kmeans_each(Z[fit_on] if sampled else Z, ks, seed)
    with threadpool_limits(1):
        for k in ks:
            km = models[k]
            # silhouette of the subsample's segments; inertia over every row (a sample's fit:
            # its centres applied to every row)
            lab = km.predict(Z[sub]) if sampled else km.labels_[sub]
            sil = silhouette(D, lab)
            gm = GaussianMixture(n_components=k, covariance_type="diag", random_state=seed,
                                 n_init=1).fit(Z[sub])
            rows.append({"k": k, "silhouette": float(sil), "bic": float(gm.bic(Z[sub])),
                         "inertia": float(-km.score(Z)) if sampled else float(km.inertia_),
                         "fit_customers": fit_rows if sampled else len(Z), "customers": len(Z)})
    return pd.DataFrame(rows), ({} if sampled else models)


def buyers(features: pd.DataFrame) -> pd.Series:
    """True for customers with at least one purchase in the features' window (all True when
    the features carry no `frequency`)."""
    if "frequency" not in features.columns:
        return pd.Series(True, index=features.index)
    return features["frequency"].fillna(0) > 0


def fit_segment_model(features: pd.DataFrame, k: int | None = None, seed: int = 0,
                      columns=CLUSTER_FEATURES, k_values=range(2, 9)) -> SegmentModel:
    """Standardise features, pick k by silhouette (unless given), fit k-means, name segments.

    Fitted on buyers only (`buyers`): customers without any purchase in the window have no
    basket, frequency or channel mix, and k-means gave them a segment of their own, named like
    a real one ("petit panier, achats rares"); `assign_segments` puts them in the `NO_PURCHASE`
    group instead, counted with the segments."""
    X = clustering_matrix(features[buyers(features)], columns)
    if len(X) < 10:
        raise ValueError(f"fit_segment_model: need at least 10 customers, got {len(X)}")
    mean = X.mean().to_numpy()
    scale = X.std(ddof=0).replace(0, 1.0).to_numpy()
    Z = (X.to_numpy(float) - mean) / scale
    selection, fitted = pd.DataFrame(), {}
    if k is None:
        selection, fitted = _choose_k(Z, k_values, seed)
        k = int(selection.loc[selection["silhouette"].idxmax(), "k"])
    km = fitted.get(k)  # the same fit (same data, k and seed) as choose_k's
    if km is None:
        km = _fit_kmeans_each(Z, [k], seed)[k]
    # order segments by size (largest = 1) so numbering is stable and readable
    sizes = np.bincount(km.labels_, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    centers = km.cluster_centers_[order]
    centers_raw = pd.DataFrame(centers * scale + mean, columns=X.columns)
    names = name_segments(centers_raw, X.mean())
    return SegmentModel(tuple(X.columns), mean, scale, centers, tuple(names), k, seed, selection)


ASSIGN_BLOCK_ROWS = 65_536  # customers per block of distances in assign_segments


def assign_segments(model: SegmentModel, features: pd.DataFrame) -> pd.DataFrame:
    """Nearest-centre segment of each buyer under a fitted model (stable definitions);
    customers without a purchase in the window get segment 0 and the name `NO_PURCHASE`
    (every customer of `features` is in the result, none is dropped)."""
    has = buyers(features).to_numpy()
    seg = np.zeros(len(features), dtype=int)
    names = np.full(len(features), NO_PURCHASE, dtype=object)
    if has.any():
        Z = model.standardise(clustering_matrix(features[has], model.columns))
        # squared distances to the centres by blocks of rows: the same values row by row, without
        # a (customers x centres x features) temporary of gigabytes at a million customers
        lab = np.empty(len(Z), dtype=np.intp)
        for i in range(0, len(Z), ASSIGN_BLOCK_ROWS):
            block = Z[i:i + ASSIGN_BLOCK_ROWS]
            d = ((block[:, None, :] - model.centers[None, :, :]) ** 2).sum(axis=2)
            lab[i:i + ASSIGN_BLOCK_ROWS] = d.argmin(axis=1)
        seg[has] = lab + 1
        names[has] = np.asarray(model.names, dtype=object)[lab]
    return pd.DataFrame({"customer_id": features.index.to_numpy(), "segment": seg, "segment_name": names})


def segment_customers(features: pd.DataFrame, k: int | None = None, seed: int = 0,
                      columns=CLUSTER_FEATURES) -> pd.DataFrame:
    """Cluster customers: customer_id, segment (1 = largest, 0 = no purchase) and a French
    segment_name."""
    model = fit_segment_model(features, k=k, seed=seed, columns=columns)
    return assign_segments(model, features)


# Archetypes used to name segments: (French name, {feature: direction}) where direction +1
# means "high", -1 "low". A segment gets the archetype whose signature best matches its
# standardised profile; names are unique (greedy best matches first).
SEGMENT_ARCHETYPES = (
    ("Connectés digitaux", {"share_app": 1, "share_web": 1, "age": -1, "log_social_touchpoints": 1,
                            "click_rate": 1}),
    ("Web-to-store", {"research_share": 1, "share_store": 1}),
    ("Traditionnels magasin", {"share_store": 1, "age": 1, "log_frequency": 1, "log_avg_basket": -1,
                               "research_share": -1, "open_rate": -1}),
    ("Premium omnicanaux", {"log_avg_basket": 1, "share_click_collect": 1, "loyalty_rank": 1}),
    ("Occasionnels chasseurs de promos", {"promo_share": 1, "log_frequency": -1, "open_rate": -1}),
)


def name_segments(centers: pd.DataFrame, overall_mean: pd.Series | None = None) -> list[str]:
    """French names derived from segment profiles (centres in original units).

    Each centre is compared with the others (z-score across segments); the archetype whose
    signature it matches best names it. Leftover segments are named by their two most
    distinctive traits ("Segment 6 : panier élevé, âge bas").
    """
    z = (centers - centers.mean()) / centers.std(ddof=0).replace(0, 1.0)
    scores = []
    for i in range(len(centers)):
        for j, (_name, sig) in enumerate(SEGMENT_ARCHETYPES):
            used = [c for c in sig if c in z.columns]
            if not used:
                continue
            s = float(np.mean([sig[c] * z.iloc[i][c] for c in used]))
            scores.append((s, i, j))
    names: list[str | None] = [None] * len(centers)
    taken = set()
    for s, i, j in sorted(scores, reverse=True):
        if names[i] is None and j not in taken and s > 0.3:
            names[i] = SEGMENT_ARCHETYPES[j][0]
            taken.add(j)
    trait_fr = {  # feature: (French label when high, when low)
        "age": ("plus âgés", "plus jeunes"), "log_frequency": ("achats fréquents", "achats rares"),
        "log_avg_basket": ("gros panier", "petit panier"),
        "share_store": ("surtout en magasin", "peu en magasin"),
        "share_online": ("surtout en ligne", "peu en ligne"),
        "share_click_collect": ("click & collect", "sans click & collect"),
        "research_share": ("recherche web avant magasin", "sans recherche web"),
        "promo_share": ("achats en promotion", "hors promotions"),
        "open_rate": ("lisent les e-mails", "ouvrent peu les e-mails"),
        "click_rate": ("cliquent dans les e-mails", "cliquent peu"),
        "log_social_touchpoints": ("actifs sur les réseaux", "absents des réseaux"),
        "loyalty_rank": ("haut niveau de fidélité", "faible niveau de fidélité"),
    }
    for i in range(len(centers)):
        if names[i] is None:
            row = z.iloc[i]
            top = row.abs().sort_values(ascending=False).index[:2]
            parts = [trait_fr.get(c, (f"{c} élevé", f"{c} faible"))[0 if row[c] > 0 else 1]
                     for c in top]
            names[i] = f"Segment {i + 1} : " + ", ".join(parts)
    return [str(n) for n in names]


# ------------------------------------------------------------------------------------------
# Profiles and tests
# ------------------------------------------------------------------------------------------

def segment_profiles(features: pd.DataFrame, segments: pd.DataFrame,
                     group_col: str = "segment_name") -> pd.DataFrame:
    """Segment profile table: size, value, channel mix, age, main region, engagement.

    Columns are codes (see PROFILE_LABELS_FR for the French headers shown in reports).
    """
    df = features.join(segments.set_index("customer_id")[[group_col]], how="inner")
    if len(df) != len(segments):
        raise ValueError(f"segment_profiles: {len(segments) - len(df)} segmented customer(s) "
                         "are missing from features")
    g = df.groupby(group_col, observed=True)
    out = pd.DataFrame({"customers": g.size()})
    out["share"] = out["customers"] / out["customers"].sum()
    for c in ("age", "frequency", "monetary", "avg_basket", "recency_days", "share_store",
              "share_web", "share_app", "share_click_collect", "research_share", "promo_share",
              "open_rate", "click_rate", "social_touchpoints"):
        if c in df.columns:
            out[c] = g[c].mean()
    top_rank = df["loyalty_rank"].max()  # premium = the two highest loyalty tiers
    out["premium_tier_share"] = g["loyalty_rank"].agg(lambda s: (s >= top_rank - 1).mean())
    top = g["region"].agg(lambda s: s.value_counts().index[0] if s.notna().any() else None)
    out["top_region"] = top
    out["top_region_share"] = g["region"].agg(
        lambda s: s.value_counts(normalize=True).iloc[0] if s.notna().any() else np.nan)
    return out.sort_values("customers", ascending=False)


def social_profile(features: pd.DataFrame, segments: pd.DataFrame,
                   group_col: str = "segment_name") -> pd.DataFrame:
    """Social and e-mail engagement per segment: share reached on social networks, platforms,
    e-mail open / click rates among customers e-mailed and, when identity links were given to
    `customer_features`, share with a linked social account, followers and brand mentions."""
    df = features.join(segments.set_index("customer_id")[[group_col]], how="inner")
    g = df.groupby(group_col, observed=True)
    out = pd.DataFrame({"customers": g.size()})
    if "social_touchpoints" in df:
        out["social_reached"] = g["social_touchpoints"].agg(lambda v: (v > 0).mean())
        out["social_touchpoints"] = g["social_touchpoints"].mean()
        out["social_platforms"] = g["social_platforms"].mean()
    if "emails_sent" in df:
        mailed = df[df["emails_sent"] > 0].groupby(group_col, observed=True)
        out["emailed"] = g["emails_sent"].agg(lambda v: (v > 0).mean())
        out["open_rate"] = mailed["open_rate"].mean()
        out["click_rate"] = mailed["click_rate"].mean()
    if "social_accounts" in df:
        out["linked_account"] = g["social_accounts"].agg(lambda v: (v > 0).mean())
        if "social_followers" in df:
            out["followers"] = g["social_followers"].mean()
        if "social_mentions" in df:
            out["mentions"] = g["social_mentions"].mean()
    return out.sort_values("customers", ascending=False)


def segment_tests(features: pd.DataFrame, segments: pd.DataFrame,
                  numeric=("age", "frequency", "avg_basket", "share_store", "research_share",
                           "open_rate"),
                  categorical=("age_band", "csp", "region", "loyalty_tier"),
                  group_col: str = "segment") -> pd.DataFrame:
    """Do segments differ? One-way ANOVA (eta²) per numeric feature, chi-square (Cramér's V)
    per categorical feature, with statsmodels. Rows: variable, test, statistic, df, p_value,
    effect_size, effect. A variable with fewer than two values among the customers (an optional
    column left empty in the file) cannot be tested: it is left out and named in
    `attrs['untestable']`."""
    import statsmodels.api as sm
    from statsmodels.formula.api import ols

    seg = segments.set_index("customer_id")
    if "segment_name" in segments.columns:  # the no-purchase group is not a segment of the clustering
        named = (seg["segment_name"] != NO_PURCHASE).rename("_clustered")
        df = features.join(seg[[group_col]].join(named), how="inner")
        df = df[df.pop("_clustered").to_numpy()]
    else:
        df = features.join(seg[[group_col]], how="inner")
    rows, untestable = [], []
    for c in (*numeric, *categorical):
        if c in df.columns and (df[c].nunique() < 2 or df[group_col].nunique() < 2):
            untestable.append(c)
    for c in numeric:
        if c not in df.columns or c in untestable:
            continue
        d = pd.DataFrame({"y": df[c].astype(float), "g": df[group_col].astype(str)}).dropna()
        # the groups as a Categorical (levels sorted, as patsy sorts text), named bare in the
        # formula (patsy codes a Categorical at once, but checks a C(...)-wrapped column value by
        # value: minutes at 1M customers); the same design matrix as "y ~ C(g)" on the text
        d["g"] = pd.Categorical(d["g"])
        fit = ols("y ~ g", data=d).fit()
        tab = sm.stats.anova_lm(fit, typ=1)
        ss_b, ss_r = tab["sum_sq"].iloc[0], tab["sum_sq"].iloc[1]
        rows.append({"variable": c, "test": "ANOVA", "statistic": float(tab["F"].iloc[0]),
                     "df": float(tab["df"].iloc[0]), "p_value": float(tab["PR(>F)"].iloc[0]),
                     "effect_size": float(ss_b / (ss_b + ss_r)), "effect": "eta²",
                     "excluded": int(len(df) - len(d))})
    for c in categorical:
        if c not in df.columns or c in untestable:
            continue
        d = df[[c, group_col]].dropna()
        ct = _count_table(d[c], d[group_col])  # (pd.crosstab's table, grouped at once)
        ct = ct.loc[ct.sum(axis=1) > 0]
        res = sm.stats.Table(ct).test_nominal_association()
        n = ct.to_numpy().sum()
        v = np.sqrt(res.statistic / (n * max(1, min(ct.shape) - 1)))
        rows.append({"variable": c, "test": "khi-deux", "statistic": float(res.statistic),
                     "df": float(res.df), "p_value": float(res.pvalue), "effect_size": float(v),
                     "effect": "V de Cramér", "excluded": int(len(df) - len(d))})
    out = pd.DataFrame(rows)
    out.attrs["untestable"] = untestable
    return out


