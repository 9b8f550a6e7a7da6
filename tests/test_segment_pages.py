"""The tables and 'À retenir' sentences of page 01 (workbench.segment_pages): exact French text
from small frames."""

from __future__ import annotations

import types

import pandas as pd
import pytest

from workbench import segment_pages as sp
from workbench import segmentation as seg

NB = "\u202f"  # thousands separator
P = "\u00a0%"  # percent sign after a non-breaking space


def _features() -> pd.DataFrame:
    return pd.DataFrame({
        "frequency": [3, 0, 5, 1], "age_band": ["25-34", "25-34", "45-54", "inconnu"],
        "sex": ["F", "F", "M", None], "csp": ["cadres", None, "cadres", "employes"],
        "rfm_segment": ["Champions", seg.NO_PURCHASE, "Champions", "Perdus"],
        "recency_days": [10, 365, 4, 300], "monetary": [300.0, 0.0, 500.0, 40.0],
        "avg_basket": [100.0, 0.0, 100.0, 40.0]}, index=pd.Index(["C1", "C2", "C3", "C4"], name="customer_id"))


def test_overview_table():
    tx = pd.DataFrame({"customer_id": ["C1", None, "C3", None, None]})
    table = sp.overview_table(pd.Period("2026-10", "M"), _features(), tx)
    assert table["Valeur"].tolist() == ["octobre 2026", "4", "3", "2", "3"]
    assert table.index.name == "Indicateur"


def test_demographics_sentence():
    features = _features()
    csp = sp.csp_shares(features)
    assert csp.index.tolist() == ["Cadres", "inconnue", "Employés"]  # French CSP names, not codes
    assert sp.demographics_sentence(features) == (
        f"la tranche d'âge la plus représentée est celle des 25-34 ans (50,0{P} des clients), les femmes font "
        f"66,7{P} des clients au sexe connu et la première CSP est « Cadres » (50,0{P}).")


def test_interests_sentence_and_sources():
    customer_int = pd.DataFrame({"interest": ["shoes", None, "bags", "shoes"],
                                 "sources": ["achats", None, "achats + publications", "achats"]})
    shares = pd.Series({"Chaussures": 0.5, "Sacs": 0.25})
    assert sp.interests_sentence(customer_int, shares) == (
        f"75,0{P} des clients ont au moins un centre d'intérêt marqué ; le plus répandu est « Chaussures » "
        f"(50,0{P} des clients). Les intérêts par segment sont comparés dans la section 4.")
    sources = sp.interest_sources_table(customer_int)
    assert sources.iloc[:, 0].round(4).to_dict() == {"achats": 0.6667, "achats + publications": 0.3333}


def test_rfm_table_and_sentence():
    tab = sp.rfm_table(_features())
    assert tab.index.tolist() == ["Champions", "Perdus", seg.NO_PURCHASE]  # in the order of RFM_SEGMENTS_FR
    assert tab.loc["Champions", "clients"] == 2 and tab.loc["Champions", "montant"] == 400.0
    assert tab["part"].tolist() == [0.5, 0.25, 0.25]
    assert sp.rfm_sentence(tab) == (
        f"2 clients sont des Champions ; 1 (25,0{P}) sont « À risque » ou « Perdus » : la section 7 vérifie "
        "avec la probabilité d'être encore actif, la section 8 montre qui y est entré ce mois-ci.")


def test_rules_and_typology():
    table = sp.rules_table(seg.TypologyRules())
    assert table.loc["Délai d'inactivité (jours)", "Seuil"] == "180"
    assert table.loc["Part minimale des achats en ligne (digital d'abord)", "Seuil"] == f"60,0{P}"
    typology = pd.DataFrame({"channel_type": ["web_to_store", "store_only", "store_only"],
                             "channel_type_fr": ["Web-to-store", "Magasin seul", "Magasin seul"]})
    assert sp.typology_sentence(typology) == (
        f"le type le plus fréquent est « Magasin seul » (66,7{P} des clients) ; 1 clients se renseignent "
        "en ligne avant d'acheter en magasin (web-to-store).")


def test_k_and_profiles():
    model = types.SimpleNamespace(k=4, selection=pd.DataFrame({"k": [3, 4], "silhouette": [0.21, 0.347]}))
    assert sp.k_sentence(model) == ("4 segments retenus : c'est le nombre qui sépare le mieux les clients "
                                    "(silhouette 0,347, contre 0,210 pour 3 segments).")
    model.selection["bic"] = [10.0, 20.0]  # the BIC prefers 3: said, and why it is not followed
    assert sp.k_sentence(model).endswith("Le BIC du mélange gaussien baisse jusqu'à 3 segments : sur un grand "
                                         "fichier, il récompense vite des segments plus fins ; il sert ici de "
                                         "contrôle, la silhouette (segments nets et bien séparés) décide.")
    profiles = pd.DataFrame({c: [0.5, 0.25] for c in sp._PCT_PROFILE}, index=["Fidèles", "Occasionnels"])
    profiles = profiles.assign(monetary=[1200.0, 80.0], avg_basket=[60.0, 95.5], customers=[12000, 800],
                               age=[41.26, 38.0], frequency=[5.0, 1.0], recency_days=[20.0, 200.0],
                               social_touchpoints=[1.0, 0.0])
    shown = sp.profiles_shown(profiles)
    assert shown.loc["Fidèles", "customers"] == f"12{NB}000"
    assert shown.loc["Fidèles", "share"] == f"50,0{P}"
    assert shown.loc["Fidèles", "age"] == "41,3"
    assert shown.loc["Fidèles", "monetary"].startswith(f"1{NB}200")
    assert sp.profiles_sentence(profiles) == (
        f"le segment le plus nombreux est « Fidèles » (50,0{P} des clients) ; le panier moyen le plus élevé est "
        f"celui de « Occasionnels » ({sp.fmt_eur(95.5)}).")


def test_interest_lift_sentence():
    seg_int = pd.DataFrame({"Chaussures": [0.6, 0.2], "Sacs": [0.1, 0.3]}, index=["A", "B"])
    overall = pd.Series({"Chaussures": 0.4, "Sacs": 0.1})
    assert sp.interest_lift_sentence(seg_int, overall) == (
        f"le segment « B » se distingue par son intérêt pour « Sacs » : 30,0{P} de ses clients, contre "
        f"10,0{P} pour l'ensemble des clients.")


def test_social_sentence():
    social = pd.DataFrame({"balance": [-1, 2, -3]}, index=["C1", "C2", "C3"])
    by_seg = pd.DataFrame({"linked_share": [0.1, 0.25]}, index=["A", "B"])
    assert sp.social_sentence(social, by_seg, 20) == (
        f"3 clients ont un compte social identifié (15,0{P} des clients) ; le segment le plus présent sur les "
        f"réseaux est « B » (25,0{P}) et 2 clients identifiés ont un solde de publications négatif sur la marque.")


def test_tests_table_and_sentence():
    tests = pd.DataFrame({"variable": ["age", "region", "csp"], "test": ["ANOVA", "khi²", "khi²"],
                          "statistic": [50.0, 12.0, 3.0], "df": [3.0, 9.0, 6.0], "p_value": [1e-6, 0.0004, 0.2],
                          "effect_size": [0.08, 0.2, 0.05], "effect": ["eta²", "V de Cramér", "V de Cramér"],
                          "excluded": [10, 0, 0]})
    table = sp.tests_table(tests)
    assert table.index.tolist() == ["Âge", "Région", "CSP"]
    assert table["p-valeur"].tolist() == ["< 0,001", "< 0,001", "0,200"]
    assert table["Mesure"].tolist() == ["η²", "V de Cramér", "V de Cramér"]
    # region: p < 0.001 but Cramér's V 0.2 is below 0.3; age: η² 0.08 above 0.06
    assert sp.tests_sentence(tests) == ("les segments diffèrent nettement (p < 0,001, effet non négligeable) "
                                        "sur 1\u00a0variable sur 3 : Âge.")


def test_geography():
    geo = pd.DataFrame({"customers": [50, 30, 15, 5], "sales": [600.0, 200.0, 150.0, 50.0],
                        "social_accounts": [10, 10, 0, 0]}, index=pd.Index(["IDF", "ARA", "PACA", "BRE"], name="region"))
    geo = geo.assign(customers_share=geo["customers"] / 100, sales_share=geo["sales"] / 1000)
    conc = sp.concentration_table(geo)
    assert conc.loc["Ventes", "Part des 3 premières régions"] == pytest.approx(0.95)
    assert conc.loc["Audience sociale", "Herfindahl"] == pytest.approx(0.5)
    assert sp.geography_sentence(geo) == (f"les 3 premières régions font 95,0{P} des ventes ; « IDF » pèse "
                                          f"60,0{P} des ventes pour 50,0{P} des clients.")


def test_growth():
    fastest = pd.DataFrame({"platform": ["tiktok", "x"], "followers": [12000.0, 5000.0],
                            "growth_month": [0.0412, 0.01], "growth_period": [0.3, 0.1]})
    table = sp.growth_table(fastest, "2026-10", str.upper)
    assert table.columns.tolist() == ["Abonnés", "Croissance en octobre 2026", "Croissance sur la période"]
    assert table.index.tolist() == ["TIKTOK", "X"]
    assert sp.growth_sentence(fastest, "2026-10", str.upper) == (
        f"la plateforme à la plus forte croissance en octobre 2026 est TIKTOK (+4,1{P} d'abonnés en un mois).")


def test_customer_value_sentences():
    p_by_rfm = pd.DataFrame({"customers": [1000, 500], "p_alive_mean": [0.95, 0.4], "below_half": [0.0, 0.62]},
                            index=["Champions", "Perdus"])
    assert sp.dropout_sentence(p_by_rfm) == (
        f"les deux modèles concordent : 62,0{P} des clients « Perdus » (310 clients) ont moins d'une chance sur "
        f"deux d'être encore actifs (P(actif) moyenne 40,0{P}, contre 95,0{P} pour « Champions ») : c'est la cible "
        "d'une relance.")
    # October on the sample: most RFM 'Perdus' are probably still active; never 'concordent' then
    lost = pd.DataFrame({"customers": [4847, 5351, 20], "p_alive_mean": [0.98, 0.559, 0.01],
                         "below_half": [0.0, 0.37, 1.0]}, index=["Champions", "Perdus", seg.NO_PURCHASE])
    text = sp.dropout_sentence(lost, "MBG/NBD")
    assert text.startswith(f"les deux modèles ne concordent pas : 63,0{P} des clients « Perdus » du RFM (3\u202f371 "
                           "clients) ont encore plus d'une chance sur deux d'être actifs selon le modèle MBG/NBD")
    assert "visez les clients dont P(actif) est sous 50 % (1\u202f980 clients) plutôt que tout le segment « Perdus »" \
        in text
    assert "concordent :" not in text.replace("ne concordent pas :", "")
    by_seg = pd.DataFrame({"share": [0.42], "total": [1_250_000.0]}, index=["Fidèles"])
    assert sp.value_by_segment_sentence(by_seg, 12) == (
        f"« Fidèles » porte 42,0{P} de la valeur attendue sur 12 mois ({sp.fmt_eur(1_250_000.0)}).")
    by_cat = pd.DataFrame({"shoes": [5.0, 1.0, 3.0, 9.0]}, index=["C1", "C2", "C3", "C4"])
    top = sp.top_customers_by_category(by_cat, str.title)
    assert top["Shoes"].tolist() == ["C4", "C1", "C3"]
    assert top.index.tolist() == ["1er client", "2e client", "3e client"]


def test_migration_sentences():
    flows = pd.DataFrame({"from": ["Champions", "Fidèles", "Perdus"], "to": ["Fidèles", "Perdus", "Fidèles"],
                          "customers": [1200, 300, 40], "share_of_from": [0.2, 0.05, 0.01],
                          "direction": ["baisse", "baisse", "hausse"]})
    flows.attrs["stayed"] = 0.8
    assert sp.value_flows_sentence(flows) == (
        f"20,0{P} des clients ont changé de segment de valeur. Les pertes qui comptent : Champions → Fidèles : "
        f"1{NB}200 clients (20,0{P} des Champions) ; Fidèles → Perdus : 300 clients (5,0{P} des Fidèles). "
        f"En sens inverse : Perdus → Fidèles : 40 clients (1,0{P} des Perdus).")
    none = flows[flows["direction"] == "hausse"]
    none.attrs["stayed"] = 0.99
    assert sp.value_flows_sentence(none) == (
        f"1,0{P} des clients ont changé de segment de valeur. Les pertes qui comptent : aucune. "
        f"En sens inverse : Perdus → Fidèles : 40 clients (1,0{P} des Perdus).")
    assert sp.behaviour_flows_sentence(flows, 90) == (
        f"sur 90 jours, 20,0{P} des clients ont changé de segment de comportement ; principaux passages : "
        f"Champions → Fidèles (1{NB}200 clients) ; Fidèles → Perdus (300 clients).")


def test_segment_mix_leaves_out_customers_without_purchase_and_says_so():
    """Issue 17: a segment of customers who bought nothing (k-means gives them one) showed as a
    row of 0 % in every category. The category view is over buyers; the left-out customers are
    counted in the sentence under the figure; the region view keeps everyone."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seg_feat = pd.DataFrame({
        "segment_name": ["Mode", "Mode", "Maison", "Sans achat X", "Sans achat X", "Maison"],
        "region": ["IDF", "IDF", "PACA", "IDF", "PACA", "PACA"],
        "cat_mode": [0.8, 0.6, 0.1, 0.0, 0.0, 0.0],
        "cat_maison": [0.2, 0.4, 0.9, 0.0, 0.0, 0.0],  # the last "Maison" customer bought nothing
    })
    mix, left_out = sp._category_mix(seg_feat, ["mode", "maison"])
    assert mix.index.tolist() == ["Maison", "Mode"]  # no all-zero row for the non-buyers
    assert mix.loc["Maison", "cat_maison"] == pytest.approx(0.9)  # its non-buyer is not averaged in
    assert left_out.to_dict() == {"Sans achat X": 2, "Maison": 1}
    fig = sp.plot_segment_mix(seg_feat, ["IDF", "PACA"], ["mode", "maison"], str.title)
    rows = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert rows == ["Maison", "Mode"]
    assert len(fig.axes[0].get_yticklabels()) == 3  # regions: every segment, buyers or not
    cells = [t.get_text() for t in fig.axes[1].texts]
    assert f"90{P}" in cells and not [c for c in cells if c.endswith("%") and not c.endswith(P)]  # "90 %", never "90%"
    plt.close(fig)
    assert sp.segment_mix_sentence(seg_feat, ["mode", "maison"], str.title) == (
        f"le segment « Maison » se distingue par « Maison » : 90,0{P} de ses dépenses, contre 50,0{P} pour "
        f"l'ensemble des acheteurs ; 3 clients sans aucun achat sur la période (tout le segment « Sans achat X ») "
        f"sont laissés hors de la vue par catégorie, qui n'a pas de sens pour eux ; ils restent dans la vue par région.")


def test_growth_keeps_its_sign_email_and_value_sentences():
    fastest = pd.DataFrame({"platform": ["x"], "followers": [5000.0], "growth_month": [-0.007], "growth_period": [0.1]})
    assert sp.growth_sentence(fastest, "2026-10", str.upper) == (  # a fall is not printed "+−0,7 %"
        f"la plateforme à la plus forte croissance en octobre 2026 est X (\u22120,7{P} d'abonnés en un mois).")
    assert sp._signed_pct(0.1009) == f"+10,1{P}"
    email = pd.DataFrame({"emailed": [0.8, 0.25], "open_rate": [0.415, 0.092], "click_rate": [0.116, 0.01]},
                         index=["Premium", "Occasionnels"])
    assert sp.email_sentence(email) == (f"« Premium » ouvre le plus les e-mails (41,5{P} des e-mails reçus, 11,6{P} "
                                        f"de clics) ; « Occasionnels » le moins (9,2{P}) : un autre canal le touchera mieux.")
    values = pd.DataFrame({"clv": [900.0, 50, 30, 20, 0, 0, 0, 0, 0, 0], "p_alive": [0.9] * 8 + [0.2, 0.3]})
    assert sp.value_sentence(values, 12) == (f"les 10{P} de clients les plus précieux (1) portent 90,0{P} de la valeur "
                                             f"attendue sur 12 mois ; 2 clients (20,0{P}) ont moins d'une chance sur "
                                             f"deux d'être encore actifs.")


def _comparison():
    from workbench import clv_models

    table = pd.DataFrame({"customers": [716, 1047, 11684], "actual": [0.36, 0.42, 2.94],
                          "predicted_bgnbd": [2.13, 1.63, 3.27], "predicted_mbgnbd": [1.33, 1.68, 3.26]},
                         index=pd.Index([0, 1, 2], name="frequency"))
    table.loc["total"] = [13447, *(table[c].mul(table["customers"]).sum() for c in table.columns[1:])]
    table["customers"] = table["customers"].astype(int)
    errors = clv_models.holdout_errors(table)
    return clv_models.HoldoutComparison(table, errors, clv_models.choose_model(errors),
                                        {"bgnbd": None, "mbgnbd": None}, max_frequency=2)


def test_holdout_states_the_model_used_the_measured_source_and_the_zero_repeat_bias():
    from workbench import clv_models

    comp = _comparison()
    assert comp.chosen == "mbgnbd"
    source = clv_models.holdout_gap_source(comp)
    track = pd.DataFrame({"ratio": [0.63, 1.33, 0.62, 1.0, 0.85], "calibration": [True, True, False, False, False]},
                         index=pd.period_range("2026-06", periods=5, freq="M"))
    text = sp.holdout_sentence(source, track)
    assert text.startswith(f"modèle retenu : MBG/NBD, dont l'erreur hors échantillon est la plus faible "
                           f"({sp.fmt_pct(source['group_error'])} contre {sp.fmt_pct(source['other_group_error'])} "
                           "pour BG/NBD)")
    assert f"Mois par mois : août 62{P} du prévu ; septembre 100{P} du prévu ; octobre 85{P} du prévu : l'écart " \
           "vient surtout d'août 2026" in text
    assert "saisonnalité" not in text  # the source is measured (month by month, group by group), not asserted
    assert "chez les clients à 2 rachats et plus" in text
    zero = sp.zero_repeat_sentence(comp, "mbgnbd")
    assert zero.startswith("les clients sans rachat pendant l'estimation (716) sont prévus à 1,33 jour d'achat en "
                           "moyenne pour 0,36 jour observé, 3,7 fois trop")
    table = sp.holdout_table(comp, {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD"})
    assert table.index.tolist() == ["0", "1", "2 et plus", "Ensemble"]
    assert table.columns.tolist() == ["Clients", "Prévu par client, BG/NBD", "Prévu par client, MBG/NBD",
                                      "Réel par client"]
    assert table.loc["Ensemble", "Réel par client"] == pytest.approx(
        (716 * 0.36 + 1047 * 0.42 + 11684 * 2.94) / 13447)


def test_a_segment_named_like_a_channel_type_says_both_counts_and_their_overlap():
    seg_of = pd.Series(["Web-to-store", "Web-to-store", "Web-to-store", "Autres"], index=["A", "B", "C", "D"])
    types = pd.Series(["Web-to-store", "Web-to-store", "Magasin", "Web-to-store"], index=["A", "B", "C", "D"])
    assert sp.same_name_sentence(seg_of, types) == (
        " Le segment « Web-to-store » (3 clients, classement automatique) et le type de canal « Web-to-store » "
        f"(3 clients, règles de la section 3) sont deux mesures : 66,7{P} des clients du segment sont aussi de ce type.")
    assert sp.same_name_sentence(seg_of.replace("Web-to-store", "Connectés"), types) == ""
