"""The sample generator: deterministic, valid against the contracts, truth consistent with data."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from workbench import datasets, profile, sample, schemas
from workbench.sample_retailers import FASHION, GROCERY


def _digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    sample.generate(out, customers=1_500, months=3, seed=7)
    return out


def test_same_seed_gives_identical_files(small, tmp_path):
    again = sample.generate(tmp_path / "again", customers=1_500, months=3, seed=7)
    assert _digest(small) == _digest(again)


def test_other_seed_gives_other_data(small, tmp_path):
    other = sample.generate(tmp_path / "other", customers=1_500, months=3, seed=8)
    a, b = _digest(small), _digest(other)
    assert a["customers.parquet"] != b["customers.parquet"]


def test_every_raw_table_is_written_and_honours_its_contract(small):
    prof = profile.load_profile(small / "retailer.yaml")
    assert prof == FASHION.profile  # the generator writes its own profile beside the data
    for name, table in schemas.contracts(prof).items():
        df = pd.read_parquet(small / f"{name}.parquet")
        assert len(df) > 0, name
        assert list(df.columns) == table.column_names, name
        for c in table.columns:
            if not c.nullable:
                assert df[c.name].notna().all(), (name, c.name)
            if c.allowed is not None:
                assert df[c.name].dropna().isin(c.allowed).all(), (name, c.name)
        if table.key:
            assert not df.duplicated(list(table.key)).any(), name


def test_truth_is_written_apart_and_refers_to_real_rows(small):
    truth = sample.load_truth(small)
    customers = pd.read_parquet(small / "customers.parquet")
    accounts = pd.read_parquet(small / "social_accounts.parquet")
    mentions = pd.read_parquet(small / "mentions.parquet")
    assert set(truth["segments"]["segment"]) == set(sample.SEGMENTS)
    assert truth["segments"]["customer_id"].tolist() == customers["customer_id"].tolist()
    assert truth["identity_pairs"]["customer_id"].isin(customers["customer_id"]).all()
    assert truth["identity_pairs"]["account_id"].isin(accounts["account_id"]).all()
    assert truth["influencers"]["account_id"].isin(accounts["account_id"]).all()
    assert truth["mentions"]["mention_id"].isin(mentions["mention_id"]).all()
    assert truth["manifest"]["synthetic"] is True
    assert not any(p.name.startswith("_") for p in small.glob("*.parquet"))


def test_references_between_tables_hold(small):
    tx = pd.read_parquet(small / "transactions.parquet")
    lines = pd.read_parquet(small / "transaction_lines.parquet")
    tp = pd.read_parquet(small / "touchpoints.parquet")
    stores = pd.read_parquet(small / "stores.parquet")
    assert lines["transaction_id"].isin(tx["transaction_id"]).all()
    sums = lines.groupby("transaction_id")["amount"].sum().reindex(tx["transaction_id"]).to_numpy()
    assert abs(sums - tx["amount"].to_numpy()).max() < 0.02
    assert tp["transaction_id"].dropna().isin(tx["transaction_id"]).all()
    assert tx["store_id"].dropna().isin(stores["store_id"]).all()
    assert tx.loc[tx["channel"].isin(["store", "click_collect"]), "store_id"].notna().all()


def test_default_sample_plants_what_the_analyses_must_find(sample_dir, truth):
    """Planted signals are present in the raw data (not a test of any analysis)."""
    mentions = pd.read_parquet(sample_dir / "mentions.parquet")
    crisis = truth["crisis"]
    day = mentions["timestamp"].dt.normalize()
    own = mentions[mentions["brand"] == sample.BRAND]
    daily = own.groupby(day).size()
    assert daily.loc[pd.Timestamp(crisis["date"])] > 2 * daily.median()
    assert truth["manifest"]["period"] == {"start": "2025-11-01", "end": "2026-10-31"}
    assert 0.15 < len(truth["web_to_store"]) / len(truth["segments"]) < 0.25


def test_default_sample_plants_dropouts_interests_and_detractors(sample_dir, truth):
    """The customer plants of issue 18 are in the raw data, with the strength docs/sample_data.md
    gives (not a test of any analysis)."""
    customers = pd.read_parquet(sample_dir / "customers.parquet", columns=["customer_id"])
    tx = pd.read_parquet(sample_dir / "transactions.parquet", columns=["transaction_id", "customer_id", "timestamp"])
    # drop-out: about DROPOUT_SHARE of customers, never a purchase from their date on
    drop = truth["dropouts"]
    assert abs(len(drop) / len(customers) - sample.DROPOUT_SHARE) < 0.01
    after = tx.merge(drop, on="customer_id")
    assert (after["timestamp"] < after["dropout_date"]).all() and len(after) > 0
    # interests: their lines concentrate on the category (its base share is far lower)
    lines = pd.read_parquet(sample_dir / "transaction_lines.parquet", columns=["transaction_id", "category"])
    lines = lines.merge(tx[["transaction_id", "customer_id"]], on="transaction_id")
    fav = lines.merge(truth["interests"], on="customer_id", suffixes=("", "_fav"))
    share = (fav["category"] == fav["category_fav"]).mean()
    assert share > sample.INTEREST_LINE_SHARE
    assert abs(len(truth["interests"]) / len(customers) - sample.INTEREST_SHARE) < 0.02
    # detractors: linked customers whose posts about the brand in the last quarter are negative
    det = truth["detractors"]
    assert len(det) == sample.N_DETRACTORS
    assert set(zip(det["customer_id"], det["account_id"], strict=True)) <= set(
        zip(truth["identity_pairs"]["customer_id"], truth["identity_pairs"]["account_id"], strict=True))
    mentions = pd.read_parquet(sample_dir / "mentions.parquet").merge(truth["mentions"], on="mention_id")
    theirs = mentions[mentions["account_id"].isin(det["account_id"]) & (mentions["brand"] == sample.BRAND)]
    assert (theirs["sentiment"] != "positive").all()
    assert (theirs["sentiment"] == "negative").groupby(theirs["account_id"]).sum().min() >= sample.DETRACTOR_NEGATIVES


def test_rejects_impossible_arguments(tmp_path):
    with pytest.raises(ValueError, match="customers"):
        sample.generate(tmp_path, customers=10)
    with pytest.raises(ValueError, match="months"):
        sample.generate(tmp_path, customers=1_000, months=0)


# --- chunked generation (a million customers are written chunk by chunk) ---------------------


@pytest.fixture(scope="module")
def chunked(tmp_path_factory):
    """5,000 customers written in 3 chunks (2,000 + 2,000 + 1,000)."""
    out = tmp_path_factory.mktemp("chunked")
    sample.generate(out, customers=5_000, months=3, seed=7, chunk_size=2_000)
    return out


def test_chunked_generation_is_deterministic(chunked, tmp_path):
    again = sample.generate(tmp_path / "again", customers=5_000, months=3, seed=7, chunk_size=2_000)
    assert _digest(chunked) == _digest(again)


def test_ids_run_on_across_chunks(chunked):
    customers = pd.read_parquet(chunked / "customers.parquet")
    assert customers["customer_id"].tolist() == [f"C{i:07d}" for i in range(1, 5_001)]
    for table, column, prefix, width in (
        ("transactions", "transaction_id", "T", 9),
        ("touchpoints", "touchpoint_id", "P", 10),
    ):
        ids = pd.read_parquet(chunked / f"{table}.parquet", columns=[column])[column]
        assert ids.tolist() == [f"{prefix}{i:0{width}d}" for i in range(1, len(ids) + 1)], table


def test_each_person_keeps_own_email_and_devices_across_chunks(chunked):
    customers = pd.read_parquet(chunked / "customers.parquet")
    emails = customers["email"].dropna()
    assert not emails.duplicated().any(), emails[emails.duplicated(keep=False)].tolist()[:6]
    tp = pd.read_parquet(chunked / "touchpoints.parquet", columns=["visitor_id", "customer_id"])
    owners = tp.dropna(subset=["customer_id"]).groupby("visitor_id")["customer_id"].nunique()
    assert owners.max() == 1  # a device is never shared by customers of different chunks
    # every chunk contributes: the last chunk's customers have journeys too
    tx = pd.read_parquet(chunked / "transactions.parquet", columns=["customer_id"])
    assert tx["customer_id"].dropna().str[1:].astype(int).max() > 4_900


def test_volumes_per_customer_do_not_depend_on_chunk_size(chunked, tmp_path):
    whole = sample.generate(tmp_path / "whole", customers=5_000, months=3, seed=7)
    for table in ("transactions", "touchpoints", "email_events", "mentions"):
        a = pd.read_parquet(chunked / f"{table}.parquet").shape[0]
        b = pd.read_parquet(whole / f"{table}.parquet").shape[0]
        assert abs(a - b) / b < 0.08, (table, a, b)


def test_fast_helpers_match_what_they_replace():
    """The sample stays byte-identical only if these equal numpy's choice and Python's f-strings."""
    import numpy as np

    rng = np.random.default_rng(3)
    numbers = rng.integers(0, 10**9, 2_000)
    assert list(sample._id_strings("V", numbers, 9)) == [f"V{v:09d}" for v in numbers]
    assert list(sample._id_strings("C", [5, 10**7, 3], 7, valid=[True, True, False]))[:2] == [
        "C0000005", "C10000000"]
    assert pd.isna(sample._id_strings("C", [5, 7], 7, valid=[False, True])[0])
    assert list(sample._labels([1, -1, 0], ["a", "b"]).fillna("-")) == ["b", "-", "a"]
    p = np.array([0.30, 0.35, 0.20, 0.15])
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    for size in [1, 2, 3, 4, 2, 1] * 50:
        assert a.choice(4, size=size, replace=False, p=p).tolist() == sample._pick_distinct(b, p, size)
        assert a.choice(4, p=p) == sample._pick_one(b, cdf)
    assert a.random() == b.random()  # same stream position afterwards


# --- the default sample does not move (notebooks' checked outputs depend on it) ---------------

DEFAULT_CONTENT = {  # sha256 of pandas' row hashes (stable across Parquet writer versions)
    "stores": "2d8855362f7fee33",
    "customers": "6b7a01d8673d1919",
    "transaction_lines": "0f92626cefd835cf",
    "mentions": "644971b15650bcba",
    "social_accounts": "20cbadcfe28df1c3",
    "touchpoints": "0c6bf3e2affd1c98",
    "brand_posts": "0f0a0d218a4b4010",
    "_truth/segments": "41ada76adbefdde8",
}


def _content_hash(path) -> str:
    df = pd.read_parquet(path)
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()[:16]


def test_default_sample_content_is_unchanged(tmp_path):
    """`workbench sample` (20k customers, seed 0) gives the very rows it always gave (about 5 s)."""
    out = sample.generate(tmp_path / "default")
    got = {name: _content_hash(out / f"{name}.parquet") for name in DEFAULT_CONTENT}
    assert got == DEFAULT_CONTENT
    assert profile.load_profile(out / "retailer.yaml") == FASHION.profile


# --- the second retailer: a grocery chain of another shape ------------------------------------


@pytest.fixture(scope="module")
def grocery(tmp_path_factory):
    out = tmp_path_factory.mktemp("grocery")
    sample.generate(out, customers=600, months=3, seed=5, retailer="grocery")
    return out


def test_grocery_sample_is_deterministic_and_differs_from_fashion(grocery, small, tmp_path):
    again = sample.generate(tmp_path / "again", customers=600, months=3, seed=5, retailer="grocery")
    assert _digest(grocery) == _digest(again)
    assert (grocery / "retailer.yaml").read_bytes() != (small / "retailer.yaml").read_bytes()


def test_grocery_profile_validates_its_own_tables(grocery):
    prof = profile.load_profile(grocery / "retailer.yaml")
    assert prof == GROCERY.profile
    contracts = schemas.contracts(prof)
    for name in schemas.TABLES:
        df = datasets.read_file(grocery / f"{name}.parquet", contracts[name])  # pandera + keys
        assert len(df) > 0, name
    # ...and the fashion profile refuses them: the vocabularies really differ
    with pytest.raises(datasets.DataError, match="category"):
        datasets.read_file(grocery / "transaction_lines.parquet", schemas.contracts(FASHION.profile)["transaction_lines"])


def test_grocery_sample_has_its_own_shape(grocery):
    stores = pd.read_parquet(grocery / "stores.parquet")
    customers = pd.read_parquet(grocery / "customers.parquet")
    lines = pd.read_parquet(grocery / "transaction_lines.parquet")
    accounts = pd.read_parquet(grocery / "social_accounts.parquet")
    audience = pd.read_parquet(grocery / "audience.parquet")
    mentions = pd.read_parquet(grocery / "mentions.parquet")
    nominations = pd.read_parquet(grocery / "staff_nominations.parquet")
    assert set(lines["category"]) == set(GROCERY.categories) == {
        "epicerie", "frais", "boissons", "droguerie", "bebe", "bio"}
    assert {"youtube", "pinterest"} <= set(accounts["platform"]) and "tiktok" not in set(accounts["platform"])
    assert set(customers["loyalty_tier"]) == {"essentiel", "plus", "premium"}
    means = customers.groupby("loyalty_tier")["loyalty_points"].mean()
    assert means["essentiel"] < means["plus"] < means["premium"]  # tiers in order, lowest first
    assert set(stores["format"]) <= {"hyper", "super", "proxi"} and "proxi" in set(stores["format"])
    assert set(stores["format"]) & set(GROCERY.profile.formats_recruiting("crm"))  # both recruiting paths
    assert {"La Réunion", "Guadeloupe"} <= set(stores["region"]) and "La Réunion" in set(customers["region"])
    assert stores["store_name"].str.startswith("Épicerie Soleil ").all()
    assert set(stores.set_index("store_id").loc[nominations["store_id"], "format"]) == {"proxi"}
    assert set(mentions["brand"]) == set(audience["brand"]) == {"Épicerie Soleil", "Marché Vert", "Casa Prix"}
    # nothing of the fashion retailer leaks into the grocery's data
    fashion_words = ("Maison Lys", "maisonlys", "Orbe", "Kaléo", "kaleo", "cabines d'essayage")
    for name in ("mentions", "brand_posts", "store_reviews", "email_campaigns", "search_keywords", "stores"):
        df = pd.read_parquet(grocery / f"{name}.parquet")
        text = " ".join(" ".join(map(str, df[c].dropna().tolist())) for c in df.columns)
        assert not [w for w in fashion_words if w in text], name
    assert not set(FASHION.categories) & set(mentions["category"].dropna())


def test_grocery_plants_its_own_truth(grocery):
    truth = sample.load_truth(grocery)
    customers = pd.read_parquet(grocery / "customers.parquet")
    accounts = pd.read_parquet(grocery / "social_accounts.parquet")
    mentions = pd.read_parquet(grocery / "mentions.parquet")
    reviews = pd.read_parquet(grocery / "store_reviews.parquet")
    assert set(truth) >= {"segments", "web_to_store", "crisis", "influencers", "identity_pairs", "mentions",
                          "channel_effects", "kpi_relation", "suggestion", "reviews", "manifest",
                          "dropouts", "interests", "detractors"}
    assert truth["interests"]["category"].isin(GROCERY.categories).all()
    assert len(truth["detractors"]) == sample.N_DETRACTORS
    assert truth["manifest"]["brand"] == "Épicerie Soleil"
    assert truth["manifest"]["competitors"] == ["Marché Vert", "Casa Prix"]
    assert truth["manifest"]["fastest_growing_platform"] == "youtube"
    assert set(truth["segments"]["segment"]) == set(sample.SEGMENTS)
    assert truth["segments"]["customer_id"].tolist() == customers["customer_id"].tolist()
    assert truth["identity_pairs"]["account_id"].isin(accounts["account_id"]).all()
    assert truth["influencers"]["account_id"].isin(accounts["account_id"]).all()
    assert "Épicerie Soleil" in truth["kpi_relation"]["description"]
    # the crisis: a surge of the brand's mentions on its planted day, in the last month
    crisis = truth["crisis"]
    assert crisis["brand"] == "Épicerie Soleil" and crisis["date"] == "2026-01-09"
    own = mentions[mentions["brand"] == crisis["brand"]]
    daily = own.groupby(own["timestamp"].dt.normalize()).size()
    assert daily.loc[pd.Timestamp(crisis["date"])] > 2 * daily.median()
    # the recurring suggestion is the grocery's own (bulk aisle), in mentions and reviews
    assert truth["suggestion"]["keywords"] == ["vrac"]
    rec = truth["reviews"].loc[truth["reviews"]["is_recurring_suggestion"], "review_id"]
    assert reviews.set_index("review_id").loc[rec, "text"].str.contains("vrac").all() and len(rec) > 0
    assert mentions["text"].str.contains("vrac").sum() > 0
    # quality complaints concentrate on fresh food (planted product-line driver)
    t = truth["mentions"].merge(mentions[["mention_id", "category"]], on="mention_id")
    qneg = t[(t["theme"] == "qualité") & (t["sentiment"] == "negative")]["category"].value_counts(normalize=True)
    assert qneg.index[0] == "frais"


def test_inferred_grocery_profile_matches_the_generated_one(grocery):
    inferred = profile.infer_profile(grocery, "Épicerie Soleil")
    assert set(inferred.categories) == set(GROCERY.categories)
    assert set(inferred.platforms) == set(GROCERY.platforms)
    assert inferred.loyalty_tiers == GROCERY.tiers
    assert inferred.formats_recruiting("staff") == ("proxi",)
    assert set(inferred.competitors) == set(GROCERY.competitors)
    assert {"La Réunion", "Guadeloupe"} <= set(inferred.regions)


def test_unknown_retailer_is_refused(tmp_path):
    with pytest.raises(ValueError, match="grocery"):
        sample.generate(tmp_path, customers=300, months=1, retailer="bakery")


def test_cli_sample_retailer_option(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "g"
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "sample", "--retailer", "grocery",
                           "--customers", "300", "--months", "1", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert profile.load_profile(out / "retailer.yaml").brand == "Épicerie Soleil"
    assert sample.load_truth(out)["manifest"]["brand"] == "Épicerie Soleil"
