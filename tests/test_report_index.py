"""The month index: the synthesis first (with the ideas box's main idea, whose page runs after
the synthesis page), the key figures, then the technical list of executed notebooks."""

from __future__ import annotations

import json

from workbench import indicators, reporting


def _month(tmp_path, with_idea=True):
    month_dir = tmp_path / "2026-10"
    reporting.executive_summary([
        {"title": "Chiffre d'affaires du mois", "text": "2 237 626 €, dans la norme.", "link": "05.html", "kind": "finding"},
        {"title": "Action 1 — Logistique : traiter la cause", "text": "278 mentions.", "link": "03.html#alertes",
         "kind": "action"},
    ], month_dir, show=False)
    figures = {indicators.label("suggestions"): 412}
    if with_idea:
        figures[indicators.label("top_idea")] = "Cabines d'essayage <plus grandes>"
    reporting.key_figures("06_care_and_ideas", figures, month_dir)
    (month_dir / reporting.RUN_FILE).write_text(json.dumps({"month": "2026-10", "notebooks": [
        {"notebook": "06_care_and_ideas", "status": "ok", "seconds": 5.2, "title": "Service client",
         "html": "06_care_and_ideas.html"}]}), encoding="utf-8")
    return month_dir


def test_the_main_idea_joins_the_synthesis_and_notebooks_come_after_the_key_figures(tmp_path):
    page = reporting.write_month_index(_month(tmp_path)).read_text(encoding="utf-8")
    synthesis = page[page.index("<h2>Synthèse</h2>"):page.index("<h2>Chiffres clés</h2>")]
    findings = synthesis[synthesis.index("Constats principaux"):synthesis.index("Actions recommandées")]
    assert "Idées des clients — Idée la plus fréquente" in findings
    assert "« Cabines d&#x27;essayage &lt;plus grandes&gt; » est l&#x27;idée la plus citée" in findings  # escaped
    assert "le mois compte 412 suggestions de clients, toutes idées confondues" in findings
    assert f'href="{indicators.get("top_idea").link}"' in findings
    assert page.index("<h2>Chiffres clés</h2>") < page.index("<h2>Carnets exécutés</h2>")
    assert "réussi" in page[page.index("<h2>Carnets exécutés</h2>"):]


def test_no_idea_finding_without_the_ideas_page(tmp_path):
    page = reporting.write_month_index(_month(tmp_path, with_idea=False)).read_text(encoding="utf-8")
    assert "Idées des clients" not in page


def test_index_says_demo_data_when_its_pages_do(tmp_path):
    from workbench import page_chrome

    month_dir = _month(tmp_path)
    page = month_dir / "06_care_and_ideas.html"
    page.write_text("<html><body><h1>Service client</h1></body></html>", encoding="utf-8")
    assert page_chrome.DEMO_BANNER not in reporting.write_month_index(month_dir).read_text(encoding="utf-8")
    page.write_text('<html><body><p class="wb-demo">x</p><h1>Service client</h1></body></html>', encoding="utf-8")
    index = reporting.write_month_index(month_dir).read_text(encoding="utf-8")
    assert index.index("Données fictives de démonstration") < index.index("<h1>")
