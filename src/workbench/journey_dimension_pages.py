"""Presentation of the five journey dimensions on the customer-journey page (02): one French
line per dimension with links to the pages and sections that detail it, one small chart each
(12 months), and the "À retenir" sentence.

Why a module of its own: the computations live in `workbench.journey_dimensions` (pure); this
is the page side, kept apart from `journey_pages` so that each stays a readable size.
"""

from __future__ import annotations

import html

import pandas as pd

from workbench import reporting
from workbench.journey_pages import _show, channel_name
from workbench.reporting import fmt_int, fmt_pct, month_label

# where each dimension is detailed: (link text, href); anchors set in the notebooks' markdown
DIMENSION_LINKS = {
    "touchpoints": [("canaux, section 3", "#canaux")],
    "trend": [("tendances et pics, section 5", "#tendances"),
              ("recherches des internautes (écoute sociale)", "03_social_listening.html#recherches")],
    "influencers": [("influence (ambassadeurs)", "04_ambassadors.html#influence"),
                    ("qui parle, qui vend, section 7", "#reseaux")],
    "audience": [("croissance par réseau (segmentation)",
                  "01_segmentation.html#audience"),
                 ("tendances du tableau de bord", "05_monthly_kpis.html#tendances")],
    "interactions": [("réseaux sociaux, section 7", "#reseaux"),
                     ("quand publier, section 5", "#tendances")],
}
JOURNEY_DIMENSIONS_FR = {"touchpoints": "Points de contact", "trend": "Tendances", "influencers": "Influenceurs",
                "audience": "Audiences", "interactions": "Interactions"}


def _change_text(c) -> str:
    return "évolution sur un mois non calculable" if c is None else f"{reporting.fmt_signed(100 * c, 1, '%')} sur un mois"


def dimension_lines(dims: dict, platform_label=lambda p: p) -> dict:
    """One French sentence per journey dimension for the report month (the last row of each
    `journey_dimensions` table in `dims`: touchpoints, trend, influencers (with `leaders`),
    audience, interactions; optional `leaders_customers` (how many leaders are known customers,
    `journey_dimensions.known_customers`) and `social` (`journey.social_vs_purchase`: the
    platform that sells more than it talks)). Plain text: escaped where shown."""
    from workbench import french
    from workbench.journey_dimensions import change

    t, tr, inf, aud, it = (dims[k] for k in ("touchpoints", "trend", "influencers", "audience", "interactions"))
    now_t, now_tr, now_i, now_a = t.iloc[-1], tr.iloc[-1], inf.iloc[-1], aud.iloc[-1]
    lines = {
        "touchpoints": (f"{fmt_int(now_t['touches'])} points de contact dans le mois ({_change_text(change(t['touches']))}) ; "
                        f"canal le plus fréquent : {channel_name(now_t['top_channel'])} "
                        f"({fmt_pct(now_t['top_share'])} des contacts)."),
        "trend": (f"niveau de fond de {fmt_int(now_tr['trend'])} contacts par jour ({_change_text(change(tr['trend']))}, "
                  f"hors cycle de la semaine) ; {french.count(now_tr['peaks'], 'jour')} de pic dans le mois."),
    }
    leaders = dims["leaders"]
    if len(leaders) and now_i["interactions"]:
        first = leaders.iloc[0]
        lines["influencers"] = (
            f"les {len(leaders)} comptes les plus relayés ont reçu {fmt_pct(now_i['top_share'])} des "
            f"{fmt_int(now_i['interactions'])} interactions sur les mentions de la marque "
            f"({_change_text(change(inf['interactions']))}, {french.count(now_i['authors'], 'auteur')}) ; le premier, "
            f"sur {platform_label(first['platform'])}, en a reçu {fmt_int(first['interactions'])}")
        known = dims.get("leaders_customers")
        if known is not None:
            verb = "sont des clients" if french.is_plural(known) else "est un client"
            lines["influencers"] += f" ; {fmt_int(known)} de ces {len(leaders)} comptes {verb} du fichier"
        social = dims.get("social")
        if social is not None and len(social) and social["revenue_share"].notna().any():
            gap = social["revenue_share"] - social["conversation_share"]
            sells = social.loc[gap.idxmax()]
            lines["influencers"] += (f". Qui vend : {platform_label(sells['platform'])} fait plus vendre que parler "
                                     f"({fmt_pct(sells['revenue_share'])} du chiffre d'affaires des parcours exposés "
                                     f"pour {fmt_pct(sells['conversation_share'])} des conversations, 12 mois)")
        lines["influencers"] += "."
    else:
        lines["influencers"] = "aucune interaction sur les mentions de la marque dans le mois."
    platforms = aud.drop(columns="total")
    growth = {p: change(platforms[p]) for p in platforms.columns}
    growth = {p: g for p, g in growth.items() if g is not None}
    if pd.notna(now_a.get("total")):
        fastest = max(growth, key=growth.get) if growth else None
        lines["audience"] = (f"{fmt_int(now_a['total'])} abonnés aux comptes de la marque ({_change_text(change(aud['total']))})"
                             + (f" ; croissance la plus forte : {platform_label(fastest)} "
                                f"({reporting.fmt_signed(100 * growth[fastest], 1, '%')})." if fastest else "."))
    else:
        lines["audience"] = "pas de données d'audience pour le mois."
    now = it.iloc[-1]
    lines["interactions"] = (
        f"{fmt_int(now['interactions'])} interactions (j'aime, partages, commentaires) sur les publications de la "
        f"marque et les mentions qui la citent ({_change_text(change(it['interactions']))}), dont "
        f"{fmt_pct(now['on_mentions'] / now['interactions'] if now['interactions'] else None)} sur les mentions.")
    return lines


def dimensions_takeaway(dims: dict) -> str:
    """Which dimensions rose and which fell over the month, and the largest move."""
    from workbench.journey_dimensions import change

    series = {"touchpoints": dims["touchpoints"]["touches"], "trend": dims["trend"]["trend"],
              "influencers": dims["influencers"]["interactions"], "audience": dims["audience"]["total"],
              "interactions": dims["interactions"]["interactions"]}
    moves = {k: c for k, s in series.items() if (c := change(s)) is not None}
    if not moves:
        return "pas assez d'historique pour comparer les dimensions au mois précédent."
    up = [JOURNEY_DIMENSIONS_FR[k].lower() for k, c in moves.items() if c >= 0.005]
    down = [JOURNEY_DIMENSIONS_FR[k].lower() for k, c in moves.items() if c <= -0.005]
    big = max(moves, key=lambda k: abs(moves[k]))
    parts = []
    if up:
        parts.append(f"en hausse sur un mois : {', '.join(up)}")
    if down:
        parts.append(f"en baisse : {', '.join(down)}")
    if not parts:
        parts.append("les cinq dimensions sont stables sur un mois")
    return (" ; ".join(parts) + f". Le plus fort mouvement : {JOURNEY_DIMENSIONS_FR[big].lower()} "
            f"({reporting.fmt_signed(100 * moves[big], 1, '%')}).")


def show_dimensions(dims: dict, period, platform_label=lambda p: p) -> None:
    """The five journey dimensions of the report month: one line each with links to the
    sections that detail them, one small chart each (12 months, the report month in red), and
    the takeaway. `dims`: the `journey_dimensions` tables (see `dimension_lines`)."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    from workbench.reporting import esc

    lines = dimension_lines(dims, platform_label)
    rows = []
    for key in JOURNEY_DIMENSIONS_FR:
        # raw HTML links: Markdown would percent-encode the apostrophe of a heading's anchor, which
        # the browser then no longer matches with the heading's id
        links = " · ".join(f'<a href="{html.escape(href, quote=True)}">{esc(text)}</a>'
                           for text, href in DIMENSION_LINKS[key])
        rows.append(f"- **{JOURNEY_DIMENSIONS_FR[key]}** : {esc(lines[key])} *Détail :* {links}")
    display(Markdown("\n".join(rows)))
    panels = [("touchpoints", dims["touchpoints"]["touches"], "Points de contact", reporting.int_axis),
              ("trend", dims["trend"]["trend"], "Tendance : contacts par jour", reporting.int_axis),
              ("influencers", dims["influencers"]["top_share"], "Part des 10 comptes les plus relayés",
               reporting.pct_axis),
              ("audience", dims["audience"]["total"], "Abonnés de la marque", reporting.int_axis),
              ("interactions", dims["interactions"]["interactions"], "Interactions", reporting.int_axis)]
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.2))
    months = dims["touchpoints"].index
    for ax, (_, values, title, axis_fmt) in zip(axes, panels, strict=True):
        x = range(len(months))
        ax.plot(x, values.to_numpy(dtype=float), color="#3366cc", marker="o", markersize=3)
        ax.scatter([len(months) - 1], [values.iloc[-1]], color="#cc3333", zorder=3, s=30)
        ax.set_title(title, fontsize=10)
        ticks = sorted({0, (len(months) - 1) // 2, len(months) - 1})  # three labels: never run together
        ax.set_xticks(ticks, reporting.short_month_labels([months[k] for k in ticks]), fontsize=8)
        axis_fmt(ax, "y", compact=True) if axis_fmt is reporting.int_axis else axis_fmt(ax, "y")
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle(f"Les cinq dimensions du parcours, 12 derniers mois (point rouge : {month_label(str(period))})",
                 fontsize=11)
    plt.tight_layout()
    _show()
    reporting.takeaway(dimensions_takeaway(dims))
