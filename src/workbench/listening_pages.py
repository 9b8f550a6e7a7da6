"""Presentation of the social-listening page (03): French tables, charts and the computed
"À retenir : …" sentences under them.

Why here: written inline, these formatting chains made notebook 03 long. The analyses
(`concepts`, `sentiment`, `moments`) stay pure; this page module turns their results into what
the reader sees. `*_takeaway` functions return plain French text (escaped by
`reporting.takeaway`); `show_*` functions draw one section (chart, table, sentence). Theme,
platform and product-line names come from the retailer's taxonomy and profile, passed in as
`theme_label` / `platform_label` / `category_label` functions (code -> French name).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from workbench import french, indicators, reporting
from workbench.reporting import fmt_int, fmt_num, fmt_pct

LABEL_FR = {"negative": "négatif", "neutral": "neutre", "positive": "positif"}

Label = Callable[[str], str]


def _show():
    import matplotlib.pyplot as plt

    plt.show()


# --------------------------------------------------------------------------- 1. sentiment


def negative_share_takeaway(dist: pd.DataFrame, brand: str, competitors, month_fr: str) -> str:
    """The brand's share of negative mentions against each competitor's (`dist`: brands × French labels)."""
    return (f"{fmt_pct(dist.loc[brand, 'négatif'])} des mentions de {brand} sont négatives en {month_fr}, contre "
            + ", ".join(f"{fmt_pct(dist.loc[c, 'négatif'])} pour {c}" for c in competitors if c in dist.index) + ".")


def show_label_distribution(mentions: pd.DataFrame, labels, brand: str, competitors, month_fr: str) -> None:
    """Share of each sentiment label by brand (`mentions`: the month's original mentions with
    `brand` and `label`; `labels`: the label codes in order) and takeaway."""
    dist = (mentions.groupby("brand")["label"].value_counts(normalize=True).unstack(fill_value=0)
            [list(labels)].rename(columns=LABEL_FR))
    reporting.show_table(dist.rename_axis("Marque"), formats={c: "pct" for c in dist.columns})
    reporting.takeaway(negative_share_takeaway(dist, brand, competitors, month_fr))


def net_sentiment_takeaway(by_brand: pd.DataFrame, brand: str, month_fr: str) -> str:
    """The brand's net sentiment this month and last, and the change in points of the shown
    (rounded) values (`concepts.sentiment_over_time` by brand)."""
    own_net = by_brand[by_brand["brand"] == brand].sort_values("period").tail(2)
    own_net = pd.concat([own_net.head(1), own_net]).tail(2)  # one month of data: compared with itself
    now_pts, before_pts = (indicators.rounded("net_sentiment", v) for v in own_net["net_sentiment"].iloc[::-1])
    sign = "+" if now_pts - before_pts > 0 else "−" if now_pts < before_pts else ""
    return (f"le sentiment net de {brand} est de {indicators.display('net_sentiment', own_net['net_sentiment'].iloc[-1])} "
            f"en {month_fr}, contre {indicators.display('net_sentiment', own_net['net_sentiment'].iloc[0])} le mois "
            f"précédent ({sign}{abs(now_pts - before_pts)} pt).")


def show_net_sentiment(by_brand: pd.DataFrame, brand: str, month_fr: str) -> None:
    """Net sentiment per brand and month with its interval (chart) and takeaway."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.5))
    for b, g in by_brand.groupby("brand"):
        x = g["period"].dt.to_timestamp() if hasattr(g["period"].dt, "to_timestamp") else g["period"]
        ax.plot(x, 100 * g["net_sentiment"], marker="o", label=b, linewidth=2.5 if b == brand else 1.5)
        ax.fill_between(x, 100 * g["net_sentiment_low"], 100 * g["net_sentiment_high"], alpha=0.15)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_title("Sentiment net des mentions par marque et par mois")
    ax.set_ylabel("Sentiment net (points)")
    ax.set_xlabel("")
    ax.legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1))
    reporting.int_axis(ax)
    reporting.month_axis(ax)
    _show()
    reporting.takeaway(net_sentiment_takeaway(by_brand, brand, month_fr))


def discontent_takeaway(by_platform: pd.DataFrame, by_theme: pd.DataFrame, theme_label: Label,
                        platform_label: Label) -> str | None:
    """The theme and the network with the largest share of negative mentions (None when either is empty)."""
    if not len(by_theme) or not len(by_platform):
        return None
    worst_theme = by_theme.sort_values("share_negative").iloc[-1]
    worst_platform = by_platform.sort_values("share_negative").iloc[-1]
    return (f"le mécontentement se concentre sur le thème « {theme_label(worst_theme['theme'])} » "
            f"({fmt_pct(worst_theme['share_negative'])} de mentions négatives) et sur "
            f"{platform_label(worst_platform['platform'])} ({fmt_pct(worst_platform['share_negative'])}).")


def show_negative_by_platform_theme(by_platform: pd.DataFrame, by_theme: pd.DataFrame, theme_label: Label,
                                    platform_label: Label) -> None:
    """Share of negative mentions with its interval, by network and by theme (charts), and takeaway."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, tab, col, fr, name in ((axes[0], by_platform, "platform", "réseau", platform_label),
                                   (axes[1], by_theme, "theme", "thème", theme_label)):
        tab = tab.sort_values("share_negative")
        err = np.vstack([tab["share_negative"] - tab["share_negative_low"],
                         tab["share_negative_high"] - tab["share_negative"]])
        ax.barh(tab[col].map(name), tab["share_negative"], xerr=err, color="tab:red", alpha=0.7)
        ax.set_title(f"Part de mentions négatives par {fr}")
        ax.set_xlabel("Part des mentions du mois")
        reporting.pct_axis(ax, "x")
    plt.tight_layout()
    _show()
    text = discontent_takeaway(by_platform, by_theme, theme_label, platform_label)
    if text:
        reporting.takeaway(text)


# --------------------------------------------------------------------------- 2. themes


def themes_table(own_month: pd.DataFrame) -> pd.DataFrame:
    """Mentions, share negative and mean polarity per theme, micro-theme and department, most mentioned first."""
    return (own_month.groupby(["theme", "micro_theme", "department"])
            .agg(mentions=("mention_id", "size"), negatives=("label", lambda s: (s == "negative").mean()),
                 polarity=("polarity", "mean"))
            .reset_index().sort_values("mentions", ascending=False))


def themes_takeaway(themes: pd.DataFrame, untagged: float, untagged_before: float, brand: str,
                    theme_label: Label) -> str:
    """Share left unclassified (after and before replies inherit their parent's theme) and the first theme."""
    return (f"{fmt_pct(untagged)} des mentions de {brand} du mois restent non classées (contre {fmt_pct(untagged_before)} "
            f"avant de donner aux réponses le thème de leur message parent) ; premier thème : "
            f"« {theme_label(themes.iloc[0]['theme'])} » ({fmt_int(themes.iloc[0]['mentions'])} mentions).")


def show_themes(own_month: pd.DataFrame, untagged: float, untagged_before: float, brand: str,
                theme_label: Label) -> None:
    """The month's themes table (`themes_table`) and takeaway."""
    themes = themes_table(own_month)
    reporting.show_table(themes.assign(theme=themes["theme"].map(theme_label)),
                         columns={"theme": "Thème", "micro_theme": "Micro-thème", "department": "Service",
                                  "mentions": "Mentions", "negatives": "Part négative", "polarity": "Polarité moyenne"},
                         formats={"mentions": "int", "negatives": "pct", "polarity": "num2"}, max_rows=20)
    reporting.takeaway(themes_takeaway(themes, untagged, untagged_before, brand, theme_label))


def describe_topics(topics: pd.DataFrame, texts: pd.DataFrame, untagged_code: str, theme_label: Label) -> pd.DataFrame:
    """`concepts.discover_topics` topics with the share of their texts left unclassified and their
    most frequent theme (French), largest first (`texts`: `topic` and `theme` per text)."""
    def of(t):
        return texts.loc[texts["topic"] == t, "theme"]

    topics = topics.assign(
        untagged=[float((of(t) == untagged_code).mean()) if len(of(t)) else 0.0 for t in topics["topic"]],
        main_theme=[theme_label(of(t).mode().iloc[0]) if len(of(t)) else "–" for t in topics["topic"]])
    return topics.sort_values("texts", ascending=False)


def topics_takeaway(topics: pd.DataFrame) -> str:
    """How many topics are mostly unclassified mentions (a theme missing from the taxonomy)."""
    new_topics = topics[topics["untagged"] >= 0.5]
    verb = "sont surtout faits" if french.is_plural(len(new_topics)) else "est surtout fait"
    return (f"{french.count(len(new_topics), 'sujet')} sur {len(topics)} {verb} de mentions non classées"
            + (f" (« {new_topics.iloc[0]['label']} ») : un thème à ajouter à la taxonomie." if len(new_topics)
               else " : la taxonomie couvre les sujets du mois."))


def show_topics(topics: pd.DataFrame) -> None:
    """The `describe_topics` table and takeaway."""
    reporting.show_table(topics, columns={"label": "Sujet", "texts": "Mentions distinctes",
                                          "main_theme": "Thème le plus fréquent", "untagged": "Part non classée",
                                          "example": "Mention représentative"},
                         formats={"texts": "int", "untagged": "pct"})
    reporting.takeaway(topics_takeaway(topics))


# --------------------------------------------------------------------------- 3. concept cloud


def alignment_takeaway(alignment: float, missing: pd.DataFrame) -> str:
    """The alignment score and the consumers' concepts the brand never uses."""
    if not len(missing):
        return (f"score d'alignement consommateurs / marque : {indicators.display('alignment', alignment)} ; la marque "
                f"emploie dans ses publications tous les mots des principaux concepts de ses clients.")
    return (f"score d'alignement consommateurs / marque : {indicators.display('alignment', alignment)} ; les clients "
            f"parlent de {', '.join(f'« {c} »' for c in missing['concept'].head(3))}, des mots que la marque n'emploie "
            f"dans aucune de ses publications (ni seuls, ni dans une expression).")


def show_concept_clouds(consumer_cloud: pd.DataFrame, brand_cloud: pd.DataFrame, brand: str, alignment: float,
                        missing: pd.DataFrame) -> None:
    """Top concepts of consumers and of the brand's posts (charts), the missing concepts, takeaway."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 6))
    for ax, cloud, title, color in ((axes[0], consumer_cloud, "Consommateurs (90 derniers jours)", "tab:blue"),
                                    (axes[1], brand_cloud, f"Publications de {brand}", "tab:green")):
        top = cloud.head(20).iloc[::-1]
        ax.barh(top["concept"], top["weight"], color=color)
        ax.set_title(title)
        ax.set_xlabel("Poids moyen du concept")
        reporting.int_axis(ax, "x")
    plt.tight_layout()
    _show()
    reporting.show_table(missing, columns={"concept": "Concept des consommateurs absent chez la marque",
                                           "weight": "Poids", "documents": "Mentions"},
                         formats={"weight": "num2", "documents": "int"})
    reporting.takeaway(alignment_takeaway(alignment, missing))


# --------------------------------------------------------------------------- 4. peaks and alerts


def most_replied_originals(mentions: pd.DataFrame, start, end, n: int = 1, **equal) -> list[str]:
    """The `n` original posts (not replies, not retweets) of [start day, end day] that drew the
    most replies among `mentions`, personal data masked — the posts a peak or an alert is about,
    rather than the short replies ("Moi aussi", "Même problème chez moi") that are repeated
    most. `equal`: column=value filters on the candidates (e.g. brand=…, theme=…, label=…).
    Ties go to the earliest post; posts without replies come after those with some."""
    from workbench.text import mask_personal

    day = mentions["timestamp"].dt.normalize()
    cand = mentions[(day >= pd.Timestamp(start).normalize()) & (day <= pd.Timestamp(end).normalize())
                    & mentions["reply_to"].isna()]
    if "retweet_of" in cand.columns:
        cand = cand[cand["retweet_of"].isna()]
    for col, value in equal.items():
        cand = cand[cand[col] == value]
    if cand.empty:
        return []
    replies = mentions["reply_to"].dropna().astype(str).value_counts()
    ranked = cand.assign(_replies=cand["mention_id"].astype(str).map(replies).fillna(0)).sort_values(
        ["_replies", "timestamp"], ascending=[False, True], kind="mergesort")
    texts = mask_personal(ranked["text"].drop_duplicates().head(n))
    return [str(t) for t in texts]


def episode_label(start, end, days: int) -> str:
    """'du 13/10 au 16/10 (4 jours)', or 'un jour'."""
    return f"du {start:%d/%m} au {end:%d/%m} ({days} jours)" if days > 1 else "un jour"


def peak_takeaway(top_peak, theme_label: Label) -> str:
    """The strongest peak: mentions and negatives that day, the episode and its theme."""
    return (f"le plus fort pic est le {top_peak['peak_date']:%d/%m/%Y} : {fmt_int(top_peak['peak_day_mentions'])} "
            f"mentions ce jour-là (le point rouge du graphique), dont {fmt_int(top_peak['peak_day_negative'])} "
            f"négatives, {fmt_int(top_peak['mentions'])} sur l'épisode de {french.count(top_peak['days'], 'jour')} ; thème "
            f"principal : « {theme_label(top_peak['main_theme'])} ».")


def show_peaks(volume: pd.DataFrame, peaks: pd.DataFrame, why: pd.DataFrame, brand: str, theme_label: Label,
               mentions: pd.DataFrame | None = None):
    """Daily mentions with the detected peaks (chart), the explained peaks (table) and takeaway;
    returns the strongest peak (a row of `why`) or None. With `mentions` (the brand's mentions,
    replies included), each peak shows its most replied original post of the main theme."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 4))
    ax.plot(volume["period"], volume["mentions"], color="tab:blue", linewidth=1, label="Mentions par jour")
    ax.scatter(peaks["peak_date"], volume.set_index("period").loc[peaks["peak_date"], "mentions"], color="tab:red",
               zorder=3, label="Pic")
    ax.set_title(f"Mentions de {brand} par jour (messages originaux) et pics détectés")
    ax.set_ylabel("Mentions par jour")
    ax.legend(loc="upper left")
    reporting.int_axis(ax)
    reporting.month_axis(ax)
    _show()
    reporting.show_table(why.assign(
        episode=[episode_label(s, e, d) for s, e, d in zip(why["start"], why["end"], why["days"], strict=True)],
        main_theme=why["main_theme"].map(theme_label),
        calendar_event=why["calendar_event"].replace("", "hors calendrier"),
        representative_posts=(
            [(most_replied_originals(mentions, r["start"], r["end"], theme=r["main_theme"])
              or most_replied_originals(mentions, r["start"], r["end"]) or ["–"])[0] for _, r in why.iterrows()]
            if mentions is not None else why["representative_posts"].str.split(" | ", regex=False).str[0])),
        columns={"peak_date": "Jour du pic", "peak_day_mentions": "Mentions (jour)",
                 "peak_day_negative": "Négatives (jour)", "episode": "Épisode", "mentions": "Mentions (épisode)",
                 "main_theme": "Thème principal", "calendar_event": "Moment commercial",
                 "share_negative": "Part négative (épisode)",
                 "representative_posts": "Publication la plus commentée du thème"},
        formats={"peak_date": "date", "peak_day_mentions": "int", "peak_day_negative": "int", "mentions": "int",
                 "share_negative": "pct"})
    top_peak = why.sort_values("peak_day_mentions", ascending=False).iloc[0] if len(why) else None
    if top_peak is not None:
        reporting.takeaway(peak_takeaway(top_peak, theme_label))
    return top_peak


def alerts_takeaway(month_alerts: pd.DataFrame, n_alerts: int, brand: str, top_peak, theme_label: Label) -> str:
    """The month's alerts and how the brand's main one relates to the strongest peak."""
    own = month_alerts[month_alerts["brand"] == brand].sort_values("negative_mentions", ascending=False)
    if not len(own) or top_peak is None:
        return f"{french.count(len(month_alerts), 'alerte')} ce mois, {fmt_int(n_alerts)} sur toute la période."
    a = own.iloc[0]
    return (f"{french.count(len(month_alerts), 'alerte')} ce mois ({len(own)} pour {brand}). La principale, « {theme_label(a['theme'])} » "
            f"→ {a['department']}, compte {fmt_int(a['negative_mentions'])} mentions négatives originales de ce thème du "
            f"{a['start']:%d/%m} au {a['end']:%d/%m} : c'est la part négative, sur ce seul thème, du pic de "
            f"{fmt_int(top_peak['mentions'])} mentions du {top_peak['start']:%d/%m} au {top_peak['end']:%d/%m}.")


def show_alerts(month_alerts: pd.DataFrame, n_alerts: int, brand: str, top_peak, theme_label: Label,
                mentions: pd.DataFrame | None = None) -> None:
    """The month's routed alerts (table) and takeaway. With `mentions` (scored, every brand,
    replies included), the examples are the alert's most replied negative original posts."""
    examples = month_alerts["examples"]
    if mentions is not None:
        examples = [" | ".join(most_replied_originals(mentions, a["start"], a["end"], n=2, brand=a["brand"],
                                                      theme=a["theme"], label="negative")) or a["examples"]
                    for _, a in month_alerts.iterrows()]
    reporting.show_table(month_alerts.assign(theme=month_alerts["theme"].map(theme_label), examples=examples),
                         columns={"department": "Service", "theme": "Thème", "brand": "Marque", "start": "Début",
                                  "end": "Fin", "negative_mentions": "Négatives du thème", "authors": "Auteurs",
                                  "examples": "Publications les plus commentées"},
                         formats={"start": "date", "end": "date", "negative_mentions": "int", "authors": "int"})
    reporting.takeaway(alerts_takeaway(month_alerts, n_alerts, brand, top_peak, theme_label))


# --------------------------------------------------------------------------- 5. share of voice


def share_of_voice_takeaway(trend: pd.DataFrame, sov_month: pd.DataFrame, brand: str, month_fr: str) -> str:
    """The brand's share of voice this month, its change, and its strongest network
    (`trend`: months × brands; `sov_month`: networks × brands)."""
    own = trend[brand].iloc[-2:]
    return (f"{brand} pèse {indicators.display('share_of_voice', own.iloc[-1])} des mentions des marques suivies en "
            f"{month_fr} ({indicators.display_change('share_of_voice', own.iloc[-1], own.iloc[0])} sur un mois) ; "
            f"réseau où sa part est la plus forte : {sov_month[brand].idxmax()} ({fmt_pct(sov_month[brand].max())}).")


def show_share_of_voice(sov: pd.DataFrame, sov_all: pd.DataFrame, month_start, brand: str, month_fr: str,
                        platform_label: Label) -> None:
    """Share of voice by network this month (stacked bars) and by month (lines), and takeaway
    (`concepts.share_of_voice` by platform and overall)."""
    import matplotlib.pyplot as plt

    sov_month = sov[sov["period"] == month_start].pivot(index="platform", columns="brand", values="share").fillna(0)
    sov_month.index = sov_month.index.map(platform_label)
    trend = sov_all.pivot(index="period", columns="brand", values="share").fillna(0)
    fig, axes = plt.subplots(2, 1, figsize=(10, 8))
    sov_month.plot.barh(stacked=True, ax=axes[0])
    axes[0].legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1))
    axes[0].set_title(f"Part de voix par réseau — {month_fr}")
    axes[0].set_xlabel("Part des mentions")
    axes[0].set_ylabel("")
    reporting.pct_axis(axes[0], "x")
    for b in trend.columns:
        axes[1].plot(trend.index, trend[b], marker="o", label=b)
    axes[1].set_title("Part de voix par mois (tous réseaux)")
    axes[1].set_ylabel("Part des mentions")
    axes[1].legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1))
    reporting.pct_axis(axes[1])
    reporting.month_axis(axes[1])
    for t in axes[1].get_xticklabels():  # twelve month labels in 10 inches: slanted, never touching
        t.set_rotation(30)
        t.set_ha("right")
    plt.tight_layout()
    _show()
    reporting.takeaway(share_of_voice_takeaway(trend, sov_month, brand, month_fr))


# --------------------------------------------------------------------------- 6. product lines and searches


def drivers_takeaway(drivers: pd.DataFrame, theme_label: Label, category_label: Label) -> str:
    """The product line that disappoints most and whether its problem is its own
    (`concepts.negative_drivers` by category)."""
    lines = drivers.drop_duplicates("category").sort_values("share_negative", ascending=False)
    if not len(lines):
        return "aucune mention de la marque ne cite une ligne de produits sur les trois derniers mois."
    worst, best = lines.iloc[0], lines.iloc[-1]
    specific = drivers[(drivers["category"] == worst["category"]) & (drivers["lift"] >= 1.2)]
    # a verdict for every other line with a problem of its own (sur-risque of 1,5 or more)
    others = (drivers[(drivers["category"] != worst["category"]) & (drivers["lift"] >= 1.5)]
              .sort_values("lift", ascending=False).drop_duplicates("category"))
    more = "".join(f" « {category_label(r['category'])} » ({fmt_pct(r['share_negative'])} de négatives) a aussi un "
                   f"problème propre : « {theme_label(r['theme'])} » (×{fmt_num(r['lift'], 1)})."
                   for _, r in others.iterrows())
    return (f"la ligne « {category_label(worst['category'])} » déçoit le plus ({fmt_pct(worst['share_negative'])} de "
            f"mentions négatives, contre {fmt_pct(best['share_negative'])} pour « {category_label(best['category'])} ») ; "
            + (f"son problème propre est « {theme_label(specific.iloc[0]['theme'])} » "
               f"(×{fmt_num(specific.iloc[0]['lift'], 1)} par rapport aux autres lignes)." if len(specific) else
               f"ses négatifs portent sur les mêmes thèmes que les autres lignes (« {theme_label(worst['theme'])} » "
               f"en tête) : pas de défaut propre à la ligne.")
            + more)


def show_drivers(drivers: pd.DataFrame, theme_label: Label, category_label: Label) -> None:
    """Negative drivers per product line (table) and takeaway."""
    reporting.show_table(drivers.assign(category=drivers["category"].map(category_label),
                                        theme=drivers["theme"].map(theme_label)),
                         columns={"category": "Ligne de produits", "rank": "Rang", "mentions": "Mentions",
                                  "share_negative": "Part négative", "theme": "Thème",
                                  "share_of_negatives": "Part des négatifs", "lift": "Sur-risque"},
                         formats={"rank": "int", "mentions": "int", "share_negative": "pct",
                                  "share_of_negatives": "pct", "lift": "num1"})
    reporting.takeaway(drivers_takeaway(drivers, theme_label, category_label))


def seasonal_context(search: pd.DataFrame, recent_months: int = 3, factor: float = 1.5) -> pd.DataFrame:
    """Per keyword, whether its 3-month change compares with a seasonal peak: `peak_month` is
    the month of the comparison window (the `recent_months` before the last ones) whose volume
    is at least `factor` times the keyword's median month (missing when none), with `last`
    (the report month's searches) and the range of its other months (`usual_low`,
    `usual_high`: months under that peak level). Without a year of history to compare with the
    same months a year earlier, this says when a fall is only a peak passing."""
    d = search.assign(month=pd.to_datetime(search["month"]).dt.to_period("M"))
    wide = d.pivot_table(index="month", columns="keyword", values="searches", aggfunc="sum").sort_index()
    prev = wide.iloc[-2 * recent_months:-recent_months]
    high = wide.median() * factor
    rows = {}
    for k in wide.columns:
        peaks = prev[k][prev[k] >= high[k]]
        usual = wide[k][wide[k] < high[k]]
        rows[k] = {"peak_month": peaks.idxmax() if len(peaks) else pd.NaT, "last": wide[k].iloc[-1],
                   "usual_low": usual.min() if len(usual) else np.nan,
                   "usual_high": usual.max() if len(usual) else np.nan}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("keyword")


def _peak_name(month) -> str:
    return reporting.month_label(str(month)).split(" ")[0]


def searches_takeaway(opps: pd.DataFrame, context: pd.DataFrame | None = None) -> str:
    """Rising searches to seize, the largest falling generic one that is not a seasonal peak
    passing, the seasonal falls, and the brand's own query (`concepts.search_opportunities`,
    `seasonal_context`)."""
    ctx = context if context is not None else pd.DataFrame(columns=["peak_month"])
    peak = opps["keyword"].map(ctx["peak_month"]) if len(ctx) else pd.Series(None, index=opps.index)
    rising = opps[opps["opportunity"] & (opps["trend"] == "en hausse")].sort_values("growth", ascending=False)
    falls = (opps["kind"] == "générique") & (opps["trend"] == "en baisse")
    falling = opps[falls & peak.isna()].sort_values("searches", ascending=False)
    seasonal = opps[falls & peak.notna()].sort_values("searches", ascending=False)
    top = rising.head(3)
    text = (f"recherches en hausse à saisir : "
            f"{', '.join(f'« {k} » ({reporting.fmt_signed(100 * g, 1, chr(37))})' for k, g in zip(top['keyword'], top['growth'], strict=True))}"
            if len(rising) else "aucune recherche générique n'est en hausse")
    if len(falling):
        text += (f" ; en baisse : « {falling.iloc[0]['keyword']} » "
                 f"({reporting.fmt_signed(100 * falling.iloc[0]['growth'], 1, '%')})")
    if len(seasonal):
        text += (f" ; {', '.join(f'« {k} »' for k in seasonal['keyword'].head(3))} "
                 f"{'baissent' if len(seasonal) > 1 else 'baisse'} parce que le pic saisonnier "
                 f"de {_peak_name(peak[seasonal.index[0]])} est passé, pas par désintérêt")
    brand_rows = opps[opps["kind"] == "marque"].sort_values("searches", ascending=False)
    if len(brand_rows) and len(ctx):
        b = brand_rows.iloc[0]
        c = ctx.loc[b["keyword"]] if b["keyword"] in ctx.index else None
        if c is not None and b["trend"] == "en baisse" and pd.notna(c["peak_month"]):
            text += (f". La recherche de la marque « {b['keyword']} » recule de "
                     f"{fmt_pct(abs(b['growth']))} sur trois mois : c'est le pic de {_peak_name(c['peak_month'])} "
                     f"qui retombe ; ce mois-ci, {fmt_int(c['last'])} recherches, dans la fourchette "
                     f"des mois sans pic ({fmt_int(c['usual_low'])} à {fmt_int(c['usual_high'])})")
        elif c is not None and b["trend"] == "en baisse":
            text += (f". La recherche de la marque « {b['keyword']} » recule de {fmt_pct(abs(b['growth']))} "
                     f"sur trois mois, sans pic saisonnier à l'origine : à surveiller")
    return text + "."


def show_searches(opps: pd.DataFrame, context: pd.DataFrame | None = None) -> None:
    """The first 15 search keywords with their trend (seasonal falls marked) and opportunity
    (table) and takeaway."""
    shown = opps.head(15)
    trend = shown["trend"]
    if context is not None and len(context):
        peak = shown["keyword"].map(context["peak_month"])
        trend = trend.where(peak.isna() | (trend != "en baisse"),
                            "en baisse (pic de " + peak.map(lambda m: _peak_name(m) if pd.notna(m) else "") + " passé)")
    reporting.show_table(shown.assign(opportunity=shown["opportunity"].map({True: "oui", False: "non"}), trend=trend),
                         columns={"keyword": "Mot-clé", "searches": "Recherches (total)",
                                  "growth": "Évolution 3 mois", "trend": "Tendance", "kind": "Nature",
                                  "opportunity": "Opportunité"},
                         formats={"searches": "int", "growth": lambda v: reporting.fmt_signed(100 * v, 1, "%")})
    reporting.takeaway(searches_takeaway(opps, context))
