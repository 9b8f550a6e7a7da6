"""Identity resolution: which social accounts belong to which CRM customers.

Probabilistic record linkage (Fellegi-Sunter) with splink 5 on DuckDB. Only person accounts are
linked. Account-side features are extracted from public profile fields: first/last name from the
display name (accents dropped, initials, nicknames tolerated), e-mail and city from the bio, and
the handle (compared with the customer's names). Each link comes with its comparison levels and
Bayes factors, so a marketer can see *why* two records were linked, without seeing the personal
values themselves.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import numpy as np
import pandas as pd

# Common French nicknames / short forms -> canonical first name (normalised, no accents).
NICKNAMES: dict[str, str] = {
    "alex": "alexandre", "alexou": "alexandre", "ben": "benjamin", "benji": "benjamin",
    "cath": "catherine", "cathy": "catherine", "chris": "christophe", "christo": "christophe",
    "dom": "dominique", "fanny": "stephanie", "flo": "florence", "fred": "frederic",
    "gab": "gabriel", "gaby": "gabrielle", "isa": "isabelle", "jb": "jeanbaptiste",
    "jp": "jeanpierre", "jeannot": "jean", "juju": "julien", "lolo": "laurent",
    "lulu": "lucie", "manu": "emmanuel", "max": "maxime", "mat": "mathieu", "matt": "matthieu",
    "nath": "nathalie", "nico": "nicolas", "pat": "patrick", "phil": "philippe",
    "pierrot": "pierre", "seb": "sebastien", "steph": "stephane", "thib": "thibault",
    "tom": "thomas", "val": "valerie", "vince": "vincent",
    "xav": "xavier", "zaza": "isabelle", "cam": "camille", "charlie": "charlotte",
    "clem": "clement", "mimi": "michelle", "momo": "mohamed",
    "ju": "julie", "caro": "caroline", "vero": "veronique",
    "dede": "andre", "jojo": "joel", "gege": "gerard", "riri": "henri", "toto": "thomas",
    "nono": "arnaud", "bab": "babette", "soph": "sophie", "sosso": "sophie",
}

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_NON_LETTERS = re.compile(r"[^a-z]+")
_TOKEN_SPLIT = re.compile(r"[^a-z]+")

# Comparisons: (name, French label) and, per level, the French label shown in reports.
COMPARISON_LABELS: dict[str, str] = {
    "email": "e-mail",
    "name": "nom et prénom",
    "city": "ville",
    "birth_yy": "année de naissance (pseudo)",
}


def normalise_text(value) -> str | None:
    """Lower-case, accents dropped, only letters and single spaces (None stays None)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    s = unicodedata.normalize("NFKD", str(value))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = " ".join(t for t in _TOKEN_SPLIT.split(s) if t)
    return s or None


def _key(value: str | None) -> str | None:
    """Letters only (spaces and hyphens removed): 'jean pierre' -> 'jeanpierre'."""
    if value is None or not isinstance(value, str):
        return None
    k = _NON_LETTERS.sub("", value)
    return k or None


def _norm_series(s: pd.Series) -> pd.Series:
    """normalise_text on each value (computed once per distinct value); missing -> None."""
    mapping = {u: normalise_text(u) for u in pd.unique(s.dropna())}
    values = [None if pd.isna(v) else mapping[v] for v in s.to_numpy(dtype=object)]
    return pd.Series(values, index=s.index, dtype=object)


def _canonical_first(first_key: pd.Series) -> pd.Series:
    return first_key.map(lambda k: None if k is None else NICKNAMES.get(k, k))


def customer_features(customers: pd.DataFrame) -> pd.DataFrame:
    """Comparison features of CRM customers (one row per customer)."""
    needed = ["customer_id", "first_name", "last_name", "email", "city"]
    missing = [c for c in needed if c not in customers.columns]
    if missing:
        raise ValueError(f"link_identities(customers): missing column(s) {missing}")
    if customers["customer_id"].isna().any() or customers["customer_id"].duplicated().any():
        raise ValueError("link_identities(customers): customer_id must be present and unique")
    first = _norm_series(customers["first_name"])
    last = _norm_series(customers["last_name"])
    email = customers["email"].astype(object).where(customers["email"].notna(), None)
    email = email.map(lambda e: None if e is None else str(e).strip().lower() or None)
    out = pd.DataFrame(
        {
            "unique_id": customers["customer_id"].astype(str).to_numpy(),
            "first_name": first.map(_key).to_numpy(),
            "last_name": last.map(_key).to_numpy(),
            "email": email.to_numpy(),
            "city": _norm_series(customers["city"]).map(_key).to_numpy(),
            "handle": None,
            "birth_yy": _two_digit_year(customers["birth_year"]).to_numpy()
            if "birth_year" in customers.columns else None,
        }
    )
    out["first_canon"] = _canonical_first(out["first_name"])
    out["first_initial"] = out["first_name"].str[:1]
    out["full_name"] = [None if f is None and la is None else (f or "") + (la or "")
                        for f, la in zip(out["first_name"], out["last_name"], strict=True)]
    return out


def _two_digit_year(birth_year: pd.Series) -> pd.Series:
    """'85' for 1985; None when unknown."""
    y = pd.to_numeric(birth_year, errors="coerce")
    return y.map(lambda v: None if pd.isna(v) else f"{int(v) % 100:02d}")


_HANDLE_YEAR = re.compile(r"(?<![0-9])(?:19|20)?([0-9]{2})$")


def _handle_year(handle) -> str | None:
    """Two-digit year at the end of a handle ('sophie_fabre53' -> '53', 'lea1990' -> '90')."""
    if handle is None or handle is pd.NA or (isinstance(handle, float) and np.isnan(handle)):
        return None
    m = _HANDLE_YEAR.search(str(handle))
    return m.group(1) if m else None


def _city_finder(cities: list[str]):
    """A function finding the first known city (normalised key) in a normalised bio."""
    names = sorted({c for c in cities if c}, key=len, reverse=True)
    if not names:
        return lambda bio: None
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")

    def find(bio: str | None) -> str | None:
        if not bio:
            return None
        m = pattern.search(bio)
        return _key(m.group(1)) if m else None

    return find


def account_features(accounts: pd.DataFrame, known_cities: list[str]) -> pd.DataFrame:
    """Comparison features of person social accounts (one row per account).

    `known_cities` are the normalised city names of the CRM, searched for in the bio.
    """
    needed = ["account_id", "handle", "display_name", "bio", "account_type"]
    missing = [c for c in needed if c not in accounts.columns]
    if missing:
        raise ValueError(f"link_identities(accounts): missing column(s) {missing}")
    acc = accounts[accounts["account_type"] == "person"]
    if acc["account_id"].isna().any() or acc["account_id"].duplicated().any():
        raise ValueError("link_identities(accounts): account_id must be present and unique")
    disp = _norm_series(acc["display_name"])
    tokens = disp.map(lambda s: [] if s is None else s.split(" "))
    first = tokens.map(lambda t: t[0] if len(t) >= 2 else None)
    last = tokens.map(lambda t: "".join(t[1:]) if len(t) >= 2 else (t[0] if t else None))
    bio_raw = acc["bio"].astype(object).where(acc["bio"].notna(), None)
    email = bio_raw.map(
        lambda b: None if b is None else (m.group(0).lower() if (m := _EMAIL_RE.search(b)) else None)
    )
    bio_wo_email = bio_raw.map(lambda b: None if b is None else _EMAIL_RE.sub(" ", b))
    bio_norm = _norm_series(bio_wo_email)
    find_city = _city_finder([normalise_text(c) for c in known_cities if c])
    handle = acc["handle"].astype(object).map(
        lambda h: None if h is None or h is pd.NA else _key(normalise_text(h))
    )
    out = pd.DataFrame(
        {
            "unique_id": acc["account_id"].astype(str).to_numpy(),
            "first_name": first.to_numpy(),
            "last_name": last.map(_key).to_numpy(),
            "email": email.to_numpy(),
            "city": bio_norm.map(find_city).to_numpy(),
            "handle": handle.to_numpy(),
            "birth_yy": acc["handle"].astype(object).map(_handle_year).to_numpy(),
        }
    )
    out["first_canon"] = _canonical_first(out["first_name"])
    out["first_initial"] = out["first_name"].str[:1]
    out["full_name"] = tokens.map(lambda t: "".join(t) or None).to_numpy()
    return out


def _level(sql: str, label: str, m: float, null: bool = False, tf: str | None = None) -> dict:
    lvl = {"sql_condition": sql, "label_for_charts": label}
    if null:
        lvl["is_null_level"] = True
    else:
        lvl["m_probability"] = m
    if tf:
        lvl["tf_adjustment_column"] = tf
        lvl["tf_adjustment_weight"] = 1.0
    return lvl


# The handle exists on the account side only: these pick the handle and the CRM-side names
# whichever side of the pair the account is on.
_H = "coalesce(handle_l, handle_r)"
_CRM_LAST = "(CASE WHEN handle_l IS NULL THEN last_name_l ELSE last_name_r END)"
_CRM_FIRST = "(CASE WHEN handle_l IS NULL THEN first_name_l ELSE first_name_r END)"


def _comparisons() -> list[dict]:
    """The comparisons with French level labels and sensible starting m probabilities.

    The handle is not a comparison of its own (it repeats the display name, which would count
    the same evidence twice): it completes the name when the display name only shows an
    initial ("Marie D." with handle "marie.dupont").
    """
    null = "({c}_l IS NULL OR {c}_r IS NULL)"
    email = {
        "output_column_name": "email",
        "comparison_levels": [
            _level(null.format(c="email"), "absent", 0.0, null=True),
            _level("email_l = email_r", "identique", 0.9),
            _level("levenshtein(email_l, email_r) <= 2", "presque identique", 0.05),
            _level("ELSE", "différent", 0.05),
        ],
    }
    # one comparison for the whole name (first and last names are not independent evidence)
    init_last = (
        "(length(last_name_l) = 1 OR length(last_name_r) = 1) "
        "AND substr(last_name_l, 1, 1) = substr(last_name_r, 1, 1)"
    )
    init_first = (
        "(length(first_name_l) = 1 OR length(first_name_r) = 1) "
        "AND first_initial_l = first_initial_r"
    )
    same_first = "(first_name_l = first_name_r OR first_canon_l = first_canon_r)"
    last_in_handle = (
        f"(length({_CRM_LAST}) >= 3 AND (contains({_H}, {_CRM_LAST}) OR "
        f"(length({_CRM_FIRST}) >= 2 AND contains({_H}, {_CRM_FIRST} || substr({_CRM_LAST}, 1, 3)))))"
    )
    name = {
        "output_column_name": "name",
        "comparison_levels": [
            _level("(full_name_l IS NULL OR full_name_r IS NULL)", "absent", 0.0, null=True),
            _level("full_name_l = full_name_r", "identique", 0.55, tf="full_name"),
            _level(
                "length(full_name_l) >= 6 AND damerau_levenshtein(full_name_l, full_name_r) <= 1",
                "une faute de frappe",
                0.1,
            ),
            _level(f"{same_first} AND last_name_l = last_name_r", "surnom, nom identique", 0.05),
            _level(f"{same_first} AND {init_last} AND {last_in_handle}",
                   "prénom, initiale du nom et nom dans le pseudo", 0.08),
            _level(
                f"{init_first} AND last_name_l = last_name_r AND length({_CRM_FIRST}) >= 3 "
                f"AND (contains({_H}, {_CRM_FIRST}) OR contains({_H}, substr({_CRM_FIRST}, 1, 3) "
                f"|| substr({_CRM_LAST}, 1, 3)))",
                "initiale du prénom, prénom dans le pseudo, nom identique",
                0.04,
            ),
            _level(f"{init_first} AND last_name_l = last_name_r", "initiale du prénom, nom identique",
                   0.06),
            _level(f"{same_first} AND {init_last}", "prénom, initiale du nom", 0.05),
            _level("jaro_winkler_similarity(full_name_l, full_name_r) >= 0.9", "proche", 0.03),
            _level("last_name_l = last_name_r", "nom de famille seul", 0.02),
            _level("ELSE", "différent", 0.04),
        ],
    }
    city = {
        "output_column_name": "city",
        "comparison_levels": [
            _level(null.format(c="city"), "absent", 0.0, null=True),
            _level("city_l = city_r", "identique", 0.85, tf="city"),
            _level("ELSE", "différente", 0.15),
        ],
    }
    year = {
        "output_column_name": "birth_yy",
        "comparison_levels": [
            _level(null.format(c="birth_yy"), "absent", 0.0, null=True),
            _level("birth_yy_l = birth_yy_r", "identique", 0.6),
            _level("ELSE", "différente", 0.4),
        ],
    }
    return [email, name, city, year]


def _blocking_rules() -> list[str]:
    """Blocking rules: only pairs sharing one of these keys are compared (keeps 200k x 1M small)."""
    return [
        "l.email = r.email",
        "l.full_name = r.full_name",
        "l.last_name = r.last_name AND l.first_initial = r.first_initial",
        "l.last_name = r.last_name AND l.city = r.city",
        "l.first_canon = r.first_canon AND l.city = r.city",
        "substr(l.last_name, 1, 3) = substr(r.last_name, 1, 3) AND l.first_canon = r.first_canon",
    ]


def _block_pairs(crm: pd.DataFrame, social: pd.DataFrame, cols: list[str]) -> int:
    """Number of CRM x social pairs sharing all `cols` (non-null)."""
    a = crm[cols].dropna().value_counts()
    b = social[cols].dropna().value_counts()
    a, b = a.align(b, join="inner")
    return int((a * b).sum())


# EM passes: (blocking rule, its columns, what it trains). Blocks of near-sure matches train the
# m probabilities; the last pass (m free, prior populated) learns how many pairs match.
_EM_PASSES = (
    ("l.email = r.email", ["email"], {}),
    ("l.full_name = r.full_name AND l.city = r.city", ["full_name", "city"], {}),
    ("l.full_name = r.full_name", ["full_name"],
     {"populate_probability_two_random_records_match_from_trained_values": True}),
)
MIN_EM_PAIRS = 200


def _linker(crm: pd.DataFrame, social: pd.DataFrame, seed: int, linked_share: float):
    from splink import DuckDBAPI, Linker, SettingsCreator

    settings = SettingsCreator(
        link_type="link_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=_blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,  # needed in splink 5 to keep gamma_/mw_ columns
        # starting prior: `linked_share` of the person accounts belong to a CRM customer
        probability_two_random_records_match=min(0.5, max(1e-12, linked_share / max(1, len(crm)))),
    )
    db_api = DuckDBAPI()
    left = db_api.register(crm, dataset_display_name="crm")
    right = db_api.register(social, dataset_display_name="social")
    linker = Linker([left, right], settings, log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    return linker


def _train_and_predict(
    crm: pd.DataFrame, social: pd.DataFrame, seed: int, em: bool, linked_share: float
) -> tuple[pd.DataFrame, str]:
    """Scored candidate pairs and how the model was trained ('EM' or 'fixed m')."""
    log = logging.getLogger(__name__)
    passes = [p for p in _EM_PASSES if _block_pairs(crm, social, p[1]) >= MIN_EM_PAIRS]
    linker = _linker(crm, social, seed, linked_share)
    training = "fixed m"
    if em and len(passes) == len(_EM_PASSES):
        try:
            for rule, _, kwargs in passes:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, record_sample_proportion=1.0, **kwargs
                )
            training = "EM"
        except Exception as err:  # noqa: BLE001 - a failed EM leaves the model half-trained
            log.warning("EM training failed (%s): using the fixed m probabilities", err)
            linker = _linker(crm, social, seed, linked_share)
    elif em:
        log.warning("too few near-sure pairs for EM (< %d): using the fixed m probabilities",
                    MIN_EM_PAIRS)
    preds = linker.inference.predict(threshold_match_probability=0.01, warning_mode="never")
    return preds.as_pandas_dataframe(), training


def _label_levels(preds: pd.DataFrame) -> pd.DataFrame:
    """Map each gamma value to its French level label (null -> 'absent')."""
    labels = {}
    for comp in _comparisons():
        name = comp["output_column_name"]
        levels = comp["comparison_levels"]
        # splink numbers levels: null = -1, then from the most specific n-1 down to else = 0
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        mapping = {-1: "absent"}
        for i, lv in enumerate(non_null):
            mapping[len(non_null) - 1 - i] = lv["label_for_charts"]
        labels[f"level_{name}"] = preds[f"gamma_{name}"].map(mapping)
    return pd.DataFrame(labels, index=preds.index)


def link_identities(
    customers: pd.DataFrame,
    accounts: pd.DataFrame,
    threshold: float = 0.6,
    seed: int = 0,
    em: bool = True,
    linked_share: float = 0.3,
) -> pd.DataFrame:
    """Link person social accounts to CRM customers (splink, Fellegi-Sunter, DuckDB).

    Returns one row per linked pair with `match_probability` >= `threshold`: `customer_id`,
    `account_id`, `match_probability`, `match_weight`, and per comparison (e-mail, name, city,
    birth year in the handle) the level reached (`level_<comparison>`, French label) and its
    Bayes factor (`bf_<comparison>`, term-frequency adjusted): every link is explained, without
    any personal value. Each account goes to at most one customer (its best match); accounts
    whose two best candidates tie (homonyms) are left unlinked and counted in
    `attrs["ambiguous_accounts"]`; `attrs` also counts person accounts and the brand accounts
    left out, and says how the model was trained.

    Model: u probabilities from random pairs (seeded); m probabilities start from sensible
    fixed values and, when `em=True` and the data hold enough near-sure pairs, are EM-trained on
    blocks of likely matches (same e-mail; same full name and city), then the prior is learnt
    on pairs sharing the full name (`linked_share`, the expected share of person accounts owned
    by a customer, is only the starting prior). Deterministic for a given `seed`.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    crm = customer_features(customers)
    social = account_features(accounts, customers["city"].dropna().unique().tolist())
    cols = ["customer_id", "account_id", "match_probability", "match_weight"]
    level_cols = [f"level_{c}" for c in COMPARISON_LABELS]
    bf_cols = [f"bf_{c}" for c in COMPARISON_LABELS]
    empty = pd.DataFrame({c: pd.Series(dtype=object if "_id" in c or "level" in c else float)
                          for c in cols + level_cols + bf_cols})
    attrs = {
        "person_accounts": len(social),
        "non_person_accounts_excluded": int(len(accounts) - len(social)),
        "ambiguous_accounts": 0,
        "threshold": threshold,
    }
    if len(crm) == 0 or len(social) == 0:
        empty.attrs.update(attrs)
        return empty
    preds, attrs["training"] = _train_and_predict(crm, social, seed, em, linked_share)
    if preds.empty:
        empty.attrs.update(attrs)
        return empty
    crm_ids = set(crm["unique_id"])
    left_is_crm = preds["unique_id_l"].isin(crm_ids) & (preds["source_dataset_l"] == "crm")
    preds = preds.assign(
        customer_id=np.where(left_is_crm, preds["unique_id_l"], preds["unique_id_r"]),
        account_id=np.where(left_is_crm, preds["unique_id_r"], preds["unique_id_l"]),
    )
    preds = preds.sort_values(
        ["account_id", "match_weight", "customer_id"], ascending=[True, False, True],
        kind="mergesort",
    )
    # one customer per account: the best; a tie between the two best is ambiguous
    best = preds.drop_duplicates("account_id", keep="first")
    second = preds[preds.groupby("account_id", sort=False).cumcount() == 1]
    tie_weight = best["account_id"].map(second.set_index("account_id")["match_weight"])
    ambiguous = np.isclose(best["match_weight"], tie_weight.astype(float))
    above = (best["match_probability"] >= threshold).to_numpy()
    attrs["ambiguous_accounts"] = int((ambiguous & above).sum())
    best = best[above & ~ambiguous]
    bayes = pd.DataFrame(
        {
            f"bf_{c}": np.exp2(
                best[f"mw_{c}"].astype(float).to_numpy()
                + (best[f"mw_tf_adj_{c}"].astype(float).fillna(0).to_numpy()
                   if f"mw_tf_adj_{c}" in best.columns else 0.0)
            )
            for c in COMPARISON_LABELS
        }
    )
    out = pd.concat(
        [best[cols].reset_index(drop=True), _label_levels(best).reset_index(drop=True), bayes],
        axis=1,
    )
    out = out.sort_values(["customer_id", "account_id"], kind="mergesort").reset_index(drop=True)
    out.attrs.update(attrs)
    return out


def explain_links(links: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per link and comparison, with the level reached and its Bayes factor.

    Columns `customer_id`, `account_id`, `comparaison`, `niveau`, `facteur_bayes` (how many times
    more likely this level is for a true match than for a random pair).
    """
    rows = []
    for name, label in COMPARISON_LABELS.items():
        part = links[["customer_id", "account_id"]].copy()
        part["comparaison"] = label
        part["niveau"] = links[f"level_{name}"].to_numpy()
        part["facteur_bayes"] = links[f"bf_{name}"].to_numpy()
        rows.append(part)
    if not rows:
        return pd.DataFrame(columns=["customer_id", "account_id", "comparaison", "niveau",
                                     "facteur_bayes"])
    return pd.concat(rows, ignore_index=True).sort_values(
        ["customer_id", "account_id"], kind="mergesort"
    ).reset_index(drop=True)
