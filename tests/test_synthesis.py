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


ALERT = pd.DataFrame({"title": ["Alerte écoute sociale : plaintes « livraison »"],
                      "text": ["246 mentions négatives du 14/10 au 16/10 ; à traiter par : logistique."],
                      "department": ["logistique"], "negative_mentions": [246], "theme": ["livraison"],
                      "baseline": [9.0]})
SMALL_ALERT = pd.DataFrame({"title": ["Alerte écoute sociale : plaintes « prix »"],
                            "text": ["12 mentions négatives le 16/10 ; à traiter par : marketing."],
                            "department": ["marketing"], "negative_mentions": [12], "theme": ["prix"],
                            "baseline": [2.0]})


def _theme_rank(items):
    rank = {label: i for i, (label, _) in enumerate(synthesis.THEMES.values())}
    return [rank[i["theme"]] for i in items]


def test_synthesis_follows_the_announced_order_covers_every_theme_and_recommends_actions():
    monthly = _monthly()
    items = synthesis.month_synthesis(monthly, "2026-10", ALERT)
    findings = [i for i in items if i["kind"] != "action"]
    figures = [i for i in items if i["kind"] == "figure"]
    actions = [i for i in items if i["kind"] == "action"]
    assert {i["theme"] for i in figures} == {label for label, _ in synthesis.THEMES.values()}
    # revenue, traffic, customer value, listening, care: the order the page announces
    assert _theme_rank(findings) == sorted(_theme_rank(findings))
    assert findings[0]["name"] == "sales"
    for theme in {i["theme"] for i in findings}:  # inside a theme, the most unusual first
        impacts = [i["impact"] for i in findings if i["theme"] == theme]
        assert impacts == sorted(impacts, reverse=True)
    alert = next(i for i in findings if i["kind"] == "alert")
    assert alert["theme"] == "Écoute sociale" and "Chaîne du mois" in alert["text"]
    assert alert["link"] == "03_social_listening.html#alertes"  # the alert section, not the top of 03
    assert "appels au service client 2\u202f650" in alert["text"]
    by_name = {i["name"]: i for i in figures}
    assert by_name["customer_service_calls"]["verdict"] == -1 and by_name["customer_service_calls"]["z"] > 2
    assert "nettement au-dessus du niveau habituel" in by_name["customer_service_calls"]["text"]
    assert "médiane des 6 mois précédents" in by_name["sales"]["text"]
    assert by_name["sales"]["verdict"] == 0  # a usual month for sales: no alarm
    assert by_name["customer_service_calls"]["link"] == "06_care_and_ideas.html#appels"
    assert 3 <= len(actions) <= 5
    assert actions[0]["title"].startswith("Action 1 — Logistique : traiter la cause des plaintes « livraison »")
    assert all(a["department"] and a["figure"] and a["link"] for a in actions)
    assert any(a["department"] == "Service client" for a in actions)
    summary = synthesis.summary_items(items)
    assert all(set(s) == {"title", "text", "link", "kind"} for s in summary)
    md = synthesis.markdown(items)
    assert "**Actions recommandées**" in md and "(06_care_and_ideas.html#appels)" in md


def _series(window, october, before=(100.0,) * 5):
    """Five earlier months, the six-month window, then October."""
    values = [*before, *window, october]
    return pd.Series(values, index=pd.period_range("2025-10", periods=len(values), freq="M", name="month"),
                     dtype=float)


def _figure(series, name="sales_per_customer"):
    return next(i for i in synthesis.month_synthesis(pd.DataFrame({name: series}), series.index[-1])
                if i.get("name") == name)


def test_wording_nettement_only_outside_the_usual_range_dans_la_norme_inside():
    """Inside the range (min-max) of the six previous months is 'dans la norme' whatever the
    robust z; outside it 'au-dessus/en dessous de la fourchette', and 'nettement' only when it is
    also two robust spreads from the median."""
    wide = (100, 101, 99, 100, 108, 92)  # median 100, robust spread 1.48, range 92-108
    inside = _figure(_series(wide, 107.0))  # z = 4.7 but inside the range
    assert inside["z"] > 2 and inside["verdict"] == 0 and ":" not in inside["title"]
    assert "dans la norme des mois précédents" in inside["text"] and "nettement" not in inside["text"]
    far = _figure(_series(wide, 109.0))
    assert "nettement au-dessus du niveau habituel" in far["text"] and far["verdict"] == 1
    low = _figure(_series(wide, 80.0))
    assert "nettement en dessous du niveau habituel" in low["text"] and low["verdict"] == -1
    assert low["title"].endswith(": à surveiller")
    tight = (96, 104, 96, 104, 96, 104)  # median 100, robust spread 5.9, range 96-104
    just_out = _figure(_series(tight, 105.0))  # outside the range, z = 0.8
    assert just_out["z"] < 1 and just_out["verdict"] == 1
    assert "au-dessus de la fourchette des mois précédents" in just_out["text"]
    assert "nettement" not in just_out["text"]


def test_never_good_news_for_a_figure_that_fell_over_the_month_without_saying_so():
    """October's 'CA par client actif' was called 'bonne nouvelle … nettement au-dessus' at
    215 € inside a 185-228 € range and down 5,7 % over the month. A figure that falls over the
    month is inside the range or below it (the month before is part of the range), so it is
    never good news; the fall is said."""
    fig = _figure(_series((185, 190, 197, 199, 200, 228), 215.0))
    assert fig["verdict"] == 0 and "bonne nouvelle" not in fig["title"] and "mieux" not in fig["title"]
    assert "dans la norme des mois précédents" in fig["text"] and "\u22125,7\u00a0% sur un mois" in fig["text"]
    up = _figure(_series((100, 101, 99, 100, 102, 98), 120.0))  # above the range, and up over the month
    assert up["verdict"] == 1 and up["title"].endswith(": mieux que d'habitude")
    assert "nettement au-dessus du niveau habituel" in up["text"] and "+22,4\u00a0% sur un mois" in up["text"]
    slower = _figure(_series((4.0, 4.1, 3.9, 4.0, 4.2, 3.8), 2.0), "care_median_response")  # faster replies
    assert slower["verdict"] == 1 and "mieux que d'habitude" in slower["title"]


def test_a_small_alert_is_not_an_action_of_its_own_threshold_is_a_parameter():
    monthly = _monthly()
    both = pd.concat([ALERT, SMALL_ALERT], ignore_index=True)
    items = synthesis.month_synthesis(monthly, "2026-10", both)
    actions = [i for i in items if i["kind"] == "action"]
    assert not any("« prix »" in a["title"] for a in actions)
    listening = next(a for a in actions if "livraison" in a["title"])
    assert "Vagues plus petites à suivre dans la même action : « prix » (12 mentions négatives le 16/10)" \
        in listening["text"]
    assert any(i["kind"] == "alert" and "prix" in i["title"] for i in items)  # still a finding
    lowered = synthesis.month_synthesis(monthly, "2026-10", both, min_alert_mentions=10)
    assert any("« prix »" in a["title"] for a in lowered if a["kind"] == "action")
    with pytest.raises(ValueError, match="min_alert_mentions"):
        synthesis.month_synthesis(monthly, "2026-10", both, min_alert_mentions=-1)


def test_actions_ranked_by_impact_revenue_and_traffic_outside_their_range_get_one():
    monthly = _monthly()
    last = monthly.index[-1]
    monthly.loc[last, ["sales", "store_traffic"]] = monthly.loc[monthly.index[:-1], ["sales", "store_traffic"]].min() * 0.85
    items = synthesis.month_synthesis(monthly, "2026-10", pd.concat([ALERT, SMALL_ALERT], ignore_index=True))
    actions = [i for i in items if i["kind"] == "action"]
    impacts = [a["impact"] for a in actions]
    assert impacts == sorted(impacts, reverse=True)
    depts = [a["department"] for a in actions]
    assert "Direction commerciale" in depts and "Réseau de magasins" in depts
    sales = next(a for a in actions if a["department"] == "Direction commerciale")
    assert "en dessous" in sales["figure"]


def test_the_weekly_elasticity_is_set_against_the_month_change_of_its_soft_indicator():
    monthly = _monthly()
    monthly["positive_mentions"] = 1000.0
    last = monthly.index[-1]
    monthly.loc[last, "positive_mentions"] = 500.0  # -50 % over the month
    effects = pd.DataFrame({"hard": ["sales"], "hard_label": ["Chiffre d'affaires"], "soft": ["positive_mentions"],
                            "soft_label": ["Mentions positives"], "lag": [1], "effect_10pct": [0.062],
                            "robust": [True]})
    items = synthesis.month_synthesis(monthly, "2026-10", effects=effects)
    sales = next(i for i in items if i.get("name") == "sales")
    b = np.log(1.062) / np.log(1.1)
    implied = 100 * (0.5 ** b - 1)
    from workbench.reporting import fmt_signed
    observed = synthesis._month_change(monthly, "sales", pd.Period("2026-10", "M"))
    assert "« mentions positives » \u221250,0\u00a0% sur un mois" in sales["text"]
    assert f"annoncerait {fmt_signed(implied, 1, '%')} de « chiffre d'affaires », pour " \
           f"{fmt_signed(100 * observed, 1, '%')} observés" in sales["text"]
    assert "il ne se transpose pas à un mois entier." in sales["text"]


def test_customer_value_finding_and_crm_action_from_the_value_flows():
    flows = pd.DataFrame({"from": ["À risque", "Fidèles", "Nouveaux / prometteurs"],
                          "to": ["Perdus", "À risque", "Fidèles"], "customers": [2000, 1041, 500],
                          "share_of_from": [0.30, 0.247, 0.1], "direction": ["baisse", "baisse", "hausse"]})
    flows.attrs["stayed"] = 0.52
    items = synthesis.month_synthesis(_monthly(), "2026-10", ALERT, value_flows=flows)
    flow = next(i for i in items if i["kind"] == "flow")  # best customers lapsing, not the largest move
    assert flow["theme"] == "Valeur client" and "« Fidèles » passés « À risque »" in flow["title"]
    assert flow["text"].startswith("1\u202f041 clients « Fidèles »") and "48,0\u00a0% des clients" in flow["text"]
    assert flow["link"] == "01_segmentation.html#migration"
    action = next(a for a in items if a["kind"] == "action" and a["department"] == "CRM et fidélisation")
    assert "relancer les clients « Fidèles » passés « À risque »" in action["title"]
    main, _, _ = synthesis.split(items)
    assert flow in main  # one customer-value finding among the main ones


def test_director_reads_six_findings_and_the_actions_first_the_rest_is_folded_but_reachable():
    """Issue 17: eleven findings before the actions buried what to do. At most 6 findings come
    first (the first of each theme, then the most impactful others, in the page's order), then
    the actions; every other finding is still there, folded under "Autres constats"."""
    monthly = _monthly()
    monthly.loc[monthly.index[-1], ["sales", "store_traffic", "web_sessions"]] *= 0.8  # more to say
    items = synthesis.month_synthesis(monthly, "2026-10", ALERT)
    findings = [i for i in items if i["kind"] != "action"]
    assert len(findings) > synthesis.MAIN_FINDINGS
    main, more, actions = synthesis.split(items)
    assert len(main) == 6 and len(main) + len(more) == len(findings)
    assert main == [i for i in findings if i in main]  # the page's order is kept
    assert {i["theme"] for i in main} == {i["theme"] for i in findings}  # every theme among the main ones
    firsts = {}
    for i in findings:
        firsts.setdefault(i["theme"], i)
    assert all(f in main for f in firsts.values())
    extra = [i for i in main if i not in firsts.values()]
    assert min(i["impact"] for i in extra) >= max(i["impact"] for i in more)
    u_main, u_more, _ = synthesis.split(synthesis.month_synthesis(_monthly(), "2026-10", ALERT), 3)
    assert [i["theme"] for i in u_main] == ["Chiffre d'affaires", "Trafic", "Valeur client"]
    md = synthesis.markdown(items)
    head, folded = md.split("<details>")
    assert head.count("\n- ") == len(main) + len(actions)
    assert head.index("**Actions recommandées**") > head.index(main[-1]["title"])
    assert f"Autres constats ({len(more)})" in folded and folded.rstrip().endswith("</details>")
    for it in more:
        assert f"**{esc(it['title'])}**" in folded and f"[voir]({it['link']})" in folded
    summary = synthesis.summary_items(items)
    assert [s["kind"] for s in summary] == ["finding"] * 6 + ["action"] * len(actions) + ["more"] * len(more)
    assert {s["title"] for s in summary} == {i["title"] for i in items}
    assert "<details>" not in synthesis.markdown(items, max_findings=len(findings))
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
        "department": "logistique", "negative_mentions": 244, "theme": "livraison", "baseline": 9.0,
    }]
    assert synthesis.listening_alerts(raw, "Nous", "2026-08").empty


def test_value_migration_saved_by_one_notebook_is_the_same_crosstab_for_the_next(sample_dir, tmp_path):
    from workbench import datasets
    from workbench import value_segments as vs

    tx = datasets.read_table("transactions", sample_dir)
    month = pd.Period(tx["timestamp"].max(), "M") - 1
    tab = vs.value_migration(tx, month, 365)
    datasets.write_table(synthesis.value_migration_table(tab, 365), synthesis.VALUE_MIGRATION_TABLE, tmp_path)
    saved = datasets.read_processed(synthesis.VALUE_MIGRATION_TABLE, tmp_path)
    back = synthesis.saved_value_migration(saved, month, 365)
    pd.testing.assert_frame_equal(back, tab)  # order, Total, names and int counts as computed
    assert back.attrs == tab.attrs == {"previous": str(month - 1), "month": str(month)}
    pd.testing.assert_frame_equal(vs.migration_flows(back), vs.migration_flows(tab))
    assert vs.migration_flows(back).attrs == vs.migration_flows(tab).attrs
    # another month, another window or no table: not reused (the caller computes it)
    assert synthesis.saved_value_migration(saved, month + 1, 365) is None
    assert synthesis.saved_value_migration(saved, month, 180) is None
    assert synthesis.saved_value_migration(saved, month, None) is None
    assert synthesis.saved_value_migration(None, month, 365) is None
    with pytest.raises(ValueError, match="crosstab of value_segments.value_migration"):
        synthesis.value_migration_table(pd.DataFrame({"a": [1]}), 365)
    # saved with the stamp of the purchase files: reused only while the purchases are the same
    stamp = datasets.source_stamp(["transactions"], sample_dir)
    datasets.write_table(synthesis.value_migration_table(tab, 365, stamp), synthesis.VALUE_MIGRATION_TABLE, tmp_path)
    saved = datasets.read_processed(synthesis.VALUE_MIGRATION_TABLE, tmp_path)
    pd.testing.assert_frame_equal(synthesis.saved_value_migration(saved, month, 365, sources=stamp), tab)
    assert synthesis.saved_value_migration(saved, month, 365, sources=stamp[::-1]) is None
    unstamped = saved.drop(columns="sources")  # saved before stamps existed
    assert synthesis.saved_value_migration(unstamped, month, 365, sources=stamp) is None


def test_source_stamp_follows_the_content_of_the_raw_files(sample_dir, tmp_path):
    import shutil

    from workbench import datasets

    for name in ("customers", "transactions"):
        shutil.copy(datasets.find_table_file(name, sample_dir), tmp_path)
    stamp = datasets.source_stamp(["customers", "transactions"], tmp_path)
    assert stamp == datasets.source_stamp(["transactions", "customers"], sample_dir)  # same files, any order
    assert stamp != datasets.source_stamp(["customers"], tmp_path)
    assert datasets.source_stamp(["stores"], tmp_path) != datasets.source_stamp(["stores"], sample_dir)  # absent
    tx = datasets.read_table("transactions", tmp_path)
    datasets.write_table(tx.iloc[:-1], "transactions", tmp_path)  # a corrected export: one purchase less
    assert datasets.source_stamp(["customers", "transactions"], tmp_path) != stamp
