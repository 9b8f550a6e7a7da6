"""The month's synthesis, written from the results: what changed, compared with the usual
level, what it is linked to, and what to do.

Why: the former summary was five sentences from one template that compared the month with the
previous month only (an exceptional September made October look alarming or fine by chance),
left out revenue and traffic, linked nothing (crisis -> negative mentions -> calls -> response
rate) and proposed no action.

* `usual_level(series, month)`: the month's value against the median and range of the
  previous `window` months (default 6), with a robust z-score (median absolute deviation).
* `month_synthesis(monthly, month, …)`: items in the order of business impact the page
  announces (revenue, traffic, customer value, listening, care; the most unusual first within
  a theme), covering those five themes; each with the figure, its usual level ("dans la
  norme" inside the range of the previous months, "nettement" only outside it and far from
  the median), its month-over-month change (on displayed values), what the weekly hard/soft
  model links it to (set against the month's change of the soft indicator), and the page
  section (`page.html#anchor`) that shows it; listening alerts; the customer-value move
  (value segments, as on page 01); then 3 to 5 recommended actions ranked by impact, each
  with its department and the figure behind it (a small alert is not an action of its own).
* `split(items)`: the main findings (6 at most: the first of each theme, then the most
  impactful), the other findings and the actions: a director reads the main findings and the
  actions first, the rest is folded ("Autres constats"). `summary_items(items)`: the `{title,
  text, link, kind}` list `reporting.executive_summary` saves for the month index;
  `markdown(items)` the page text (escaped, with links).
* `listening_alerts`, `report_links`: alerts of the month as summary lines, links to the
  month's other reports.

Built in the KPI notebook (05) from the monthly KPI table (revenue, traffic, customer value,
listening), the care queue's monthly indicators (`care.monthly_care`, computed there with the
same rule as page 06), the moves between value segments (`value_segments.migration_flows`, the
rule of page 01) and the robust hard/soft effects (`kpis.robust_effects`), because the
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
ALERTS_LINK = "03_social_listening.html#alertes"  # the alerts' section, not the top of the page
VALUE_FLOWS_LINK = "01_segmentation.html#migration"  # 01's section on moves between value segments
MIN_ALERT_MENTIONS = 50  # an alert smaller than this is folded into the listening action, never an action of its own

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


def _outside(lvl: dict) -> int:
    """+1 above the range (min-max) of the window, -1 below it, 0 inside it or without enough
    history (fewer than 3 months, or no value): the usual range is the benchmark a director
    can check on the trend chart."""
    v, lo, hi = lvl["value"], lvl["low"], lvl["high"]
    if lvl["n"] < 3 or not all(np.isfinite(x) for x in (v, lo, hi)):
        return 0
    return 1 if v > hi else (-1 if v < lo else 0)


def _position(lvl: dict) -> str:
    """'dans la norme des mois précédents' inside the usual range (min-max of the window);
    outside it, 'au-dessus / en dessous de la fourchette des mois précédents', 'nettement …'
    only when it is also at least two robust spreads from the median."""
    if lvl["n"] < 3 or not np.isfinite(lvl.get("z", np.nan)):
        return "sans historique suffisant pour un niveau habituel"
    side = _outside(lvl)
    if side == 0:
        return "dans la norme des mois précédents"
    where = "au-dessus" if side > 0 else "en dessous"
    return (f"nettement {where} du niveau habituel" if abs(lvl["z"]) >= 2
            else f"{where} de la fourchette des mois précédents")


def _verdict(better: int, lvl: dict) -> int:
    """+1 good news, -1 bad news, 0 neither: a figure inside its usual range, or without a
    direction, is neither."""
    return int(_outside(lvl) * better) if better else 0


def _month_direction(better: int, lvl: dict) -> int:
    """+1 when the month-on-month move goes the good way, -1 the bad way, 0 flat or unknown."""
    v, p = lvl["value"], lvl["previous"]
    if not better or not (np.isfinite(v) and np.isfinite(p)) or v == p:
        return 0
    return int(np.sign(v - p) * better)


# --------------------------------------------------------------------------- links between figures


def _effect_sentence(effects: pd.DataFrame | None, name: str, monthly: pd.DataFrame | None = None,
                     period=None) -> str:
    """What the robust hard/soft effects say about the hard indicator `name` (or '').

    With the monthly table, each effect is set against the month: the soft indicator's change
    over one month, what the weekly link would give if applied to that change as it is, and
    the hard indicator's actual change, with why the two differ (a week-to-week link at equal
    season and promotions does not carry over to a whole month): a reader who applied the
    elasticity by hand would otherwise expect a much larger move."""
    if effects is None or not len(effects):
        return ""
    rob = effects[effects["robust"] & (effects["hard"] == name)]
    parts, month_notes = [], []
    for r in rob.itertuples():
        when = "de la même semaine" if r.lag == 0 else "de la semaine précédente"
        if pd.isna(r.effect_10pct):
            continue
        parts.append(f"+10 % de « {r.soft_label.lower()} » {when} vont avec "
                     f"{_pct(r.effect_10pct)} de « {r.hard_label.lower()} »")
        soft_change = _month_change(monthly, r.soft, period)
        hard_change = _month_change(monthly, name, period)
        if soft_change is None or hard_change is None or not (r.effect_10pct > -1):
            continue
        elasticity = np.log1p(r.effect_10pct) / np.log(1.1)
        implied = (1 + soft_change) ** elasticity - 1
        month_notes.append(
            f"ce mois-ci, « {r.soft_label.lower()} » {_pct(soft_change)} sur un mois : appliqué tel quel, ce lien "
            f"annoncerait {_pct(implied)} de « {r.hard_label.lower()} », pour {_pct(hard_change)} observés : "
            "mesuré d'une semaine à l'autre à saison, soldes et fêtes égales, il ne se transpose pas à un mois "
            "entier")
    if not parts:
        return ""
    out = "Modèle hebdomadaire : " + " ; ".join(parts) + "."
    if month_notes:
        out += " " + (" ; ".join(month_notes))[:1].upper() + (" ; ".join(month_notes))[1:] + "."
    return out


def _month_change(monthly: pd.DataFrame | None, name: str, period) -> float | None:
    """Relative change of `name` from the month before to `period` (None when unknown)."""
    if monthly is None or period is None or name not in monthly.columns:
        return None
    now, before = monthly[name].get(period, np.nan), monthly[name].get(period - 1, np.nan)
    if not (np.isfinite(now) and np.isfinite(before)) or before <= 0:
        return None
    if name in indicators.REGISTRY and indicators.get(name).change != "points":
        c = indicators.change(name, now, before)  # on displayed values, as the page shows it
        return None if c is None else float(c)
    return float(now / before - 1)


def _pct(x: float) -> str:
    from workbench.reporting import fmt_signed

    return fmt_signed(100 * x, 1, "%")


# --------------------------------------------------------------------------- synthesis


def month_synthesis(monthly: pd.DataFrame, month, alerts: pd.DataFrame | None = None,
                    effects: pd.DataFrame | None = None, window: int = 6,
                    max_actions: int = 5, pages=None, home: str = "05_monthly_kpis",
                    value_flows: pd.DataFrame | None = None,
                    min_alert_mentions: int = MIN_ALERT_MENTIONS) -> list[dict]:
    """The month's synthesis as a list of items in the order of business impact the page
    announces (revenue, traffic, customer value, listening, care: `THEMES`; within a theme the
    most unusual first), then the recommended actions ranked by impact.

    monthly: one row per month (monthly PeriodIndex) with registry-named columns (the KPI
    table of `kpis.monthly_kpis`, joined with `care.monthly_care`); absent columns are skipped.
    alerts: `listening_alerts` rows (title, text, department, negative_mentions, baseline).
    effects: `kpis.robust_effects` (only robust ones are cited, set against the month's change
    of their soft indicator). value_flows: `value_segments.migration_flows` of the month (the
    customer-value finding: the largest loss of best customers, and its CRM action).
    min_alert_mentions: an alert with fewer negative mentions stays a finding but is not an
    action of its own (it is named in the listening action when there is one). Each item: kind
    ('figure', 'alert', 'flow' or 'action'), theme (French), title, text, link
    (`page.html#anchor`), impact, and for figures the indicator name and `usual_level` fields;
    actions also carry department and figure. pages: the report stems of this run (None: all);
    a figure whose page is not in the run links to `home`'s indicator table instead, an alert to
    `home`'s synthesis.
    """
    def link(target: str) -> str:
        if pages is None or target.split(".html")[0] in set(pages):
            return target
        return f"{home}.html#indicateurs" if not target.startswith(ALERTS_LINK) else f"{home}.html#synthese"

    if not isinstance(monthly.index, pd.PeriodIndex):
        raise ValueError("monthly: expected a monthly PeriodIndex (kpis.monthly_kpis joined with care.monthly_care)")
    if min_alert_mentions < 0:
        raise ValueError(f"min_alert_mentions: expected 0 or more, got {min_alert_mentions}")
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
        verdict = _verdict(ind.better, lvl)
        usual = ""
        if lvl["n"]:
            usual = (f" (médiane des {lvl['n']} mois précédents : {indicators.display(name, lvl['median'])}, "
                     f"entre {indicators.display(name, lvl['low'])} et {indicators.display(name, lvl['high'])})")
        mom = indicators.display_change(name, lvl["value"], lvl["previous"])
        way = _month_direction(ind.better, lvl)
        if mom == "–":
            mom_text = ""
        elif verdict and way and way != verdict:  # better than usual but worse than last month, or the reverse
            mom_text = f", malgré {mom} sur un mois" if verdict > 0 else f", même si {mom} sur un mois va dans le bon sens"
        else:
            mom_text = f" ; {mom} sur un mois"
        text = f"{indicators.display(name, lvl['value'])} en {month_label(str(period))}, {_position(lvl)}{usual}{mom_text}."
        link_note = _effect_sentence(effects, name, monthly, period)
        if link_note:
            text += " " + link_note
        label, weight = THEMES[theme]
        impact = weight * (1 + min(abs(z), 6.0)) if np.isfinite(z) else weight
        if verdict > 0:  # never "good news" for a figure that fell this month without saying so
            news = "mieux que d'habitude" + (", mais en recul sur un mois" if way < 0 else "")
        elif verdict < 0:
            news = "à surveiller" + (", en amélioration sur un mois" if way > 0 else "")
        else:
            news = ""
        head = ind.label if ind.label.startswith(label) else f"{label} — {ind.label}"
        title = head + (f" : {news}" if news else "")
        figures.append({"kind": "figure", "theme": label, "name": name, "title": title, "text": text,
                        "link": link(ind.link), "impact": float(impact), "verdict": verdict,
                        "department": department, **lvl})
    best = {}
    for f in figures:  # per theme: its most unusual figure, plus any other figure out of the norm
        if f["theme"] not in best or f["impact"] > best[f["theme"]]["impact"]:
            best[f["theme"]] = f
    shown = [f for f in figures if f is best[f["theme"]] or f["verdict"] != 0]
    listening_weight = THEMES["listening"][1]
    alert_items = []
    if alerts is not None and len(alerts):
        for a in alerts.to_dict("records"):
            n = a.get("negative_mentions")
            base = a.get("baseline")
            ratio = (float(n) / float(base)) if n is not None and base is not None and pd.notna(base) and base > 0 \
                else 6.0
            big = n is None or pd.isna(n) or n >= min_alert_mentions
            impact = listening_weight * (1 + min(ratio, 6.0)) if big else listening_weight * 0.5
            alert_items.append({"kind": "alert", "theme": THEMES["listening"][0], "title": a["title"],
                                "text": a["text"], "link": link(ALERTS_LINK), "impact": float(impact),
                                "department": a.get("department") or "", "negative_mentions": n,
                                "theme_name": a.get("theme"), "big": bool(big)})
    chain = _chain(figures)
    if chain and any(a["big"] for a in alert_items):
        next(a for a in alert_items if a["big"])["text"] += " " + chain
    elif chain:
        alert_items.append({"kind": "alert", "theme": THEMES["care"][0], "title": "Plaintes et service client",
                            "text": chain, "link": link(indicators.get("customer_service_calls").link),
                            "impact": THEMES["care"][1] * 7, "department": "Service client", "big": True})
    flow = _value_flow(value_flows, link(VALUE_FLOWS_LINK))
    rank = {label: i for i, (label, _) in enumerate(THEMES.values())}
    findings = sorted(alert_items + shown + ([flow] if flow else []),
                      key=lambda it: (rank.get(it["theme"], len(rank)), -it["impact"]))
    return findings + _actions(figures, alert_items, flow, effects, max_actions, monthly, period)


def _value_flow(flows: pd.DataFrame | None, link: str) -> dict | None:
    """The customer-value finding: the largest move down from the top step of the value ladder
    (best customers who started to lapse), else the largest move down; None without flows."""
    if flows is None or not len(flows):
        return None
    from workbench.value_segments import VALUE_LADDER

    down = flows[flows["direction"] == "baisse"]
    if not len(down):
        return None
    top = max(VALUE_LADDER.values())
    best = down[down["from"].map(VALUE_LADDER.get) == top]
    r = (best if len(best) else down).iloc[0]
    from workbench.reporting import fmt_int, fmt_pct

    moved = flows.attrs.get("stayed")
    share = f" ; en tout, {fmt_pct(1 - moved)} des clients ont changé de segment de valeur" if moved is not None \
        and np.isfinite(moved) else ""
    weight = THEMES["customer_value"][1]
    return {"kind": "flow", "theme": THEMES["customer_value"][0], "name": "value_flows",
            "title": f"Valeur client — clients « {r['from']} » passés « {r['to']} »",
            "text": (f"{fmt_int(r['customers'])} clients « {r['from']} » le mois précédent sont « {r['to']} » ce mois-ci "
                     f"({fmt_pct(r['share_of_from'])} des « {r['from']} »){share}."),
            "link": link, "impact": float(weight * (1 + min(10 * float(r["share_of_from"]), 6.0))),
            "department": "CRM et fidélisation", "customers": int(r["customers"]),
            "from": r["from"], "to": r["to"]}


VALUE_MIGRATION_TABLE = "value_migration"  # processed table: the month's value crosstab, for 05
VALUE_MIGRATION_SOURCES = ("transactions",)  # the raw tables it comes from (its `sources` stamp)


def value_migration_table(table: pd.DataFrame, lookback_days: int | None,
                          sources: str | None = None) -> pd.DataFrame:
    """A value-migration crosstab (`value_segments.value_migration`, as the segmentation notebook
    builds it) as a table to save for the later notebooks of the month: one row per previous
    segment (`from`, rows and columns in the crosstab's order, `Total` included), the month,
    the previous month, the window (`lookback_days`, -1 for the whole history) and `sources`,
    the stamp of the purchases it was computed from (`datasets.source_stamp(VALUE_MIGRATION_SOURCES,
    data_dir)`, "" when not given)."""
    if not {"month", "previous"} <= set(table.attrs):
        raise ValueError("value_migration_table: expected the crosstab of value_segments.value_migration "
                         "(attrs 'month' and 'previous')")
    out = pd.DataFrame(table.to_numpy(), index=pd.Index(table.index, name="from"),
                       columns=[str(c) for c in table.columns]).reset_index()
    out.insert(0, "month", str(table.attrs["month"]))
    out.insert(1, "previous", str(table.attrs["previous"]))
    out.insert(2, "lookback_days", -1 if lookback_days is None else int(lookback_days))
    out.insert(3, "sources", sources or "")
    return out


def saved_value_migration(saved: pd.DataFrame | None, month, lookback_days: int | None,
                          sources: str | None = None) -> pd.DataFrame | None:
    """The crosstab `value_migration_table` saved for `month` (compared with the month before)
    over the same window, as `value_segments.value_migration` returns it; None when absent,
    saved for another month or window or, when `sources` is given, from other purchase files
    than those of the stamp (then compute it)."""
    cur = pd.Period(month, "M")
    if saved is None or not {"month", "previous", "lookback_days", "from"} <= set(saved.columns):
        return None
    if sources is not None and ("sources" not in saved.columns or not saved["sources"].eq(sources).all()):
        return None
    rows = saved[(saved["month"].astype(str) == str(cur)) & (saved["previous"].astype(str) == str(cur - 1))
                 & (saved["lookback_days"] == (-1 if lookback_days is None else int(lookback_days)))]
    if not len(rows):
        return None
    body = rows.drop(columns=["month", "previous", "lookback_days", "sources"], errors="ignore").set_index("from")
    tab = pd.DataFrame(body.to_numpy(dtype=np.int64), index=pd.Index(body.index, dtype="str", name=f"segment {cur - 1}"),
                       columns=pd.Index(list(body.columns), dtype="str", name=f"segment {cur}"))
    tab.attrs.update({"previous": str(cur - 1), "month": str(cur)})
    return tab


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


def _actions(figures: list[dict], alerts: list[dict], flow: dict | None, effects, max_actions: int,
             monthly: pd.DataFrame | None = None, period=None) -> list[dict]:
    """3 to `max_actions` actions ranked by impact, chosen from: the month's large alerts (their
    department), the figures that are bad news (outside their usual range, the wrong way; the
    negative-mentions action is left out when a complaint wave already has one) and the
    customer-value move (a CRM reactivation). The most impactful action of each theme is kept
    first, then the others by impact. Small alerts are named in the listening action, never an
    action of their own. When fewer than 3, the most unusual remaining figures become 'keep
    watching' actions."""
    candidates = []
    small = [a for a in alerts if not a.get("big", True)]
    listening = THEMES["listening"][0]
    for a in alerts:
        if not a.get("big", True):
            continue
        dept = str(a["department"] or "Communication")
        dept = dept[:1].upper() + dept[1:]
        what = f"des plaintes « {a['theme_name']} »" if a.get("theme_name") else "du pic de plaintes"
        figure = a["text"].split(" ; ")[0]
        candidates.append({"department": dept, "title": f"{dept} : traiter la cause {what}",
                           "text": f"{figure}.", "link": a["link"], "impact": a["impact"], "figure": figure,
                           "theme": a["theme"], "listening": a["theme"] == listening})
    seen = set()
    if any(c["listening"] for c in candidates):  # the complaint wave's action already answers them
        seen.add(_ACTION_TEXT["negative_mentions"])
    bad = [f for f in figures if f["verdict"] < 0]
    for f in sorted(bad, key=lambda it: -it["impact"]):
        what = _ACTION_TEXT.get(f["name"], "analyser l'écart")
        if what in seen:
            continue
        seen.add(what)
        figure = f"{indicators.label(f['name'])} : {indicators.display(f['name'], f['value'])}, " \
                 f"{_position(f)} (médiane {indicators.display(f['name'], f['median'])})"
        lever = ""
        if effects is not None and len(effects) and f["name"] in set(effects.loc[effects["robust"], "hard"]):
            lever = " " + _effect_sentence(effects, f["name"])
        candidates.append({"department": f["department"], "title": f"{f['department']} : {what}",
                           "text": f"{figure}.{lever}", "link": f["link"], "impact": f["impact"], "figure": figure,
                           "theme": f["theme"], "listening": f["theme"] == listening})
    if flow:
        figure = f"{flow['customers']} clients « {flow['from']} » passés « {flow['to']} »"
        candidates.append({"department": flow["department"],
                           "title": (f"{flow['department']} : relancer les clients « {flow['from']} » passés "
                                     f"« {flow['to']} » avant qu'ils ne décrochent (offre personnalisée)"),
                           "text": flow["text"], "link": flow["link"], "impact": flow["impact"], "figure": figure,
                           "theme": flow["theme"]})
    # the most impactful action of each theme first (a month with many care figures out of range
    # still leaves room for revenue, traffic or customer value), then the others by impact
    ranked = sorted(candidates, key=lambda a: -a["impact"])
    firsts, themes = [], set()
    for a in ranked:
        if a["theme"] not in themes:
            themes.add(a["theme"])
            firsts.append(a)
    picked = firsts[:max_actions]
    picked += [a for a in ranked if a not in picked][: max(0, max_actions - len(picked))]
    actions = sorted(picked, key=lambda a: -a["impact"])
    if small:
        names = " ; ".join(f"« {a['theme_name'] or a['title']} » ({a['text'].split(' ; ')[0]})" for a in small)
        target = next((a for a in actions[:max_actions] if a.get("listening")), None)
        if target is not None:
            target["text"] += f" Vagues plus petites à suivre dans la même action : {names}."
    if len(actions) < 3:
        rest = [f for f in figures if f["verdict"] >= 0 and _ACTION_TEXT.get(f["name"]) not in seen]
        for f in sorted(rest, key=lambda it: -it["impact"])[: 3 - len(actions)]:
            figure = f"{indicators.label(f['name'])} : {indicators.display(f['name'], f['value'])}"
            verb = "capitaliser sur" if f["verdict"] > 0 else "continuer de suivre"
            actions.append({"department": f["department"], "title": f"{f['department']} : {verb} {indicators.label(f['name']).lower()}",
                            "text": f"{figure}, {_position(f)}.", "link": f["link"], "impact": f["impact"],
                            "figure": figure})
    out = []
    for i, a in enumerate(actions[:max_actions], 1):
        a = {k: v for k, v in a.items() if k not in ("listening", "theme")}
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
        parts.append(f"{indicators.label(n)} : {indicators.display(n, lvl['value'])} ({usual}{_position(lvl)})")
    return (" ; ".join(parts) + ".") if parts else "Pas de valeur ce mois-ci pour ces indicateurs."


MAIN_FINDINGS = 6  # findings a director reads first; the others are folded under "Autres constats"


def split(items: list[dict], max_findings: int = MAIN_FINDINGS) -> tuple[list, list, list]:
    """(main findings, other findings, actions) of `month_synthesis` items.

    Why: eleven findings before the actions buried what to do. A director reads the
    `max_findings` most important findings and the 3 to 5 actions; the other findings stay one
    click away. The main findings are the first finding of each theme (revenue, traffic,
    customer value, listening, care, in that order of business weight: revenue is always
    there, even in a usual month, because it is what a director checks first), then the most
    impactful of the others; they keep the order of `month_synthesis` (theme, then impact)."""
    if max_findings < 1:
        raise ValueError(f"max_findings: expected at least 1, got {max_findings}")
    findings = [it for it in items if it["kind"] != "action"]
    actions = [it for it in items if it["kind"] == "action"]
    keep, themes = [], set()
    for i, it in enumerate(findings):  # the first (most impactful) finding of each theme, in theme order
        if it["theme"] not in themes and len(keep) < max_findings:
            themes.add(it["theme"])
            keep.append(i)
    rest = sorted((i for i in range(len(findings)) if i not in keep), key=lambda i: -findings[i]["impact"])
    keep += rest[: max(0, max_findings - len(keep))]
    keep = sorted(keep)
    main = [findings[i] for i in keep]
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
            "baseline": float(a.baseline),
        })
    return pd.DataFrame(rows, columns=["title", "text", "department", "negative_mentions", "theme", "baseline"])


def report_links(reports, current: str = "05_monthly_kpis") -> str:
    """Markdown list of links to the other reports of the run (`<stem>.html`, same folder)."""
    lines = [f"- [{REPORT_TITLES.get(r, r)}]({r}.html)" for r in sorted(set(reports)) if r != current]
    return "\n".join(lines) if lines else "_Aucun autre rapport dans cette exécution._"
