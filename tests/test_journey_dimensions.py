"""The five journey dimensions (workbench.journey_dimensions and their page lines): counts on
small frames by hand, the influencers found against the sample's planted influencers, and the
French agreement helper (workbench.french)."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import datasets, french
from workbench import journey_dimension_pages as dp
from workbench import journey_dimensions as jd

P = "\u00a0%"
MONTHS = pd.period_range("2026-09", "2026-10", freq="M")


def test_monthly_touches_and_trend_by_hand():
    touches = pd.DataFrame({"timestamp": pd.to_datetime(["2026-09-03", "2026-09-20", "2026-10-01", "2026-10-02",
                                                          "2026-10-05", "2026-08-01"]),
                            "channel": ["email", "email", "search", "search", "email", "app"]})
    out = jd.monthly_touches(touches, MONTHS)
    assert out["touches"].tolist() == [2, 3]  # August is outside the window
    assert out.loc[MONTHS[-1], "top_channel"] == "search"
    assert out.loc[MONTHS[-1], "top_share"] == pytest.approx(2 / 3)
    dec = pd.DataFrame({"date": pd.to_datetime(["2026-09-30", "2026-10-01", "2026-10-02"]),
                        "trend": [10.0, 20.0, 40.0], "peak": [True, False, True]})
    trend = jd.monthly_trend(dec, MONTHS)
    assert trend["trend"].tolist() == [10.0, 30.0]
    assert trend["peaks"].tolist() == [1, 1]
    assert jd.change(trend["trend"]) == pytest.approx(2.0)
    assert jd.change(pd.Series([0.0, 5.0])) is None


def test_influencers_audience_interactions_by_hand():
    mentions = pd.DataFrame({"mention_id": ["M1", "M2", "M3", "M4"], "account_id": ["A1", "A2", "A1", "BR"],
                             "platform": ["tiktok", "twitter", "tiktok", "twitter"],
                             "brand": ["Lys", "Lys", "Orbe", "Lys"],
                             "timestamp": pd.to_datetime(["2026-10-01"] * 4)})
    interactions = pd.DataFrame({"post_id": ["M1", "M1", "M1", "M2", "M3", "M4", "B1", "B2"],
                                 "timestamp": pd.to_datetime(["2026-10-02"] * 7 + ["2026-09-02"])})
    table, leaders = jd.influencers(mentions, interactions, "Lys", ["BR"], MONTHS, top=1)
    # the brand's own account (BR) and another brand's mention (M3) do not count
    assert table.loc[MONTHS[-1]].to_dict() == {"interactions": 4, "authors": 2, "top_share": 0.75}
    assert table.loc[MONTHS[0], "interactions"] == 0
    assert leaders.to_dict("records") == [{"account_id": "A1", "interactions": 3, "platform": "tiktok",
                                           "mentions": 1}]
    posts = pd.DataFrame({"post_id": ["B1", "B2"], "brand": ["Lys", "Lys"]})
    inter = jd.brand_interactions(interactions, posts, mentions, "Lys", MONTHS)
    assert inter.loc[MONTHS[-1]].to_dict() == {"on_posts": 1, "on_mentions": 5, "interactions": 6}
    assert inter.loc[MONTHS[0]].to_dict() == {"on_posts": 1, "on_mentions": 0, "interactions": 1}
    audience = pd.DataFrame({"date": pd.to_datetime(["2026-09-29", "2026-09-30", "2026-10-31", "2026-10-31",
                                                     "2026-09-30"]),
                             "platform": ["tiktok", "tiktok", "tiktok", "twitter", "twitter"],
                             "brand": ["Lys", "Lys", "Lys", "Lys", "Orbe"], "followers": [90, 100, 120, 50, 999]})
    aud = jd.audience(audience, "Lys", MONTHS)
    assert aud.loc[MONTHS[0], "tiktok"] == 100  # the month's last day, not the sum of days
    assert aud.loc[MONTHS[-1], "total"] == 170


def test_influencers_found_are_the_planted_ones(sample_dir, truth):
    """On the sample, the ten most relayed authors of October 2026 are planted influencers."""
    months = pd.period_range("2025-11", "2026-10", freq="M")
    mentions = datasets.read_table("mentions", sample_dir)
    interactions = datasets.read_table("interactions", sample_dir, columns=["post_id", "timestamp"])
    accounts = datasets.read_table("social_accounts", sample_dir, columns=["account_id", "account_type"])
    brand = mentions["brand"].mode().iloc[0]
    table, leaders = jd.influencers(mentions, interactions, brand,
                                    accounts.loc[accounts["account_type"] == "brand", "account_id"], months)
    planted = set(truth["influencers"]["account_id"])
    assert len(leaders) == 10
    assert set(leaders["account_id"]) <= planted
    assert table["top_share"].between(0, 1).all()


def test_known_customers_only_for_the_month():
    leaders = pd.DataFrame({"account_id": ["A1", "A2", "A3"]})
    links = pd.DataFrame({"account_id": ["A1", "A3", "A9"], "customer_id": ["C1", "C3", "C9"], "month": "2026-10"})
    assert jd.known_customers(leaders, links, pd.Period("2026-10", "M")) == 2
    assert jd.known_customers(leaders, links, pd.Period("2026-11", "M")) is None  # another month's links
    assert jd.known_customers(leaders, None, pd.Period("2026-10", "M")) is None


def test_dimension_lines_and_takeaway():
    months = MONTHS
    dims = {
        "touchpoints": pd.DataFrame({"touches": [1000, 900], "top_channel": ["website", "website"],
                                     "top_share": [0.2, 0.25]}, index=months),
        "trend": pd.DataFrame({"trend": [100.0, 100.2], "peaks": [0, 2]}, index=months),
        "influencers": pd.DataFrame({"interactions": [100, 150], "authors": [40, 50], "top_share": [0.3, 0.4]},
                                    index=months),
        "leaders": pd.DataFrame({"account_id": ["A1", "A2"], "interactions": [40, 20], "platform": ["tiktok", "x"],
                                 "mentions": [3, 1]}),
        "audience": pd.DataFrame({"tiktok": [100, 110], "x": [200, 200], "total": [300, 310]}, index=months),
        "interactions": pd.DataFrame({"on_posts": [50, 50], "on_mentions": [100, 150], "interactions": [150, 200]},
                                     index=months),
    }
    lines = dp.dimension_lines(dims, {"tiktok": "TikTok", "x": "X (Twitter)"}.get)
    assert lines["touchpoints"] == (f"900 points de contact dans le mois (\u221210,0{P} sur un mois) ; canal le plus "
                                    f"fréquent : Site web (25,0{P} des contacts).")
    assert "2\u00a0jours de pic dans le mois" in lines["trend"]
    assert lines["influencers"] == (f"les 2 comptes les plus relayés ont reçu 40,0{P} des 150 interactions sur les "
                                    f"mentions de la marque (+50,0{P} sur un mois, 50\u00a0auteurs) ; le premier, sur TikTok, en a reçu 40.")
    # who sells: the platform whose revenue share most exceeds its conversation share; known customers
    social = pd.DataFrame({"platform": ["tiktok", "x"], "revenue_share": [0.4, 0.6], "conversation_share": [0.2, 0.8]})
    both = dp.dimension_lines({**dims, "social": social, "leaders_customers": 1},
                              {"tiktok": "TikTok", "x": "X (Twitter)"}.get)["influencers"]
    assert both.endswith(f"en a reçu 40 ; 1 de ces 2 comptes est un client du fichier. Qui vend : TikTok fait plus "
                         f"vendre que parler (40,0{P} du chiffre d'affaires des parcours exposés pour 20,0{P} des "
                         f"conversations, 12 mois).")
    assert lines["audience"] == (f"310 abonnés aux comptes de la marque (+3,3{P} sur un mois) ; croissance la plus "
                                 f"forte : TikTok (+10,0{P}).")
    assert lines["interactions"].endswith(f"(+33,3{P} sur un mois), dont 75,0{P} sur les mentions.")
    assert dp.dimensions_takeaway(dims) == (
        f"en hausse sur un mois : influenceurs, audiences, interactions ; en baisse : points de contact. "
        f"Le plus fort mouvement : influenceurs (+50,0{P}).")


@pytest.mark.parametrize(("n", "word", "expected"), [
    (0, "jour", "0\u00a0jour"), (1, "alerte", "1\u00a0alerte"), (1.5, "jour", "1,5\u00a0jour"),
    (2, "jour", "2\u00a0jours"), (3, "mention annotée", "3\u00a0mentions annotées"),
    (4, "journal", "4\u00a0journaux"), (2, "prix", "2\u00a0prix"), (12, "détracteur", "12\u00a0détracteurs"),
    (1234, "idée nouvelle", "1\u202f234\u00a0idées nouvelles"),
])
def test_french_count(n, word, expected):
    decimals = 1 if n == 1.5 else 0
    assert french.count(n, word, decimals=decimals) == expected


def test_french_plural_irregular_and_missing():
    assert french.plural(5, "œil", "yeux") == "yeux"
    assert french.plural(1, "œil", "yeux") == "œil"
    assert french.plural(None, "jour") == "jour"
    assert french.plural(float("nan"), "jour") == "jour"
