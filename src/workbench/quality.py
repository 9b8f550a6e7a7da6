"""Data quality overview: sizes, date coverage, missing values, duplicates, consent, broken links.

Pure functions over already validated tables ({name: DataFrame} from `datasets`): they never
read files and never change their inputs. They feed the `00_data_overview` notebook, which tells
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
    "TABLE_FR",
    "TIER_FR",
    "main_date_column",
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
TIER_FR = {"none": "sans niveau", "silver": "argent", "gold": "or", "platinum": "platine"}

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


def table_overview(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per table: rows, columns and key."""
    rows = []
    for name, df in tables.items():
        key = TABLES[name].key if name in TABLES else ()
        rows.append({"table": name, "rows": len(df), "columns": df.shape[1], "key": ", ".join(key)})
    return pd.DataFrame(rows, columns=["table", "rows", "columns", "key"])


def date_coverage(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per table: first and last date of its activity column and days without any row."""
    rows = []
    for name, df in tables.items():
        col = main_date_column(name) if name in TABLES else None
        if col is None or col not in df or df[col].dropna().empty:
            continue
        d = df[col].dropna().dt.normalize()
        first, last = d.min(), d.max()
        span = pd.date_range(first, last, freq="D")
        if name == "search_keywords":  # monthly table: count months, not days
            span = pd.date_range(first, last, freq="MS")
        seen = pd.DatetimeIndex(d.unique())
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


def rows_per_month(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows per calendar month (index 'YYYY-MM') and table (columns): shows gaps and jumps."""
    series = {}
    for name, df in tables.items():
        col = main_date_column(name) if name in TABLES else None
        if col is None or col not in df:
            continue
        series[name] = df[col].dropna().dt.to_period("M").value_counts()
    if not series:
        return pd.DataFrame()
    out = pd.DataFrame(series).sort_index().fillna(0).astype(int)
    out.index = out.index.astype(str)
    out.index.name = "month"
    return out


def missing_values(tables: dict[str, pd.DataFrame], only_missing: bool = True) -> pd.DataFrame:
    """Per table and contract column: missing values, their share and whether the contract allows
    them (a non-nullable column never has any: validation refuses it)."""
    rows = []
    for name, df in tables.items():
        if name not in TABLES:
            continue
        for c in TABLES[name].columns:
            if c.name not in df:
                continue
            n = int(df[c.name].isna().sum())
            if only_missing and n == 0:
                continue
            rows.append(
                {
                    "table": name,
                    "column": c.name,
                    "missing": n,
                    "missing_share": n / len(df) if len(df) else 0.0,
                    "nullable": c.nullable,
                }
            )
    out = pd.DataFrame(rows, columns=["table", "column", "missing", "missing_share", "nullable"])
    return out.sort_values(["missing_share", "table"], ascending=[False, True], ignore_index=True)


def duplicate_checks(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Duplicate ids and likely duplicates: key duplicates (0 after validation), fully identical
    rows apart from the id, customers sharing an e-mail (same person twice in the CRM?)."""
    rows = []
    for name, df in tables.items():
        if name not in TABLES:
            continue
        key = [k for k in TABLES[name].key if k in df]
        if key:
            rows.append(
                {
                    "table": name,
                    "check": f"identifiants en double ({', '.join(key)})",
                    "count": _n_duplicated(df, key),
                }
            )
        if len(key) == 1:
            others = [c for c in TABLES[name].column_names if c in df and c != key[0]]
            if others:
                rows.append(
                    {
                        "table": name,
                        "check": "lignes identiques hors identifiant",
                        "count": _n_duplicated(df, others),
                    }
                )
    cust = tables.get("customers")
    if cust is not None and "email" in cust:
        email = cust["email"].dropna().str.strip().str.lower()
        rows.append(
            {
                "table": "customers",
                "check": "clients partageant un e-mail",
                "count": int(email.duplicated(keep=False).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["table", "check", "count"])


def consent_rates(customers: pd.DataFrame, by: str | None = "loyalty_tier") -> pd.DataFrame:
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
        order = (
            TABLES["customers"].col(by).allowed if by in TABLES["customers"].column_names else None
        )
        groups = customers.groupby(by, observed=True, sort=True)
        keys = [k for k in (order or []) if k in groups.groups] or sorted(groups.groups)
        rows += [_rates(groups.get_group(k), str(k)) for k in keys]
    return pd.DataFrame(
        rows, columns=["segment", "n_customers", "email_consent", "ambassador_consent"]
    )


def link_checks(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Broken links between tables: ids that point to nothing (e.g. a purchase by a customer
    absent from the CRM). Flagged, never removed."""
    rows = []
    for table, col, ref_table, ref_col in LINKS:
        if table not in tables or ref_table not in tables:
            continue
        df, ref = tables[table], tables[ref_table]
        if col not in df or ref_col not in ref:
            continue
        values = df[col].dropna()
        broken = int((~_is_in(values, ref[ref_col].dropna())).sum())
        rows.append(
            {
                "table": table,
                "check": f"{col} absent de {ref_table}",
                "count": broken,
                "share": broken / len(values) if len(values) else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=["table", "check", "count", "share"])


def consistency_checks(tables: dict[str, pd.DataFrame], tolerance: float = 0.01) -> pd.DataFrame:
    """Purchases whose lines do not add up: amount (± `tolerance` €) and number of items."""
    rows = []
    tx, lines = tables.get("transactions"), tables.get("transaction_lines")
    if tx is not None and lines is not None:
        agg = lines.groupby("transaction_id", sort=False).agg(
            amount=("amount", "sum"), qty=("quantity", "sum")
        )
        m = tx[["transaction_id", "amount", "n_items"]].merge(
            agg, left_on="transaction_id", right_index=True, how="left"
        )
        has = m["amount_y"].notna()
        rows.append(
            {
                "table": "transactions",
                "check": "achats sans ligne de détail",
                "count": int((~has).sum()),
                "share": float((~has).mean()) if len(m) else 0.0,
            }
        )
        amt = has & ((m["amount_x"] - m["amount_y"]).abs() > tolerance)
        rows.append(
            {
                "table": "transactions",
                "check": "montant différent de la somme des lignes",
                "count": int(amt.sum()),
                "share": float(amt.mean()) if len(m) else 0.0,
            }
        )
        qty = has & (m["n_items"].astype("float64") != m["qty"].astype("float64"))
        rows.append(
            {
                "table": "transactions",
                "check": "nombre d'articles différent des lignes",
                "count": int(qty.sum()),
                "share": float(qty.mean()) if len(m) else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=["table", "check", "count", "share"])


def flags_summary(status: pd.DataFrame, links: pd.DataFrame, consistency: pd.DataFrame) -> dict:
    """Headline counts for the key figures: tables refused by validation, rows flagged."""
    refused = int((status["status"] == "invalide").sum()) if len(status) else 0
    absent = int((status["status"] == "absente").sum()) if len(status) else 0
    flagged = int(links["count"].sum()) + int(consistency["count"].sum())
    return {"tables_refused": refused, "tables_absent": absent, "rows_flagged": flagged}
