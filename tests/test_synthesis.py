"""The month's synthesis: usual level (median and range of the previous months), order by
business impact, every theme covered, the crisis chain, 3 to 5 actions with department and
figure, links to the sections that show each figure."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

from workbench import synthesis
from workbench.reporting import esc


def _monthly() -> pd.DataFrame:
    """12 steady months (small planted noise), then an October with a complaint crisis: more
    negative mentions and calls, a lower answered share; sales and traffic as usual."""
    idx = pd.period_range("2025-11", "2026-10", freq="M", name="month")
    rng = np.random.default_rng(3)
    n = len(idx)
    df = pd.DataFrame({
        "sales": 2_000_000 * (1 + 0.03 * rng.standard_normal(n)),
        "store_traffic": 35_000 * (1 + 0.03 * rng.standard_normal(n)),
        "web_sessions": 38_000 * (1 + 0.03 * rng.standard_normal(n)),
        "active_customers": 10_000 * (1 + 0.02 * rng.standard_normal(n)),
        "sales_per_customer": 200 * (1 + 0.02 * rng.standard_normal(n)),
        "negative_mentions": 600 * (1 + 0.05 * rng.standard_normal(n)),
        "net_sentiment": 0.10 + 0.01 * rng.standard_normal(n),
        "audience_growth": 0.012 + 0.001 * rng.standard_normal(n),
        "customer_service_calls": 2_400 * (1 + 0.01 * rng.standard_normal(n)),
        "care_answered_share": 0.71 + 0.005 * rng.standard_normal(n),
        "care_median_response": 4.2 + 0.1 * rng.standard_normal(n),
    }, index=idx)
    oct_ = idx[-1]
    df.loc[oct_, "negative_mentions"] = 950
    df.loc[oct_, "customer_service_calls"] = 2_650
    df.loc[oct_, "care_answered_share"] = 0.66
    return df


def test_usual_level_median_range_and_robust_z():
    s = pd.Series([10.0, 12, 11, 13, 9, 100, 11, 30],
                  index=pd.period_range("2026-01", periods=8, freq="M"))
    lvl = synthesis.usual_level(s, "2026-08", window=6)
    prev6 = [11.0, 13, 9, 100, 11, 12]  # sorted window: Feb..Jul
    med = float(np.median(prev6))
    mad = 1.4826 * float(np.median(np.abs(np.array(prev6) - med)))
    assert lvl["n"] == 6 and lvl["median"] == med and lvl["low"] == 9 and lvl["high"] == 100
    assert lvl["previous"] == 11 and lvl["z"] == pytest.approx((30 - med) / mad)
    short = synthesis.usual_level(s, "2026-03")
    assert short["n"] == 2 and np.isnan(short["z"])


def test_synthesis_orders_by_impact_covers_every_theme_and_recommends_actions():
    monthly = _monthly()
    alerts = pd.DataFrame({"title": ["Alerte écoute sociale : plaintes « livraison »"],
                           "text": ["246 mentions négatives du 14/10 au 16/10 ; à traiter par : logistique."],
                           "department": ["logistique"], "negative_mentions": [246], "theme": ["livraison"]})
    items = synthesis.month_synthesis(monthly, "2026-10", alerts)
    figures = [i for i in items if i["kind"] == "figure"]
    actions = [i for i in items if i["kind"] == "action"]
    themes = {i["theme"] for i in figures}
    assert themes == {label for label, _ in synthesis.THEMES.values()}  # revenue … care, all there
    assert items[0]["kind"] == "alert" and "Chaîne du mois" in items[0]["text"]
    assert "appels au service client 2\u202f650" in items[0]["text"]
    impacts = [i["impact"] for i in figures]
    assert impacts == sorted(impacts, reverse=True)
    by_name = {i["name"]: i for i in figures}
    assert by_name["customer_service_calls"]["verdict"] == -1 and by_name["customer_service_calls"]["z"] > 2
    assert "nettement au-dessus du niveau habituel" in by_name["customer_service_calls"]["text"]
    assert "médiane des 6 mois précédents" in by_name["sales"]["text"]
    assert by_name["sales"]["verdict"] == 0  # a usual month for sales: no alarm
    # links go to the pages that show the figure (issue 17 item 5)
    assert by_name["customer_service_calls"]["link"] == "06_care_and_ideas.html#appels"
    assert by_name.get("audience_growth", {"link": "05_monthly_kpis.html#tendances"})["link"] \
        == "05_monthly_kpis.html#tendances"
    assert 3 <= len(actions) <= 5
    assert actions[0]["title"].startswith("Action 1 — Logistique : traiter la cause des plaintes « livraison »")
    assert all(a["department"] and a["figure"] and a["link"] for a in actions)
    assert any(a["department"] == "Service client" for a in actions)
    summary = synthesis.summary_items(items)
    assert all(set(s) == {"title", "text", "link", "kind"} for s in summary)
    md = synthesis.markdown(items)
    assert "**Actions recommandées**" in md and "(06_care_and_ideas.html#appels)" in md


def test_director_reads_six_findings_and_the_actions_first_the_rest_is_folded_but_reachable():
    """Issue 17: eleven findings before the actions buried what to do. At most 6 findings come
    first (the most important: alerts, then by impact), then the actions; every other finding
    is still there, folded under "Autres constats", with its link."""
    alerts = pd.DataFrame({"title": ["Alerte écoute sociale : plaintes « livraison »"],
                           "text": ["246 mentions négatives du 14/10 au 16/10 ; à traiter par : logistique."],
                           "department": ["logistique"], "negative_mentions": [246], "theme": ["livraison"]})
    monthly = _monthly()
    monthly.loc[monthly.index[-1], ["sales", "store_traffic", "web_sessions"]] *= 0.8  # more to say
    items = synthesis.month_synthesis(monthly, "2026-10", alerts)
    findings = [i for i in items if i["kind"] != "action"]
    assert len(findings) > synthesis.MAIN_FINDINGS  # this month has more than a director reads first
    main, more, actions = synthesis.split(items)
    assert main == findings[:6] and more == findings[6:] and main[0]["kind"] == "alert"
    assert [i["impact"] for i in main[1:]] == sorted((i["impact"] for i in main[1:]), reverse=True)
    assert min(i["impact"] for i in main[1:]) >= max(i["impact"] for i in more)
    # a usual month for revenue: its finding ranks low by impact, but a director still reads it first
    usual = synthesis.month_synthesis(_monthly(), "2026-10", alerts)
    u_findings = [i for i in usual if i["kind"] != "action"]
    u_main, u_more, _ = synthesis.split(usual, 3)
    sales = next(i for i in u_findings if i.get("name") == "sales")
    assert u_findings.index(sales) >= 3 and sales in u_main and len(u_main) == 3
    assert u_main[:2] == u_findings[:2] and u_main[2] is sales  # the order of impact is kept
    assert len(u_main) + len(u_more) == len(u_findings) and all(i not in u_main for i in u_more)
    md = synthesis.markdown(items)
    head, folded = md.split("<details>")
    assert head.count("\n- ") == len(main) + len(actions)
    assert head.index("**Actions recommandées**") > head.index(main[-1]["title"])
    assert f"Autres constats ({len(more)})" in folded and folded.rstrip().endswith("</details>")
    for it in more:  # still reachable, still linked (titles as the page escapes them)
        assert f"**{esc(it['title'])}**" in folded and f"[voir]({it['link']})" in folded
    summary = synthesis.summary_items(items)
    assert [s["kind"] for s in summary] == ["finding"] * 6 + ["action"] * len(actions) + ["more"] * len(more)
    assert {s["title"] for s in summary} == {i["title"] for i in items}
    short = synthesis.markdown(items, max_findings=len(findings))
    assert "<details>" not in short
    with pytest.raises(ValueError, match="max_findings"):
        synthesis.split(items, 0)


def test_month_index_folds_the_other_findings(tmp_path):
    from workbench import reporting

    items = synthesis.month_synthesis(_monthly(), "2026-10")
    month_dir = tmp_path / "2026-10"
    reporting.executive_summary(synthesis.summary_items(items, max_findings=2), month_dir, show=False)
    page = reporting.write_month_index(month_dir).read_text(encoding="utf-8")
    main, more, actions = synthesis.split(items, 2)
    assert more, "the test month needs findings to fold"
    summary = page[page.index("<h2>Synthèse</h2>"):]
    opened, folded = summary.split("<details>")
    assert all(f"<strong>{html.escape(i['title'])}" in opened for i in main + actions)
    assert opened.index("Constats principaux") < opened.index("Actions recommandées")
    assert all(f"<strong>{html.escape(i['title'])}" in folded for i in more)


def test_a_quiet_month_still_gives_three_actions_and_no_chain():
    monthly = _monthly().iloc[:-1]  # September: nothing planted
    items = synthesis.month_synthesis(monthly, "2026-09")
    assert not [i for i in items if i["kind"] == "alert"]
    actions = [i for i in items if i["kind"] == "action"]
    assert 3 <= len(actions) <= 5


def test_bad_inputs():
    with pytest.raises(ValueError, match="month 2027-01 not in the monthly table"):
        synthesis.month_synthesis(_monthly(), "2027-01")
    with pytest.raises(ValueError, match="monthly PeriodIndex"):
        synthesis.month_synthesis(_monthly().reset_index(), "2026-10")


def test_listening_alerts_keep_our_brand_and_the_report_month():
    raw = pd.DataFrame({
        "theme": ["livraison", "prix", "retours"], "department": ["logistique", "marketing", "magasins"],
        "brand": ["Nous", "Orbe", "Nous"],
        "start": pd.to_datetime(["2026-10-14", "2026-10-02", "2026-09-30"]),
        "end": pd.to_datetime(["2026-10-16", "2026-10-02", "2026-10-01"]),
        "negative_mentions": [244, 50, 30], "authors": [243, 40, 30], "baseline": [9.0, 3.0, 2.0],
        "examples": ["secret text", "x", "y"],
    })
    out = synthesis.listening_alerts(raw, "Nous", "2026-10")
    assert out.to_dict("records") == [{
        "title": "Alerte écoute sociale : plaintes « livraison »",
        "text": "244 mentions négatives du 14/10 au 16/10, 243 auteurs distincts, pour environ 9 "
                "attendues ; à traiter par : logistique.",
        "department": "logistique", "negative_mentions": 244, "theme": "livraison",
    }]
    assert synthesis.listening_alerts(raw, "Nous", "2026-08").empty
