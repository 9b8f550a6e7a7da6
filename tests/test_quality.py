"""quality: planted problems in tiny tables are counted exactly; inputs are never modified."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import quality


def _tables():
    stores = pd.DataFrame({"store_id": ["S1", "S2"]})
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "email": ["a@x.fr", "A@x.fr ", None, "b@x.fr"],
            "home_store_id": ["S1", "S9", None, "S2"],
            "loyalty_tier": ["gold", "gold", "none", "silver"],
            "email_consent": pd.array([True, False, True, None], dtype="boolean"),
            "ambassador_consent": pd.array([True, False, False, False], dtype="boolean"),
            "signup_date": pd.to_datetime(["2025-01-01"] * 4),
        }
    )
    tx = pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T3"],
            "customer_id": ["C1", "C9", None],
            "store_id": ["S1", None, "S3"],
            "channel": ["store", "web", "store"],
            "timestamp": pd.to_datetime(
                ["2026-01-01 10:00", "2026-01-03 11:00", "2026-02-01 09:00"]
            ),
            "amount": [10.0, 20.0, 5.0],
            "n_items": pd.array([2, 1, 1], dtype="Int64"),
        }
    )
    lines = pd.DataFrame(
        {
            "transaction_id": ["T1", "T1", "T2"],
            "line_no": [1, 2, 1],
            "category": ["mode", "maison", "sport"],
            "quantity": [1, 1, 2],
            "amount": [4.0, 6.0, 19.0],
        }
    )
    return {
        "stores": stores,
        "customers": customers,
        "transactions": tx,
        "transaction_lines": lines,
    }


def test_link_checks_count_broken_ids():
    got = quality.link_checks(_tables()).set_index("check")["count"].to_dict()
    # checks named in French (the contracts' column labels, the tables' French names)
    assert got["« magasin habituel (id) » inconnu dans « Magasins »"] == 1
    assert got["« client (id) » inconnu dans « Clients (CRM) »"] == 1  # C9; the anonymous purchase is not broken
    assert got["« magasin (id) » inconnu dans « Magasins »"] == 1  # S3
    assert got["« achat (id) » inconnu dans « Achats »"] == 0


def test_consistency_checks():
    got = quality.consistency_checks(_tables()).set_index("check")["count"].to_dict()
    assert got == {
        "achats sans ligne de détail": 1,  # T3
        "montant différent de la somme des lignes": 1,  # T2: 19 vs 20
        "nombre d'articles différent des lignes": 1,  # T2: 2 vs 1
    }


def test_consent_rates_exact():
    tiers = ["none", "silver", "gold", "platinum"]  # the retailer profile's loyalty_tiers
    got = quality.consent_rates(_tables()["customers"], order=tiers).set_index("segment")
    assert list(got.index) == ["ensemble", "none", "silver", "gold"]  # profile order
    assert got.loc["ensemble", "email_consent"] == pytest.approx(0.5)  # missing = no consent
    assert got.loc["gold", "ambassador_consent"] == pytest.approx(0.5)
    assert got.loc["gold", "n_customers"] == 2
    with pytest.raises(ValueError, match="email_consent"):
        quality.consent_rates(pd.DataFrame({"customer_id": ["C1"]}))


def test_missing_and_duplicates_and_coverage():
    t = _tables()
    miss = quality.missing_values(t).set_index(["table", "column"])
    assert miss.loc[("transactions", "store_id"), "missing"] == 1
    assert miss.loc[("customers", "email"), "missing_share"] == pytest.approx(0.25)
    dups = quality.duplicate_checks(t).set_index(["table", "check"])["count"]
    assert dups[("customers", "clients partageant un e-mail")] == 2  # case and spaces ignored
    assert dups[("transactions", "identifiants en double (achat (id))")] == 0
    cov = quality.date_coverage(t).set_index("table")
    assert (
        cov.loc["transactions", "days"] == 32 and cov.loc["transactions", "days_without_rows"] == 29
    )
    months = quality.rows_per_month(t)
    assert months.loc["2026-01", "transactions"] == 2 and months.loc["2026-02", "transactions"] == 1


def test_inputs_not_modified():
    t = _tables()
    before = {k: v.copy() for k, v in t.items()}
    quality.link_checks(t)
    quality.consistency_checks(t)
    quality.duplicate_checks(t)
    quality.missing_values(t)
    quality.consent_rates(t["customers"])
    for k in t:
        pd.testing.assert_frame_equal(t[k], before[k])


def test_flags_summary():
    status = pd.DataFrame({"status": ["valide", "invalide", "absente", "valide"]})
    links = pd.DataFrame({"count": [1, 2]})
    cons = pd.DataFrame({"count": [3]})
    assert quality.flags_summary(status, links, cons) == {
        "tables_refused": 1,
        "tables_absent": 1,
        "rows_flagged": 6,
    }


def test_oracle_duplicate_and_link_counts_match_pandas():
    import numpy as np

    from oracles import _is_in, _n_duplicated  # the pandas profile's helpers (test oracle)

    rng = np.random.default_rng(3)
    df = pd.DataFrame({
        "a": pd.Series(rng.choice(["x", "y", None], 500), dtype="str"),
        "b": rng.integers(0, 4, 500),
        "c": pd.Series(rng.choice([1.5, np.nan], 500)),
    })
    assert _n_duplicated(df, ["a", "b", "c"]) == int(df.duplicated().sum()) > 0
    assert _n_duplicated(df, ["a"]) == int(df.duplicated(subset=["a"]).sum()) == 497
    assert _n_duplicated(df.iloc[:0], ["a"]) == 0
    ref = pd.Series(["x", "z"], dtype="str")
    vals = df["a"].dropna()
    assert (_is_in(vals, ref) == vals.isin(ref).to_numpy()).all()
    # ids of another type: same answer as pandas (no match), no crash
    assert not _is_in(pd.Series([1, 2]), ref).any()


def test_scan_profile_equals_pandas_on_sample(sample_dir):
    """The DuckDB profile over the files gives the same tables as pandas on whole tables."""
    from workbench import datasets

    tables, status = datasets.read_available(data_dir=sample_dir)
    kept, status2, prof = datasets.scan_available(
        data_dir=sample_dir, keep=["customers"], links=quality.LINKS
    )
    pd.testing.assert_frame_equal(status, status2)
    assert list(kept) == ["customers"]
    pd.testing.assert_frame_equal(kept["customers"], tables["customers"])
    import oracles

    expected = oracles.profile(tables)  # the former pandas profile
    in_memory = quality.profile(tables)  # the scan's SQL over the frames
    for k in ["shapes", "missing", "day_counts", "duplicates", "links", "purchase_mismatches"]:
        pd.testing.assert_frame_equal(prof[k], expected[k], check_dtype=False)
        pd.testing.assert_frame_equal(in_memory[k], expected[k], check_dtype=False)
    n_tx = len(tables["transactions"])
    same = [
        (quality.table_overview(tables), quality.table_overview(prof["shapes"])),
        (quality.date_coverage(tables), quality.date_coverage(prof["day_counts"])),
        (quality.rows_per_month(tables), quality.rows_per_month(prof["day_counts"])),
        (quality.missing_values(tables), quality.missing_values(prof["missing"])),
        (quality.duplicate_checks(tables),
         quality.duplicate_checks(prof["duplicates"], customers=kept["customers"])),
        (quality.link_checks(tables), quality.link_checks(prof["links"])),
        (quality.consistency_checks(tables),
         quality.consistency_checks(prof["purchase_mismatches"], n_transactions=n_tx)),
    ]
    for old, new in same:
        pd.testing.assert_frame_equal(old, new)
    dups = quality.duplicate_checks(prof["duplicates"]).set_index(["table", "check"])["count"]
    assert dups[("touchpoints", "lignes identiques hors identifiant")] > 0  # hashes checked


def test_checks_from_profile_frames():
    t = _tables()
    prof = quality.profile(t)
    got = quality.consistency_checks(prof["purchase_mismatches"], n_transactions=3)
    pd.testing.assert_frame_equal(got, quality.consistency_checks(t))
    assert quality.consistency_checks(None).empty
    with pytest.raises(ValueError, match="n_transactions"):
        quality.consistency_checks(prof["purchase_mismatches"])
    months = quality.rows_per_month(prof["day_counts"], exclude=["customers"])
    assert list(months.columns) == ["transactions"]
