"""The sample generator: deterministic, valid against the contracts, truth consistent with data."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from workbench import sample, schemas


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
    for name, table in schemas.TABLES.items():
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


def test_rejects_impossible_arguments(tmp_path):
    with pytest.raises(ValueError, match="customers"):
        sample.generate(tmp_path, customers=10)
    with pytest.raises(ValueError, match="months"):
        sample.generate(tmp_path, customers=1_000, months=0)
