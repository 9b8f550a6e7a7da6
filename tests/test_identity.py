"""Identity resolution between CRM customers and social accounts (splink, Fellegi-Sunter)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import identity
from workbench.ambassadors import link_identities as public_link_identities

FIRST = ["Marie", "Jean", "Léa", "Hugo", "Chloé", "Louis", "Inès", "Paul", "Sophie", "Nicolas",
         "Émilie", "Thomas", "Camille", "Julien", "Sarah", "Antoine"]
# a CRM has thousands of surnames: build them from syllables
LAST = [a + b + c for a in ("Ber", "Mar", "Du", "Le", "Fon", "Gi", "Ro", "Cha", "Vi", "Lam")
        for b in ("nar", "ti", "bo", "ran", "mo", "ri", "lle", "sa") for c in ("d", "n", "t", "z", "")]
CITIES = ["Paris", "Lyon", "Marseille", "Lille", "Nantes", "Rennes", "Saint-Étienne", "Brest"]

# (first, last, e-mail, city) of planted customers and how their account shows them
PLANTED = [
    (("Hélène", "Lefèvre-Giraud", "helene.lg@mail.fr", "Lyon"),
     ("helene.lefevregiraud", "Helene Lefevre-Giraud", "📍 Lyon")),  # accents dropped
    (("François", "Dufresnoy", "fdufresnoy@mail.fr", "Paris"),
     ("fdufresnoy", "Francois Dufresnoi", "Vit à Paris")),  # one typo
    (("Stéphanie", "Bérangère", "sberangere@mail.fr", "Nantes"),
     ("fanny_berangere", "Fanny Bérangère", "Nantes · Fan de déco")),  # nickname
    (("Maxime", "Castellane", "max.castellane@mail.fr", "Brest"),
     ("maxcastellane", "M. Castellane", "Brest")),  # initial
    (("Zoé", "Vasseur-Noël", "zoe.vn@mail.fr", "Rennes"),
     ("zoevn", "Zoé V.", "contact : zoe.vn@mail.fr")),  # e-mail in the bio, initial
    (("Timothée", "Abramovici", "t.abramo@mail.fr", "Lille"),
     ("timotheeabramovici", "TIMOTHÉE ABRAMOVICI", "Lille")),  # upper case
]


@pytest.fixture(scope="module")
def fixture():
    r = np.random.default_rng(7)
    n = 300
    cust = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "first_name": np.array(FIRST)[r.integers(0, len(FIRST), n)],
            "last_name": np.array(LAST)[r.integers(0, len(LAST), n)],
            "email": None,
            "city": np.array(CITIES)[r.integers(0, len(CITIES), n)],
            "birth_year": r.integers(1950, 2005, n),
        }
    )
    cust["email"] = [f"{f[0].lower()}{i}@mail.fr" for i, f in enumerate(cust["first_name"])]
    planted_c = pd.DataFrame(
        [(f"P{k}", f, la, e, c, 1980 + k) for k, ((f, la, e, c), _) in enumerate(PLANTED)],
        columns=cust.columns,
    )
    # accounts of 60 random CRM customers, with exact names and their city
    owners = cust.sample(60, random_state=1)
    acc_owned = pd.DataFrame(
        {
            "account_id": [f"A{i:04d}" for i in range(len(owners))],
            "handle": [f"{identity._key(identity.normalise_text(f + la))}"
                       for f, la in zip(owners["first_name"], owners["last_name"], strict=True)],
            "display_name": (owners["first_name"] + " " + owners["last_name"]).to_numpy(),
            "bio": owners["city"].to_numpy(),
        }
    )
    planted_a = pd.DataFrame(
        [(f"AP{k}", h, d, b) for k, (_, (h, d, b)) in enumerate(PLANTED)],
        columns=["account_id", "handle", "display_name", "bio"],
    )
    decoys = pd.DataFrame(  # people who are not customers (names absent from the CRM)
        {
            "account_id": [f"D{i}" for i in range(5)],
            "handle": ["randomgirl", "xx_gamer", "pierre.quentin", "bob", "yann_ker"],
            "display_name": ["Clara Morel", "Gamer X", "Pierre Quentin", None, "Yann Kerguelen"],
            "bio": [None, "Paris", "Lyon", "Marseille", None],
        }
    )
    brand = pd.DataFrame({"account_id": ["B1"], "handle": ["maisonlys"],
                          "display_name": ["Maison Lys"], "bio": ["Compte officiel"]})
    accounts = pd.concat([acc_owned, planted_a, decoys, brand], ignore_index=True)
    accounts["account_type"] = ["person"] * (len(accounts) - 1) + ["brand"]
    accounts["platform"] = "twitter"
    accounts["followers"] = 100
    customers = pd.concat([cust, planted_c], ignore_index=True)
    truth = set(zip(owners["customer_id"], acc_owned["account_id"], strict=True)) | {
        (f"P{k}", f"AP{k}") for k in range(len(PLANTED))
    }
    # owned accounts of homonyms (same first, last and city) cannot be told apart
    key = customers["first_name"] + "|" + customers["last_name"] + "|" + customers["city"]
    dup = set(customers.loc[key.duplicated(keep=False), "customer_id"])
    resolvable = {(c, a) for c, a in truth if c not in dup}
    return customers, accounts, truth, resolvable


def test_normalise_text_and_features():
    assert identity.normalise_text("  Hélène LEFÈVRE-Giraud ") == "helene lefevre giraud"
    assert identity.normalise_text(None) is None
    acc = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "handle": ["zoe_vn85", "M.Castellane", "x"],
            "display_name": ["Zoé V.", "M. Castellane", None],
            "bio": ["📍 Saint-Étienne · contact : Zoe.VN@mail.fr", "Vit à Brest", None],
            "account_type": ["person", "person", "person"],
        }
    )
    f = identity.account_features(acc, ["Saint-Étienne", "Brest", "Paris"]).set_index("unique_id")
    assert f.loc["a", "email"] == "zoe.vn@mail.fr"
    assert f.loc["a", "city"] == "saintetienne"
    assert f.loc["a", "first_name"] == "zoe" and f.loc["a", "last_name"] == "v"
    assert f.loc["a", "birth_yy"] == "85"
    assert f.loc["b", "first_initial"] == "m" and f.loc["b", "last_name"] == "castellane"
    assert f.loc["b", "city"] == "brest" and pd.isna(f.loc["b", "email"])
    assert pd.isna(f.loc["c", "full_name"])


def test_link_identities_recovers_planted_pairs(fixture):
    customers, accounts, truth, resolvable = fixture
    # nearly every account of this fixture is a customer's: say so through the prior
    links = public_link_identities(customers, accounts, linked_share=0.9)
    assert links.attrs["training"] == "fixed m"  # too few near-sure pairs for EM here
    got = set(zip(links["customer_id"], links["account_id"], strict=True))
    # every link is right; nearly all resolvable pairs are found, all the hard planted ones
    assert got <= truth, sorted(got - truth)
    assert len(resolvable & got) >= 0.9 * len(resolvable), sorted(resolvable - got)
    assert {f"AP{k}" for k in range(len(PLANTED))} <= set(links["account_id"])
    assert not {"D0", "D1", "D2", "D3", "D4", "B1"} & set(links["account_id"])
    assert links.attrs["non_person_accounts_excluded"] == 1
    assert links["account_id"].is_unique  # one customer per account
    assert links["match_probability"].between(0.6, 1).all()


def test_links_are_explained_without_personal_values(fixture):
    customers, accounts, _, _ = fixture
    links = identity.link_identities(customers, accounts, linked_share=0.9)
    planted = links.set_index("account_id")
    assert planted.loc["AP4", "level_email"] == "identique"
    assert planted.loc["AP2", "level_name"] == "surnom, nom identique"
    assert planted.loc["AP1", "level_name"] == "une faute de frappe"
    assert planted.loc["AP3", "level_name"].startswith("initiale du prénom")
    assert planted.loc["AP0", "level_city"] == "identique"
    assert planted.loc["AP0", "bf_city"] > 1 and planted.loc["AP0", "bf_email"] == 1.0
    long = identity.explain_links(links)
    assert len(long) == len(links) * len(identity.COMPARISON_LABELS)
    assert set(long["comparaison"]) == set(identity.COMPARISON_LABELS.values())
    personal = {"first_name", "last_name", "email", "handle", "display_name", "bio", "city"}
    assert not personal & set(links.columns)
    values = set(customers["last_name"]) | set(accounts["handle"])
    assert not values & set(long.astype(str).to_numpy().ravel())


def test_link_identities_is_deterministic(fixture):
    customers, accounts, _, _ = fixture
    a = identity.link_identities(customers, accounts, linked_share=0.9, seed=3)
    b = identity.link_identities(customers, accounts, linked_share=0.9, seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_link_identities_errors(fixture):
    customers, accounts, _, _ = fixture
    with pytest.raises(ValueError, match="threshold"):
        identity.link_identities(customers, accounts, threshold=1.5)
    with pytest.raises(ValueError, match="missing column"):
        identity.link_identities(customers.drop(columns="email"), accounts)
    with pytest.raises(ValueError, match="unique"):
        identity.link_identities(pd.concat([customers, customers.head(1)]), accounts)
    empty = identity.link_identities(customers, accounts[accounts["account_type"] == "brand"])
    assert empty.empty and list(empty.columns[:3]) == ["customer_id", "account_id",
                                                       "match_probability"]


def test_display_name_shapes_compound_first_names_and_particles():
    names = ["Jean-François Le Moigne", "Marie-Thérèse R.", "F. Le Gall", "Anne Laure Schmitt",
             "Amira Da Silva", "Paul Martin"]
    acc = pd.DataFrame({"account_id": [f"a{i}" for i in range(len(names))], "handle": "x",
                        "display_name": names, "bio": None, "account_type": "person"})
    f = identity.account_features(acc, ["Paris"]).set_index("unique_id")
    got = list(zip(f["first_name"], f["last_name"], strict=True))
    assert got == [("jeanfrancois", "lemoigne"), ("marietherese", "r"), ("f", "legall"),
                   ("annelaure", "schmitt"), ("amira", "dasilva"), ("paul", "martin")]
    # the full name never depends on where the split falls
    assert f.loc["a0", "full_name"] == "jeanfrancoislemoigne"


def test_shared_email_is_not_evidence(fixture):
    customers, accounts, _, _ = fixture
    family = pd.DataFrame(
        {"customer_id": ["F1", "F2"], "first_name": ["Paulin", "Judith"],
         "last_name": ["Quernec", "Quernec"], "email": ["famille.quernec@mail.fr"] * 2,
         "city": ["Brest", "Brest"], "birth_year": [1970, 1972]})
    acc = pd.DataFrame({"account_id": ["AF"], "handle": ["judith.q"],
                        "display_name": ["Judith Quernec"],
                        "bio": ["Brest · contact : famille.quernec@mail.fr"],
                        "account_type": ["person"]})
    both = pd.concat([customers, family], ignore_index=True)
    feats = identity.customer_features(both).set_index("unique_id")
    assert feats.loc[["F1", "F2"], "email"].isna().all()
    assert feats["email"].notna().sum() == customers["email"].notna().sum()
    links = identity.link_identities(both, pd.concat([accounts, acc], ignore_index=True),
                                     linked_share=0.9)
    assert links.attrs["shared_emails_ignored"] == 2
    row = links.set_index("account_id").loc["AF"]
    assert row["customer_id"] == "F2" and row["level_email"] == "absent"


def test_duckdb_is_limited_to_two_threads():
    con = identity._connect()
    try:
        threads = con.sql("SELECT current_setting('threads')").fetchall()[0][0]
    finally:
        con.close()
    assert threads == identity.DUCKDB_THREADS == 2


def test_blocking_finds_true_pairs_with_near_linear_candidates(sample_dir, truth):
    """On the default sample: nearly every true pair shares a blocking key, and the candidate
    pairs stay a small multiple of the accounts (no "same first name and city" block)."""
    from workbench import datasets

    cust = datasets.read_table("customers", sample_dir)
    acc = datasets.read_table("social_accounts", sample_dir)
    crm = identity.customer_features(cust)
    social = identity.account_features(acc, cust["city"].dropna().unique().tolist())
    candidates = sum(identity._block_pairs(crm, social, [k]) for k in identity.BLOCKING_KEYS)
    assert candidates <= 10 * len(social), candidates
    pairs = truth["identity_pairs"].rename(columns={"customer_id": "c", "account_id": "a"})
    keys = list(identity.BLOCKING_KEYS)
    left = pairs.merge(crm[["unique_id", *keys]], left_on="c", right_on="unique_id")
    both = left.merge(social[["unique_id", *keys]], left_on="a", right_on="unique_id",
                      suffixes=("_c", "_a"))
    shared = np.zeros(len(both), dtype=bool)
    for k in keys:
        shared |= (both[f"{k}_c"] == both[f"{k}_a"]).fillna(False).to_numpy(dtype=bool)
    assert len(both) == len(pairs)
    assert shared.mean() >= 0.98, f"{shared.mean():.3f} of the true pairs are candidates"


# --- once a month: saved links, social profile per customer ------------------------------------

def test_links_for_month_reuses_saved_links_of_the_month_only(fixture, monkeypatch):
    customers, accounts, _, _ = fixture
    links, fresh = identity.links_for_month(None, customers, accounts, "2026-10", linked_share=0.9)
    assert fresh and links["month"].eq("2026-10").all() and len(links) > 0
    saved = links.copy()  # as read back from the processed folder (attrs are lost, columns kept)
    saved.attrs = {}
    calls = []
    monkeypatch.setattr(identity, "link_identities", lambda *a, **k: calls.append(1) or links)
    again, fresh2 = identity.links_for_month(saved, customers, accounts, "2026-10", linked_share=0.9)
    assert not fresh2 and not calls
    assert again.attrs["person_accounts"] == links.attrs["person_accounts"]
    assert not [c for c in again.columns if c.startswith("attr_")]
    _, fresh3 = identity.links_for_month(saved, customers, accounts, "2026-11", linked_share=0.9)
    assert fresh3 and calls  # another month: linked again
    _, fresh4 = identity.links_for_month(saved, customers, accounts, "2026-10", threshold=0.9)
    assert fresh4  # another threshold: linked again


def test_links_for_month_links_again_when_the_exports_changed(fixture, monkeypatch):
    customers, accounts, _, _ = fixture
    links, _ = identity.links_for_month(None, customers, accounts, "2026-10", sources="crm-1",
                                        linked_share=0.9)
    assert links["attr_sources"].eq("crm-1").all()
    calls = []
    monkeypatch.setattr(identity, "link_identities", lambda *a, **k: calls.append(1) or links)
    again, fresh = identity.links_for_month(links, customers, accounts, "2026-10", sources="crm-1")
    assert not fresh and not calls and again.attrs["sources"] == "crm-1"
    _, fresh2 = identity.links_for_month(links, customers, accounts, "2026-10", sources="crm-2")
    assert fresh2 and calls == [1]  # a corrected CRM or accounts export: linked again
    unstamped = links.drop(columns="attr_sources")  # saved before stamps existed
    _, fresh3 = identity.links_for_month(unstamped, customers, accounts, "2026-10", sources="crm-1")
    assert fresh3 and calls == [1, 1]


def test_social_profile_per_customer_shows_the_planted_detractors(sample_dir, truth):
    from workbench import datasets

    links = truth["identity_pairs"]
    accounts = datasets.read_table("social_accounts", sample_dir)
    mentions = datasets.read_table("mentions", sample_dir)
    pol = truth["mentions"].set_index("mention_id")["sentiment"].map(
        {"negative": -1.0, "neutral": 0.0, "positive": 1.0})
    start, end = pd.Timestamp("2026-08-01"), pd.Timestamp("2026-10-31 23:59:59")
    prof = identity.customer_social_profile(links, accounts, mentions, "Maison Lys", start, end, pol)
    assert set(prof.index) == set(links["customer_id"])
    assert (prof["accounts"] == links.groupby("customer_id").size().reindex(prof.index)).all()
    plats = set(accounts["platform"])
    assert prof["platforms"].str.split(", ").map(lambda p: set(p) <= plats).all()
    det = truth["detractors"]["customer_id"]
    # the three planted detractors have the three most negative balances of mentions
    assert set(prof["balance"].nsmallest(3).index) == set(det)
    assert (prof.loc[det, "positive_mentions"] == 0).all()
    segs = truth["segments"].set_index("customer_id")["segment"]
    by_seg = identity.social_by_segment(prof, segs)
    assert by_seg["customers"].sum() == len(segs)
    # the planted shares of customers with a social account, per segment, are recovered
    assert by_seg["linked_share"].idxmax() == "digital_natives"
    assert by_seg["linked_share"].idxmin() == "store_traditional"
