"""The social-listening page's (03) French sentences and tables: exact text from small frames."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import indicators
from workbench import listening_pages as pages

NB = "\u202f"  # thousands separator
P = "\u00a0%"  # percent sign, non-breaking space before it
THEMES = {"delivery": "Livraison", "price": "Prix"}.get


def theme(code):
    return THEMES(code, code)


def test_negative_share_and_net_sentiment():
    dist = pd.DataFrame({"négatif": [0.25, 0.1, 0.3]}, index=["Maison", "Rival", "Autre"])
    assert pages.negative_share_takeaway(dist, "Maison", ["Rival", "Absent", "Autre"], "octobre 2026") == (
        f"25,0{P} des mentions de Maison sont négatives en octobre 2026, contre 10,0{P} pour Rival, 30,0{P} pour Autre.")
    by_brand = pd.DataFrame({"brand": ["Maison"] * 3 + ["Rival"],
                             "period": pd.PeriodIndex(["2026-08", "2026-09", "2026-10", "2026-10"], freq="M"),
                             "net_sentiment": [0.5, 0.294, -0.006, 0.9]})
    # the change is computed on the shown (rounded) values: +29 then −1 -> −30 pt, not −30,0
    text = pages.net_sentiment_takeaway(by_brand, "Maison", "octobre 2026")
    assert text == (f"le sentiment net de Maison est de {indicators.display('net_sentiment', -0.006)} en octobre 2026, "
                    f"contre {indicators.display('net_sentiment', 0.294)} le mois précédent (−30 pt).")
    one_month = by_brand[by_brand["period"] == pd.Period("2026-10", "M")]
    assert pages.net_sentiment_takeaway(one_month, "Maison", "octobre 2026").endswith("le mois précédent (0 pt).")


def test_discontent_and_themes():
    by_platform = pd.DataFrame({"platform": ["x", "tiktok"], "share_negative": [0.1, 0.4]})
    by_theme = pd.DataFrame({"theme": ["price", "delivery"], "share_negative": [0.2, 0.35]})
    assert pages.discontent_takeaway(by_platform, by_theme, theme, str.upper) == (
        f"le mécontentement se concentre sur le thème « Livraison » (35,0{P} de mentions négatives) et sur "
        f"TIKTOK (40,0{P}).")
    assert pages.discontent_takeaway(by_platform.iloc[:0], by_theme, theme, str.upper) is None
    own = pd.DataFrame({"theme": ["price", "delivery", "delivery"], "micro_theme": ["cher", "retard", "retard"],
                        "department": ["Marketing", "Logistique", "Logistique"], "mention_id": [1, 2, 3],
                        "label": ["negative", "negative", "positive"], "polarity": [-0.5, -0.6, 0.4]})
    table = pages.themes_table(own)
    assert table.iloc[0].to_dict() == {"theme": "delivery", "micro_theme": "retard", "department": "Logistique",
                                       "mentions": 2, "negatives": 0.5, "polarity": pytest.approx(-0.1)}
    assert pages.themes_takeaway(table, 0.05, 0.12, "Maison", theme) == (
        f"5,0{P} des mentions de Maison du mois restent non classées (contre 12,0{P} avant de donner aux réponses "
        f"le thème de leur message parent) ; premier thème : « Livraison » (2 mentions).")


def test_topics():
    topics = pd.DataFrame({"topic": [0, 1, 2], "label": ["livraison retard", "carte cadeau", "vide"],
                           "texts": [3, 5, 0]})
    texts = pd.DataFrame({"topic": [0, 0, 0, 1, 1], "theme": ["delivery", "delivery", "(non classé)",
                                                             "(non classé)", "(non classé)"]})
    described = pages.describe_topics(topics, texts, "(non classé)", theme)
    assert list(described["label"]) == ["carte cadeau", "livraison retard", "vide"]
    assert list(described["untagged"]) == [1.0, 1 / 3, 0.0]
    assert list(described["main_theme"]) == ["(non classé)", "Livraison", "–"]
    assert pages.topics_takeaway(described) == (
        "1\u00a0sujet sur 3 est surtout fait de mentions non classées (« carte cadeau ») : un thème à ajouter à la "
        "taxonomie.")
    assert pages.topics_takeaway(described.assign(untagged=0.0)).endswith(": la taxonomie couvre les sujets du mois.")


def test_alignment_peaks_and_alerts():
    missing = pd.DataFrame({"concept": ["taille", "cabine", "retour", "caisse"]})
    assert pages.alignment_takeaway(0.42, missing) == (
        f"score d'alignement consommateurs / marque : {indicators.display('alignment', 0.42)} ; les clients parlent "
        f"de « taille », « cabine », « retour », des mots que la marque n'emploie dans aucune de ses publications "
        f"(ni seuls, ni dans une expression).")
    assert pages.alignment_takeaway(0.42, missing.iloc[:0]).endswith(
        "la marque emploie dans ses publications tous les mots des principaux concepts de ses clients.")
    t = pd.Timestamp
    assert pages.episode_label(t("2026-10-13"), t("2026-10-16"), 4) == "du 13/10 au 16/10 (4 jours)"
    assert pages.episode_label(t("2026-10-13"), t("2026-10-13"), 1) == "un jour"
    peak = pd.Series({"peak_date": t("2026-10-14"), "peak_day_mentions": 262, "peak_day_negative": 180,
                      "mentions": 1722, "days": 4, "main_theme": "delivery", "start": t("2026-10-13"),
                      "end": t("2026-10-16")})
    assert pages.peak_takeaway(peak, theme) == (
        f"le plus fort pic est le 14/10/2026 : 262 mentions ce jour-là (le point rouge du graphique), dont 180 "
        f"négatives, 1{NB}722 sur l'épisode de 4\u00a0jours ; thème principal : « Livraison ».")
    alerts = pd.DataFrame({"brand": ["Maison", "Maison", "Rival"], "theme": ["price", "delivery", "price"],
                           "department": ["Marketing", "Logistique", "Marketing"], "negative_mentions": [12, 244, 50],
                           "start": [t("2026-10-02"), t("2026-10-13"), t("2026-10-05")],
                           "end": [t("2026-10-03"), t("2026-10-15"), t("2026-10-05")]})
    assert pages.alerts_takeaway(alerts, 7, "Maison", peak, theme) == (
        "3\u00a0alertes ce mois (2 pour Maison). La principale, « Livraison » → Logistique, compte 244 mentions "
        "négatives originales de ce thème du 13/10 au 15/10 : c'est la part négative, sur ce seul thème, du pic de "
        f"1{NB}722 mentions du 13/10 au 16/10.")
    assert pages.alerts_takeaway(alerts, 7, "Maison", None, theme) == "3\u00a0alertes ce mois, 7 sur toute la période."
    assert pages.alerts_takeaway(alerts.iloc[:1], 1, "Maison", None, theme) == "1\u00a0alerte ce mois, 1 sur toute la période."


def test_share_of_voice_drivers_and_searches():
    trend = pd.DataFrame({"Maison": [0.6, 0.649], "Rival": [0.4, 0.351]})
    sov_month = pd.DataFrame({"Maison": [0.7, 0.5]}, index=["Instagram", "X"])
    assert pages.share_of_voice_takeaway(trend, sov_month, "Maison", "octobre 2026") == (
        f"Maison pèse {indicators.display('share_of_voice', 0.649)} des mentions des marques suivies en octobre 2026 "
        f"({indicators.display_change('share_of_voice', 0.649, 0.6)} sur un mois) ; réseau où sa part est la plus "
        f"forte : Instagram (70,0{P}).")
    drivers = pd.DataFrame({"category": ["shoes", "shoes", "bags"], "share_negative": [0.3, 0.3, 0.1],
                            "theme": ["price", "delivery", "price"], "lift": [1.0, 2.46, 1.0]})
    assert pages.drivers_takeaway(drivers, theme, str.title) == (
        f"la ligne « Shoes » déçoit le plus (30,0{P} de mentions négatives, contre 10,0{P} pour « Bags ») ; "
        f"son problème propre est « Livraison » (×2,5 par rapport aux autres lignes).")
    # every other line with a problem of its own gets its verdict
    sport = pd.DataFrame({"category": ["sport"], "share_negative": [0.259], "theme": ["delivery"], "lift": [1.8]})
    assert pages.drivers_takeaway(pd.concat([drivers, sport]), theme, str.title).endswith(
        f"(×2,5 par rapport aux autres lignes). « Sport » (25,9{P} de négatives) a aussi un problème propre : "
        f"« Livraison » (×1,8).")
    assert pages.drivers_takeaway(drivers.assign(lift=1.0), theme, str.title).endswith(
        "ses négatifs portent sur les mêmes thèmes que les autres lignes (« Prix » en tête) : pas de défaut propre "
        "à la ligne.")
    assert pages.drivers_takeaway(drivers.iloc[:0], theme, str.title) == \
        "aucune mention de la marque ne cite une ligne de produits sur les trois derniers mois."
    opps = pd.DataFrame({"keyword": ["seconde main", "robe d'été", "lin", "sandales"],
                         "opportunity": [True, False, True, False], "trend": ["en hausse", "en baisse", "en hausse",
                                                                                 "en baisse"],
                         "growth": [0.175, -0.45, 0.05, -0.1], "kind": ["générique"] * 4,
                         "searches": [100, 900, 50, 200]})
    assert pages.searches_takeaway(opps) == (
        f"recherches en hausse à saisir : « seconde main » (+17,5{P}), « lin » (+5,0{P}) ; "
        f"en baisse : « robe d'été » (\u221245,0{P}).")  # the typographic minus of reporting.fmt_num
    assert pages.searches_takeaway(opps.assign(trend="stable")) == "aucune recherche générique n'est en hausse."


def test_seasonal_searches_and_brand_query():
    """A fall that only compares with a seasonal peak is said so, and the brand's own query is
    commented (the 3-month change of the sample's brand query is the July peak passing)."""
    months = pd.period_range("2025-11", "2026-10", freq="M").to_timestamp()
    level = {"maison": [100] * 12, "robe d'été": [100] * 12, "lin": [100] * 12}
    level["maison"][8] = 300  # July: a peak in the comparison window (May-July)
    level["robe d'été"][8] = 250
    level["lin"] = [100] * 9 + [60, 60, 60]  # a real fall, no peak
    search = pd.DataFrame([{"month": m, "keyword": k, "searches": v[i]} for k, v in level.items()
                           for i, m in enumerate(months)])
    ctx = pages.seasonal_context(search)
    assert ctx.loc["maison", "peak_month"] == pd.Period("2026-07", "M")
    assert pd.isna(ctx.loc["lin", "peak_month"])
    assert (ctx.loc["maison", "usual_low"], ctx.loc["maison", "usual_high"]) == (100, 100)
    opps = pd.DataFrame({"keyword": ["maison", "robe d'été", "lin"], "kind": ["marque", "générique", "générique"],
                         "trend": ["en baisse"] * 3, "growth": [-0.4, -0.35, -0.4], "opportunity": [False] * 3,
                         "searches": [1400, 1350, 1020]})
    assert pages.searches_takeaway(opps, ctx) == (
        f"aucune recherche générique n'est en hausse ; en baisse : « lin » (\u221240,0{P}) ; « robe d'été » baisse "
        f"parce que le pic saisonnier de juillet est passé, pas par désintérêt. La recherche de la marque « maison » "
        f"recule de 40,0{P} sur trois mois : c'est le pic de juillet qui retombe ; ce mois-ci, 100 recherches, dans "
        f"la fourchette des mois sans pic (100 à 100).")


def test_most_replied_original_not_a_reply():
    t = pd.Timestamp
    mentions = pd.DataFrame({
        "mention_id": ["M1", "M2", "M3", "M4", "M5", "M6"],
        "timestamp": [t("2026-10-14 08:00"), t("2026-10-14 09:00"), t("2026-10-14 10:00"), t("2026-10-14 11:00"),
                      t("2026-10-14 12:00"), t("2026-10-20")],
        "reply_to": [None, None, "M2", "M2", "M1", None], "retweet_of": [None] * 6,
        "theme": ["delivery"] * 6, "label": ["negative"] * 6,
        "text": ["Colis perdu, écrivez à jean@mail.fr", "Toujours pas livré après 3 semaines", "Moi aussi",
                 "Moi aussi", "Même problème chez moi", "Livraison rapide"]})
    # M2 has two replies, M1 one; replies themselves are never chosen; M6 is out of the window
    assert pages.most_replied_originals(mentions, t("2026-10-13"), t("2026-10-16"), n=2) == [
        "Toujours pas livré après 3 semaines", "Colis perdu, écrivez à [e-mail]"]
    assert pages.most_replied_originals(mentions, t("2026-10-13"), t("2026-10-16"), theme="price") == []
