"""kpis: monthly hard/soft KPIs, changes, the soft -> hard measurement model, the summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench import datasets, indicators, kpi_tables, kpis

BRAND = "Maison Lys"


# --------------------------------------------------------------------------- tiny fixtures


def _tx():
    return pd.DataFrame({
        "transaction_id": ["t1", "t2", "t3", "t4", "t5"],
        "channel": ["store", "store", "web", "app", "store"],
        "timestamp": pd.to_datetime(["2026-01-05 10:00", "2026-01-20 11:00", "2026-01-21 20:00",
                                     "2026-02-02 09:00", "2026-02-03 15:00"]),
        "amount": [100.0, 50.0, 30.0, 20.0, 80.0],
    })


def _daily():
    days = pd.date_range("2026-01-01", "2026-02-28", freq="D")
    return pd.DataFrame({"date": days, "store_traffic": 10, "web_sessions": 4, "app_sessions": 1,
                         "customer_service_calls": np.where(days.month == 1, 2, 3)})


def _mentions():
    return pd.DataFrame({
        "mention_id": [f"m{i}" for i in range(8)],
        "timestamp": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05",
                                     "2026-01-06", "2026-02-01", "2026-02-02", "2026-02-03"]),
        "brand": [BRAND, BRAND, BRAND, "Orbe", BRAND, BRAND, "Kaléo", BRAND],
        "retweet_of": [None, None, None, None, "m0", None, None, None],
        "sentiment": ["positive", "positive", "negative", "neutral", "positive", "negative",
                      "positive", "neutral"],
    })


# --------------------------------------------------------------------------- monthly tables


def test_hard_kpis_exact_values():
    h = kpis.hard_kpis(_tx(), _daily())
    jan, feb = pd.Period("2026-01", "M"), pd.Period("2026-02", "M")
    assert h.loc[jan, "sales"] == 180.0
    assert h.loc[jan, "sales_store"] == 150.0 and h.loc[jan, "sales_web"] == 30.0
    assert h.loc[jan, "sales_app"] == 0.0 and h.loc[feb, "sales_app"] == 20.0
    assert h.loc[jan, "orders"] == 3 and h.loc[jan, "average_basket"] == pytest.approx(60.0)
    assert h.loc[jan, "store_traffic"] == 310 and h.loc[feb, "store_traffic"] == 280
    assert h.loc[jan, "store_conversion"] == pytest.approx(2 / 310)
    assert h.loc[jan, "online_conversion"] == pytest.approx(1 / (31 * 5))
    assert h.loc[feb, "customer_service_calls"] == 28 * 3
    assert h.loc[feb, "days_observed"] == 28


def test_soft_kpis_exact_values_and_retweets_left_out():
    m = _mentions()
    posts = pd.DataFrame({"post_id": ["p1", "p2", "p3", "r1"], "brand": [BRAND, BRAND, "Orbe", BRAND],
                          "timestamp": pd.to_datetime(["2026-01-01", "2026-01-10", "2026-01-10", "2026-01-11"]),
                          "reply_to": [None, None, None, "m2"]})
    inter = pd.DataFrame({"post_id": ["p1", "p1", "p2", "p3", "r1", "p2"],
                          "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-11",
                                                       "2026-01-11", "2026-01-12", "2026-02-01"])})
    aud = pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-01-31", "2026-01-31", "2026-02-28"]),
                        "platform": ["x", "x", "y", "x"], "brand": [BRAND, BRAND, "Orbe", BRAND],
                        "followers": [100, 110, 999, 121]})
    email = pd.DataFrame({"campaign_id": ["c1"] * 5 + ["c2"] * 2,
                          "event": ["sent", "sent", "sent", "sent", "open", "sent", "open"],
                          "timestamp": pd.to_datetime(["2026-01-31 23:00"] * 4 + ["2026-02-01 08:00"]
                                                      + ["2026-02-10 10:00"] * 2)})
    kw = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01"]),
                       "keyword": ["MAISON LYS soldes", "maison lys", "orbe promo"],
                       "searches": [10, 5, 100]})
    s = kpis.soft_kpis(m, BRAND, posts, inter, aud, email, kw)
    jan, feb = pd.Period("2026-01", "M"), pd.Period("2026-02", "M")
    assert s.loc[jan, "mentions"] == 3  # the retweet m4 is not conversation
    assert s.loc[jan, "positive_mentions"] == 2 and s.loc[jan, "negative_mentions"] == 1
    assert s.loc[jan, "net_sentiment"] == pytest.approx(1 / 3)
    assert s.loc[jan, "share_of_voice"] == pytest.approx(3 / 4)
    assert s.loc[feb, "share_of_voice"] == pytest.approx(2 / 3)
    assert s.loc[jan, "engagement"] == 3  # p1 x2 + p2; p3 is Orbe's, r1 is a reply to a customer
    assert s.loc[jan, "engagement_per_post"] == pytest.approx(1.5)
    assert s.loc[jan, "followers"] == 110 and s.loc[feb, "audience_growth"] == pytest.approx(0.1)
    assert s.loc[jan, "audience_growth"] == pytest.approx(0.1)
    assert s.loc[jan, "email_open_rate"] == pytest.approx(0.25)  # by send month, opened in Feb
    assert s.loc[feb, "email_open_rate"] == pytest.approx(1.0)
    assert s.loc[jan, "brand_searches"] == 15
    with_rt = kpis.soft_kpis(m, BRAND, include_retweets=True)
    assert with_rt.loc[jan, "mentions"] == 4


def test_bad_inputs_give_clear_errors():
    m = _mentions()
    with pytest.raises(ValueError, match=r"brand 'Lys' does not appear.*Kaléo"):
        kpis.soft_kpis(m, "Lys")
    with pytest.raises(ValueError, match=r"1 value\(s\) outside"):
        kpis.soft_kpis(m.assign(sentiment=m["sentiment"].replace("neutral", "meh")), BRAND)
    with pytest.raises(ValueError, match="without a label"):
        kpis.soft_kpis(m.assign(sentiment=m["sentiment"].where(m.index != 0)), BRAND)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['amount'\]"):
        kpis.hard_kpis(_tx().drop(columns="amount"), _daily())
    monthly = kpis.monthly_kpis(kpis.hard_kpis(_tx(), _daily()), kpis.soft_kpis(m, BRAND))
    with pytest.raises(ValueError, match="month 2027-01 not in the KPI table"):
        kpis.kpi_changes(monthly, "2027-01")
    with pytest.raises(ValueError, match="score every mention"):
        kpis.with_sentiment(m, pd.DataFrame({"label": ["positive"]}))


def test_with_sentiment_from_labels_or_polarity():
    m = _mentions().drop(columns="sentiment").head(3)
    out = kpis.with_sentiment(m, pd.DataFrame({"polarity": [0.5, -0.05, -0.4]}), neutral_band=0.1)
    assert out["sentiment"].tolist() == ["positive", "neutral", "negative"]
    assert "sentiment" not in m.columns  # input untouched
    out = kpis.with_sentiment(m, pd.DataFrame({"label": ["neutral", "positive", "negative"]}))
    assert out["sentiment"].tolist() == ["neutral", "positive", "negative"]


# --------------------------------------------------------------------------- changes and summary


def _monthly(n_months: int, start="2025-01") -> pd.DataFrame:
    idx = pd.period_range(start, periods=n_months, freq="M", name="month")
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "sales": 1000 * (1 + 0.1 * rng.standard_normal(n_months)),
        "store_conversion": 0.30 + 0.002 * rng.standard_normal(n_months),
        "customer_service_calls": 500 * (1 + 0.01 * rng.standard_normal(n_months)),
    }, index=idx)


def test_kpi_changes_mom_yoy_and_short_history():
    m = _monthly(14)
    ch = kpis.kpi_changes(m, "2026-02").set_index("kpi")
    feb, jan, ago = pd.Period("2026-02", "M"), pd.Period("2026-01", "M"), pd.Period("2025-02", "M")
    assert ch.loc["sales", "mom_change"] == pytest.approx(m.loc[feb, "sales"] / m.loc[jan, "sales"] - 1)
    assert ch.loc["sales", "yoy_change"] == pytest.approx(m.loc[feb, "sales"] / m.loc[ago, "sales"] - 1)
    assert ch.loc["store_conversion", "mom_change"] == pytest.approx(
        m.loc[feb, "store_conversion"] - m.loc[jan, "store_conversion"])  # points, not %
    assert ch.loc["sales", "yoy_note"] == ""
    short = kpis.kpi_changes(m, "2025-12").set_index("kpi")
    assert np.isnan(short.loc["sales", "yoy_change"])
    assert short.loc["sales", "yoy_note"] == "données insuffisantes : 2024-12 non couvert"
    assert np.isnan(kpis.kpi_changes(m, "2025-01").set_index("kpi").loc["sales", "mom_change"])
    table = kpi_tables.changes_table(kpis.kpi_changes(m, "2025-12"))
    assert "Évolution sur un an" not in table  # no year-ago value at all: columns left out
    table = kpi_tables.changes_table(kpis.kpi_changes(m, "2026-02")).set_index("Indicateur")
    sales = indicators.label("sales")
    assert table.loc[sales, "Évolution sur un an"] == indicators.display_change(
        "sales", m.loc[feb, "sales"], m.loc[ago, "sales"])


# --------------------------------------------------------------------------- model (synthetic)


def _weekly(n_weeks: int, beta: float, seed: int = 0) -> pd.DataFrame:
    """Planted weekly data: log sales = beta * log1p(soft of last week) + calendar + noise."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-07", periods=n_weeks, freq="W-SUN")
    soft = rng.poisson(np.exp(4 + 0.5 * rng.standard_normal(n_weeks)))
    noise_soft = rng.poisson(200, n_weeks)  # unrelated to sales
    cal = kpis.retail_calendar(idx)
    log_sales = 10 + beta * np.log1p(np.r_[np.nan, soft[:-1]]) + 0.4 * cal["soldes"].to_numpy() \
        + 0.1 * rng.standard_normal(n_weeks)
    sales = np.exp(np.nan_to_num(log_sales, nan=10 + beta * 4))
    return pd.DataFrame({"sales": sales, "soft": soft.astype(float), "noise": noise_soft.astype(float)},
                        index=idx)


def test_model_recovers_planted_elasticity_and_rejects_noise():
    w = _weekly(104, beta=0.3)
    res = kpis.measurement_model(w, "sales", ["soft", "noise"], lag=1)
    assert res.estimated and res.n_weeks == 103
    c = res.coefficients.set_index("term")
    assert c.loc["soft_lag1", "ci_low"] < 0.3 < c.loc["soft_lag1", "ci_high"]
    assert c.loc["soft_lag1", "p_value"] < 0.001
    assert c.loc["noise_lag1", "p_value"] > 0.05
    assert c.loc["soft_lag1", "effect_10pct"] == pytest.approx(1.1 ** c.loc["soft_lag1", "coef"] - 1)
    assert c.loc["soldes", "ci_low"] < 0.4 < c.loc["soldes", "ci_high"]
    granger = kpis.granger_tests(w, "sales", ["soft", "noise"], max_lag=1)
    g = granger.set_index("soft")
    assert g.loc["soft", "p_value"] < 0.001 and g.loc["noise", "p_value"] > 0.05
    text = kpi_tables.explain_model(res, granger)
    assert "significatif" in text and "précède" in text


def test_model_warns_or_refuses_when_data_are_too_short():
    res = kpis.measurement_model(_weekly(30, beta=0.3), "sales", ["soft"], min_weeks=40)
    assert res.estimated
    assert any("série courte : 29 semaines" in w for w in res.warnings)
    res = kpis.measurement_model(_weekly(12, beta=0.3), "sales", ["soft"])
    assert not res.estimated and res.coefficients.empty
    assert "Données trop courtes : 11 semaines" in res.warnings[0]
    assert "Données trop courtes" in kpi_tables.explain_model(res)
    with pytest.raises(ValueError, match="lag must be >= 0"):
        kpis.measurement_model(_weekly(60, 0.3), "sales", ["soft"], lag=-1)
    with pytest.raises(ValueError, match="cannot be logged"):
        kpis.measurement_model(_weekly(60, 0.3).assign(soft=-1.0), "sales", ["soft"])


def test_retail_calendar_french_dates():
    weeks = pd.date_range("2026-01-04", "2026-12-27", freq="W-SUN")
    cal = kpis.retail_calendar(weeks)
    # winter soldes 2026 start Wednesday 7 January (the second Wednesday, the 14th, falls after
    # the 12th, so the legal start moves to the first): the week ending 11/01 has 5 of 7 days
    assert cal.loc["2026-01-11", "soldes"] == pytest.approx(5 / 7)
    assert cal.loc["2026-01-18", "soldes"] == 1
    assert cal.loc["2026-01-04", "soldes"] == 0
    # Black Friday 2026 = 27 November (day after the 4th Thursday): Monday 23 to Cyber Monday 30
    assert cal.loc["2026-11-29", "black_friday"] == 1
    assert cal.loc["2026-12-06", "black_friday"] == pytest.approx(1 / 7)
    assert cal["black_friday"].sum() == pytest.approx(8 / 7)
    assert cal.loc["2026-12-20", "christmas"] == 1


# --------------------------------------------------------------------------- acceptance (sample)


@pytest.fixture(scope="module")
def sample_tables(sample_dir):
    return datasets.read_tables(["transactions", "mentions"], sample_dir)


def _check_planted(weekly, relation):
    res = kpis.measurement_model(weekly, relation["hard"], [relation["soft"]], lag=relation["lag"])
    row = res.coefficients.set_index("term").loc[f"{relation['soft']}_lag{relation['lag']}"]
    assert res.estimated and res.n_weeks >= 45
    assert np.sign(row["coef"]) == (1 if relation["sign"] == "+" else -1)
    assert row["p_value"] < 0.01
    assert row["ci_low"] > 0 if relation["sign"] == "+" else row["ci_high"] < 0
    return row


def test_planted_kpi_relation_recovered_with_true_labels(sample_tables, truth):
    """Planted truth: weekly positive mentions of the brand -> next week's sales (sign +)."""
    rel = truth["kpi_relation"]
    assert (rel["soft"], rel["hard"], rel["frequency"]) == ("positive_mentions", "sales", "W")
    labels = truth["mentions"].set_index("mention_id")["sentiment"]
    m = sample_tables["mentions"]
    m = m[m["mention_id"].isin(labels.index)]  # original posts (retweets/replies have no label)
    m = m.assign(sentiment=m["mention_id"].map(labels).to_numpy())
    weekly = kpis.weekly_kpis(sample_tables["transactions"], m, BRAND)
    assert weekly.attrs["dropped_weeks"] == 2  # partial first and last weeks
    _check_planted(weekly, rel)


@pytest.fixture(scope="module")
def more_tables(sample_dir):
    return datasets.read_tables(["daily_kpis", "brand_posts", "interactions", "audience"], sample_dir,
                                columns={"interactions": ["post_id", "timestamp"]})


@pytest.fixture(scope="module")
def scored_mentions(sample_tables):
    """The sample's mentions (retweets left out) labelled by the project's scorer, as 05 does."""
    from workbench import sentiment

    m = sample_tables["mentions"]
    m = m[m["retweet_of"].isna()]  # retweets are not conversation (left out of the KPIs anyway)
    return kpis.with_sentiment(m, sentiment.score(m["text"]))


@pytest.fixture(scope="module")
def scored_weekly(sample_tables, more_tables, scored_mentions):
    """Weekly hard and soft series of the sample, with daily counters and interactions."""
    more = more_tables
    return kpis.weekly_kpis(sample_tables["transactions"], scored_mentions, BRAND, more["brand_posts"],
                            more["interactions"], daily_kpis=more["daily_kpis"], audience=more["audience"])


def test_sample_synthesis_of_the_crisis_month(sample_tables, more_tables, scored_mentions, truth):
    """Planted complaint crisis (truth 'crisis'): in its month, the synthesis flags the negative
    mentions and the service calls above their usual level, chains them, links calls to the
    page that shows calls, and recommends a care action; the month before has no chain."""
    from workbench import care, synthesis

    crisis = pd.Period(truth["crisis"]["date"], "M")
    more = more_tables
    monthly = kpis.monthly_kpis(kpis.hard_kpis(sample_tables["transactions"], more["daily_kpis"]),
                                kpis.soft_kpis(scored_mentions, BRAND, more["brand_posts"], more["interactions"],
                                               more["audience"]))
    items = care.care_items(sample_tables["mentions"], more["brand_posts"], BRAND)
    monthly = monthly.join(care.monthly_care(items))
    out = synthesis.month_synthesis(monthly, crisis)
    figs = {i["name"]: i for i in out if i["kind"] == "figure"}
    assert figs["negative_mentions"]["verdict"] == -1 and figs["negative_mentions"]["z"] > 2
    assert figs["customer_service_calls"]["verdict"] == -1
    assert figs["customer_service_calls"]["link"] == "06_care_and_ideas.html#appels"
    chain = next(i for i in out if i["kind"] == "alert")  # no listening alert given: the chain is a care finding
    assert chain["theme"] == "Service client" and chain["text"].startswith("Chaîne du mois : mentions négatives")
    actions = [i for i in out if i["kind"] == "action"]
    assert 3 <= len(actions) <= 5 and any(a["department"] == "Service client" for a in actions)
    before = synthesis.month_synthesis(monthly, crisis - 1)
    assert not any("Chaîne du mois" in i["text"] for i in before)


def test_planted_kpi_relation_recovered_with_project_sentiment(scored_weekly, truth):
    """End to end: mentions labelled by the project's scorer, as the notebook does."""
    _check_planted(scored_weekly, truth["kpi_relation"])


def test_hard_and_soft_models_headline_only_the_planted_effects(scored_weekly, truth):
    """Planted truth: buzz (positive mentions) -> next week's sales (`kpi_relation`), and the
    brand's negative mentions -> service calls of the same days (the generator's `_daily_kpis`:
    calls = poisson(n/250 * weekday + 0.6 * negative own mentions per day)). Interactions and
    negative mentions have no planted effect on sales: the model may find the interactions
    significant (they move with the buzz) but their Granger test denies it, so they are not
    headlined (issue 17)."""
    rel = truth["kpi_relation"]
    models = kpis.hard_soft_models(scored_weekly)
    assert set(models) == {"sales", "store_traffic", "web_sessions", "customer_service_calls"}
    assert models["customer_service_calls"]["model"].lag == 0 and models["sales"]["model"].lag == rel["lag"]
    eff = kpis.robust_effects(models, scored_weekly)
    robust = eff[eff["robust"]].set_index(["hard", "soft"])
    assert (rel["hard"], rel["soft"]) in robust.index
    assert robust.loc[(rel["hard"], rel["soft"]), "coef"] > 0
    assert ("customer_service_calls", "negative_mentions") in robust.index
    assert robust.loc[("customer_service_calls", "negative_mentions"), "effect_10pct"] > 0
    # no planted effect: never headlined
    assert not robust.index.get_level_values("soft").isin(["engagement"]).any()
    assert ("sales", "negative_mentions") not in robust.index
    engagement = eff.set_index(["hard", "soft"]).loc[("sales", "engagement")]
    assert not engagement["granger_ok"]
    reading = kpi_tables.effects_reading(eff)
    assert reading[eff["robust"]].str.contains("effet robuste").all()
    assert not reading[~eff["robust"]].str.contains("effet robuste").any()
    table = kpi_tables.effects_table(eff)
    assert table["Retenu"].eq("oui").sum() == len(robust)
    from workbench import french

    assert kpi_tables.effects_sentence(eff, 50).startswith(
        f"{french.count(len(robust), 'effet retenu')} sur {len(eff)} testés")
    # a share modelled in levels: its effect for +1 point, never '–' (issue 17 reader: 'Part de voix')
    share = eff[eff["soft"] == "share_of_voice"]
    assert len(share) and share["effect_10pct"].isna().all()
    assert share["effect_1pt"].to_numpy() == pytest.approx(np.exp(0.01 * share["coef"].to_numpy()) - 1)
    cells = table.loc[share.index, "Effet de +10 % (part : +1 pt)"]
    assert cells.str.endswith(" pour +1 pt").all()
    assert reading[share.index].str.startswith("+1 point de « ").all()
    # one minus sign on the pages: the page layer formats, with U+2212
    shown = " ".join(table["Effet de +10 % (part : +1 pt)"]) + " ".join(reading)
    assert "-" not in shown.replace("Jarque-Bera", "") .replace("Breusch-Pagan", "").replace("Ljung-Box", "")


# --------------------------------------------------------------------------- real data (CDNOW)


@pytest.mark.real_data
def test_monthly_sales_and_year_over_year_on_cdnow(shared_data):
    """Real purchases (CDNOW, 1997-01 to 1998-06): monthly sales match an independent sum of the
    raw file; YoY exists from 1998-01 only; the Q1-1997 cohort's decay shows as a YoY fall."""
    path = shared_data / "cdnow" / "CDNOW_master.txt"
    tx = datasets.read_cdnow(path)
    monthly = kpis.hard_kpis(tx)
    raw = pd.read_csv(path, sep=r"\s+")
    ref = raw.groupby(raw["date"].astype(str).str[:6])["dollar_value"].sum()
    assert len(monthly) == 18 == len(ref)
    np.testing.assert_allclose(monthly["sales"].to_numpy(), ref.sort_index().to_numpy(), rtol=1e-9)
    assert monthly["sales_store"].sum() == pytest.approx(raw["dollar_value"].sum())
    assert monthly["store_traffic"].isna().all()  # no daily counters in CDNOW
    ch = kpis.kpi_changes(monthly, "1998-03").set_index("kpi")
    assert ch.loc["sales", "yoy_change"] == pytest.approx(
        ref["199803"] / ref["199703"] - 1)
    assert ch.loc["sales", "yoy_change"] < -0.5
    early = kpis.kpi_changes(monthly, "1997-12").set_index("kpi")
    assert early.loc["sales", "yoy_note"] == "données insuffisantes : 1996-12 non couvert"


# --------------------------------------------------------------------------- two monthly runs


@pytest.mark.slow
def test_two_consecutive_months_give_both_indexes(sample_dir, truth, tmp_path):
    from workbench import runner

    reports = tmp_path / "reports"
    for month in ("2026-09", "2026-10"):
        res = runner.run(month=month, notebooks=["05_monthly_kpis"], data_dir=sample_dir,
                         reports_dir=reports, processed_dir=tmp_path / "processed")
        assert res.ok, [nb.error for nb in res.notebooks]
    top = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-10/index.html"' in top and 'href="2026-09/index.html"' in top
    assert top.index("octobre 2026") < top.index("septembre 2026")  # newest first
    for month in ("2026-09", "2026-10"):
        index = (reports / month / "index.html").read_text(encoding="utf-8")
        assert "<h2>Synthèse</h2>" in index and 'href="05_monthly_kpis.html#indicateurs"' in index
        assert index.index("Synthèse") < index.index("Carnets exécutés")  # summary first
        assert (reports / month / "05_monthly_kpis.html").is_file()
        summary = json.loads((reports / month / "summary.json").read_text(encoding="utf-8"))
        assert len(summary["items"]) >= 5
        actions = [i for i in summary["items"] if i["title"].startswith("Action ")]
        assert 3 <= len(actions) <= 5
    # the planted complaint crisis (October) is among October's alerts, not September's
    crisis = truth["crisis"]
    octo = json.loads((reports / "2026-10" / "summary.json").read_text(encoding="utf-8"))["items"]
    sept = json.loads((reports / "2026-09" / "summary.json").read_text(encoding="utf-8"))["items"]
    assert [i for i in octo if i["title"].startswith("Alerte") and f"« {crisis['theme']} »" in i["title"]
            and crisis["department"] in i["text"]]
    assert not [i for i in sept if i["title"].startswith("Alerte")]
    figs = json.loads((reports / "2026-09" / "figures" / "05_monthly_kpis.json").read_text(encoding="utf-8"))
    assert figs["figures"][0]["label"] == "Chiffre d'affaires du mois"
    sept = json.loads((reports / "2026-09" / "figures" / "05_monthly_kpis.json").read_text(encoding="utf-8"))
    octo = json.loads((reports / "2026-10" / "figures" / "05_monthly_kpis.json").read_text(encoding="utf-8"))
    assert sept["figures"][0]["text"] != octo["figures"][0]["text"]  # each month its own figures


def test_month_sentence_checks_by_hand():
    m = _monthly(14)
    m.loc[pd.Period("2026-01", "M"), "sales"] = 1000.4
    m.loc[pd.Period("2026-02", "M"), "sales"] = 1100.2
    text = kpi_tables.month_sentence(kpis.kpi_changes(m, "2026-02"), "février 2026", names=("sales",))
    assert text == "Chiffre d'affaires du mois : 1\u202f100\u00a0€ en février 2026 (+10,0\u00a0% sur un mois)."


def test_plot_twin_uses_registry_labels_and_units():
    import matplotlib

    matplotlib.use("Agg")
    idx = pd.period_range("2026-01", periods=4, freq="M", name="month")
    m = pd.DataFrame({"customer_service_calls": [2400.0, 2450, 2420, 2605],
                      "care_answered_share": [0.71, 0.70, 0.72, 0.665]}, index=idx)
    fig = kpi_tables.plot_twin(m, "customer_service_calls", "care_answered_share", "Titre", bars=True)
    ax1, ax2 = fig.axes
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        indicators.label("customer_service_calls"), indicators.label("care_answered_share")]
    assert ax1.get_ylabel() == "nombre" and ax2.get_ylabel() == "part" and ax2.get_ylim() == (0, 1)
    fig.canvas.draw()
    assert all("%" in t.get_text() for t in ax2.get_yticklabels() if t.get_text())


def test_plot_pair_two_charts_own_units_value_labelled():
    """A share and hours on two charts (never one chart with two axes), each titled with its
    registry label and the report month's value written on it."""
    import matplotlib

    matplotlib.use("Agg")
    idx = pd.period_range("2026-01", periods=4, freq="M", name="month")
    m = pd.DataFrame({"care_answered_share": [0.71, 0.70, 0.72, 0.665],
                      "care_median_response": [4.2, 4.4, 3.9, 4.0]}, index=idx)
    fig = kpi_tables.plot_pair(m, "care_answered_share", "care_median_response", "Titre")
    left, right = fig.axes
    assert [left.get_title(), right.get_title()] == [kpi_tables._series_label("care_answered_share"),
                                                     kpi_tables._series_label("care_median_response")]
    assert left.get_ylim() == (0, 1)
    assert [t.get_text() for t in left.texts] == [indicators.display("care_answered_share", 0.665)]
    assert [t.get_text() for t in right.texts] == [indicators.display("care_median_response", 4.0)]


def test_durbin_watson_reading_names_the_direction():
    """Residuals that alternate week after week (Durbin-Watson near 4) are read as alternating,
    residuals that persist (near 0) as carrying over to the next week."""
    import statsmodels.api as sm

    n = 40
    x = np.arange(n, dtype=float)
    exog = sm.add_constant(pd.DataFrame({"x": x}))
    for noise, word in (((-1.0) ** np.arange(n), "alternent"), (np.repeat([1.0, -1.0], n // 2), "se répercutent")):
        fit = sm.OLS(2 * x + noise, exog).fit()
        checks = kpis._diagnostics(fit, exog).set_index("test")
        assert word in checks.loc["Durbin-Watson", "reading"]
