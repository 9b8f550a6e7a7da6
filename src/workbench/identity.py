"""Identity resolution: which social accounts belong to which CRM customers.

Probabilistic record linkage (Fellegi-Sunter) with splink 5 on DuckDB (on splink's Spark backend
under `workbench run --engine spark`: EM training and scoring of the candidate pairs, with the
same comparisons and blocking rules; the features and the u probabilities, from a fixed-size
random sample of pairs, stay computed locally). Only person accounts are
linked. Account-side features are extracted from public profile fields: first/last name from the
display name (accents dropped, initials, nicknames tolerated), e-mail and city from the bio, and
the handle (compared with the customer's names). Each link comes with its comparison levels and
Bayes factors, so a marketer can see *why* two records were linked, without seeing the personal
values themselves.

Scale (1M customers x 770k accounts in about a minute on 2 cores): features are computed in
DuckDB, candidate pairs come from equality blocking keys that grow about linearly with the
number of records (`BLOCKING_KEYS`), and DuckDB runs on `DUCKDB_THREADS` threads.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import numpy as np
import pandas as pd

from workbench.events.engine import engine_name
from workbench.frames import is_in, text_per_row

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

DUCKDB_THREADS = 2  # the machine is shared: DuckDB must not take every core

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


# SQL twin of normalise_text: lower case, accents dropped, letters and single spaces, '' -> NULL
def _sql_norm(expr: str) -> str:
    return (f"nullif(trim(regexp_replace(lower(strip_accents(CAST({expr} AS VARCHAR))), "
            f"'[^a-z]+', ' ', 'g')), '')")


def _sql_key(expr: str) -> str:
    """SQL twin of _key(normalise_text(x)): letters only."""
    return (f"nullif(regexp_replace(lower(strip_accents(CAST({expr} AS VARCHAR))), "
            f"'[^a-z]+', '', 'g'), '')")


def _connect(con=None):
    """A DuckDB connection limited to DUCKDB_THREADS threads (the caller's, when given)."""
    if con is not None:
        return con
    import duckdb

    return duckdb.connect(config={"threads": DUCKDB_THREADS})


def _nicknames_sql() -> str:
    return ", ".join(f"('{k}', '{v}')" for k, v in NICKNAMES.items())


def _features_of(frame: pd.DataFrame, base_sql: str, con, is_account: bool) -> pd.DataFrame:
    """Run a feature query on `frame` (registered as "frame") in DuckDB."""
    own = con is None
    con = _connect(con)
    try:
        con.register("frame", frame)
        return _finish(con, base_sql, is_account=is_account)
    finally:
        con.unregister("frame")
        if own:
            con.close()


def _finish(con, base_sql: str, is_account: bool) -> pd.DataFrame:
    """Derived columns (canonical first name, initial, blocking keys) of a feature table.

    Blocking keys are plain columns so that splink blocks with hash joins. Each key but the
    e-mail and the full name includes the city or a part of the last name, and "last name and
    first initial" alone is only filled on the account side when the first name is an initial,
    which keeps the number of candidate pairs near-linear in the number of records.
    """
    init_first = "length(b.first_name) = 1" if is_account else "TRUE"
    full_last = "length(b.last_name) >= 2"
    sql = f"""
        WITH b AS ({base_sql}),
        nick(k, v) AS (VALUES {_nicknames_sql()})
        SELECT b.unique_id, b.first_name, b.last_name, b.email, b.city, b.handle, b.birth_yy,
               coalesce(nick.v, b.first_name) AS first_canon,
               substr(b.first_name, 1, 1) AS first_initial,
               b.full_name,
               coalesce(nick.v, b.first_name) || '|' || b.last_name AS key_canon_name,
               CASE WHEN {init_first} THEN b.last_name || '|' || substr(b.first_name, 1, 1)
                    END AS key_last_initial,
               coalesce(nick.v, b.first_name) || '|' || substr(b.last_name, 1, 1) || '|'
                    || b.city AS key_first_initial_city,
               b.last_name || '|' || substr(b.first_name, 1, 1) || '|' || b.city
                    AS key_last_initial_city,
               CASE WHEN {full_last} THEN coalesce(nick.v, b.first_name) || '|'
                    || right(b.last_name, 3) || '|' || b.city END AS key_first_suffix_city
        FROM b LEFT JOIN nick ON nick.k = b.first_name
        ORDER BY b.row_nr
    """
    return con.sql(sql).df()


def customer_features(customers: pd.DataFrame, con=None) -> pd.DataFrame:
    """Comparison features of CRM customers (one row per customer, in input order).

    An e-mail shared by several customers (a household's) is left out: it identifies none of
    them. Computed in DuckDB (vectorised, `DUCKDB_THREADS` threads).
    """
    needed = ["customer_id", "first_name", "last_name", "email", "city"]
    missing = [c for c in needed if c not in customers.columns]
    if missing:
        raise ValueError(f"link_identities(customers): missing column(s) {missing}")
    if customers["customer_id"].isna().any() or customers["customer_id"].duplicated().any():
        raise ValueError("link_identities(customers): customer_id must be present and unique")
    cols = needed + (["birth_year"] if "birth_year" in customers.columns else [])
    frame = customers[cols].reset_index(drop=True).assign(row_nr=np.arange(len(customers)))
    year = ("CASE WHEN TRY_CAST(birth_year AS BIGINT) IS NULL THEN NULL ELSE "
            "lpad(CAST(TRY_CAST(birth_year AS BIGINT) % 100 AS VARCHAR), 2, '0') END"
            if "birth_year" in cols else "CAST(NULL AS VARCHAR)")
    base = f"""
        SELECT row_nr,
               CAST(customer_id AS VARCHAR) AS unique_id,
               {_sql_key("first_name")} AS first_name,
               {_sql_key("last_name")} AS last_name,
               -- an e-mail shared by several customers (a household's) identifies none of them
               CASE WHEN count(*) OVER (PARTITION BY nullif(lower(trim(CAST(email AS VARCHAR))),
                    '')) = 1 THEN nullif(lower(trim(CAST(email AS VARCHAR))), '') END AS email,
               {_sql_key("city")} AS city,
               CAST(NULL AS VARCHAR) AS handle,
               {year} AS birth_yy,
               CASE WHEN {_sql_key("first_name")} IS NULL AND {_sql_key("last_name")} IS NULL
                    THEN NULL ELSE coalesce({_sql_key("first_name")}, '')
                    || coalesce({_sql_key("last_name")}, '') END AS full_name
        FROM frame
    """
    return _features_of(frame, base, con, is_account=False)


# Surname particles: "Jean-François Le Moigne" is Jean-François + Le Moigne, while other
# display names of three words or more end with the last name ("Anne Laure Schmitt").
SURNAME_PARTICLES = ("le", "la", "de", "du", "des", "da", "dos", "das", "di", "van", "von", "ben",
                     "ait", "el", "mac", "saint")
_PARTICLES_SQL = ", ".join(f"'{p}'" for p in SURNAME_PARTICLES)
_EMAIL_SQL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
_HANDLE_YEAR_SQL = r"(?:^|[^0-9])(?:19|20)?([0-9]{2})$"


def account_features(accounts: pd.DataFrame, known_cities: list[str], con=None) -> pd.DataFrame:
    """Comparison features of person social accounts (one row per account, in input order).

    `known_cities` are the CRM's city names, searched for (normalised) in the bio; the e-mail is
    taken from the bio, first and last name from the display name (an initial or a surname
    particle tells where the first name ends), a two-digit year from the end of the handle.
    Computed in DuckDB.
    """
    needed = ["account_id", "handle", "display_name", "bio", "account_type"]
    missing = [c for c in needed if c not in accounts.columns]
    if missing:
        raise ValueError(f"link_identities(accounts): missing column(s) {missing}")
    acc = accounts.loc[accounts["account_type"] == "person", needed[:4]].reset_index(drop=True)
    if acc["account_id"].isna().any() or acc["account_id"].duplicated().any():
        raise ValueError("link_identities(accounts): account_id must be present and unique")
    names = sorted({n for c in known_cities if c and (n := normalise_text(c))}, key=len,
                   reverse=True)
    city_re = r"\b(" + "|".join(re.escape(n) for n in names) + r")\b" if names else None
    bio = f"regexp_replace(CAST(bio AS VARCHAR), '{_EMAIL_SQL}', ' ', 'g')"
    city = ("CAST(NULL AS VARCHAR)" if city_re is None else
            f"nullif(replace(regexp_extract({_sql_norm(bio)}, '{city_re}', 1), ' ', ''), '')")
    base = f"""
        WITH a AS (
            SELECT row_nr, CAST(account_id AS VARCHAR) AS unique_id,
                   CAST(handle AS VARCHAR) AS handle_raw, CAST(bio AS VARCHAR) AS bio,
                   string_split({_sql_norm("display_name")}, ' ') AS tok
            FROM frame
        )
        , s AS (
            SELECT *, len(tok) AS n,
                   list_position(list_transform(tok[2:], lambda x: x IN ({_PARTICLES_SQL})),
                                 true) AS particle
            FROM a
        )
        SELECT row_nr, unique_id,
               CASE WHEN n < 2 THEN NULL
                    WHEN length(tok[1]) = 1 THEN tok[1]
                    WHEN length(tok[n]) = 1 THEN array_to_string(tok[1:n - 1], '')
                    WHEN particle + 1 < n THEN array_to_string(tok[1:particle], '')
                    ELSE array_to_string(tok[1:n - 1], '') END AS first_name,
               nullif(CASE WHEN n < 2 THEN tok[1]
                           WHEN length(tok[1]) = 1 THEN array_to_string(tok[2:n], '')
                           WHEN length(tok[n]) = 1 THEN tok[n]
                           WHEN particle + 1 < n THEN array_to_string(tok[particle + 1:n], '')
                           ELSE tok[n] END, '') AS last_name,
               nullif(lower(regexp_extract(bio, '{_EMAIL_SQL}', 0)), '') AS email,
               {city} AS city,
               {_sql_key("handle_raw")} AS handle,
               nullif(regexp_extract(handle_raw, '{_HANDLE_YEAR_SQL}', 1), '') AS birth_yy,
               nullif(array_to_string(tok, ''), '') AS full_name
        FROM s
    """
    frame = acc.assign(row_nr=np.arange(len(acc)))
    return _features_of(frame, base, con, is_account=True)


def _level(sql: str, label: str, m: float, null: bool = False) -> dict:
    lvl = {"sql_condition": sql, "label_for_charts": label}
    if null:
        lvl["is_null_level"] = True
    else:
        lvl["m_probability"] = m
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
            # no term-frequency adjustment: homonyms tie and are left unlinked anyway, and an
            # adjusted common name fell below a typo of another customer's name
            _level("full_name_l = full_name_r", "identique", 0.55),
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
            # not a null level: a customer's own account nearly always names a city, so a bio
            # without one is (learnt) evidence against a link
            _level(null.format(c="city"), "absente", 0.03),
            # no term-frequency adjustment: the cities named in bios are not spread like the
            # CRM's (one distribution for both sides would mis-weigh big cities)
            _level("city_l = city_r", "identique", 0.85),
            _level("ELSE", "différente", 0.12),
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


# Blocking keys (columns made by `_finish`): only pairs sharing one of them are compared. Each
# covers a way the same person shows up on both sides; none is as coarse as "same first name
# and city", so the candidate pairs grow about linearly with the number of records.
BLOCKING_KEYS = (
    "email",                    # e-mail in the bio
    "full_name",                # same name (accents, case, spaces and hyphens aside)
    "key_canon_name",           # nickname for the first name, same last name
    "key_last_initial",         # "M. Castellane" (account side: first name is an initial)
    "key_first_initial_city",   # "Zoé V." or a typo in the last name, in the same city
    "key_last_initial_city",    # typo in the first name, same city
    "key_first_suffix_city",    # typo at the start of the last name, same city
)


def _blocking_rules() -> list[str]:
    """Blocking rules: equality on one precomputed key each (DuckDB hash joins)."""
    return [f"l.{k} = r.{k}" for k in BLOCKING_KEYS]


def _block_pairs(crm: pd.DataFrame, social: pd.DataFrame, cols: list[str], con=None) -> int:
    """Number of CRM x social pairs sharing all `cols` (non-null): per distinct key, the
    product of its counts on both sides, summed (in DuckDB, `con` when given: a count over
    a million text keys, not a pandas value_counts and alignment)."""
    own = con is None
    con = _connect(con)
    keys = ", ".join(f'"{c}"' for c in cols)
    present = " AND ".join(f'"{c}" IS NOT NULL' for c in cols)
    counts = f"SELECT {keys}, count(*) AS n FROM {{}} WHERE {present} GROUP BY {keys}"
    try:
        con.register("block_crm", crm[cols])
        con.register("block_social", social[cols])
        pairs = con.execute(
            f"SELECT coalesce(sum(a.n * b.n), 0) FROM ({counts.format('block_crm')}) AS a "
            f"JOIN ({counts.format('block_social')}) AS b USING ({keys})").fetchall()[0][0]
    finally:
        con.unregister("block_crm")
        con.unregister("block_social")
        if own:
            con.close()
    return int(pairs)


# EM passes: (blocking rule, its columns, what it trains). Blocks of near-sure matches train the
# m probabilities; the last pass (m free, prior populated) learns how many pairs match.
_EM_PASSES = (
    ("l.email = r.email", ["email"], {}),
    ("l.full_name = r.full_name AND l.city = r.city", ["full_name", "city"], {}),
    ("l.full_name = r.full_name", ["full_name"],
     {"populate_probability_two_random_records_match_from_trained_values": True}),
)
MIN_EM_PAIRS = 200
U_SAMPLE_PAIRS = 2_000_000  # random pairs sampled to estimate the u probabilities


SPARK_JARO_WINKLER = "workbench_jaro_winkler"  # DuckDB's jaro_winkler_similarity on Spark


def _jaro_winkler_series():
    """DuckDB's `jaro_winkler_similarity` (rapidfuzz's: half transpositions rounded down,
    prefix bonus of up to 4 letters above 0.7) as a Spark pandas UDF. splink's own Spark
    `jaro_winkler` (its jar) scores some pairs differently (0.899 against DuckDB's 0.908 for
    one pair of the sample), which moved links across the "proche" level; this one equals
    DuckDB's on 178,000 name pairs of the sample. Returns the vectorised function (two text
    Series -> a float Series, null for a missing text), defined inside this function so that
    Spark ships it by value: executors need pyspark, pandas and pyarrow only."""
    import pandas as pd

    def similarity(a: str, b: str) -> float:
        la, lb = len(a), len(b)
        if la == 0 or lb == 0:
            return 0.0
        window = max(max(la, lb) // 2 - 1, 0)
        used_a, used_b = [False] * la, [False] * lb
        matches = 0
        for i, ch in enumerate(a):
            for j in range(max(0, i - window), min(lb, i + window + 1)):
                if not used_b[j] and b[j] == ch:
                    used_a[i] = used_b[j] = True
                    matches += 1
                    break
        if matches == 0:
            return 0.0
        swapped, k = 0, 0
        for i in range(la):
            if used_a[i]:
                while not used_b[k]:
                    k += 1
                swapped += a[i] != b[k]
                k += 1
        sim = (matches / la + matches / lb + (matches - swapped // 2) / matches) / 3
        if sim > 0.7:
            prefix = 0
            while prefix < min(4, la, lb) and a[prefix] == b[prefix]:
                prefix += 1
            sim += prefix * 0.1 * (1 - sim)
        return sim

    def jaro_winkler_similarity(left: pd.Series, right: pd.Series) -> pd.Series:
        return pd.Series([similarity(x, y) if isinstance(x, str) and isinstance(y, str)
                          else None for x, y in zip(left, right, strict=True)], dtype="float64")

    return jaro_winkler_similarity


def _spark_api():
    """splink's Spark backend on the kernel's Spark session (`events.engine.get_spark`), with
    DuckDB's jaro_winkler_similarity as `SPARK_JARO_WINKLER` (`_jaro_winkler_series`)."""
    from pyspark.sql.functions import pandas_udf
    from splink import SparkAPI

    from workbench.events.engine import get_spark

    spark = get_spark()
    # intermediate tables persisted in the executors (splink's default writes Parquet to a
    # checkpoint folder that a plain session has not set)
    api = SparkAPI(spark_session=spark, break_lineage_method="persist")
    # under its own name: with splink's jar, Spark already has a jaro_winkler_similarity
    # (the jar's algorithm), which a registration under that name does not replace
    spark.udf.register(SPARK_JARO_WINKLER, pandas_udf(_jaro_winkler_series(), "double"))
    return api


def _linker(crm: pd.DataFrame, social: pd.DataFrame, seed: int, linked_share: float, con,
            engine: str = "duckdb"):
    """The model with its u probabilities, ready for EM and scoring on `engine`.

    The u probabilities come from `U_SAMPLE_PAIRS` random pairs, a fixed-size sample whatever
    the size of the data: they are estimated on DuckDB (`con`) in both modes, which takes
    seconds on one machine and gives Spark the same u values (so the same links); on Spark,
    the EM training and the scoring of the candidate pairs (what grows with the data) run on
    splink's Spark backend."""
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
    db_api = DuckDBAPI(connection=con)
    left = db_api.register(crm, dataset_display_name="crm")
    right = db_api.register(social, dataset_display_name="social")
    linker = Linker([left, right], settings, log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    # a level never met among the sampled random pairs is rarer than 1 in U_SAMPLE_PAIRS:
    # give it that (conservative) u rather than splink's default, which can be far too high
    model = linker.misc.save_model_to_json()
    for comp in model["comparisons"]:
        for lvl in comp["comparison_levels"]:
            if not lvl.get("is_null_level") and not lvl.get("u_probability"):
                lvl["u_probability"] = 1.0 / U_SAMPLE_PAIRS
    if engine == "spark":  # the same model, DuckDB's Jaro-Winkler under its Spark name
        model["sql_dialect"] = "spark"
        for comp in model["comparisons"]:
            for lvl in comp["comparison_levels"]:
                lvl["sql_condition"] = lvl["sql_condition"].replace(
                    "jaro_winkler_similarity(", f"{SPARK_JARO_WINKLER}(")
        db_api = _spark_api()
        left = db_api.register(crm, dataset_display_name="crm")
        right = db_api.register(social, dataset_display_name="social")
    return Linker([left, right], model, log_level=logging.ERROR)


# the columns of the scored pairs that link_identities reads, besides gamma_* / mw_* (levels,
# Bayes factors)
_PREDICTION_COLUMNS = ("unique_id_l", "unique_id_r", "source_dataset_l", "match_weight",
                       "match_probability")


def _train_and_predict(
    crm: pd.DataFrame, social: pd.DataFrame, seed: int, em: bool, linked_share: float,
    engine: str = "duckdb",
) -> tuple[pd.DataFrame, str]:
    """Scored candidate pairs and how the model was trained ('EM' or 'fixed m'), with splink
    on `engine` (duckdb, or spark: splink's Spark backend)."""
    log = logging.getLogger(__name__)
    con = _connect()
    try:
        passes = [p for p in _EM_PASSES if _block_pairs(crm, social, p[1], con) >= MIN_EM_PAIRS]
        linker = _linker(crm, social, seed, linked_share, con, engine)
        training = "fixed m"
        if em and len(passes) == len(_EM_PASSES):
            try:
                for rule, _, kwargs in passes:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule, record_sample_proportion=1.0, **kwargs,
                        # on Spark, iterate on the counts of each comparison pattern (a Spark
                        # job per iteration over the pairs is minutes on one machine): the same
                        # model, as no comparison uses term frequencies
                        estimate_without_term_frequencies=engine == "spark",
                    )
                training = "EM"
            except Exception as err:  # noqa: BLE001 - a failed EM leaves the model half-trained
                log.warning("EM training failed (%s): using the fixed m probabilities", err)
                con.close()
                con = _connect()
                linker = _linker(crm, social, seed, linked_share, con, engine)
        elif em:
            log.warning("too few near-sure pairs for EM (< %d): using the fixed m probabilities",
                        MIN_EM_PAIRS)
        preds = linker.inference.predict(threshold_match_probability=0.01, warning_mode="never")
        # only the columns link_identities reads come back to pandas (not the compared names,
        # e-mails and blocking keys of both sides: a frame of texts per candidate pair)
        names = [c.unquote().name for c in preds.columns]
        keep = [n for n in names if n in _PREDICTION_COLUMNS or n.startswith(("gamma_", "mw_"))]
        wanted = preds.query_sql(f"SELECT {', '.join(keep)} FROM {{this}}")
        try:
            return wanted.as_pandas_dataframe(), training
        finally:
            wanted.drop_table_from_database_and_remove_from_cache()
    finally:
        con.close()


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
    engine: str | None = None,
) -> pd.DataFrame:
    """Link person social accounts to CRM customers (splink, Fellegi-Sunter, on DuckDB; on
    splink's Spark backend with `engine="spark"` or `WORKBENCH_ENGINE=spark`, i.e. under
    `workbench run --engine spark`).

    Returns one row per linked pair with `match_probability` >= `threshold`: `customer_id`,
    `account_id`, `match_probability`, `match_weight`, and per comparison (e-mail, name, city,
    birth year in the handle) the level reached (`level_<comparison>`, French label) and its
    Bayes factor (`bf_<comparison>`): every link is explained, without any personal value. Each
    account goes to at most one customer (its best match); accounts whose two best candidates
    tie (homonyms) are left unlinked and counted in `attrs["ambiguous_accounts"]`; `attrs` also
    counts person accounts, the brand accounts left out and the customers whose e-mail is
    shared with another customer (not used as evidence), and says how the model was trained.

    Candidates: pairs sharing one of `BLOCKING_KEYS` (e-mail, full name, or a part of the name
    with the city), so the work grows about linearly with the data. Model: u probabilities from
    `U_SAMPLE_PAIRS` random pairs (seeded; a level never seen there gets 1/U_SAMPLE_PAIRS);
    m probabilities start from sensible fixed values and, when `em=True` and the data hold
    enough near-sure pairs, are EM-trained on blocks of likely matches (same e-mail; same full
    name and city), then the prior is learnt on pairs sharing the full name (`linked_share`,
    the expected share of person accounts owned by a customer, is only the starting prior).
    A bio without a city counts against a link (learnt, like every level). Deterministic for
    a given `seed`.
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
        "shared_emails_ignored": int(customers["email"].notna().sum() - crm["email"].notna().sum()),
        "threshold": threshold,
    }
    if len(crm) == 0 or len(social) == 0:
        empty.attrs.update(attrs)
        return empty
    preds, attrs["training"] = _train_and_predict(crm, social, seed, em, linked_share,
                                                  engine_name(engine))
    if preds.empty:
        empty.attrs.update(attrs)
        return empty
    # (an Arrow lookup: pandas' isin of a text column converts each id to a Python object)
    left_is_crm = (is_in(preds["unique_id_l"], crm["unique_id"])
                   & (preds["source_dataset_l"] == "crm").to_numpy(bool))
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


# --------------------------------------------------------------------------------------------
# Once a month: the links, saved and reused; the social profile of each linked customer
# --------------------------------------------------------------------------------------------

LINKS_TABLE = "identity_links"  # processed table written by the first notebook that links
LINKS_SOURCES = ("customers", "social_accounts")  # the raw tables links come from (`links_for_month`'s `sources`)


def links_for_month(saved: pd.DataFrame | None, customers: pd.DataFrame, accounts: pd.DataFrame,
                    month, *, sources: str | None = None, **link_args) -> tuple[pd.DataFrame, bool]:
    """The identity links of `month`: the `saved` ones when they are that month's, else fresh.

    Linking takes ~20 s to a minute; the segmentation and ambassador notebooks both need it, so
    whichever runs first links and saves (`datasets.write_table(links, LINKS_TABLE, ...)`) and
    the other reuses. `saved` = `datasets.read_processed(LINKS_TABLE, ..., required=False)`;
    it is reused only when every row carries this `month` and the same `threshold` and, when
    `sources` is given (`datasets.source_stamp(LINKS_SOURCES, data_dir)`),
    was linked from the same files: a corrected CRM or accounts export is linked again (the
    counts of `link_identities`' `attrs` travel as `attr_<name>` columns). Returns
    (links with a `month` column, fresh) — save the links when `fresh`.
    """
    m = str(pd.Period(month, "M"))
    threshold = link_args.get("threshold", 0.6)
    if (saved is not None and len(saved) and "month" in saved.columns and saved["month"].eq(m).all()
            and "attr_threshold" in saved.columns and np.isclose(saved["attr_threshold"], threshold).all()
            and (sources is None or ("attr_sources" in saved.columns and saved["attr_sources"].eq(sources).all()))):
        out = saved.drop(columns=[c for c in saved.columns if c.startswith("attr_")]).copy()
        out.attrs.update({c.removeprefix("attr_"): saved[c].iloc[0] for c in saved.columns
                          if c.startswith("attr_") and c != "attr_training"})
        if "attr_training" in saved.columns:
            out.attrs["training"] = saved["attr_training"].iloc[0]
        return out, False
    links = link_identities(customers, accounts, **link_args)
    out = links.assign(month=m)
    for k, v in links.attrs.items():
        if isinstance(v, (int, float, str, np.integer, np.floating)):
            out[f"attr_{k}"] = v
    if sources is not None:
        out["attr_sources"] = sources
    out.attrs.update(links.attrs)
    return out, True


def _platform_sets(acc: pd.DataFrame, customers: pd.Index) -> pd.Series:
    """The platforms of each customer's accounts (codes, sorted, ', '-joined; '' when none is
    known), for `customers`: one flag per platform and one text per distinct set of platforms,
    instead of one sort and join per customer."""
    known = acc[acc["platform"].notna()]
    platform = known["platform"].astype(str)
    names = sorted(set(platform))
    flags = np.zeros((len(customers), len(names)), dtype=bool)
    for i, name in enumerate(names):
        flags[customers.get_indexer(pd.unique(known.loc[platform == name, "customer_id"])), i] = True
    if len(customers) == 0 or not names:
        return pd.Series([""] * len(customers), index=customers, dtype=object if len(customers) else None)
    return pd.Series(text_per_row(flags, lambda row: ", ".join(
        n for n, f in zip(names, row, strict=True) if f)), index=customers)


def customer_social_profile(links: pd.DataFrame, accounts: pd.DataFrame, mentions: pd.DataFrame,
                            brand: str, start=None, end=None,
                            sentiment: pd.Series | None = None) -> pd.DataFrame:
    """The social profile of every linked customer (one row per customer_id).

    `accounts`: number of linked accounts; `platforms`: their platforms (codes, ', '-joined,
    sorted); `followers`: summed; `posts`: own original posts (not reshares) in [start, end];
    `brand_mentions`: those about `brand`; with `sentiment` (polarity per mention_id, e.g.
    `ambassadors.mention_sentiment`): `sentiment` (mean polarity of their brand mentions),
    `positive_mentions` / `negative_mentions` (polarity > 0 / < 0) and `balance` (positive −
    negative): a negative balance marks a detractor.
    """
    acc = links[["customer_id", "account_id"]].drop_duplicates().merge(
        accounts[["account_id", "platform", "followers"]], on="account_id", how="inner")
    g = acc.groupby("customer_id")
    out = pd.DataFrame({
        "accounts": g["account_id"].nunique(),
        "platforms": _platform_sets(acc, g.size().index),
        "followers": g["followers"].sum(),
    })
    m = mentions[mentions["retweet_of"].isna()]
    if start is not None:
        m = m[m["timestamp"] >= start]
    if end is not None:
        m = m[m["timestamp"] <= end]
    m = m.merge(acc[["customer_id", "account_id"]], on="account_id", how="inner")
    out["posts"] = m.groupby("customer_id").size().reindex(out.index, fill_value=0)
    mb = m[m["brand"] == brand]
    out["brand_mentions"] = mb.groupby("customer_id").size().reindex(out.index, fill_value=0)
    if sentiment is not None:
        pol = mb["mention_id"].map(sentiment).astype(float)
        mb = mb.assign(_p=pol.to_numpy())
        gb = mb.groupby("customer_id")["_p"]
        out["sentiment"] = gb.mean().reindex(out.index)
        for col, sign in (("positive_mentions", mb["_p"] > 0), ("negative_mentions", mb["_p"] < 0)):
            out[col] = sign.groupby(mb["customer_id"]).sum().astype("int64").reindex(out.index, fill_value=0)
        out["balance"] = out["positive_mentions"] - out["negative_mentions"]
    out.index.name = "customer_id"
    return out.sort_index()


def social_by_segment(social: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Per segment, from `customer_social_profile` rows: who is linked and how they speak.

    `segments`: segment per customer_id (every customer of the base). Columns: `customers`,
    `linked_share` (share with a linked account), `followers_median`, `brand_mentions_mean`
    (per linked customer), `top_platform` (most frequent platform among their accounts) and,
    when `social` has sentiment, `sentiment_mean` and `detractor_share` (negative balance).
    """
    seg = segments.dropna()
    out = pd.DataFrame({"customers": seg.groupby(seg).size()})
    s = social.join(seg.rename("segment"), how="inner")
    g = s.groupby("segment")
    out["linked_share"] = (g.size() / out["customers"]).fillna(0.0)
    out["followers_median"] = g["followers"].median()
    out["brand_mentions_mean"] = g["brand_mentions"].mean()
    plat = s.assign(platform=s["platforms"].str.split(", ")).explode("platform")
    out["top_platform"] = plat.groupby("segment")["platform"].agg(
        lambda v: v.value_counts().index[0] if len(v.dropna()) else None)
    if "sentiment" in s:
        out["sentiment_mean"] = g["sentiment"].mean()
        out["detractor_share"] = g["balance"].agg(lambda b: float((b < 0).mean()))
    return out.sort_values("customers", ascending=False)
