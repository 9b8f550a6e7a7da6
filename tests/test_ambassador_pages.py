"""The tables and 'À retenir' sentences of page 04 (workbench.ambassador_pages): exact French
text from small frames."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import ambassador_pages as ap
from workbench import ambassadors as amb

NB = "\u202f"  # thousands separator
P = "\u00a0%"  # percent sign, non-breaking space before it
NBSP = "\u00a0"  # before %


def _links() -> pd.DataFrame:
    links = pd.DataFrame({"customer_id": ["C1", "C1", "C2", "C3"], "account_id": ["A1", "A2", "A3", "A4"],
                          "match_probability": [0.99, 0.97, 0.7, 0.62]})
    links.attrs.update(person_accounts=1200, non_person_accounts_excluded=12, ambiguous_accounts=3)
    return links


def test_links_table_and_sentence():
    links = _links()
    table = ap.links_table(links)
    assert table.index.name == "Rapprochement"
    assert table["Nombre"].tolist() == [1200, 12, 4, 3, 3]
    assert table.loc["Clients reliés à au moins un compte", "Nombre"] == 3
    assert ap.links_sentence(links) == ("4 comptes sociaux sont reliés à 3 clients ; "
                                        f"50,0{NBSP}% des liens ont une probabilité d'au moins 95 %.")


def test_link_levels_and_lowest_links():
    links = _links()
    explained = pd.DataFrame({"customer_id": ["C1", "C2", "C2", "C3"], "account_id": ["A1", "A3", "A3", "A4"],
                              "comparaison": ["nom", "nom", "ville", "nom"], "niveau": ["exact", "exact", "exact", "flou"],
                              "facteur_bayes": [100.0, 50.0, 4.0, 8.0]})
    levels = ap.link_levels(explained)
    assert levels.to_dict("records") == [
        {"comparaison": "nom", "niveau": "exact", "liens": 2, "facteur": 75.0},
        {"comparaison": "nom", "niveau": "flou", "liens": 1, "facteur": 8.0},
        {"comparaison": "ville", "niveau": "exact", "liens": 1, "facteur": 4.0}]
    lowest = ap.lowest_links(links, explained, n=2)
    assert sorted(lowest["account_id"]) == ["A3", "A3", "A4"]  # the two least certain links, every row each
    assert set(lowest["match_probability"]) == {0.7, 0.62}


def test_topics_by_customer():
    seg = pd.DataFrame({"customer_id": ["C1", "C2"], "interests": ["shoes|bags", None], "month": "2026-10"})
    topics = ap.topics_by_customer(seg, "2026-10", lambda c: c.upper())
    assert topics.to_dict() == {"C1": "SHOES, BAGS", "C2": ""}
    assert ap.topics_by_customer(seg, "2026-09", str.upper) is None  # another month's segments are not used
    assert ap.topics_by_customer(None, "2026-10", str.upper) is None
    assert ap.topics_by_customer(seg.drop(columns="interests"), "2026-10", str.upper) is None


def test_edge_weights_and_top_accounts():
    edges = pd.DataFrame()
    edges.attrs["actions_by_type"] = {"retweet": 40, "reply": 7}
    table = ap.edge_weights_table({"retweet": 3.0, "reply": 2.0, "like": 0.5}, edges)
    assert table.index.tolist() == ["retweet", "réponse", "j'aime"]
    assert table["Interactions"].tolist() == [40, 7, 0]
    accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4"], "influence": [0.002, 0.01, 0.01, 0.001],
                             "platform": ["twitter", "tiktok", "twitter", "twitter"],
                             "main_topic": ["prix", None, "cabines", "prix"], "detractor": [False, True, False, False]})
    top = ap.top_accounts(accounts, 3)
    assert top["account_id"].tolist() == ["A2", "A3", "A1"]  # ties broken by account id
    links = _links().iloc[[0, 2, 3]]  # A2 is not linked to a customer
    shown = ap.top_accounts_table(top, links, lambda p: p.title())
    assert shown["client"].tolist() == ["non", "oui", "oui"]
    assert shown["platform"].tolist() == ["Tiktok", "Twitter", "Twitter"]
    assert shown["main_topic"].tolist() == ["aucun sujet repéré", "cabines", "prix"]
    assert shown["detractor"].tolist() == ["oui", "non", "non"]
    assert shown["influence"].tolist() == pytest.approx([10.0, 10.0, 2.0])
    assert ap.top_accounts_sentence(top, links) == \
        "les 3 comptes les plus influents comptent 2 clients du fichier et 1\u00a0détracteur."
    assert ap.detractors_sentence(accounts) == ("1\u00a0compte social actif (clients ou non) est détracteur sur la "
                                                "fenêtre d'analyse ; seuls ceux des clients consentants comptent dans "
                                                "les exclusions de la section 4. Beaucoup d'abonnés ne font pas "
                                                "l'influence : ce sont les relais et les conversations qui la font.")


def test_signal_weights_and_score_by_path():
    keys = list(amb.SIGNAL_LABELS)[:2]
    table = ap.signal_weights_table({keys[0]: 3.0, keys[1]: 1.0})
    assert table.index.tolist() == [amb.SIGNAL_LABELS[k] for k in keys]
    assert table["Part du score"].tolist() == [0.75, 0.25]
    pool = pd.DataFrame({"path": ["en ligne", "en ligne", "hors ligne"], "score": [0.2, 0.4, 0.35]})
    assert ap.score_by_path_sentence(pool) == "le score médian le plus élevé est celui du parcours « hors ligne » (0,35)."


def test_pool_tables_and_sentence():
    pool = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "path": ["en ligne", "en ligne", "hors ligne"],
                         "ambassador_consent": [True, False, True], "eligible": [True, False, False],
                         "nominated": [False, False, True], "score": [0.5, 0.1, 0.3]})
    pool.attrs.update(customers=20000, small_store_not_nominated=900, nominations=120,
                      nominations_unknown_customer=4, nominated_unscored=2, excluded_no_consent=14000,
                      excluded_detractors=35, excluded_open_complaints=12, eligible=5120)
    table = ap.pool_table(pool)
    assert table.loc["Clients dans le vivier", "Nombre"] == 3
    assert table.loc["Sélectionnables", "Nombre"] == 5120
    assert ap.pool_sentence(pool) == (f"5{NB}120 clients sont sélectionnables ; parmi les clients consentants, 35 "
                                      "détracteurs et 12 clients avec une réclamation sans réponse ont été écartés.")
    by_path = ap.path_table(pool)
    assert by_path.loc["en ligne"].tolist() == [2, 1, 1, 0, pytest.approx(0.3)]
    assert by_path.loc["hors ligne", "nommes"] == 1


def test_representativeness_and_online_mix():
    rep = pd.DataFrame({"diverse": [0.05, 0.0412], "score_only": [0.2, 0.1806]}, index=["region", "moyenne"])
    assert ap.representativeness_sentence(rep) == ("le panel divers est à 0,041 de la clientèle réelle (distance "
                                                   "moyenne), contre 0,181 pour une sélection au seul score.")
    base = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"],
                         "online": ["en ligne", "hors ligne", "hors ligne", "hors ligne"]})
    mix = ap.online_mix(base, ["C1", "C2"], ["C2", "C3"])
    assert mix.loc["en ligne"].tolist() == [0.25, 0.5, 0.0]
    assert mix.loc["hors ligne"].tolist() == [0.75, 0.5, 1.0]


def test_shortlist_export_and_sentence():
    short = pd.DataFrame({"rank": [1, 2], "customer_id": ["C7", "C3"], "store_id": ["S1", None],
                          "store_format": ["large", None], "explanation": ["e-mails 60 % · magasin 40 %", "x"],
                          "nominated": [False, True], "detractor": [False, True]})
    stores = pd.DataFrame({"store_id": ["S1"], "store_name": ["Rennes Centre"]})
    full = ap.shortlist_export(short, stores, pd.Period("2026-10", "M"), lambda f: "grand magasin")
    assert full["store_name"].tolist()[0] == "Rennes Centre" and pd.isna(full["store_name"].iloc[1])
    assert full["store_format"].tolist()[0] == "grand magasin" and pd.isna(full["store_format"].iloc[1])
    assert set(full["month"]) == {"2026-10"}
    assert "store_id" not in ap.csv_export(full).columns and "magasin" in ap.csv_export(full).columns
    assert ap.shortlist_sentence(full, True) == ("2 ambassadeurs retenus, aucun détracteur ni client avec une "
                                                 "réclamation sans réponse ; le premier (C7) doit surtout son score "
                                                 "à e-mails 60 %.")
    assert ap.shortlist_sentence(full, False) == "2 ambassadeurs retenus, dont 1\u00a0détracteur signalé."


def test_moves():
    moves = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "mouvement": ["entrée", "sortie", "entrée"],
                          "raison": ["score en hausse (+0,12)", "consentement retiré", "score en hausse (+0,05)"]})
    assert ap.move_reasons(moves).to_dict() == {"score en hausse": 2, "consentement retiré": 1}
    assert ap.moves_sentence(moves, "2026-10") == ("2\u00a0entrées et 1\u00a0sortie depuis septembre 2026 ; "
                                                   "raison la plus fréquente : « score en hausse ».")
    assert ap.moves_sentence(moves.iloc[:0], "2026-10") == "la liste n'a pas changé depuis le mois précédent."


def test_moves_show_scores_that_differ_and_the_turnover():
    """'score en hausse (0,12 → 0,12)' can't be read: enough decimals, or a quota move."""
    moves = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"],
                          "mouvement": ["entrée", "entrée", "sortie", "sortie"],
                          "raison": ["score en hausse (0,12 → 0,12)", "score en hausse (0,10 → 0,20)",
                                     "score en baisse (0,04 → 0,04)", "consentement retiré"]})
    before = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"], "score": [0.1181, 0.1, 0.0431, 0.3]})
    after = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"], "score": [0.1244, 0.2, 0.0412, 0.3]})
    out = ap.readable_moves(moves, before, after)
    assert out["raison"].tolist() == [
        "score en hausse (0,118 → 0,124)", "score en hausse (0,10 → 0,20)",
        "devancé de peu dans son quota (score presque inchangé)", "consentement retiré"]
    assert ap.turnover_sentence(moves, 50).startswith(f"4,0{P} de la liste (2 places sur 50) a changé en un mois. "
                                                      "La liste est stable")
    assert "se gère comme un vivier" in ap.turnover_sentence(pd.concat([moves] * 10), 50)


def test_shortlist_shows_every_path_with_its_tone():
    full = pd.DataFrame({"rank": range(1, 11), "customer_id": [f"C{i}" for i in range(1, 11)],
                         "path": ["en ligne"] * 3 + ["hors ligne · grand magasin (CRM)"] * 6
                         + ["hors ligne · petit magasin (nomination)"]})
    view = ap.shortlist_by_path(full, 5)
    # in proportion to each path's place in the list, at least one per path, 5 lines in all
    assert view["path"].value_counts().to_dict() == {"hors ligne · grand magasin (CRM)": 3, "en ligne": 1,
                                                     "hors ligne · petit magasin (nomination)": 1}
    assert view.groupby("path")["rank"].min().to_dict() == {"en ligne": 1, "hors ligne · grand magasin (CRM)": 4,
                                                            "hors ligne · petit magasin (nomination)": 10}
    assert [ap.tone_text(v) for v in (0.45, -0.3, 0.0, float("nan"))] == [
        "positif (+0,45)", "négatif (\u22120,30)", "neutre (0,00)", "pas de publication"]


def test_lowest_links_one_line_each_and_kept():
    links = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "account_id": ["A1", "A2", "A3"],
                          "match_probability": [0.99, 0.852, 0.7]})
    explained = pd.DataFrame({"customer_id": ["C2", "C2", "C3", "C3"], "account_id": ["A2", "A2", "A3", "A3"],
                              "comparaison": ["nom", "ville", "nom", "ville"],
                              "niveau": ["nom de famille seul", "identique", "exact", "absente"],
                              "facteur_bayes": [3.0, 5.0, 9.0, 1.0]})
    assert ap.lowest_links_sentence(links, ap.lowest_links_wide(links, explained, n=1), 0.6).startswith(
        f"les liens les moins sûrs (tous à 70,0{P}) dépassent")
    wide = ap.lowest_links_wide(links, explained, n=2)
    assert wide.to_dict("records") == [
        {"customer_id": "C3", "account_id": "A3", "match_probability": 0.7, "Nom": "exact", "Ville": "absente"},
        {"customer_id": "C2", "account_id": "A2", "match_probability": 0.852, "Nom": "nom de famille seul",
         "Ville": "identique"}]
    assert ap.lowest_links_sentence(links, wide, 0.6) == (
        f"les liens les moins sûrs (70,0{P} à 85,2{P}) dépassent le seuil de 60,0{P} : ils sont gardés, et un client "
        f"relié ainsi peut entrer dans le vivier par la voie en ligne. 2\u00a0liens sous 90 % sont à vérifier avant "
        f"de contacter le client (la liste courte indique la probabilité du lien de chaque ambassadeur en ligne).")
