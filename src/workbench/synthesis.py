"""The month's synthesis, written from the results: what changed, compared with the usual
level, what it is linked to, and what to do.

Why: the former summary was five sentences from one template that compared the month with the
previous month only (an exceptional September made October look alarming or fine by chance),
left out revenue and traffic, linked nothing (crisis -> negative mentions -> calls -> response
rate) and proposed no action.

* `usual_level(series, month)`: the month's value against the median and range of the
  previous `window` months (default 6), with a robust z-score (median absolute deviation).
* `month_synthesis(monthly, month, …)`: items ordered by business impact, covering revenue,
  traffic, customer value, listening and care; each with the figure, its usual level, its
  month-over-month change (on displayed values), what the hard/soft models link it to, and
  the page section (`page.html#anchor`) that shows it; listening alerts; then 3 to 5
  recommended actions, each with its department and the figure behind it.
* `split(items)`: the main findings (6 at most), the other findings and the actions: a
  director reads the main findings and the actions first, the rest is folded ("Autres
  constats"). `summary_items(items)`: the `{title, text, link, kind}` list
  `reporting.executive_summary` saves for the month index; `markdown(items)` the page text
  (escaped, with links).
* `listening_alerts`, `report_links`: alerts of the month as summary lines, links to the
  month's other reports.

Built in the KPI notebook (05) from the monthly KPI table (revenue, traffic, customer value,
listening), the care queue's monthly indicators (`care.monthly_care`, computed there with the
same rule as page 06) and the robust hard/soft effects (`kpis.robust_effects`), because the
comparison with the usual level needs the monthly history, which key-figure files (one value
per page and month) do not carry. The month index shows it first (summary.json).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import indicators

__all__ = [
    "THEMES",
    "FIGURES",
    "usual_level",
    "month_synthesis",
    "MAIN_FINDINGS",
    "split",
    "summary_items",
    "markdown",
    "trend_sentence",
    "listening_alerts",
    "report_links",
    "REPORT_TITLES",
]

# business impact, highest first: a theme's weight multiplies how unusual its figure is
THEMES = {
    "revenue": ("Chiffre d'affaires", 5.0),
    "traffic": ("Trafic", 4.0),
    "customer_value": ("Valeur client", 3.0),
    "listening": ("Écoute sociale", 2.5),
    "care": ("Service client", 2.5),
}
# (theme, indicator, department in charge when the figure calls for an action)
FIGURES = [
    ("revenue", "sales", "Direction commerciale"),
    ("traffic", "store_traffic", "Réseau de magasins"),
    ("traffic", "web_sessions", "E-commerce"),
    ("customer_value", "active_customers", "CRM et fidélisation"),
    ("customer_value", "sales_per_customer", "CRM et fidélisation"),
    ("listening", "negative_mentions", "Communication"),
    ("listening", "net_sentiment", "Communication"),
    ("listening", "audience_growth", "Réseaux sociaux"),
    ("care", "customer_service_calls", "Service client"),
    ("care", "care_answered_share", "Service client"),
    ("care", "care_median_response", "Service client"),
]
ALERTS_LINK = "03_social_listening.html"

REPORT_TITLES = {
    "00_data_overview": "Contrôle qualité des données",
    "01_segmentation": "Segmentation des clients",
    "02_customer_journey": "Parcours clients et attribution",
    "03_social_listening": "Écoute sociale",
    "04_ambassadors": "Sélection des ambassadeurs",
    "05_monthly_kpis": "Tableau de bord mensuel",
    "06_care_and_ideas": "Service client et idées des clients",
}


# --------------------------------------------------------------------------- usual level


def usual_level(series: pd.Series, month, window: int = 6) -> dict:
    """The month's value against the previous `window` months with a value.

    Returns value, previous (the month before), median, low, high (range of the window), n
    (months in the window) and z: (value - median) / robust spread (1.4826 x median absolute
    deviation; the half-range / 2 when the deviation is 0), NaN with fewer than 3 months.
    """
    period = pd.Period(month, freq="M")
    s = series.dropna()
    value = series.get(period, np.nan)
    prev = series.get(period - 1, np.nan)
    hist = s[s.index < period].tail(window)
    out = {"value": value, "previous": prev, "median": np.nan, "low": np.nan, "high": np.nan,
           "n": len(hist), "z": np.nan}
    if len(hist) == 0:
        return out
    med = float(hist.median())
    out.update(median=med, low=float(hist.min()), high=float(hist.max()))
    if len(hist) >= 3 and pd.notna(value):
        spread = 1.4826 * float((hist - med).abs().median())
        if spread <= 0:
            spread = (out["high"] - out["low"]) / 4
        out["z"] = float((value - med) / spread) if spread > 0 else (0.0 if value == med else np.sign(value - med) * 9.0)
    return out


def _position(z: float) -> str:
    if not np.isfinite(z):
        return "sans historique suffisant pour un niveau habituel"
    if abs(z) < 1:
        return "dans la norme des mois précédents"
    side = "au-dessus" if z > 0 else "en dessous"
    return f"nettement {side} du niveau habituel" if abs(z) >= 2 else f"{side} du niveau habituel"


def _verdict(better: int, z: float) -> int:
    """+1 good news, -1 bad news, 0 neither (usual level, or no direction)."""
    if not np.isfinite(z) or abs(z) < 1 or better == 0:
        return 0
    return int(np.sign(z) * better)


# --------------------------------------------------------------------------- links between figures


def _effect_sentence(effects: pd.DataFrame | None, name: str) -> str:
    """What the robust hard/soft effects say about the hard indicator `name` (or '' )."""
    if effects is None or not len(effects):
        return ""
    rob = effects[effects["robust"] & (effects["hard"] == name)]
    parts = []
    for r in rob.itertuples():
        when = "de la même semaine" if r.lag == 0 else "de la semaine précédente"
        if pd.notna(r.effect_10pct):
            parts.append(f"+10 % de « {r.soft_label.lower()} » {when} vont avec "
                         f"{_pct(r.effect_10pct)} de « {r.hard_label.lower()} »")
    return ("Modèle hebdomadaire : " + " ; ".join(parts) + ".") if parts else ""


def _pct(x: float) -> str:
    from workbench.reporting import fmt_signed

    return fmt_signed(100 * x, 1, "%")


# --------------------------------------------------------------------------- synthesis


def month_synthesis(monthly: pd.DataFrame, month, alerts: pd.DataFrame | None = None,
                    effects: pd.DataFrame | None = None, window: int = 6,
                    max_actions: int = 5, pages=None, home: str = "05_monthly_kpis") -> list[dict]:
    """The month's synthesis as a list of items, highest business impact first, then actions.

    monthly: one row per month (monthly PeriodIndex) with registry-named columns (the KPI
    table of `kpis.monthly_kpis`, joined with `care.monthly_care`); absent columns are skipped.
    alerts: `listening_alerts` rows (title, text, department, negative_mentions). effects:
    `kpis.robust_effects` (only robust ones are cited). Each item: kind ('figure', 'alert' or
    'action'), theme (French), title, text, link (`page.html#anchor`), impact, and for figures
    the indicator name and `usual_level` fields; actions also carry department and figure.
    pages: the report stems of this run (None: all); a figure whose page is not in the run
    links to `home`'s indicator table instead, an alert to `home`'s synthesis.
    """
    def link(target: str) -> str:
        if pages is None or target.split(".html")[0] in set(pages):
            return target
        return f"{home}.html#indicateurs" if not target.startswith(ALERTS_LINK) else f"{home}.html#synthese"

    if not isinstance(monthly.index, pd.PeriodIndex):
        raise ValueError("monthly: expected a monthly PeriodIndex (kpis.monthly_kpis joined with care.monthly_care)")
    period = pd.Period(month, freq="M")
    if period not in monthly.index:
        raise ValueError(f"month {period} not in the monthly table ({monthly.index.min()} to {monthly.index.max()})")
    from workbench.reporting import month_label

    figures = []
    for theme, name, department in FIGURES:
        if name not in monthly.columns or pd.isna(monthly[name].get(period)):
            continue
        ind = indicators.get(name)
        lvl = usual_level(monthly[name], period, window)
        z = lvl["z"]
        verdict = _verdict(ind.better, z)
        usual = ""
        if lvl["n"]:
            usual = (f" (médiane des {lvl['n']} mois précédents : {indicators.display(name, lvl['median'])}, "
                     f"entre {indicators.display(name, lvl['low'])} et {indicators.display(name, lvl['high'])})")
        mom = indicators.display_change(name, lvl["value"], lvl["previous"])
        text = (f"{indicators.display(name, lvl['value'])} en {month_label(str(period))}, {_position(z)}{usual}"
                + (f" ; {mom} sur un mois" if mom != "–" else "") + ".")
        link_note = _effect_sentence(effects, name)
        if link_note:
            text += " " + link_note
        label, weight = THEMES[theme]
        impact = weight * (1 + min(abs(z), 6.0)) if np.isfinite(z) else weight
        news = {1: "bonne nouvelle", -1: "à surveiller", 0: ""}[verdict]
        head = ind.label if ind.label.startswith(label) else f"{label} — {ind.label}"
        title = head + (f" : {news}" if news else "")
        figures.append({"kind": "figure", "theme": label, "name": name, "title": title, "text": text,
                        "link": link(ind.link), "impact": float(impact), "verdict": verdict,
                        "department": department, **lvl})
    best = {}
    for f in figures:  # per theme: its most unusual figure, plus any other figure out of the norm
        if f["theme"] not in best or f["impact"] > best[f["theme"]]["impact"]:
            best[f["theme"]] = f
    shown = [f for f in figures if f is best[f["theme"]] or (np.isfinite(f["z"]) and abs(f["z"]) >= 1)]
    items = sorted(shown, key=lambda it: -it["impact"])
    top_weight = max(w for _, w in THEMES.values())
    alert_items = []
    if alerts is not None and len(alerts):
        for a in alerts.to_dict("records"):
            alert_items.append({"kind": "alert", "theme": THEMES["listening"][0], "title": a["title"],
                                "text": a["text"], "link": link(ALERTS_LINK), "impact": top_weight * 2,
                                "department": a.get("department") or "", "negative_mentions":
                                a.get("negative_mentions"), "theme_name": a.get("theme")})
    chain = _chain(figures)
    if chain and alert_items:
        alert_items[0]["text"] += " " + chain
    elif chain:
        alert_items.append({"kind": "alert", "theme": THEMES["care"][0], "title": "Plaintes et service client",
                            "text": chain, "link": link(indicators.get("customer_service_calls").link),
                            "impact": top_weight * 2, "department": "Service client"})
    items = alert_items + items
    return items + _actions(figures, alert_items, effects, max_actions)


_ACTION_TEXT = {
    "sales": "relancer les ventes (offres ciblées sur les clients actifs, mise en avant des meilleures ventes)",
    "store_traffic": "animer les magasins (événements, relais des temps forts en magasin)",
    "web_sessions": "regagner du trafic en ligne (référencement, campagnes, e-mails)",
    "active_customers": "réactiver les clients inactifs (campagne de relance ciblée)",
    "sales_per_customer": "travailler le panier (ventes additionnelles, seuils de livraison offerte)",
    "negative_mentions": "répondre publiquement aux plaintes et en traiter la cause",
    "net_sentiment": "répondre publiquement aux plaintes et en traiter la cause",
    "audience_growth": "relancer la publication sur les réseaux (calendrier éditorial, formats qui engagent)",
    "customer_service_calls": "renforcer l'accueil téléphonique et traiter en ligne la cause des appels",
    "care_answered_share": "répondre aux messages restés sans réponse",
    "care_median_response": "raccourcir le délai de première réponse (renfort aux heures de pointe)",
}


def _actions(figures: list[dict], alerts: list[dict], effects, max_actions: int) -> list[dict]:
    """3 to `max_actions` actions: the month's alerts first (their department), then the
    figures that are bad news, by impact; when fewer than 3, the most unusual remaining figures
    become 'keep watching' actions."""
    actions = []
    for a in alerts:
        dept = str(a["department"] or "Communication")
        dept = dept[:1].upper() + dept[1:]
        what = f"des plaintes « {a['theme_name']} »" if a.get("theme_name") else "du pic de plaintes"
        figure = a["text"].split(" ; ")[0]
        actions.append({"department": dept, "title": f"{dept} : traiter la cause {what}",
                        "text": f"{figure}.", "link": a["link"], "impact": a["impact"], "figure": figure})
    seen = set()
    bad = [f for f in figures if f["verdict"] < 0]
    for f in sorted(bad, key=lambda it: -it["impact"]):
        what = _ACTION_TEXT.get(f["name"], "analyser l'écart")
        if what in seen:
            continue
        seen.add(what)
        figure = f"{indicators.label(f['name'])} : {indicators.display(f['name'], f['value'])}, médiane habituelle " \
                 f"{indicators.display(f['name'], f['median'])}"
        lever = ""
        if effects is not None and len(effects) and f["name"] in set(effects.loc[effects["robust"], "hard"]):
            lever = " " + _effect_sentence(effects, f["name"])
        actions.append({"department": f["department"], "title": f"{f['department']} : {what}",
                        "text": f"{figure}.{lever}", "link": f["link"], "impact": f["impact"], "figure": figure})
    if len(actions) < 3:
        rest = [f for f in figures if f["verdict"] >= 0 and _ACTION_TEXT.get(f["name"]) not in seen]
        for f in sorted(rest, key=lambda it: -it["impact"])[: 3 - len(actions)]:
            figure = f"{indicators.label(f['name'])} : {indicators.display(f['name'], f['value'])}"
            verb = "capitaliser sur" if f["verdict"] > 0 else "continuer de suivre"
            actions.append({"department": f["department"], "title": f"{f['department']} : {verb} {indicators.label(f['name']).lower()}",
                            "text": f"{figure}, {_position(f['z'])}.", "link": f["link"], "impact": f["impact"],
                            "figure": figure})
    out = []
    for i, a in enumerate(actions[:max_actions], 1):
        out.append({"kind": "action", "theme": "Action", **a, "title": f"Action {i} — {a['title']}"})
    return out


def _chain(figures: list[dict]) -> str:
    """'Chaîne du mois : mentions négatives … → appels … → part répondue …' when complaints
    went up and the care figures show it (each with its usual level), else ''."""
    by = {f["name"]: f for f in figures}
    steps = [("negative_mentions", "mentions négatives"), ("customer_service_calls", "appels au service client"),
             ("care_answered_share", "part des messages répondus"), ("care_median_response", "délai de réponse")]
    if not (by.get("negative_mentions", {}).get("verdict", 0) < 0):
        return ""
    parts = [f"{what} {indicators.display(n, by[n]['value'])} (habituellement {indicators.display(n, by[n]['median'])})"
             for n, what in steps if n in by and by[n]["verdict"] < 0]
    return ("Chaîne du mois : " + " → ".join(parts) + ".") if len(parts) >= 2 else ""


def trend_sentence(monthly: pd.DataFrame, month, names, window: int = 6) -> str:
    """'Chiffre d'affaires : 2 237 626 € (médiane des 6 mois précédents 2 327 360 €, dans la
    norme) ; …' for the indicators `names` present in `monthly` (a takeaway under a chart)."""
    period = pd.Period(month, freq="M")
    parts = []
    for n in names:
        if n not in monthly.columns or pd.isna(monthly[n].get(period)):
            continue
        lvl = usual_level(monthly[n], period, window)
        usual = (f"médiane des {lvl['n']} mois précédents {indicators.display(n, lvl['median'])}, "
                 if lvl["n"] else "")
        parts.append(f"{indicators.label(n)} : {indicators.display(n, lvl['value'])} ({usual}{_position(lvl['z'])})")
    return (" ; ".join(parts) + ".") if parts else "Pas de valeur ce mois-ci pour ces indicateurs."


MAIN_FINDINGS = 6  # findings a director reads first; the others are folded under "Autres constats"


def split(items: list[dict], max_findings: int = MAIN_FINDINGS) -> tuple[list, list, list]:
    """(main findings, other findings, actions) of `month_synthesis` items.

    Why: eleven findings before the actions buried what to do. A director reads the
    `max_findings` most important findings (alerts first, then by business impact: the order of
    `month_synthesis`) and the 3 to 5 actions; the other findings stay one click away. The
    revenue finding (the theme of highest business weight) is always among the main ones, even
    in a usual month: "revenue as usual" is what a director checks first."""
    if max_findings < 1:
        raise ValueError(f"max_findings: expected at least 1, got {max_findings}")
    findings = [it for it in items if it["kind"] != "action"]
    actions = [it for it in items if it["kind"] == "action"]
    keep = list(range(min(max_findings, len(findings))))
    top_theme = THEMES[max(THEMES, key=lambda k: THEMES[k][1])][0]
    first = next((i for i, it in enumerate(findings) if it["kind"] == "figure" and it["theme"] == top_theme), None)
    if first is not None and first not in keep:
        keep[-1] = first
    main = [findings[i] for i in sorted(keep)]
    return main, [it for i, it in enumerate(findings) if i not in keep], actions


def summary_items(items: list[dict], max_findings: int = MAIN_FINDINGS) -> list[dict]:
    """`{title, text, link, kind}` for `reporting.executive_summary` (the month index's
    synthesis): main findings ('finding'), actions ('action'), then the folded ones ('more')."""
    main, more, actions = split(items, max_findings)
    return [{"title": it["title"], "text": it["text"], "link": it.get("link"), "kind": kind}
            for kind, group in (("finding", main), ("action", actions), ("more", more)) for it in group]


def markdown(items: list[dict], max_findings: int = MAIN_FINDINGS) -> str:
    """The synthesis as Markdown for the page: the main findings, the recommended actions, then
    the other findings folded in a `<details>` block ("Autres constats"); data text escaped,
    each item linked to the section that shows it."""
    from workbench.reporting import esc

    def line(it):
        link = f" [voir]({it['link']})" if it.get("link") else ""
        return f"- **{esc(it['title'])}** : {esc(it['text'])}{link}"

    main, more, actions = split(items, max_findings)
    out = ["**Constats principaux, du plus important au moins important**", "", *map(line, main)]
    if actions:
        out += ["", "**Actions recommandées**", "", *map(line, actions)]
    if more:
        out += ["", f"<details><summary>Autres constats ({len(more)}), moins marquants ce mois-ci</summary>",
                "", *map(line, more), "", "</details>"]
    return "\n".join(out)


# --------------------------------------------------------------------------- alerts and links


def listening_alerts(alerts: pd.DataFrame, brand: str, month) -> pd.DataFrame:
    """The listening module's negative alerts (`concepts.negative_alerts`) about `brand` that
    started in the report month, as summary lines: title, text (French, with the dates),
    department, negative_mentions; largest first. Example posts are not carried over."""
    need = ["theme", "department", "start", "end", "negative_mentions", "baseline"]
    missing = [c for c in need if c not in alerts.columns]
    if missing:
        raise ValueError(f"alerts: missing column(s) {missing}; found {list(alerts.columns)}")
    period = pd.Period(month, freq="M")
    mine = alerts if "brand" not in alerts.columns else alerts[alerts["brand"] == brand]
    mine = mine[pd.to_datetime(mine["start"]).dt.to_period("M") == period]
    mine = mine.sort_values("negative_mentions", ascending=False, kind="stable")
    rows = []
    for a in mine.itertuples():
        start, end = pd.Timestamp(a.start), pd.Timestamp(a.end)
        when = f"le {start:%d/%m}" if start == end else f"du {start:%d/%m} au {end:%d/%m}"
        authors = f", {int(a.authors)} auteurs distincts" if hasattr(a, "authors") else ""
        rows.append({
            "title": f"Alerte écoute sociale : plaintes « {a.theme} »",
            "text": (f"{int(a.negative_mentions)} mentions négatives {when}{authors}, pour environ "
                     f"{a.baseline:.0f} attendues ; à traiter par : {a.department}."),
            "department": a.department, "negative_mentions": int(a.negative_mentions), "theme": a.theme,
        })
    return pd.DataFrame(rows, columns=["title", "text", "department", "negative_mentions", "theme"])


def report_links(reports, current: str = "05_monthly_kpis") -> str:
    """Markdown list of links to the other reports of the run (`<stem>.html`, same folder)."""
    lines = [f"- [{REPORT_TITLES.get(r, r)}]({r}.html)" for r in sorted(set(reports)) if r != current]
    return "\n".join(lines) if lines else "_Aucun autre rapport dans cette exécution._"
