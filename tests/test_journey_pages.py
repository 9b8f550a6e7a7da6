"""The customer-journey page's (02) French sentences and tables: exact text from small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import funnel
from workbench import journey_pages as pages

NB = "\u202f"  # thousands separator
P = "\u00a0%"  # percent sign, non-breaking space before it


def test_channel_and_path_names():
    assert pages.channel_name("store_visit") == "Visite magasin"
    assert pages.channel_name(funnel.NOT_AWARE) == "Aucun contact"
    assert pages.channel_name("tv") == "tv"  # unknown code shown as is
    assert pages.path_label("search > email > website") == "Recherche → E-mail → Site web"


def test_stitching_and_funnel_sentences():
    stats = pd.DataFrame({"item": ["stitched", "anonymous", "anonymous_journeys"], "count": [300, 700, 1234]})
    assert pages.stitching_takeaway(stats) == (
        f"30,0{P} des contacts anonymes ont pu être rattachés à un client par son appareil ; "
        f"1{NB}234 parcours restent anonymes.")
    whole = pd.DataFrame({"stage": list(funnel.STAGES), "customers": [8000, 3000, 1500, 900, 300],
                          "drop_off": [0.2, 0.625, 0.5, 0.4, 0.667]})
    assert pages.funnel_takeaway(10000, whole) == (
        f"sur 10{NB}000 clients de la base, 8{NB}000 ont été touchés dans le mois et 1{NB}500 ont acheté ; "
        f"l'étape qui perd le plus est « Rétention » (66,7{P} des clients de l'étape précédente).")


def test_drop_off_sentences():
    entry = pd.DataFrame({"conversion": [0.9, 0.4, np.nan]}, index=["display", "search", "email"])
    assert pages.entry_takeaway(entry) == (
        f"les clients entrés par « Recherche » achètent le plus (perte à la conversion 40,0{P}), "
        f"ceux entrés par « Display » le moins (90,0{P}).")
    assert pages.entry_takeaway(entry.assign(conversion=np.nan)) is None
    seg = pd.DataFrame({"awareness": [0.1, 0.5], "consideration": [0.3, 0.6]}, index=["Fidèles", "Dormants"])
    assert pages.segment_takeaway(seg) == (
        f"le segment « Dormants » est le moins touché (50,0{P} de ses clients sans aucun contact dans le mois) ; "
        f"« Fidèles » montre le plus d'intention d'achat (seulement 30,0{P} perdus à la considération).")
    # the group without any purchase is not compared with the segments of buyers
    from workbench.segmentation import NO_PURCHASE
    with_none = pd.concat([seg, pd.DataFrame({"awareness": [0.9], "consideration": [0.1]}, index=[NO_PURCHASE])])
    assert pages.segment_takeaway(with_none) == pages.segment_takeaway(seg)


def test_evolution_table_and_sentence():
    monthly = pd.DataFrame({"month": ["2026-09", "2026-10"], "awareness": [100, 90], "consideration": [50, 80],
                            "conversion": [0, 10], "loyalty": [5, 5], "retention": [2, 1]})
    evolution = pages.evolution_table(monthly)
    assert list(evolution.columns) == ["Mois précédent", "Mois du rapport", "Évolution"]
    assert evolution.loc["Découverte", "Évolution"] == pytest.approx(-0.1)
    assert np.isnan(evolution.loc["Conversion", "Évolution"])  # nothing the month before: no change
    assert pages.evolution_takeaway(evolution) == "l'étape qui bouge le plus sur un mois est « Considération » (+60,0\u00a0%)."


def test_channel_sentences():
    volumes = pd.DataFrame({"channel": ["search", "email", "direct", "display"],
                            "conversion_rate": [0.3, 0.12, 1.0, 0.05]})
    assert pages.volumes_takeaway(volumes, 2500) == (
        f"parmi les parcours de clients identifiés, ceux qui passent par « Recherche » se terminent le plus "
        f"souvent par un achat (30,0{P}), ceux qui passent par « Display » le moins (5,0{P}) ; "
        f"2{NB}500 parcours de visiteurs anonymes (jamais d'achat) sont comptés à part.")
    # a gap under 2 points is not presented as a finding
    close = volumes.assign(conversion_rate=[0.728, 0.723, 1.0, 0.724])
    assert pages.volumes_takeaway(close, 10).startswith(
        f"parmi les parcours de clients identifiés, tous les canaux se terminent à peu près aussi souvent par un "
        f"achat (de 72,3{P} à 72,8{P}) : le canal ne fait pas la différence ici")
    matrix = pd.DataFrame({"(conversion)": [0.0, 0.9, 0.25, 0.4]}, index=["(start)", "direct", "email", "app"])
    assert pages.transitions_takeaway(matrix) == (
        f"le canal le plus souvent suivi directement d'un achat est « Appli » (40,0{P} de ses passages).")
    assert pages.transitions_takeaway(matrix.rename(columns={"(conversion)": "(null)"})) is None
    top = pd.DataFrame({"path": ["search > website"], "journeys": [1200], "conversion_rate": [0.25]})
    assert pages.top_paths_takeaway(top) == (
        f"le chemin le plus fréquent, « Recherche → Site web », représente 1{NB}200 parcours, "
        f"dont 25,0{P} finissent par un achat.")
    ttc = pd.DataFrame({"sales_channel": ["store", "all"], "median_days": [3.0, 1.25]})
    assert pages.ttc_takeaway(ttc) == (
        "la moitié des achats se décide en moins de 1,2\u00a0jour après le premier contact du parcours.")
    assert pages.ttc_takeaway(ttc.assign(median_days=[3.0, 2.5])).endswith("2,5\u00a0jours après le premier contact du parcours.")
    ropo = pd.DataFrame({"direction": ["ropo", "reverse_ropo"], "rate": [0.42, 0.1]})
    assert pages.ropo_takeaway(ropo).startswith(f"42,0{P} des achats en magasin sont précédés d'une recherche")


def test_attribution_sentences():
    shares = pd.DataFrame({"Markov": [0.6, 0.1, 0.3], "Shapley": [0.5, 0.4, 0.1]},
                          index=["search", "email", "app"])
    assert pages.attribution_takeaway(shares) == (
        f"tous les modèles placent « Recherche » en tête, mais lui donnent de 50,0{P} à 60,0{P} des achats ; "
        f"l'écart le plus grand porte sur « E-mail » (de 10,0{P} à 40,0{P}).")
    # the first channel is also the one the models disagree on most: one clause, no contradiction
    wide = pd.DataFrame({"Markov": [0.6, 0.1, 0.3], "Shapley": [0.25, 0.35, 0.4], "Linéaire": [0.5, 0.2, 0.3]},
                        index=["search", "email", "app"])
    assert pages.attribution_takeaway(wide) == (
        f"2 modèles sur 3 placent « Recherche » en tête, mais lui donnent de 25,0{P} à 60,0{P} des achats.")
    compare = pd.DataFrame({"channel": ["search", "email", "app"], "disagree": [True, True, False],
                            "markov_higher": [True, False, True], "opens": [0.6, 0.1, 0.3]})
    assert pages.markov_shapley_takeaway(compare) == (
        f"les deux modèles divergent pour 2 canaux sur 3 (intervalles disjoints). Markov donne plus à Recherche, "
        f"qui ouvrent en moyenne 60,0{P} de leurs parcours : pour décider de couper un canal, suivre Markov. "
        f"Shapley donne plus à E-mail, qui ouvrent seulement 10,0{P} des leurs mais font monter l'achat : "
        f"pour répartir le mérite des ventes, suivre Shapley.")
    assert pages.markov_shapley_takeaway(compare.assign(disagree=False)) == \
        "Markov et Shapley s'accordent : leurs intervalles se recouvrent pour chaque canal."


def test_moment_sentences():
    weekdays = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    hour = {"best": 18, "best_value": 42.25, "worst": 3, "worst_value": 7.0, "p_value": 0.01}
    day = {"best": 5, "p_value": 0.3}
    assert pages.post_slots_takeaway(hour, day, weekdays) == (
        "publier à 18 h donne 42,2 interactions par publication contre 7,0 à 3 h ; meilleur jour : samedi "
        "(écarts significatifs).")
    assert pages.post_slots_takeaway({**hour, "p_value": 0.5}, day, weekdays).startswith(
        "aucun créneau de publication ne se détache : de 7,0 à 42,2 interactions par publication selon l'heure, "
        "des écarts dans la marge du hasard (p = 0,50)")
    peak = {"magasin": {"day": "samedi", "hour": 15.0}, "en ligne": {"day": "dimanche", "hour": 21}}
    assert pages.purchase_slots_takeaway(peak).startswith(
        "les achats en magasin culminent le samedi vers 15 h, les achats en ligne le dimanche vers 21 h")
    assert pages.purchase_slots_takeaway({"magasin": peak["magasin"]}) is None
    weekly = pd.DataFrame({"E-mail": [100, 900], "Appli": [50, 400]},
                          index=pd.to_datetime(["2026-10-05", "2026-10-12"]))
    assert pages.weekly_takeaway(weekly) == \
        f"la semaine la plus active est celle du 12 octobre 2026 (1{NB}300 points de contact)."
    peaks = pd.DataFrame({"in_calendar": [True, False, True]})
    lift = pd.DataFrame({"event": ["Black Friday"], "lift": [2.345]})
    assert pages.peaks_takeaway(peaks, lift) == (
        "2 des 3 plus forts pics de contacts tombent dans un moment du calendrier commercial ; côté achats, "
        "« Black Friday » est le moment le plus fort (×2,35 par rapport aux jours ordinaires).")
    assert pages.peaks_takeaway(peaks, lift.iloc[:0]).endswith("calendrier commercial.")
    best = pd.DataFrame({"weekday": ["mardi"], "hour": [9], "conversion_rate": [0.125]})
    assert pages.best_moments_takeaway(best) == (
        f"le créneau qui précède le plus d'achats est le mardi de 9 h à 10 h (12,5{P} de ses contacts suivis "
        f"d'un achat).")


def test_model_and_social_sentences():
    effects = pd.DataFrame({"channel": ["display", "search"], "odds_ratio": [0.8, 3.26]})
    assert pages.conversion_takeaway(effects) == (
        "à exposition égale aux autres canaux, un parcours qui passe par « Recherche » a 3,3 fois plus de "
        "chances (en cotes) de finir par un achat.")
    social = pd.DataFrame({"platform_name": ["Instagram", "TikTok", "X"], "revenue_share": [0.5, 0.1, 0.4],
                           "conversation_share": [0.3, 0.4, 0.3]})
    assert pages.social_takeaway(social) == (
        f"Instagram fait plus vendre qu'elle ne fait parler (50,0{P} du CA pour 30,0{P} des conversations) ; "
        f"TikTok fait plus parler que vendre (40,0{P} des conversations, 10,0{P} du CA).")


def test_show_social_draws_its_table(monkeypatch):
    """The §7 table names only columns it has (a dropped column once broke the page): the real
    `reporting.show_table` runs and raises on a format for a column it does not show."""
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setattr(pages, "_show", lambda: None)
    shown = []
    monkeypatch.setattr(pages.reporting, "_display", lambda obj: shown.append(obj.data))
    social = pd.DataFrame({"platform": ["instagram", "x"], "platform_name": ["Instagram", "X (Twitter)"],
                           "mentions": [10, 30], "interactions": [5, 6], "exposed_customers": [7, 8],
                           "journeys": [100, 200], "purchases": [50, 60], "revenue": [4000.0, 1000.0],
                           "conversion_rate": [0.5, 0.3], "conversation_share": [0.3, 0.7],
                           "revenue_share": [0.8, 0.2]})
    pages.show_social(social)
    out = "".join(shown)
    assert "Parcours avec achat" in out and "Clients exposés" not in out
    assert "Instagram fait plus vendre" in out
