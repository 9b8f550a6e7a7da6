"""Data quality overview: sizes, date coverage, missing values, duplicates, consent, broken links.

Pure functions over validated tables ({name: DataFrame} from `datasets`) or over their small
profile (the frames `datasets.scan_available` computes over the files, so that 50M-row event
tables are never loaded): they never read files and never change their inputs. They feed the `00_data_overview` notebook, which tells
analysts whether this month's data can be trusted before any analysis is read.
"""

from __future__ import annotations

import pandas as pd

from workbench.schemas import TABLES

__all__ = [
    "CHECK_LABELS_FR",
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
CHECK_LABELS_FR = {
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


def main_date_column(table: str) -> str | None:
    """The first date/datetime column of a table's contract (its activity date)."""
    for c in TABLES[table].columns:
        if c.dtype in ("date", "datetime"):
            return c.name
    return None


# --------------------------------------------------------------------------- profile of tables
#
# The checks below work on a small "profile" of the tables: the frames `datasets.scan_available`
# computes with DuckDB over the files (big tables are never loaded), or `profile` computes with
# the same SQL over tables in memory. Each check accepts the profile frame it needs, or the
# {name: DataFrame} of the tables themselves (then profiled here).


def profile(tables: dict[str, pd.DataFrame], links=None, tolerance: float = 0.01) -> dict:
    """The profile of tables held in memory, by the same SQL as `datasets.scan_available` over
    the files (`scan.profile_frames`): {shapes, missing, day_counts, duplicates, links,
    purchase_mismatches} (see there); `links` defaults to `LINKS`."""
    from workbench.scan import profile_frames

    return profile_frames(tables, LINKS if links is None else links, tolerance)


def _part(tables: dict[str, pd.DataFrame], part: str, tolerance: float = 0.01):
    """One frame of the profile of `tables`."""
    return profile(tables, tolerance=tolerance)[part]


def table_overview(data) -> pd.DataFrame:
    """One row per table: rows, columns and key. `data`: the tables, or their `shapes`."""
    shapes = _part(data, "shapes") if isinstance(data, dict) else data
    key = [", ".join(TABLES[n].key) if n in TABLES else "" for n in shapes["table"]]
    out = shapes[["table", "rows", "columns"]].assign(key=key)
    return out.reset_index(drop=True)


def date_coverage(data) -> pd.DataFrame:
    """Per table: first and last date of its activity column and days without any row.
    `data`: the tables, or their `day_counts` (table, day, rows)."""
    days = _part(data, "day_counts") if isinstance(data, dict) else data
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
    days = _part(data, "day_counts") if isinstance(data, dict) else data
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
    counts = _part(data, "missing") if isinstance(data, dict) else data
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
        counts, customers = _part(data, "duplicates"), data.get("customers")
    else:
        counts = data
    labels = {"rows_without_key": "lignes identiques hors identifiant"}
    rows = [
        {
            "table": r.table,
            "check": labels.get(r.kind, "identifiants en double ("
                                + ", ".join(_col(r.table, c) for c in str(r.columns).split(", ")) + ")"),
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


def _col(table: str, column: str) -> str:
    """A column as readers name it ("client (id)"), from the contracts' French labels."""
    from workbench.schemas import column_label

    return column_label(table, column, short=True)


def link_checks(data) -> pd.DataFrame:
    """Broken links between tables: ids that point to nothing (e.g. a purchase by a customer
    absent from the CRM). Flagged, never removed. `data`: the tables (checked on `LINKS`), or
    their `links` counts (table, column, ref_table, ref_column, values, broken)."""
    counts = _part(data, "links") if isinstance(data, dict) else data
    rows = [
        {
            "table": r.table,
            "check": f"« {_col(r.table, r.column)} » inconnu dans « {TABLE_FR.get(r.ref_table, r.ref_table)} »",
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
        mism = _part(data, "purchase_mismatches", tolerance)
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
            "check": f"« {_col(r.table, r.column)} » daté après aujourd'hui (lignes {r.rows} ; "
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
