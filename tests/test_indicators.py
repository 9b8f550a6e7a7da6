"""The indicator registry: one label, one unit, one definition; changes on displayed values;
the one-value-per-label check used on a month's key-figure files."""

from __future__ import annotations

import json

import pytest

from workbench import indicators as ind


def test_registry_labels_are_unique_and_units_known():
    labels = [i.label for i in ind.REGISTRY.values()]
    assert len(labels) == len(set(labels))
    assert all(i.unit in ind.UNITS for i in ind.REGISTRY.values())
    assert all(i.definition.strip() and i.page for i in ind.REGISTRY.values())


def test_mentions_definition_says_retweets_are_left_out():
    assert "hors retweets" in ind.definition("mentions")
    assert "points" in ind.definition("net_sentiment") and "pas un pourcentage" in ind.definition("net_sentiment")


def test_display_in_french_units():
    assert ind.display("sales", 2508509.4) == "2\u202f508\u202f509\u00a0€"
    assert ind.display("share_of_voice", 0.6493) == "64,9\u00a0%"
    assert ind.display("net_sentiment", -0.071) == "−7\u00a0pt"
    assert ind.display("net_sentiment", 0.27) == "+27\u00a0pt"
    assert ind.display("care_median_response", 4.62) == "4,6\u00a0h"
    assert ind.display("report_month", "2026-10") == "octobre 2026"
    assert ind.display("mentions", None) == "–"
    with pytest.raises(KeyError, match="unknown indicator 'nope'; registered"):
        ind.display("nope", 1)


def test_changes_are_computed_on_displayed_values():
    # net sentiment -0.0549 shows -5 pt, 0.2651 shows +27 pt: the change is -32 pt, not -32.0 (-31.99)
    assert ind.change("net_sentiment", -0.0549, 0.2651) == -32
    assert ind.display_change("net_sentiment", -0.0549, 0.2651) == "−32\u00a0pt"
    # shares: 64.04 % shows 64,0 %, 64.86 % shows 64,9 %: -0,9 pt
    assert ind.change("share_of_voice", 0.6404, 0.6486) == pytest.approx(-0.9)
    assert ind.display_change("share_of_voice", 0.6404, 0.6486) == "−0,9\u00a0pt"
    # counts: relative change of the displayed integers
    assert ind.change("mentions", 2635.4, 2000.2) == pytest.approx(2635 / 2000 - 1)
    assert ind.display_change("mentions", 2635, 2010) == "+31,1\u00a0%"
    assert ind.change("mentions", 5, 0) is None and ind.display_change("mentions", None, 3) == "–"


def test_key_figures_by_registry_name():
    figs = ind.key_figures({"mentions": 2635, "net_sentiment": -0.05})
    assert figs == {"Mentions de la marque": "2\u202f635", "Sentiment net": "−5\u00a0pt"}
    with pytest.raises(KeyError, match="unknown indicator"):
        ind.key_figures({"Mentions": 3})
    assert ind.get("customer_service_calls").link == "06_care_and_ideas.html#appels"


def test_conflicting_values_finds_a_label_with_two_values(tmp_path):
    a = {"notebook": "03_social_listening", "figures": [
        {"label": "Mentions de la marque (mois)", "value": 2903, "text": "2 903"},
        {"label": "Part de voix", "value": None, "text": "64,9 %"},
        {"label": "Alertes du mois", "value": 1, "text": "1"}]}
    b = {"notebook": "05_monthly_kpis", "figures": [
        {"label": "Mentions de la marque", "value": 2635, "text": "2\u202f635"},
        {"label": "Part de voix", "value": None, "text": "64,9\u00a0%"}]}  # same value, other spaces
    (tmp_path / "03_social_listening.json").write_text(json.dumps(a), encoding="utf-8")
    (tmp_path / "05_monthly_kpis.json").write_text(json.dumps(b), encoding="utf-8")
    bad = ind.conflicting_values(sorted(tmp_path.glob("*.json")))
    assert bad["label"].tolist() == ["Mentions de la marque", "Mentions de la marque (mois)"]
    assert bad["notebook"].tolist() == ["05_monthly_kpis", "03_social_listening"]
    assert bad["text"].tolist() == ["2 635", "2 903"]
    b["figures"][0]["text"] = "2 903"
    assert ind.conflicting_values([a, b]).empty
    assert ind.conflicting_values([]).empty
