"""The computed "À retenir : …" sentences of the data-overview (00) and care (06) pages, and
the small French tables and charts they sit under.

Why here: each figure or table of a report ends with one sentence computed from what it
shows; written inline, these sentences made the notebooks long formatting chains. Every
function takes the table the page shows and returns plain French text (the page passes it to
`reporting.takeaway`, which escapes it) or a table ready for `reporting.show_table`.
"""

from __future__ import annotations

import pandas as pd

from workbench import indicators, quality, schemas
from workbench.reporting import fmt_int, fmt_num, fmt_pct, month_label

__all__ = [
    "with_names",
    "status_columns",
    "month_rows_table",
    "volume_index",
    "plot_table_sizes",
    "plot_volume_index",
    "plot_consent",
    "tables_status",
    "table_sizes",
    "coverage",
    "volume",
    "month_rows",
    "missing",
    "duplicates",
    "consent",
    "checks",
    "care_counts",
    "care_month",
    "slowest_platform",
    "department_backlog",
    "oldest_wait",
    "top_idea",
    "store_idea",
    "new_ideas",
]


# --------------------------------------------------------------------------- data overview (00)


def with_names(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with a `name` column: the French name of its `table` (the code when unknown), and,
    when it has a `column` column, a `column_name` column: the column as the contracts
    describe it in French (`schemas.column_label`: "message retweeté (id) — vide hors
    retweets"), so that no page shows a code name such as `retweet_of`."""
    out = df.assign(name=df["table"].map(quality.TABLE_FR).fillna(df["table"]))
    if "column" in df.columns:
        out["column_name"] = [schemas.column_label(t, c) for t, c in zip(df["table"], df["column"], strict=True)]
    return out


def status_columns(status: pd.DataFrame) -> dict:
    """The columns of the tables-status table, French headers: table, status, rows, and the
    detail only when some table has one (a refused or absent table), not an empty column."""
    L = quality.CHECK_LABELS_FR
    cols = {"name": "Table", "status": L["status"], "rows": L["rows"]}
    if "message" in status and status["message"].fillna("").astype(str).str.strip().ne("").any():
        cols["message"] = L["message"]
    return cols


def month_rows_table(monthly: pd.DataFrame, period) -> pd.DataFrame:
    """Rows per table for the month before and the report month (columns named in French)."""
    period = pd.Period(period, freq="M")
    months = [m for m in (period - 1, period) if str(m) in monthly.index]
    out = monthly.loc[[str(m) for m in months]].T.rename(
        columns={str(m): f"Lignes {month_label(str(m))}" for m in months})
    out.insert(0, "Table", out.index.map(lambda t: quality.TABLE_FR.get(t, t)))
    return out.reset_index(drop=True)


def volume_index(monthly: pd.DataFrame, period, tables, n_months: int = 12) -> pd.DataFrame:
    """Monthly rows of `tables` over the last `n_months` up to `period`, divided by their mean
    (1 = an average month); index: month start dates, columns: French table names."""
    last = monthly.loc[:str(pd.Period(period, freq="M"))].tail(n_months)
    shown = last[[t for t in tables if t in last]]
    out = (shown / shown.mean()).rename(columns=quality.TABLE_FR)
    out.index = pd.PeriodIndex(out.index, freq="M").to_timestamp()
    return out


def plot_table_sizes(sizes: pd.DataFrame):
    """Rows per table (French names, log scale); returns the matplotlib Axes."""
    from workbench import reporting

    ax = with_names(sizes).sort_values("rows").plot.barh(x="name", y="rows", legend=False, color="#3366cc",
                                                         figsize=(8, 5))
    reporting.log_axis(ax, "x")
    ax.set_title("Nombre de lignes par table (échelle logarithmique)")
    ax.set_xlabel("Lignes")
    ax.set_ylabel("")
    return ax


def plot_volume_index(index: pd.DataFrame, period):
    """The `volume_index` lines, the report month marked; returns the matplotlib Axes."""
    from workbench import reporting

    ax = index.plot(marker="o", figsize=(9, 4.5))
    ax.axvline(pd.Period(period, freq="M").to_timestamp(), color="grey", ls="--", lw=1)
    reporting.month_axis(ax)
    ax.figure.autofmt_xdate()
    reporting.int_axis(ax)
    ax.set_title("Volume mensuel rapporté à la moyenne de la période (1 = mois moyen)")
    ax.set_xlabel("")
    ax.set_ylabel("Indice de volume")
    ax.legend(title="Table", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_consent(cons: pd.DataFrame):
    """E-mail and ambassador consent per loyalty tier (`quality.consent_rates` with French tier
    names in `segment`); returns the matplotlib Axes."""
    import seaborn as sns

    from workbench import reporting

    long = cons.melt(id_vars="segment", value_vars=["email_consent", "ambassador_consent"],
                     var_name="consent", value_name="share")
    long["consent"] = long["consent"].map({"email_consent": "E-mail", "ambassador_consent": "Ambassadeur"})
    ax = sns.barplot(data=long, x="segment", y="share", hue="consent")
    reporting.pct_axis(ax)
    ax.set_title("Taux de consentement par niveau de fidélité")
    ax.set_xlabel("Niveau de fidélité")
    ax.set_ylabel("Clients consentants")
    ax.set_ylim(0, 1)
    ax.legend(title="Consentement", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def tables_status(status: pd.DataFrame, month_name: str) -> str:
    valid = status["status"] == "valide"
    refused = with_names(status.loc[~valid])["name"].tolist()
    return (f"{int(valid.sum())} tables sur {len(status)} sont valides pour {month_name}"
            + (f" ; refusées : {', '.join(refused)}." if refused else " ; aucune table refusée."))


def table_sizes(sizes: pd.DataFrame) -> str:
    s = with_names(sizes).sort_values("rows")
    big, small = s.iloc[-1], s.iloc[0]
    return (f"La plus grosse table est « {big['name']} » ({fmt_int(big['rows'])} lignes) ; "
            f"la plus petite, « {small['name']} » ({fmt_int(small['rows'])}).")


def coverage(cov: pd.DataFrame, first_ts, last_ts, daily=("transactions", "daily_kpis")) -> str:
    gaps = with_names(cov[(cov["days_without_rows"] > 0) & cov["table"].isin(daily)])
    head = f"Données du {pd.Timestamp(first_ts):%d/%m/%Y} au {pd.Timestamp(last_ts):%d/%m/%Y} ; "
    if gaps.empty:
        return head + "les achats et les indicateurs quotidiens couvrent chaque jour."
    return head + "jours sans données dans : " + ", ".join(
        f"{r.name} ({r.days_without_rows})" for r in gaps.itertuples()) + " — extraction à vérifier."


def volume(index: pd.DataFrame, month_name: str) -> str:
    now = index.iloc[-1]
    return (f"En {month_name}, le volume le plus bas par rapport à un mois moyen est celui de « {now.idxmin()} » "
            f"({fmt_num(now.min(), 2)} fois le mois moyen), le plus haut celui de « {now.idxmax()} » "
            f"({fmt_num(now.max(), 2)}).")


def month_rows(monthly: pd.DataFrame, period, table: str = "transactions") -> str:
    period = pd.Period(period, freq="M")
    if table not in monthly or str(period) not in monthly.index:
        return f"Pas de table « {quality.TABLE_FR.get(table, table)} » ce mois-ci."
    now = f"{quality.TABLE_FR.get(table, table)} en {month_label(str(period))} : {fmt_int(monthly.loc[str(period), table])} lignes"
    before = str(period - 1)
    return now + (f", contre {fmt_int(monthly.loc[before, table])} le mois précédent." if before in monthly.index else ".")


def missing(miss: pd.DataFrame) -> str:
    crm = miss[miss["table"] == "customers"].sort_values("missing_share").tail(1)
    allowed = bool(miss["nullable"].all()) if len(miss) else True
    return (f"{len(miss)} colonnes ont des valeurs manquantes"
            + (", toutes autorisées par le contrat" if allowed else "")
            + (f" ; côté clients, la plus incomplète est « {schemas.column_label('customers', crm['column'].iloc[0], short=True)} » "
               f"({fmt_pct(crm['missing_share'].iloc[0])} manquant)." if len(crm) else "."))


def duplicates(dups: pd.DataFrame) -> str:
    d = with_names(dups[dups["count"] > 0])
    if d.empty:
        return "Aucun doublon détecté."
    n = int(d["count"].sum())
    from workbench.french import plural

    return (f"{fmt_int(n)} {plural(n, 'doublon possible', 'doublons possibles')} à vérifier : "
            + ", ".join(f"{r.name} ({fmt_int(r.count)})" for r in d.itertuples()) + ".")


def consent(cons: pd.DataFrame, overall: str = "Ensemble") -> str:
    tiers = cons[cons["segment"] != overall].set_index("segment")
    all_ = cons[cons["segment"] == overall].iloc[0]
    return (f"{fmt_pct(all_['email_consent'])} des clients acceptent les e-mails et "
            f"{fmt_pct(all_['ambassador_consent'])} le programme ambassadeurs ; le niveau le plus ouvert aux "
            f"e-mails est « {tiers['email_consent'].idxmax()} » ({fmt_pct(tiers['email_consent'].max())}).")


def checks(chk: pd.DataFrame) -> str:
    flagged = chk[chk["count"] > 0]
    return (f"{len(chk)} contrôles de liens et de cohérence : "
            + (f"{len(flagged)} signalent des lignes ({fmt_int(flagged['count'].sum())} au total)."
               if len(flagged) else "aucune ligne signalée."))


# --------------------------------------------------------------------------- care and ideas (06)


def care_counts(counts: pd.DataFrame, scope: pd.DataFrame, month_name: str) -> str:
    """counts: rows Questions / Réclamations / Suggestions (columns: sources); scope: the care
    queue's reasons (`care.care_scope`)."""
    in_queue = scope.set_index("motif")["mentions"].get("dans la file", 0)
    return (f"En {month_name}, {fmt_int(counts.loc['Réclamations'].sum())} réclamations et "
            f"{fmt_int(counts.loc['Questions'].sum())} questions repérées (mentions et avis en magasin) ; "
            f"{fmt_int(in_queue)} mentions de toute la période entrent dans la file du service client.")


def care_month(now: pd.Series) -> str:
    """now: the report month's row of `care.monthly_care`."""
    d = indicators.display
    return (f"{indicators.label('care_answered_share')} : {d('care_answered_share', now['care_answered_share'])} "
            f"des {d('care_requests', now['care_requests'])} questions et réclamations du mois ; "
            f"{d('care_unanswered', now['care_unanswered'])} restent sans réponse ; "
            f"délai médian {d('care_median_response', now['care_median_response'])}.")


def slowest_platform(by_platform: pd.DataFrame) -> str:
    answered = by_platform.dropna(subset=["median_response_hours"])
    if answered.empty:
        return "Aucune réponse de la marque ce mois-ci."
    s = answered.sort_values("median_response_hours").iloc[-1]
    return (f"Réseau le plus lent : {s['platform']}, délai médian de {fmt_num(s['median_response_hours'], 1)} h "
            f"(9 réponses sur 10 en moins de {fmt_num(s['p90_response_hours'], 1)} h).")


def department_backlog(by_dept: pd.DataFrame) -> str:
    if by_dept.empty:
        return "Aucun message à router ce mois-ci."
    w = by_dept.sort_values("unanswered").iloc[-1]
    return (f"Le service « {w['department']} » a le plus de messages sans réponse ce mois-ci : "
            f"{fmt_int(w['unanswered'])} sur {fmt_int(w['items'])}.")


def oldest_wait(oldest: pd.DataFrame) -> str:
    if oldest.empty:
        return "Aucune question ni réclamation récente n'attend de réponse."
    return f"Le plus ancien message sans réponse attend depuis {fmt_num(oldest['age_days'].max(), 1)} jours."


def top_idea(board: pd.DataFrame) -> str:
    if board.empty:
        return "Aucune suggestion sur la période."
    t = board.iloc[0]
    return (f"Idée la plus fréquente : « {t['idea_theme']} », {fmt_int(t['ideas'])} suggestions "
            f"({fmt_pct(t['share'])} des idées).")


def store_idea(board: pd.DataFrame) -> str:
    first = board[board["store"] > board["online"]].head(1)
    return (f"« {first['idea_theme'].iloc[0]} » vient surtout des magasins : à remonter au réseau."
            if len(first) else "Les idées viennent surtout des réseaux sociaux.")


def new_ideas(mom: pd.DataFrame, month_name: str) -> str:
    return (f"{fmt_int(mom['is_new'].sum())} idée(s) nouvelle(s) ce mois-ci ; "
            f"{fmt_int(mom['ideas_month'].sum())} suggestions en {month_name}.")
