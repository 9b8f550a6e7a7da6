"""The computed 'À retenir' sentences of pages 00 and 06: exact French text from small tables."""

from __future__ import annotations

import pandas as pd

from workbench import takeaways


def test_overview_sentences():
    status = pd.DataFrame({"table": ["stores", "customers", "mentions"], "status": ["valide", "valide", "invalide"]})
    assert takeaways.tables_status(status, "octobre 2026") == \
        "2 tables sur 3 sont valides pour octobre 2026 ; refusées : Mentions."
    dups = pd.DataFrame({"table": ["touchpoints", "stores"], "check": ["x", "y"], "count": [12, 0]})
    assert takeaways.duplicates(dups) == "12 doublons possibles à vérifier : Points de contact (12)."
    assert takeaways.duplicates(dups.assign(count=[1, 0])).startswith("1 doublon possible à vérifier")
    assert takeaways.duplicates(dups.assign(count=0)) == "Aucun doublon détecté."
    monthly = pd.DataFrame({"transactions": [19536, 17079]}, index=["2026-09", "2026-10"])
    assert takeaways.month_rows(monthly, "2026-10") == \
        "Achats en octobre 2026 : 17\u202f079 lignes, contre 19\u202f536 le mois précédent."
    table = takeaways.month_rows_table(monthly, "2026-10")
    assert list(table.columns) == ["Table", "Lignes septembre 2026", "Lignes octobre 2026"]
    consent = pd.DataFrame({"segment": ["Ensemble", "Or", "Argent"], "email_consent": [0.5, 0.62, 0.4],
                            "ambassador_consent": [0.271, 0.3, 0.2]})
    assert takeaways.consent(consent) == ("50,0\u00a0% des clients acceptent les e-mails et 27,1\u00a0% le "
                                          "programme ambassadeurs ; le niveau le plus ouvert aux e-mails est "
                                          "« Or » (62,0\u00a0%).")


def test_care_sentences():
    by_platform = pd.DataFrame({"platform": ["Twitter", "TikTok"], "median_response_hours": [1.4, 12.44],
                                "p90_response_hours": [3.6, 27.9]})
    assert takeaways.slowest_platform(by_platform) == \
        "Réseau le plus lent : TikTok, délai médian de 12,4 h (9 réponses sur 10 en moins de 27,9 h)."
    now = pd.Series({"care_answered_share": 0.665, "care_requests": 961, "care_unanswered": 322,
                     "care_median_response": 4.02})
    assert takeaways.care_month(now) == ("Part répondue par la marque : 66,5\u00a0% des 961 questions et "
                                         "réclamations du mois ; 322 restent sans réponse ; délai médian 4,0\u00a0h.")
    board = pd.DataFrame({"idea_theme": ["cabines", "caisses"], "ideas": [740, 147], "online": [295, 90],
                          "store": [445, 57], "share": [0.535, 0.106]})
    assert takeaways.top_idea(board) == "Idée la plus fréquente : « cabines », 740 suggestions (53,5\u00a0% des idées)."
    assert takeaways.store_idea(board) == "« cabines » vient surtout des magasins : à remonter au réseau."
    assert takeaways.top_idea(board.iloc[:0]) == "Aucune suggestion sur la période."


def test_overview_charts_are_french():
    import matplotlib

    matplotlib.use("Agg")
    monthly = pd.DataFrame({"transactions": [10.0, 20, 30], "mentions": [5.0, 5, 5]},
                           index=["2026-08", "2026-09", "2026-10"])
    index = takeaways.volume_index(monthly, "2026-10", ["transactions", "mentions"])
    assert list(index.columns) == ["Achats", "Mentions"] and index["Mentions"].eq(1).all()
    assert takeaways.volume(index, "octobre 2026").startswith("En octobre 2026, le volume le plus bas")
    ax = takeaways.plot_volume_index(index, "2026-10")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and not any(m in " ".join(labels) for m in ("Aug", "Sep", "Oct"))


def test_missing_values_name_columns_in_french_from_the_contracts():
    """Issue 17: the missing-values table showed code names (`brand`, `retweet_of`). Every
    contract column has a French description, and the page shows it instead of the code."""
    from workbench import schemas

    for table in schemas.TABLES.values():
        labels = schemas.COLUMN_LABELS_FR.get(table.name, {})
        assert set(labels) == set(table.column_names), table.name  # every column, nothing stale
    miss = pd.DataFrame({"table": ["mentions", "customers", "customers"], "column": ["retweet_of", "email", "extra"],
                         "missing": [44839, 2774, 1], "missing_share": [0.903, 0.139, 0.001], "nullable": [True] * 3})
    named = takeaways.with_names(miss)
    assert named["column_name"].tolist() == ["message retweeté (id) — vide hors retweets", "adresse e-mail", "extra"]
    assert named["name"].tolist() == ["Mentions", "Clients (CRM)", "Clients (CRM)"]
    assert takeaways.missing(miss) == ("3 colonnes ont des valeurs manquantes, toutes autorisées par le contrat ; "
                                       "côté clients, la plus incomplète est « adresse e-mail » (13,9\u00a0% manquant).")


def test_status_table_shows_the_detail_column_only_when_there_is_one():
    status = pd.DataFrame({"table": ["stores", "mentions"], "status": ["valide", "valide"], "rows": [50, 10],
                           "message": ["", None]})
    assert takeaways.status_columns(status) == {"name": "Table", "status": "Statut", "rows": "Lignes"}
    refused = status.assign(status=["valide", "invalide"], message=["", "colonne brand : 3 lignes"])
    assert takeaways.status_columns(refused)["message"] == "Détail"
