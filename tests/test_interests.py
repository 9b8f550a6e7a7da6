"""Customer interests (workbench.interests) against the sample's planted interests."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import datasets, interests, profile
from workbench import segmentation as seg


@pytest.fixture(scope="module")
def sample_interests(sample_dir, truth):
    """Features of October 2026, the planted identity pairs as links, and the three evidences."""
    retailer = profile.profile_for(sample_dir)
    cats = list(retailer.categories)
    period = pd.Period("2026-10", "M")
    tables = datasets.read_tables(["customers", "transactions", "stores", "social_accounts"], sample_dir)
    activity = datasets.customer_activity(sample_dir, seg.feature_windows([period]), categories=cats)
    features = seg.customer_features(tables, period, activity=activity[period], categories=cats,
                                     loyalty_tiers=retailer.loyalty_tiers)
    links = truth["identity_pairs"]
    mentions = datasets.read_table("mentions", sample_dir)
    ev = {
        "purchases": interests.purchase_evidence(features, cats),
        "posts": interests.post_evidence(mentions, links, cats),
        "bio": interests.bio_evidence(tables["social_accounts"], links, retailer.categories),
    }
    return features, cats, ev, links


def _scores(found: pd.DataFrame, planted: pd.Series) -> tuple[float, float]:
    planted = planted.reindex(found.index)
    has = found["interest"].notna()
    precision = float((found.loc[has, "interest"] == planted[has]).mean())
    recall = float((found.loc[planted.notna(), "interest"] == planted[planted.notna()]).mean())
    return precision, recall


def test_planted_interests_are_recovered(sample_interests, truth):
    features, cats, ev, _ = sample_interests
    found = interests.customer_interests(features.index, cats, ev["purchases"], ev["posts"], ev["bio"])
    planted = truth["interests"].set_index("customer_id")["category"]
    precision, recall = _scores(found, planted)
    # 6 categories: a random guess is right 1 time in 6
    assert precision > 0.65 and recall > 0.65, (precision, recall)
    # the sources are named for every interest found
    has = found["interest"].notna()
    assert (found.loc[has, "sources"] != "").all()
    assert set(" + ".join(found.loc[has, "sources"]).split(" + ")) == {"achats", "publications", "bio"}


def test_posts_and_bios_add_what_purchases_miss(sample_interests, truth):
    """For customers with a linked account, the person's own posts and bio raise the recall."""
    features, cats, ev, links = sample_interests
    linked = pd.Index(links["customer_id"].unique())
    planted = truth["interests"].set_index("customer_id")["category"].reindex(linked).dropna()
    only_buys = interests.customer_interests(planted.index, cats, ev["purchases"])
    all_three = interests.customer_interests(planted.index, cats, ev["purchases"], ev["posts"], ev["bio"])
    r1 = (only_buys["interest"] == planted).mean()
    r3 = (all_three["interest"] == planted).mean()
    assert r3 > r1 + 0.05, (r1, r3)


def test_bio_matches_the_profile_labels_without_accents():
    accounts = pd.DataFrame({"account_id": ["a1", "a2", "a3"],
                             "bio": ["Fan de BEAUTE !", "Passion high-tech", "Maman de 2 enfants"]})
    links = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "account_id": ["a1", "a2", "a3"]})
    labels = {"beaute": "Beauté", "high_tech": "High-tech", "enfant": "Enfant"}
    hits = interests.bio_evidence(accounts, links, labels)
    assert hits.loc["c1", "beaute"] == 1 and hits.loc["c2", "high_tech"] == 1
    assert hits.loc["c3"].sum() == 0  # "enfants" is not the word "enfant"


def test_interest_shares_and_portrait_per_segment(sample_interests):
    features, cats, ev, _ = sample_interests
    found = interests.customer_interests(features.index, cats, ev["purchases"], ev["posts"], ev["bio"])
    segs = pd.Series(["A", "B"] * (len(features) // 2) + ["A"] * (len(features) % 2), index=features.index)
    shares = interests.interest_shares(found, segs, cats)
    assert list(shares.columns) == cats and set(shares.index) == {"A", "B"}
    assert ((shares >= 0) & (shares <= 1)).all().all()
    portrait = interests.segment_portrait(features, segs, found)
    assert portrait["customers"].sum() == len(features)
    assert portrait["top_interest"].isin(cats).all()
    assert portrait["women_share"].between(0, 1).all()
