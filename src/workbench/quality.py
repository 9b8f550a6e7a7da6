"""Data quality overview: sizes, date coverage, missing values, duplicates, consent, broken links.

Pure functions over validated tables ({name: DataFrame} from `datasets`) or over their small
profile (the frames `datasets.scan_available` computes over the files, so that 50M-row event
tables are never loaded): they never read files and never change their inputs. They feed the `00_data_overview` notebook, which tells
analysts whether this month's data can be trusted before any analysis is read.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.schemas import TABLES

__all__ = [
    "LABELS_FR",
    "future_checks",
    "LINKS",
    "TABLE_FR",
    "main_date_column",
    "profile",
    "table_overview",
    "date_coverage",
    "rows_per_month",
    "missing_values",
    "duplicate_checks",
    "consent_rates",
    "link_checks",
    "consistency_checks",
    "flags_summary",
]

# French headers for the tables shown to readers.
LABELS_FR = {
    "table": "Table",
    "status": "Statut",
    "file": "Fichier",
    "rows": "Lignes",
    "columns": "Colonnes",
    "key": "Clé",
    "first": "Première date",
    "last": "Dernière date",
    "days": "Jours couverts",
    "days_without_rows": "Jours sans données",
    "column": "Colonne",
    "missing": "Valeurs manquantes",
    "missing_share": "Part manquante",
    "nullable": "Manquant autorisé",
    "check": "Contrôle",
    "count": "Nombre",
    "share": "Part",
    "n_customers": "Clients",
    "email_consent": "Consentement e-mail",
    "ambassador_consent": "Consentement ambassadeur",
    "loyalty_tier": "Niveau de fidélité",
    "segment": "Groupe",
    "month": "Mois",
    "message": "Détail",
}

# French names of the tables, for readers (file names stay technical).
TABLE_FR = {
    "stores": "Magasins",
    "customers": "Clients (CRM)",
    "transactions": "Achats",
    "transaction_lines": "Lignes d'achat",
    "email_campaigns": "Campagnes e-mail",
    "email_events": "Événements e-mail",
    "social_accounts": "Comptes sociaux",
    "brand_posts": "Publications des marques",
    "interactions": "Interactions sociales",
    "mentions": "Mentions",
    "touchpoints": "Points de contact",
    "staff_nominations": "Recommandations du personnel",
    "audience": "Audience des comptes",
    "search_keywords": "Recherches par mot-clé",
    "daily_kpis": "Indicateurs quotidiens",
    "store_reviews": "Avis en magasin",
}

# Foreign keys: (table, column) -> (referenced table, referenced column), checked when both exist.
LINKS = [
    ("customers", "home_store_id", "stores", "store_id"),
    ("transactions", "customer_id", "customers", "customer_id"),
    ("transactions", "store_id", "stores", "store_id"),
    ("transaction_lines", "transaction_id", "transactions", "transaction_id"),
    ("email_events", "campaign_id", "email_campaigns", "campaign_id"),
    ("email_events", "customer_id", "customers", "customer_id"),
    ("brand_posts", "account_id", "social_accounts", "account_id"),
    ("interactions", "account_id", "social_accounts", "account_id"),
    ("mentions", "account_id", "social_accounts", "account_id"),
    ("touchpoints", "customer_id", "customers", "customer_id"),
    ("touchpoints", "transaction_id", "transactions", "transaction_id"),
    ("staff_nominations", "customer_id", "customers", "customer_id"),
    ("staff_nominations", "store_id", "stores", "store_id"),
    ("store_reviews", "store_id", "stores", "store_id"),
    ("store_reviews", "customer_id", "customers", "customer_id"),
]


def _n_duplicated(df: pd.DataFrame, columns: list[str]) -> int:
    """Rows equal on `columns` to an earlier row (as `df.duplicated(subset=columns).sum()`,
    missing values equal to each other), counted by duckdb: seconds instead of minutes at 1M."""
    if len(df) == 0:
        return 0
    frame = df[columns].set_axis([f"c{i}" for i in range(len(columns))], axis=1)
    cols = ", ".join(frame.columns)
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        groups = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM frame GROUP BY {cols})").fetchone()
    finally:
        con.close()
    return int(len(df) - groups[0])


def _is_in(values: pd.Series, ref: pd.Series) -> np.ndarray:
    """`values.isin(ref)` as a numpy mask, through pyarrow for text ids (pandas' isin of strings
    against millions of ids is ~20x slower)."""
    try:
        a, r = pa.array(values, from_pandas=True), pa.array(ref, from_pandas=True)
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
            a, r = a.cast(pa.large_string()), r.cast(pa.large_string())
        return pc.is_in(a, value_set=r.unique()).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, TypeError, ValueError):
        return values.isin(ref).to_numpy()


def main_date_column(table: str) -> str | None:
    """The first date/datetime column of a table's contract (its activity date)."""
    for c in TABLES[table].columns:
        if c.dtype in ("date", "datetime"):
            return c.name
    return None


# --------------------------------------------------------------------------- profile of tables
#
# The checks below work on a small "profile" of the tables: the frames `datasets.scan_available`
# computes with DuckDB over the files (big tables are never loaded), or `profile` computes here
# in pandas from tables in memory. Each check accepts the profile frame it needs, or the
# {name: DataFrame} of the tables themselves (then profiled here).


def _shapes(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = [{"table": n, "rows": len(df), "columns": df.shape[1]} for n, df in tables.items()]
    return pd.DataFrame(rows, columns=["table", "rows", "columns"])


def _missing_counts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = [
        {"table": name, "column": c.name, "missing": int(df[c.name].isna().sum()), "rows": len(df)}
        for name, df in tables.items()
        if name in TABLES
        for c in TABLES[name].columns
        if c.name in df
    ]
    return pd.DataFrame(rows, columns=["table", "column", "missing", "rows"])


def _day_counts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for name, df in tables.items():
        col = main_date_column(name) if name in TABLES else None
        if col is None or col not in df:
            continue
        counts = df[col].dropna().dt.normalize().value_counts().sort_index()
        parts.append(
            pd.DataFrame(
                {"table": name, "day": counts.index.astype("datetime64[ns]"),
                 "rows": counts.to_numpy(dtype="int64")}
            )
        )
    if not parts:
        return pd.DataFrame(
            {"table": pd.Series(dtype="str"), "day": pd.Series(dtype="datetime64[ns]"),
             "rows": pd.Series(dtype="int64")}
        )
    return pd.concat(parts, ignore_index=True)


def _duplicate_counts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for name, df in tables.items():
        if name not in TABLES:
            continue
        key = [k for k in TABLES[name].key if k in df]
        if key:
            rows.append({"table": name, "kind": "key", "columns": ", ".join(key),
                         "count": _n_duplicated(df, key)})
        if len(key) == 1:
            others = [c for c in TABLES[name].column_names if c in df and c != key[0]]
            if others:
                rows.append({"table": name, "kind": "rows_without_key",
                             "columns": ", ".join(others), "count": _n_duplicated(df, others)})
    return pd.DataFrame(rows, columns=["table", "kind", "columns", "count"])


def _link_counts(tables: dict[str, pd.DataFrame], links=None) -> pd.DataFrame:
    rows = []
    for table, col, ref_table, ref_col in LINKS if links is None else links:
        if table not in tables or ref_table not in tables:
            continue
        df, ref = tables[table], tables[ref_table]
        if col not in df or ref_col not in ref:
            continue
        values = df[col].dropna()
        broken = int((~_is_in(values, ref[ref_col].dropna())).sum())
        rows.append({"table": table, "column": col, "ref_table": ref_table,
                     "ref_column": ref_col, "values": len(values), "broken": broken})
    return pd.DataFrame(
        rows, columns=["table", "column", "ref_table", "ref_column", "values", "broken"]
    )


def _purchase_mismatches(tables: dict[str, pd.DataFrame], tolerance: float) -> pd.DataFrame | None:
    tx, lines = tables.get("transactions"), tables.get("transaction_lines")
    if tx is None or lines is None:
        return None
    agg = lines.groupby("transaction_id", sort=False).agg(
        lines_amount=("amount", "sum"), lines_quantity=("quantity", "sum")
    )
    m = tx[["transaction_id", "amount", "n_items"]].merge(
        agg, left_on="transaction_id", right_index=True, how="left"
    )
    has = m["lines_amount"].notna()
    bad = (
        ~has
        | (has & ((m["amount"] - m["lines_amount"]).abs() > tolerance))
        | (has & (m["n_items"].astype("float64") != m["lines_quantity"].astype("float64")))
    )
    out = m[bad.to_numpy()].sort_values("transaction_id", ignore_index=True)
    return pd.DataFrame(
        {
            "transaction_id": out["transaction_id"].astype("str"),
            "amount": out["amount"].astype("float64"),
            "n_items": out["n_items"].astype("Int64"),
            "lines_amount": out["lines_amount"].astype("float64"),
            "lines_quantity": out["lines_quantity"].astype("Int64"),
        }
    )


def profile(tables: dict[str, pd.DataFrame], links=None, tolerance: float = 0.01) -> dict:
    """The profile of tables held in memory, as `datasets.scan_available` computes it over the
    files: {shapes, missing, day_counts, duplicates, links, purchase_mismatches} (see there);
    `links` defaults to `LINKS`."""
    return {
        "shapes": _shapes(tables),
        "missing": _missing_counts(tables),
        "day_counts": _day_counts(tables),
        "duplicates": _duplicate_counts(tables),
        "links": _link_counts(tables, links),
        "purchase_mismatches": _purchase_mismatches(tables, tolerance),
    }


def table_overview(data) -> pd.DataFrame:
    """One row per table: rows, columns and key. `data`: the tables, or their `shapes`."""
    shapes = _shapes(data) if isinstance(data, dict) else data
    key = [", ".join(TABLES[n].key) if n in TABLES else "" for n in shapes["table"]]
    out = shapes[["table", "rows", "columns"]].assign(key=key)
    return out.reset_index(drop=True)


def date_coverage(data) -> pd.DataFrame:
    """Per table: first and last date of its activity column and days without any row.
    `data`: the tables, or their `day_counts` (table, day, rows)."""
    days = _day_counts(data) if isinstance(data, dict) else data
    rows = []
    for name, grp in days.groupby("table", sort=False):
        if name not in TABLES or grp.empty:
            continue
        first, last = grp["day"].min(), grp["day"].max()
        span = pd.date_range(first, last, freq="D")
        if name == "search_keywords":  # monthly table: count months, not days
            span = pd.date_range(first, last, freq="MS")
        seen = pd.DatetimeIndex(grp["day"].unique())
        rows.append(
            {
                "table": name,
                "first": first,
                "last": last,
                "days": len(span),
                "days_without_rows": int((~span.isin(seen)).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["table", "first", "last", "days", "days_without_rows"])


def rows_per_month(data, exclude=()) -> pd.DataFrame:
    """Rows per calendar month (index 'YYYY-MM') and table (columns): shows gaps and jumps.
    `data`: the tables, or their `day_counts`; tables in `exclude` are left out."""
    days = _day_counts(data) if isinstance(data, dict) else data
    series = {}
    for name, grp in days.groupby("table", sort=False):
        if name in exclude or name not in TABLES:
            continue
        series[name] = grp.groupby(grp["day"].dt.to_period("M"))["rows"].sum()
    if not series:
        return pd.DataFrame()
    out = pd.DataFrame(series).sort_index().fillna(0).astype(int)
    out.index = out.index.astype(str)
    out.index.name = "month"
    return out


def missing_values(data, only_missing: bool = True) -> pd.DataFrame:
    """Per table and contract column: missing values, their share and whether the contract allows
    them (a non-nullable column never has any: validation refuses it). `data`: the tables, or
    their `missing` counts (table, column, missing, rows)."""
    counts = _missing_counts(data) if isinstance(data, dict) else data
    rows = []
    for r in counts.itertuples(index=False):
        n = int(r.missing)
        if only_missing and n == 0:
            continue
        rows.append(
            {
                "table": r.table,
                "column": r.column,
                "missing": n,
                "missing_share": n / r.rows if r.rows else 0.0,
                "nullable": TABLES[r.table].col(r.column).nullable,
            }
        )
    out = pd.DataFrame(rows, columns=["table", "column", "missing", "missing_share", "nullable"])
    return out.sort_values(["missing_share", "table"], ascending=[False, True], ignore_index=True)


def duplicate_checks(data, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Duplicate ids and likely duplicates: key duplicates (0 after validation), fully identical
    rows apart from the id, customers sharing an e-mail (same person twice in the CRM?).
    `data`: the tables, or their `duplicates` counts (then `customers` for the e-mail check)."""
    if isinstance(data, dict):
        counts, customers = _duplicate_counts(data), data.get("customers")
    else:
        counts = data
    labels = {"rows_without_key": "lignes identiques hors identifiant"}
    rows = [
        {
            "table": r.table,
            "check": labels.get(r.kind, f"identifiants en double ({r.columns})"),
            "count": int(r.count),
        }
        for r in counts.itertuples(index=False)
    ]
    if customers is not None and "email" in customers:
        email = customers["email"].dropna().str.strip().str.lower()
        rows.append(
            {
                "table": "customers",
                "check": "clients partageant un e-mail",
                "count": int(email.duplicated(keep=False).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["table", "check", "count"])


def consent_rates(customers: pd.DataFrame, by: str | None = "loyalty_tier",
                  order=None) -> pd.DataFrame:
    """Share of customers with e-mail consent and ambassador-programme consent (overall first,
    then per `by` group). Missing consent counts as no consent."""
    for col in ("customer_id", "email_consent", "ambassador_consent"):
        if col not in customers:
            raise ValueError(f"consent_rates: customers table lacks column '{col}'")

    def _rates(df: pd.DataFrame, label: str) -> dict:
        return {
            "segment": label,
            "n_customers": len(df),
            "email_consent": float(df["email_consent"].fillna(False).astype(bool).mean())
            if len(df)
            else 0.0,
            "ambassador_consent": float(df["ambassador_consent"].fillna(False).astype(bool).mean())
            if len(df)
            else 0.0,
        }

    rows = [_rates(customers, "ensemble")]
    if by is not None:
        if by not in customers:
            raise ValueError(f"consent_rates: customers table lacks column '{by}'")
        order = list(order or [])
        groups = customers.groupby(by, observed=True, sort=True)
        if not order and by == "loyalty_tier" and "loyalty_points" in customers:
            from workbench.segmentation import tier_order  # lowest first, by mean points

            order = tier_order(customers)
        keys = [k for k in order if k in groups.groups] or sorted(groups.groups)
        rows += [_rates(groups.get_group(k), str(k)) for k in keys]
    return pd.DataFrame(
        rows, columns=["segment", "n_customers", "email_consent", "ambassador_consent"]
    )


def link_checks(data) -> pd.DataFrame:
    """Broken links between tables: ids that point to nothing (e.g. a purchase by a customer
    absent from the CRM). Flagged, never removed. `data`: the tables (checked on `LINKS`), or
    their `links` counts (table, column, ref_table, ref_column, values, broken)."""
    counts = _link_counts(data) if isinstance(data, dict) else data
    rows = [
        {
            "table": r.table,
            "check": f"{r.column} absent de {r.ref_table}",
            "count": int(r.broken),
            "share": r.broken / r.values if r.values else 0.0,
        }
        for r in counts.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["table", "check", "count", "share"])


def consistency_checks(
    data, tolerance: float = 0.01, n_transactions: int | None = None
) -> pd.DataFrame:
    """Purchases whose lines do not add up: amount (± `tolerance` €) and number of items.

    `data`: the tables, or their `purchase_mismatches` (transaction_id, amount, n_items,
    lines_amount, lines_quantity: the purchases without lines or not adding up) with
    `n_transactions`, the number of purchases; None = not checkable (no rows)."""
    if isinstance(data, dict):
        mism = _purchase_mismatches(data, tolerance)
        n_transactions = len(data["transactions"]) if mism is not None else 0
    else:
        mism = data
    rows = []
    if mism is not None:
        if n_transactions is None:
            raise ValueError("consistency_checks: give n_transactions with purchase_mismatches")
        n = int(n_transactions)
        has = mism["lines_amount"].notna()
        amt = has & ((mism["amount"] - mism["lines_amount"]).abs() > tolerance)
        qty = has & (
            mism["n_items"].astype("float64") != mism["lines_quantity"].astype("float64")
        )
        for check, flagged in (
            ("achats sans ligne de détail", ~has),
            ("montant différent de la somme des lignes", amt),
            ("nombre d'articles différent des lignes", qty),
        ):
            count = int(flagged.sum())
            rows.append(
                {
                    "table": "transactions",
                    "check": check,
                    "count": count,
                    "share": count / n if n else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=["table", "check", "count", "share"])


def future_checks(future_rows: pd.DataFrame, n_rows) -> pd.DataFrame:
    """Rows dated after today (an entry error, e.g. 2062 for 2026): flagged with their row
    numbers, never used to choose the report month. `future_rows`: the `future_rows` profile
    of `datasets.scan_available`; `n_rows`: rows per table (for the share)."""
    rows = [
        {
            "table": r.table,
            "check": f"{r.column} daté après aujourd'hui (lignes {r.rows} ; "
                     f"jusqu'au {pd.Timestamp(r.last):%d/%m/%Y})",
            "count": int(r.count),
            "share": r.count / n_rows[r.table] if n_rows.get(r.table) else 0.0,
        }
        for r in future_rows.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["table", "check", "count", "share"])


def flags_summary(status: pd.DataFrame, links: pd.DataFrame, consistency: pd.DataFrame,
                  future: pd.DataFrame | None = None) -> dict:
    """Headline counts for the key figures: tables refused by validation, rows flagged."""
    refused = int((status["status"] == "invalide").sum()) if len(status) else 0
    absent = int((status["status"] == "absente").sum()) if len(status) else 0
    flagged = int(links["count"].sum()) + int(consistency["count"].sum())
    flagged += int(future["count"].sum()) if future is not None else 0
    return {"tables_refused": refused, "tables_absent": absent, "rows_flagged": flagged}
