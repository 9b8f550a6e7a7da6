"""The care page's (06) counts: the questions and complaints the rules spot are reconciled with
the care queue (one count of one thing), and its sentences (plurals, the idea that meets a
rising web search)."""

from __future__ import annotations

import pandas as pd

from workbench import care, datasets, profile
from workbench import care_pages as cp

NB = "\u202f"
P = "\u00a0%"


def _mentions():
    t = pd.Timestamp
    return pd.DataFrame({
        "mention_id": ["M0", "M1", "M2", "M3", "M4", "M5"],
        "platform": ["x"] * 6, "account_id": ["A1", "A2", "A3", "A4", "A5", "A6"],
        "timestamp": [t("2026-09-28"), t("2026-10-02"), t("2026-10-03"), t("2026-10-04"), t("2026-10-05"),
                      t("2026-10-06")],
        "text": ["Colis perdu", "Où est mon colis ?", "Colis abîmé", "RT colis abîmé", "Pareil, colis abîmé",
                 "Super"],
        "brand": ["Lys"] * 6,
        "reply_to": [None, None, None, None, "M0", None],  # M4 answers a September mention of a person
        "retweet_of": [None, None, None, "M2", None, None]})


def test_reconciliation_by_hand():
    mentions = _mentions()
    flags = pd.DataFrame({"is_question": [False, True, False, False, False, False],
                          "is_complaint": [True, True, True, True, True, False],
                          "is_suggestion": [False] * 6}, index=mentions.index)
    rec = cp.care_reconciliation(mentions, flags, "Lys", "2026-10")
    # M1 is both: counted once, as a question; M3 is a retweet, M4 a reply between people
    assert rec.loc["question"][["flagged", "retweets", "conversations", "in_queue"]].tolist() == [1, 0, 0, 1]
    assert rec.loc["complaint"][["flagged", "retweets", "conversations", "in_queue"]].tolist() == [3, 1, 1, 1]
    assert rec.loc["total", "in_queue"] == 2
    text = cp.care_counts_sentence(rec, "octobre 2026")
    assert text == ("en octobre 2026, les règles repèrent 4\u00a0questions ou réclamations dans les mentions de la "
                    "marque ; 2 entrent dans la file du service client (1\u00a0question, 1\u00a0réclamation) : c'est le "
                    "nombre suivi dans la suite de la page et dans les chiffres clés ; les autres (1\u00a0repartage "
                    "et 1\u00a0réponse entre internautes) n'attendent pas de réponse de la marque.")


def test_reconciliation_matches_the_queue_on_the_sample(sample_dir):
    """On the sample, the reconciliation's queue count is the care queue's own count of the month
    (the number of the key figures), and flagged = queue + what the scope rule leaves out."""
    retailer = profile.profile_for(sample_dir, None)
    period = pd.Period("2026-10", "M")
    t = datasets.read_tables(["mentions", "brand_posts"], sample_dir)
    mentions = t["mentions"][t["mentions"]["timestamp"] <= period.end_time]
    rules = care.load_rules(retailer.care_rules_path())
    flags = care.detect(mentions["text"], rules)
    rec = cp.care_reconciliation(mentions, flags, retailer.brand, period)
    items = care.care_items(mentions, t["brand_posts"], retailer.brand, flags=flags)
    assert rec.loc["total", "in_queue"] == care.monthly_care(items).loc[period, "care_requests"]
    total = rec.loc["total"]
    assert total["flagged"] == total["in_queue"] + total["retweets"] + total["conversations"]


def test_idea_meets_rising_search_and_new_ideas_sentence():
    board = pd.DataFrame({"idea_theme": ["cabines d'essayage", "seconde main"], "ideas": [740, 118]})
    opps = pd.DataFrame({"keyword": ["robe d'été", "seconde main vêtements"], "trend": ["en baisse", "en hausse"],
                         "growth": [-0.45, 0.175]})
    assert cp.ideas_search_sentence(board, opps) == (
        f"l'idée « seconde main » (118\u00a0suggestions) rejoint une recherche en hausse sur le web : « seconde main "
        f"vêtements » (+17,5{P} sur trois mois, voir l'écoute sociale) : une attente à la fois exprimée par les "
        f"clients et cherchée en ligne.")
    assert cp.ideas_search_sentence(board, opps.assign(trend="stable")) is None
    mom = pd.DataFrame({"is_new": [False, False], "ideas_month": [100, 16]})
    assert cp.new_ideas_sentence(mom, "octobre 2026") == (
        "0\u00a0idée nouvelle apparaît ce mois-ci ; 116\u00a0suggestions en octobre 2026.")
    assert cp.new_ideas_sentence(mom.assign(is_new=True), "octobre 2026").startswith(
        "2\u00a0idées nouvelles apparaissent ce mois-ci")
