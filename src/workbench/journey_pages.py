"""Presentation of the customer-journey page (02): French labels, tables, charts and the
computed "À retenir : …" sentences under them.

Why here: written inline, these formatting chains made notebook 02 several hundred code lines
long and were repeated from section to section. The analyses (`journey`, `funnel`,
`attribution`, `moments`) stay pure; this page module turns their results into what the
reader sees. `*_takeaway` functions return plain French text (escaped by `reporting.takeaway`);
`show_*` functions draw one section (chart, table, sentence) on the page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import funnel, reporting
from workbench.reporting import fmt_int, fmt_num, fmt_pct, month_label
from workbench.segmentation import NO_PURCHASE

# French names of the workbench's fixed touchpoint channel codes (not the retailer's own labels)
CHANNEL_FR = {"search": "Recherche", "social": "Réseaux sociaux", "email": "E-mail", "display": "Display",
              "website": "Site web", "app": "Appli", "store_visit": "Visite magasin", "direct": "Achat direct",
              "purchase": "Achat", funnel.NOT_AWARE: "Aucun contact"}
# states of the Markov transition matrix
STATE_FR = {**CHANNEL_FR, "(start)": "Début", "(conversion)": "Achat", "(null)": "Sans achat"}
# the workbench's fixed sales channel codes
SALES_FR = {"all": "Tous", "store": "Magasin", "web": "Site web", "app": "Appli", "click_collect": "Click & collect"}
STITCH_LABELS = {
    "identified": "Contacts identifiés (client connu)",
    "stitched": "Contacts rapprochés via l'appareil",
    "shared_device": "Contacts d'appareils partagés (non rapprochés)",
    "anonymous": "Contacts de visiteurs anonymes",
    "journeys": "Parcours",
    "converted_journeys": "Parcours avec achat",
    "null_journeys": "Parcours sans achat",
    "anonymous_journeys": "Parcours de visiteurs anonymes",
    "direct_purchases": "Achats sans contact préalable (direct)",
    "purchases_without_transaction": "Achats sans ticket correspondant",
    "transactions_without_touchpoint": "Tickets sans point de contact (achats anonymes)",
}
DIRECTION_FR = {"ropo": "Recherche en ligne → achat en magasin",
                "reverse_ropo": "Visite en magasin → achat en ligne"}


def channel_name(code) -> str:
    """French name of a touchpoint channel code (the code itself when unknown)."""
    return CHANNEL_FR.get(code, code)


def path_label(path: str) -> str:
    """'search > email' -> 'Recherche → E-mail'."""
    return " → ".join(channel_name(c) for c in path.split(" > "))


def _show():
    import matplotlib.pyplot as plt

    plt.show()


# --------------------------------------------------------------------------- 1. stitching


def stitching_takeaway(stats: pd.DataFrame) -> str:
    """Share of anonymous touches tied to a customer by their device; journeys left anonymous."""
    s = stats.set_index("item")["count"]
    return (f"{fmt_pct(s['stitched'] / (s['stitched'] + s['anonymous']))} des contacts anonymes ont pu être rattachés à "
            f"un client par son appareil ; {fmt_int(s['anonymous_journeys'])} parcours restent anonymes.")


def show_stitching(stats: pd.DataFrame) -> None:
    """The `journey.build_journeys` counts in French, and their takeaway."""
    head = "Élément (historique jusqu'à la fin du mois)"
    reporting.show_table(stats.assign(item=stats["item"].map(STITCH_LABELS)).set_index("item").rename_axis(head),
                         columns={head: head, "count": "Nombre"}, formats={"count": "int"})
    reporting.takeaway(stitching_takeaway(stats))


# --------------------------------------------------------------------------- 2. funnel


def funnel_takeaway(n_base: int, whole: pd.DataFrame) -> str:
    """Customers reached, buyers, and the stage that loses the most (`funnel.funnel_table`)."""
    weakest = funnel.weakest_stage(whole)
    return (f"sur {fmt_int(n_base)} clients de la base, {fmt_int(whole['customers'].iloc[0])} ont été touchés "
            f"dans le mois et {fmt_int(whole.set_index('stage').loc['conversion', 'customers'])} ont acheté ; "
            f"l'étape qui perd le plus est « {funnel.STAGE_LABELS[weakest['stage']]} » "
            f"({fmt_pct(weakest['drop_off'])} des clients de l'étape précédente).")


def show_funnel(stages: pd.DataFrame, whole: pd.DataFrame, period, min_active_touches: int,
                loyalty_months: int) -> None:
    """Stage definitions, the funnel bar chart, its table and takeaway."""
    import matplotlib.pyplot as plt

    rules = funnel.stage_rules(min_active_touches, loyalty_months)
    reporting.show_table(pd.DataFrame({"Étape": [funnel.STAGE_LABELS[s] for s in rules],
                                       "Définition (clients du mois)": list(rules.values())}).set_index("Étape"))
    fig, ax = plt.subplots(figsize=(9, 4))
    labels = [funnel.STAGE_LABELS[s] for s in ["base", *funnel.STAGES]]
    ax.barh(labels, [len(stages), *whole["customers"]], color="#3366cc")
    ax.invert_yaxis()
    ax.set_title(f"Entonnoir client — {month_label(str(period))}")
    ax.set_xlabel("Clients")
    reporting.int_axis(ax, "x")
    _show()
    reporting.show_table(whole.assign(stage=whole["stage"].map(funnel.STAGE_LABELS)).set_index("stage"),
                         columns={"stage": "Étape", "customers": "Clients", "rate_from_previous": "Passent l'étape",
                                  "drop_off": "Perte à l'étape", "rate_from_base": "Part de la base"},
                         formats={"customers": "int", "rate_from_previous": "pct", "drop_off": "pct",
                                  "rate_from_base": "pct"})
    reporting.takeaway(funnel_takeaway(len(stages), whole))


def _drop_columns(stages) -> tuple[dict, dict]:
    return ({s: f"Perte : {funnel.STAGE_LABELS[s].lower()}" for s in stages}, {s: "pct" for s in stages})


def entry_takeaway(entry_drop: pd.DataFrame) -> str | None:
    """Entry channels whose customers buy the most and the least (None without conversion data)."""
    conv_drop = entry_drop["conversion"].dropna().sort_values()
    if not len(conv_drop):
        return None
    return (f"les clients entrés par « {channel_name(conv_drop.index[0])} » achètent le plus "
            f"(perte à la conversion {fmt_pct(conv_drop.iloc[0])}), ceux entrés par "
            f"« {channel_name(conv_drop.index[-1])} » le moins ({fmt_pct(conv_drop.iloc[-1])}).")


def show_entry_drop(by_entry: pd.DataFrame) -> None:
    """Drop-off per stage by entry channel (`funnel.funnel_table(by="entry_channel")`)."""
    entry_drop = funnel.drop_off_matrix(by_entry).drop(columns="awareness")
    names, formats = _drop_columns([s for s in funnel.STAGES if s != "awareness"])
    reporting.show_table(entry_drop.rename(index=channel_name).rename_axis("Canal d'entrée"),
                         columns={"Canal d'entrée": "Canal d'entrée", "base": "Clients entrés", **names},
                         formats={"base": "int", **formats})
    text = entry_takeaway(entry_drop)
    if text:
        reporting.takeaway(text)


def segment_takeaway(seg_drop: pd.DataFrame) -> str:
    """The least reached segment and the one with the most purchase intent, among the segments
    of buyers (the group without any purchase is not a segment to compare: its customers are
    not reached by definition)."""
    buyers = seg_drop.drop(index=[NO_PURCHASE], errors="ignore")
    seg_drop = buyers if len(buyers) else seg_drop
    worst = seg_drop["awareness"].idxmax()
    best_cons = seg_drop["consideration"].idxmin()
    return (f"le segment « {worst} » est le moins touché ({fmt_pct(seg_drop.loc[worst, 'awareness'])} de ses "
            f"clients sans aucun contact dans le mois) ; « {best_cons} » montre le plus d'intention d'achat "
            f"(seulement {fmt_pct(seg_drop.loc[best_cons, 'consideration'])} perdus à la considération).")


def show_segment_drop(stages: pd.DataFrame, seg_labels: pd.DataFrame | None) -> None:
    """Drop-off per stage by customer segment (a note when there is no segmentation)."""
    from IPython.display import Markdown, display

    if seg_labels is None:
        display(Markdown("Pas de segmentation disponible : lancer d'abord le carnet de segmentation."))
        return
    seg_drop = funnel.drop_off_matrix(funnel.funnel_table(stages, by="segment", segments=seg_labels))
    names, formats = _drop_columns(funnel.STAGES)
    reporting.show_table(seg_drop.rename_axis("Segment"), columns={"Segment": "Segment", "base": "Clients", **names},
                         formats={"base": "int", **formats})
    reporting.takeaway(segment_takeaway(seg_drop))


def evolution_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """Customers per stage, previous month vs report month, and the change (French columns)."""
    last2 = monthly.tail(2).set_index("month")
    return pd.DataFrame({
        "Étape": [funnel.STAGE_LABELS[s] for s in funnel.STAGES],
        "Mois précédent": [last2[s].iloc[0] for s in funnel.STAGES],
        "Mois du rapport": [last2[s].iloc[-1] for s in funnel.STAGES],
        "Évolution": [last2[s].iloc[-1] / last2[s].iloc[0] - 1 if last2[s].iloc[0] else np.nan for s in funnel.STAGES],
    }).set_index("Étape")


def evolution_takeaway(evolution: pd.DataFrame) -> str:
    """The stage that moved the most over one month."""
    moved = evolution["Évolution"].abs().idxmax()
    return (f"l'étape qui bouge le plus sur un mois est « {moved} » "
            f"({reporting.fmt_signed(100 * evolution.loc[moved, 'Évolution'], 1, '%')}).")


def show_funnel_months(monthly: pd.DataFrame) -> None:
    """Customers per stage and month (hollow points: history incomplete), the last two months."""
    import matplotlib.pyplot as plt

    x = pd.PeriodIndex(monthly["month"], freq="M").to_timestamp()
    complete = monthly["history_complete"].to_numpy()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for s in funnel.STAGES:
        line, = ax.plot(x, monthly[s], label=funnel.STAGE_LABELS[s])
        ax.scatter(x[complete], monthly.loc[complete, s], color=line.get_color(), zorder=3)
        ax.scatter(x[~complete], monthly.loc[~complete, s], facecolors="white", edgecolors=line.get_color(), zorder=3)
    ax.set_title("Clients à chaque étape de l'entonnoir, par mois")
    ax.set_ylabel("Clients")
    ax.legend(title="Étape", loc="upper left", bbox_to_anchor=(1.01, 1))
    reporting.int_axis(ax)
    reporting.month_axis(ax)
    _show()
    evolution = evolution_table(monthly)
    reporting.show_table(evolution, formats={"Mois précédent": "int", "Mois du rapport": "int",
                                             "Évolution": lambda v: reporting.fmt_signed(100 * v, 1, "%")})
    reporting.takeaway(evolution_takeaway(evolution))


# --------------------------------------------------------------------------- 3. channels


def volumes_takeaway(volumes: pd.DataFrame, anonymous_journeys: int) -> str:
    """Channels whose journeys convert the most and the least (direct purchases aside)."""
    best_rate = volumes.set_index("channel")["conversion_rate"].drop(index="direct", errors="ignore")
    if best_rate.max() - best_rate.min() < 0.02:  # gaps under 2 points are not findings
        return (f"parmi les parcours de clients identifiés, tous les canaux se terminent à peu près aussi souvent par "
                f"un achat (de {fmt_pct(best_rate.min())} à {fmt_pct(best_rate.max())}) : le canal ne fait pas la "
                f"différence ici ; {fmt_int(anonymous_journeys)} parcours de visiteurs anonymes (jamais d'achat) sont "
                f"comptés à part.")
    return (f"parmi les parcours de clients identifiés, ceux qui passent par « {channel_name(best_rate.idxmax())} » "
            f"se terminent le plus souvent par un achat ({fmt_pct(best_rate.max())}), ceux qui passent par "
            f"« {channel_name(best_rate.idxmin())} » le moins ({fmt_pct(best_rate.min())}) ; "
            f"{fmt_int(anonymous_journeys)} parcours de visiteurs anonymes (jamais d'achat) sont comptés à part.")


def show_channel_volumes(volumes: pd.DataFrame, anonymous_journeys: int, period) -> None:
    """Share of touches per channel (chart and table, `journey.channel_volumes`) and takeaway."""
    import seaborn as sns

    named = volumes.assign(channel=volumes["channel"].map(channel_name))
    ax = sns.barplot(data=named, x="touch_share", y="channel", color="#3366cc")
    ax.set_title(f"Part de chaque canal dans les points de contact — {month_label(str(period))}")
    ax.set_xlabel("Part des contacts")
    ax.set_ylabel("")
    reporting.pct_axis(ax, "x")
    _show()
    reporting.show_table(named.set_index("channel").rename_axis("Canal"),
                         columns={"Canal": "Canal", "touches": "Contacts", "touch_share": "Part des contacts",
                                  "persons": "Clients", "journeys": "Parcours",
                                  "converting_journeys": "Parcours avec achat", "conversion_rate": "Taux de conversion"},
                         formats={"touches": "int", "touch_share": "pct", "persons": "int", "journeys": "int",
                                  "converting_journeys": "int", "conversion_rate": "pct"})
    reporting.takeaway(volumes_takeaway(volumes, anonymous_journeys))


def transitions_takeaway(matrix: pd.DataFrame) -> str | None:
    """The channel most often followed directly by a purchase (None without purchases)."""
    if "(conversion)" not in matrix.columns:
        return None
    to_buy = matrix["(conversion)"].drop(index=["(start)", "direct"], errors="ignore")
    if not len(to_buy):
        return None
    return (f"le canal le plus souvent suivi directement d'un achat est « {STATE_FR.get(to_buy.idxmax(), to_buy.idxmax())} » "
            f"({fmt_pct(to_buy.max())} de ses passages).")


def show_transitions(matrix: pd.DataFrame, period) -> None:
    """Heat map of the channel transition matrix (`journey.channel_matrix`) and takeaway."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(9, 6.5))
    sns.heatmap(matrix.rename(index=STATE_FR, columns=STATE_FR), annot=matrix.map(lambda v: fmt_pct(v, 0)).to_numpy(),
                fmt="", cmap="Blues", ax=ax, cbar_kws={"label": "Probabilité de transition"})
    reporting.pct_axis(ax.collections[0].colorbar.ax, "y")
    ax.set_title(f"Transitions entre canaux — {month_label(str(period))}")
    ax.set_xlabel("Vers")
    ax.set_ylabel("Depuis")
    _show()
    text = transitions_takeaway(matrix)
    if text:
        reporting.takeaway(text)


def top_paths_takeaway(top: pd.DataFrame) -> str:
    """The most frequent path, its journeys and conversion rate."""
    first = top.iloc[0]
    return (f"le chemin le plus fréquent, « {path_label(first['path'])} », "
            f"représente {fmt_int(first['journeys'])} parcours, dont {fmt_pct(first['conversion_rate'])} "
            f"finissent par un achat.")


def show_top_paths(top: pd.DataFrame) -> None:
    """The most frequent paths (`journey.top_paths`) with French channel names, and takeaway."""
    reporting.show_table(top.assign(path=top["path"].map(path_label)).set_index("path").rename_axis("Chemin"),
                         columns={"Chemin": "Chemin", "journeys": "Parcours", "total_conversions": "Achats",
                                  "conversion_rate": "Taux de conversion"},
                         formats={"journeys": "int", "total_conversions": "int", "conversion_rate": "pct"})
    reporting.takeaway(top_paths_takeaway(top))


def ttc_takeaway(ttc: pd.DataFrame) -> str:
    """Median days from first touch to purchase, all sales channels."""
    med = ttc.set_index("sales_channel")["median_days"]
    from workbench import french

    return (f"la moitié des achats se décide en moins de {french.count(med.get('all'), 'jour', decimals=1)} après le "
            f"premier contact du parcours.")


def show_time_to_conversion(ttc: pd.DataFrame) -> None:
    """Days to purchase by sales channel (`journey.time_to_conversion`) and takeaway."""
    reporting.show_table(ttc.assign(sales_channel=ttc["sales_channel"].map(lambda c: SALES_FR.get(c, c)))
                         .set_index("sales_channel").rename_axis("Canal de vente"),
                         columns={"Canal de vente": "Canal de vente", "journeys": "Achats",
                                  "mean_days": "Délai moyen (jours)", "median_days": "Délai médian (jours)",
                                  "p90_days": "9 achats sur 10 en moins de (jours)"},
                         formats={"journeys": "int", "mean_days": "num1", "median_days": "num1", "p90_days": "num1"})
    reporting.takeaway(ttc_takeaway(ttc))


def ropo_takeaway(ropo: pd.DataFrame) -> str:
    """Share of store purchases prepared online."""
    return (f"{fmt_pct(ropo.set_index('direction').loc['ropo', 'rate'])} des achats en magasin sont précédés d'une recherche "
            f"en ligne dans le même parcours : le site et la recherche préparent les ventes en magasin.")


def show_ropo(ropo: pd.DataFrame) -> None:
    """Web-to-store and store-to-web rates (`journey.ropo_rates`) and takeaway."""
    reporting.show_table(ropo.assign(direction=ropo["direction"].map(DIRECTION_FR)).set_index("direction")
                         .rename_axis("Comportement"),
                         columns={"Comportement": "Comportement", "purchases": "Achats concernés",
                                  "with_cross_channel": "Avec l'autre canal avant", "rate": "Taux"},
                         formats={"purchases": "int", "with_cross_channel": "int", "rate": "pct"})
    reporting.takeaway(ropo_takeaway(ropo))


# --------------------------------------------------------------------------- 4. attribution


def attribution_takeaway(shares: pd.DataFrame) -> str:
    """Which channel the models put first, how much they give it, and (when it is another one)
    the channel they disagree on most (`shares`: channels × models, each column summing to 1)."""
    firsts = shares.idxmax(axis=0)
    top = shares.mean(axis=1).idxmax()
    n_top = int((firsts == top).sum())
    lead = ("tous les modèles placent" if n_top == shares.shape[1]
            else f"{n_top} modèles sur {shares.shape[1]} placent")
    text = (f"{lead} « {channel_name(top)} » en tête, mais lui donnent de {fmt_pct(shares.loc[top].min())} "
            f"à {fmt_pct(shares.loc[top].max())} des achats")
    spread = shares.max(axis=1) - shares.min(axis=1)
    apart = spread.idxmax()
    if apart != top:
        text += (f" ; l'écart le plus grand porte sur « {channel_name(apart)} » "
                 f"(de {fmt_pct(shares.loc[apart].min())} à {fmt_pct(shares.loc[apart].max())})")
    return text + "."


def show_attribution(models: pd.DataFrame, period) -> None:
    """Share of purchases per channel under each model (chart), the purchases table, takeaway
    (`models`: channels × French model names, attributed purchases)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    shares = models / models.sum()
    long = shares.rename(index=channel_name).rename_axis("Canal").reset_index().melt(
        id_vars="Canal", var_name="Modèle", value_name="Part des achats")
    fig, ax = plt.subplots(figsize=(11, 5))
    sns.barplot(data=long, x="Canal", y="Part des achats", hue="Modèle", ax=ax)
    ax.set_title(f"Part des achats attribuée à chaque canal selon le modèle — {month_label(str(period))}")
    ax.set_xlabel("")
    ax.legend(title="Modèle", loc="upper left", bbox_to_anchor=(1.01, 1))
    reporting.pct_axis(ax)
    plt.xticks(rotation=20)
    _show()
    reporting.show_table(models.rename(index=channel_name).rename_axis("Canal (achats attribués)"),
                         formats={c: "int" for c in models.columns})
    reporting.takeaway(attribution_takeaway(shares))


def markov_shapley_takeaway(compare: pd.DataFrame) -> str:
    """Where Markov and Shapley disagree and which to follow (`attribution.compare_markov_shapley`)."""
    apart = compare[compare["disagree"]]
    more_m, more_s = apart[apart["markov_higher"]], apart[~apart["markov_higher"]]
    if apart.empty:
        return "Markov et Shapley s'accordent : leurs intervalles se recouvrent pour chaque canal."
    return (
        f"les deux modèles divergent pour {len(apart)} canaux sur {len(compare)} (intervalles disjoints). "
        + (f"Markov donne plus à {', '.join(channel_name(c) for c in more_m['channel'])}, qui ouvrent en moyenne "
           f"{fmt_pct(more_m['opens'].mean())} de leurs parcours : pour décider de couper un canal, suivre Markov. "
           if len(more_m) else "")
        + (f"Shapley donne plus à {', '.join(channel_name(c) for c in more_s['channel'])}, qui ouvrent seulement "
           f"{fmt_pct(more_s['opens'].mean())} des leurs mais font monter l'achat : pour répartir le mérite des ventes, "
           f"suivre Shapley." if len(more_s) else ""))


def show_markov_shapley(compare: pd.DataFrame) -> None:
    """Markov and Shapley shares with their 95 % intervals (chart, table) and takeaway."""
    import matplotlib.pyplot as plt

    names = [channel_name(c) for c in compare["channel"]]
    ypos = np.arange(len(compare))
    fig, ax = plt.subplots(figsize=(9, 5))
    for offset, model, color in ((-0.18, "markov", "#3366cc"), (0.18, "shapley", "#dd8833")):
        ax.barh(ypos + offset, compare[f"{model}_share"], height=0.36, color=color, label=model.capitalize(),
                xerr=[compare[f"{model}_share"] - compare[f"{model}_low"],
                      compare[f"{model}_high"] - compare[f"{model}_share"]], capsize=3)
    ax.set_yticks(ypos, names)
    ax.invert_yaxis()
    ax.set_title("Part des achats attribuée : Markov et Shapley (intervalles à 95 %)")
    ax.set_xlabel("Part des achats")
    ax.legend(loc="lower right")
    reporting.pct_axis(ax, "x")
    _show()
    reporting.show_table(compare.assign(
        channel=names,
        markov_ci=[f"{fmt_pct(lo)} à {fmt_pct(hi)}" for lo, hi in zip(compare["markov_low"], compare["markov_high"], strict=True)],
        shapley_ci=[f"{fmt_pct(lo)} à {fmt_pct(hi)}" for lo, hi in zip(compare["shapley_low"], compare["shapley_high"], strict=True)]),
        columns={"channel": "Canal", "markov_share": "Markov", "markov_ci": "Markov (IC 95 %)", "shapley_share": "Shapley",
                 "shapley_ci": "Shapley (IC 95 %)", "presence": "Dans les parcours", "opens": "Ouvre ses parcours",
                 "lift": "Achat avec / sans"},
        formats={"markov_share": "pct", "shapley_share": "pct", "presence": "pct", "opens": "pct", "lift": "num2"})
    reporting.takeaway(markov_shapley_takeaway(compare))


# --------------------------------------------------------------------------- 5. moments


def post_slots_takeaway(by_hour: dict, by_day: dict, weekdays) -> str:
    """Best publishing hour and day when the gaps are significant, else that none stands out
    (`moments.slot_effect` results; `weekdays`: French day names by index)."""
    if min(by_hour["p_value"], by_day["p_value"]) < 0.05:
        return (f"publier à {by_hour['best']} h donne {fmt_num(by_hour['best_value'], 1)} interactions par publication "
                f"contre {fmt_num(by_hour['worst_value'], 1)} à {by_hour['worst']} h ; meilleur jour : "
                f"{weekdays[by_day['best']]} (écarts significatifs).")
    return (f"aucun créneau de publication ne se détache : de {fmt_num(by_hour['worst_value'], 1)} à "
            f"{fmt_num(by_hour['best_value'], 1)} interactions par publication selon l'heure, des écarts dans la "
            f"marge du hasard (p = {fmt_num(by_hour['p_value'], 2)}) ; le moment d'envoi se choisit sur les achats "
            f"ci-dessous plutôt que sur l'engagement.")


def show_post_slots(posts: pd.DataFrame) -> None:
    """Interactions per brand post by weekday and hour (`moments.post_engagement`) and takeaway."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from workbench import moments

    fig, ax = plt.subplots(figsize=(12, 3.8))
    sns.heatmap(moments.slot_grid(moments.engagement_by_slot(posts), "per_post").rename_axis(index=""), cmap="Blues",
                ax=ax, cbar_kws={"label": "Interactions par publication"})
    reporting.int_axis(ax.collections[0].colorbar.ax, "y")
    ax.set_title("Interactions par publication de la marque, selon le jour et l'heure de publication")
    ax.set_xlabel("Heure de publication")
    _show()
    reporting.takeaway(post_slots_takeaway(moments.slot_effect(posts, "hour"), moments.slot_effect(posts, "weekday"),
                                           moments.WEEKDAYS_FR))


def purchase_slots_takeaway(peak_buy: dict) -> str | None:
    """When store and online purchases peak ({'magasin'|'en ligne': best slot row}); None unless both."""
    if len(peak_buy) != 2:
        return None
    return (f"les achats en magasin culminent le {peak_buy['magasin']['day']} vers {int(peak_buy['magasin']['hour'])} h, "
            f"les achats en ligne le {peak_buy['en ligne']['day']} vers {int(peak_buy['en ligne']['hour'])} h : "
            f"envoyer les messages magasin la veille ou le matin, les messages en ligne en fin d'après-midi.")


def show_purchase_slots(tx: pd.DataFrame) -> None:
    """Share of purchases by weekday and hour, in store and online, and takeaway."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from workbench import moments

    in_store = (tx["channel"] == "store").to_numpy()  # (a category code per ticket, no text per row)
    buy_slots = moments.purchases_by_slot(tx.assign(channel=pd.Categorical.from_codes(
        in_store.astype(np.int8), categories=["en ligne", "magasin"])))
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.8), sharey=True)
    for ax, where in zip(axes, ("magasin", "en ligne"), strict=True):
        sns.heatmap(moments.slot_grid(buy_slots[buy_slots["channel"] == where], "share").rename_axis(index=""),
                    cmap="Greens", ax=ax, cbar_kws={"label": "Part des achats"})
        reporting.pct_axis(ax.collections[0].colorbar.ax, "y")
        ax.set_title(f"Achats {'en magasin' if where == 'magasin' else 'en ligne'}")
        ax.set_xlabel("Heure")
    plt.tight_layout()
    _show()
    peak_buy = {w: moments.best_slots(buy_slots[buy_slots["channel"] == w], "purchases", top=1).iloc[0]
                for w in ("magasin", "en ligne") if (buy_slots["channel"] == w).any()}
    text = purchase_slots_takeaway(peak_buy)
    if text:
        reporting.takeaway(text)


def weekly_takeaway(weekly: pd.DataFrame) -> str:
    """The busiest week (`weekly`: touches per week start × channel)."""
    total = weekly.sum(axis=1)
    top_week = total.idxmax()
    return (f"la semaine la plus active est celle du {top_week.day} {month_label(str(top_week.to_period('M')))} "
            f"({fmt_int(total.max())} points de contact).")


def show_weekly(weekly: pd.DataFrame) -> None:
    """Touches per week and channel (`journey.weekly_activity`) and takeaway."""
    import matplotlib.pyplot as plt

    weekly = weekly.rename(columns=channel_name)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    weekly.plot(ax=ax)
    ax.set_title("Points de contact par semaine et par canal")
    ax.set_xlabel("")
    ax.set_ylabel("Points de contact")
    ax.legend(title="Canal", loc="upper left", bbox_to_anchor=(1.01, 1))
    reporting.int_axis(ax)
    reporting.month_axis(ax)
    _show()
    reporting.takeaway(weekly_takeaway(weekly))


def peaks_takeaway(peaks: pd.DataFrame, lift: pd.DataFrame) -> str:
    """How many touch peaks fall in the commercial calendar, and the strongest purchase moment."""
    return (f"{int(peaks['in_calendar'].sum())} des {len(peaks)} plus forts pics de contacts tombent dans un moment du "
            f"calendrier commercial" + (f" ; côté achats, « {lift.iloc[0]['event']} » est le moment le plus fort "
                                        f"(×{fmt_num(lift.iloc[0]['lift'], 2)} par rapport aux jours ordinaires)."
                                        if len(lift) else "."))


def show_decomposition(dec: pd.DataFrame, tx: pd.DataFrame) -> None:
    """STL decomposition of daily touches (`journey.daily_decomposition`), the top peaks with
    their calendar moment, purchases per commercial moment, and takeaway."""
    import matplotlib.pyplot as plt

    from workbench import moments

    fig, axes = plt.subplots(3, 1, figsize=(11, 7), sharex=True)
    axes[0].plot(dec["date"], dec["observed"], color="#999999", label="Observé")
    axes[0].plot(dec["date"], dec["trend"], color="#3366cc", label="Tendance")
    axes[0].scatter(dec.loc[dec["peak"], "date"], dec.loc[dec["peak"], "observed"], color="#cc3333", label="Pic",
                    zorder=3)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    axes[0].set_title("Points de contact quotidiens : tendance et pics")
    axes[1].plot(dec["date"], dec["seasonal"], color="#33aa66")
    axes[1].set_title("Cycle hebdomadaire")
    axes[2].plot(dec["date"], dec["resid"], color="#666666")
    axes[2].set_title("Résidu")
    for a in axes:
        a.set_ylabel("Contacts")
        reporting.int_axis(a)
    reporting.month_axis(axes[2])
    plt.tight_layout()
    _show()
    peaks = moments.label_peaks(dec[dec["peak"]].sort_values("resid", ascending=False).head(10))
    reporting.show_table(peaks.assign(calendar_event=peaks["calendar_event"].replace("", "hors calendrier"))
                         .set_index("date").rename_axis("Jour"),
                         columns={"Jour": "Jour", "observed": "Contacts", "trend": "Tendance",
                                  "calendar_event": "Moment commercial"},
                         formats={"observed": "int", "trend": "int"})
    lift = moments.calendar_lift(moments.daily_counts(tx["timestamp"]))
    head = "Moment commercial (achats)"
    reporting.show_table(lift.set_index("event").rename_axis(head),
                         columns={head: head, "days": "Jours", "mean": "Achats par jour",
                                  "lift": "Par rapport aux jours ordinaires"},
                         formats={"days": "int", "mean": "int", "lift": "num2"})
    reporting.takeaway(peaks_takeaway(peaks, lift))


def best_moments_takeaway(best: pd.DataFrame) -> str:
    """The weekday × hour slot followed by the most purchases (`journey.best_moments`)."""
    first = best.iloc[0]
    return (f"le créneau qui précède le plus d'achats est le {first['weekday']} de {first['hour']} h "
            f"à {first['hour'] + 1} h ({fmt_pct(first['conversion_rate'])} de ses contacts suivis d'un achat).")


def show_best_moments(best: pd.DataFrame) -> None:
    """The best slots to send a message (table) and takeaway."""
    reporting.show_table(best.assign(hour=best["hour"].map(lambda h: f"{h} h – {h + 1} h"))
                         .set_index(["weekday", "hour"]).rename_axis(["Jour", "Créneau"]),
                         columns={"Jour": "Jour", "Créneau": "Créneau", "touches": "Contacts",
                                  "converting_touches": "Contacts suivis d'un achat",
                                  "conversion_rate": "Part suivie d'un achat"},
                         formats={"touches": "int", "converting_touches": "int", "conversion_rate": "pct"})
    reporting.takeaway(best_moments_takeaway(best))


# --------------------------------------------------------------------------- 6. conversion model


def _p_value(v) -> str:
    return "< 0,001" if v < 0.001 else fmt_num(v, 3)


def conversion_takeaway(effects: pd.DataFrame) -> str:
    """The channel with the largest odds ratio (`effects` sorted by odds ratio)."""
    strongest = effects.iloc[-1]
    return (f"à exposition égale aux autres canaux, un parcours qui passe par « {channel_name(strongest['channel'])} » "
            f"a {fmt_num(strongest['odds_ratio'], 1)} fois plus de chances (en cotes) de finir par un achat.")


def show_conversion_model(logit: pd.DataFrame) -> None:
    """Odds ratios of `journey.conversion_model` (chart with 95 % intervals, table) and takeaway."""
    import matplotlib.pyplot as plt

    effects = logit[logit["channel"] != "(intercept)"].sort_values("odds_ratio")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.errorbar(effects["odds_ratio"], [channel_name(c) for c in effects["channel"]],
                xerr=[effects["odds_ratio"] - effects["or_low"], effects["or_high"] - effects["odds_ratio"]],
                fmt="o", color="#3366cc", capsize=4)
    ax.axvline(1, color="#999999", linestyle="--")
    ax.set_title("Effet de l'exposition à chaque canal sur l'achat (rapport de cotes, IC 95 %)")
    ax.set_xlabel("Rapport de cotes")
    reporting.int_axis(ax, "x")
    _show()
    reporting.show_table(effects.assign(channel=effects["channel"].map(channel_name)).set_index("channel")
                         .rename_axis("Canal"),
                         columns={"Canal": "Canal", "odds_ratio": "Rapport de cotes", "or_low": "IC bas",
                                  "or_high": "IC haut", "p_value": "p-valeur"},
                         formats={"odds_ratio": "num2", "or_low": "num2", "or_high": "num2", "p_value": _p_value})
    reporting.takeaway(conversion_takeaway(effects))


# --------------------------------------------------------------------------- 7. social


def social_takeaway(social: pd.DataFrame) -> str:
    """The platform that sells more than it is talked about, and the reverse
    (`journey.social_vs_purchase` with a `platform_name` column)."""
    gap = (social["revenue_share"] - social["conversation_share"]).to_numpy()
    sells, talks = social.iloc[int(np.argmax(gap))], social.iloc[int(np.argmin(gap))]
    return (f"{sells['platform_name']} fait plus vendre qu'elle ne fait parler ({fmt_pct(sells['revenue_share'])} du CA "
            f"pour {fmt_pct(sells['conversation_share'])} des conversations) ; {talks['platform_name']} fait plus parler "
            f"que vendre ({fmt_pct(talks['conversation_share'])} des conversations, {fmt_pct(talks['revenue_share'])} du CA).")


def show_social(social: pd.DataFrame) -> None:
    """Share of conversations vs share of revenue per platform (chart, table) and takeaway."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter(social["conversation_share"], social["revenue_share"], s=200, color="#3366cc")
    for _, r in social.iterrows():
        ax.annotate(r["platform_name"], (r["conversation_share"], r["revenue_share"]), xytext=(8, 4),
                    textcoords="offset points")
    lim = max(social["conversation_share"].max(), social["revenue_share"].max()) * 1.15
    ax.plot([0, lim], [0, lim], linestyle="--", color="#999999")
    ax.annotate("parole = ventes", (lim * 0.97, lim * 0.97), ha="right", va="bottom", color="#777777", fontsize=9,
                rotation=35, rotation_mode="anchor")
    ax.set_title("Part des conversations vs part du chiffre d'affaires des exposés")
    ax.set_xlabel("Part des conversations")
    ax.set_ylabel("Part du chiffre d'affaires")
    reporting.pct_axis(ax, "x")
    reporting.pct_axis(ax, "y")
    _show()
    reporting.show_table(social.set_index("platform_name").rename_axis("Plateforme"),
                         columns={"Plateforme": "Plateforme", "mentions": "Mentions", "interactions": "Interactions",
                                  "journeys": "Parcours exposés", "purchases": "Achats",
                                  "revenue": "Chiffre d'affaires", "conversion_rate": "Parcours avec achat",
                                  "conversation_share": "Part des conversations", "revenue_share": "Part du CA"},
                         formats={"mentions": "int", "interactions": "int", "journeys": "int",
                                  "purchases": "int", "revenue": "eur", "conversion_rate": "pct",
                                  "conversation_share": "pct", "revenue_share": "pct"})
    reporting.takeaway(social_takeaway(social))


# --------------------------------------------------------------------------- 8. explorer


def show_explorer(volumes: pd.DataFrame, paths: pd.DataFrame, by_entry: pd.DataFrame) -> None:
    """An entry-channel picker showing its most frequent paths and its funnel (JupyterLab only;
    the static HTML shows `reporting.STATIC_NOTE`)."""
    from IPython.display import Markdown, display

    if not reporting.interactive():
        display(Markdown(reporting.STATIC_NOTE))
        return
    import ipywidgets as widgets

    from workbench import journey

    def _explore(channel):
        display(journey.top_paths(paths[paths["path"].str.split(" > ").map(lambda p: channel in p)], 5)[
            ["path", "journeys", "total_conversions", "conversion_rate"]].rename(columns={
                "path": "Chemin", "journeys": "Parcours", "total_conversions": "Achats",
                "conversion_rate": "Taux de conversion"}).set_index("Chemin"))
        display(by_entry[by_entry["group"] == channel].assign(stage=lambda d: d["stage"].map(funnel.STAGE_LABELS))[
            ["stage", "customers", "drop_off"]].rename(columns={
                "stage": "Étape", "customers": "Clients", "drop_off": "Perte à l'étape"}).set_index("Étape"))

    picker = widgets.Dropdown(options=[(channel_name(c), c) for c in volumes["channel"]], description="Canal")
    display(widgets.VBox([picker, widgets.interactive_output(_explore, {"channel": picker})]))


def attribution_models(paths: pd.DataFrame, touches: pd.DataFrame, journeys: pd.DataFrame, *, order: int,
                       seed: int, half_life_days: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Purchases attributed to each channel by the seven models the page compares (columns named
    in French, channels in the index) and the Markov result (`attribution.markov_attribution`,
    indexed by channel) the key figures read."""
    from workbench import attribution

    heur = attribution.heuristic_attribution(paths).set_index("channel")
    markov = attribution.markov_attribution(paths, order=order).set_index("channel")
    shapley = attribution.shapley_attribution(paths, seed=seed).set_index("channel")
    decay = attribution.time_decay_attribution(touches, journeys, half_life_days=half_life_days).set_index("channel")
    ushape = attribution.position_based_attribution(touches, journeys).set_index("channel")
    models = pd.DataFrame({
        "Premier contact": heur["first_touch"], "Dernier contact": heur["last_touch"],
        "Linéaire": heur["linear_touch"], "Décroissance temporelle": decay["conversions"],
        "En U": ushape["conversions"], "Markov": markov["conversions"], "Shapley": shapley["conversions"],
    }).fillna(0.0)
    return models, markov
