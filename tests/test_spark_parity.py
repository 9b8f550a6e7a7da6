"""Every event-layer output is identical on DuckDB and on Apache Spark `local[2]` (the same SQL,
transpiled by sqlglot), on the sample and on a hand-built log.

Runs when pyspark and Java are installed (`make test-spark` installs pyspark); skips with the
reason otherwise. Marked `spark` (select or leave out with `-m spark` / `-m "not spark"`).
"""

from __future__ import annotations

import importlib.util
import shutil

import pandas as pd
import pytest

from workbench import datasets, events, journey
from workbench import segmentation as seg
from workbench.events import engine

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                       reason="pyspark not installed: run `make test-spark` (installs the "
                              "'spark' extra) to check DuckDB/Spark parity"),
    pytest.mark.skipif(shutil.which("java") is None,
                       reason="Java not found: Spark 4 needs Java 17 "
                              "(apt-get install openjdk-17-jre-headless)"),
]

TABLES = dict(events.ACTIVITY_COLUMNS,
              touchpoints=events.ACTIVITY_COLUMNS["touchpoints"] + ["transaction_id"])


@pytest.fixture(scope="module")
def spark():
    ses = events.SparkSession(master="local[2]", app_name="workbench-parity", shuffle_partitions=2)
    yield ses
    ses.close()


def _sessions(spark, folder):
    duck = events.DuckDBSession()
    for name, columns in TABLES.items():
        duck.register_files(name, folder, columns)
        spark.register_files(name, folder, columns)
    return duck


def _same(a: pd.DataFrame, b: pd.DataFrame, by) -> None:
    a = a.sort_values(by, ignore_index=True)
    b = b.sort_values(by, ignore_index=True)
    for c in a.columns:
        if pd.api.types.is_datetime64_any_dtype(a[c]) or pd.api.types.is_datetime64_any_dtype(b[c]):
            a[c], b[c] = pd.to_datetime(a[c]).astype("datetime64[ns]"), \
                pd.to_datetime(b[c]).astype("datetime64[ns]")
        elif a[c].dtype == object or b[c].dtype == object or str(a[c].dtype) == "str":
            a[c] = a[c].astype(object).where(a[c].notna(), None)
            b[c] = b[c].astype(object).where(b[c].notna(), None)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=True)


def _check_all_outputs(spark, folder, windows):
    duck = _sessions(spark, folder)
    try:
        for fn in (events.activity, events.contacts):
            d, s = fn(duck, windows), fn(spark, windows)
            for key in windows:
                pd.testing.assert_frame_equal(d[key], s[key], check_exact=True)
                assert d[key].attrs == s[key].attrs
        start, end = next(iter(windows.values()))
        d_r = events.store_research(duck, window=(start, end))
        s_r = events.store_research(spark, window=(start, end))
        _same(d_r, s_r, ["transaction_id"])
        d_t, d_j, d_p = events.journey_tables(duck, 7, stitched=False)
        s_t, s_j, s_p = events.journey_tables(spark, 7, stitched=False)
        # row numbers of a file are each engine's own (Spark's are increasing, not 0..n-1): the
        # journeys are compared without their purchase row, the touches by their places (the
        # same rows from frames are compared in test_journeys_identical_on_duckdb_and_spark)
        _same(d_j.to_pandas().drop(columns="purchase_row"),
              s_j.to_pandas().drop(columns="purchase_row"), ["journey_id"])
        assert d_t.num_rows == s_t.num_rows == d_j.column("n_touches").to_numpy().sum()
        assert d_p.to_pandas().equals(s_p.to_pandas())  # persons in the same order
        return d_j.num_rows
    finally:
        duck.close()


@pytest.mark.slow
def test_sample_outputs_identical_on_duckdb_and_spark(spark, sample_dir):
    windows = seg.feature_windows(["2026-10"], 30)
    assert _check_all_outputs(spark, sample_dir, windows) > 100_000


def test_hand_built_log_identical_on_duckdb_and_spark(spark, tmp_path):
    ts = pd.to_datetime(["2026-03-01 10:00", "2026-03-08 10:00", "2026-03-08 10:00",
                         "2026-03-08 10:00", "2026-03-02 09:00", "2026-03-03 09:00"])
    pd.DataFrame({
        "touchpoint_id": [f"p{i}" for i in range(6)],
        "visitor_id": ["v1", "v1", "v2", "v2", "v3", "v3"],
        "customer_id": ["A", None, "A", "B", None, None],
        "timestamp": ts, "channel": ["search", "purchase", "app", "website", "social", "purchase"],
        "platform": [None, None, None, None, "tiktok", None],
        "transaction_id": [None, "t1", None, None, None, None],
    }).to_parquet(tmp_path / "touchpoints.parquet", index=False)
    pd.DataFrame({
        "transaction_id": ["t1", "t0"], "customer_id": ["A", "A"], "store_id": ["S", None],
        "channel": ["store", "web"], "timestamp": ts[[1, 2]], "amount": [12.5, 3.0],
        "n_items": [1, 1]}).to_parquet(tmp_path / "transactions.parquet", index=False)
    pd.DataFrame({"transaction_id": ["t1", "t0"], "line_no": [1, 1], "category": ["mode", "sport"],
                  "quantity": [1, 1], "amount": [12.5, 3.0]}).to_parquet(
        tmp_path / "transaction_lines.parquet", index=False)
    pd.DataFrame({"campaign_id": ["m"], "customer_id": ["A"], "event": ["open"],
                  "timestamp": ts[:1]}).to_parquet(tmp_path / "email_events.parquet", index=False)
    windows = {"march": (pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01")),
               "week": (pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-09"))}
    assert _check_all_outputs(spark, tmp_path, windows) == 3  # A, B and the device v3


def test_journeys_identical_on_duckdb_and_spark(spark, sample_dir, monkeypatch):
    """`journey.stitch_visitors` and `build_journeys` as notebook 02 calls them, under
    WORKBENCH_ENGINE=duckdb and =spark (what `workbench run --engine` sets): the same frames,
    and the Spark run did run on Spark (its steps are views of the Spark session)."""
    end = pd.Period("2026-10", "M").end_time
    tp = datasets.read_table_compact("touchpoints", sample_dir, columns=journey.TOUCHPOINT_COLUMNS,
                                     until=end, dictionary=journey.ID_COLUMNS)
    tx = datasets.read_table_compact("transactions", sample_dir,
                                     columns=journey.TRANSACTION_COLUMNS, until=end,
                                     dictionary=journey.ID_COLUMNS)
    # a fifth of the devices (a log of its own: journeys are per person), to keep CI short
    tp = tp[tp["visitor_id"].astype("str").str.endswith(("0", "5"))].reset_index(drop=True)
    out = {}
    for name in ("duckdb", "spark"):
        monkeypatch.setenv(engine.ENGINE_ENV, name)
        spark.spark.catalog.dropTempView("journey_touches")
        stitched, stitch_stats = journey.stitch_visitors(tp)
        out[name] = (stitched, stitch_stats, *journey.build_journeys(
            stitched.drop(columns="visitor_id"), tx, window_days=7, with_paths=False))
        assert spark.spark.catalog.tableExists("journey_touches") == (name == "spark")
    for d, s in zip(out["duckdb"], out["spark"], strict=True):
        pd.testing.assert_frame_equal(d, s, check_exact=True)
    journeys = out["spark"][3]
    assert len(journeys) > 50_000 and journeys["converted"].any() and journeys["anonymous"].any()


@pytest.mark.slow
def test_identity_links_on_splinks_spark_backend_match_duckdb(spark, sample_dir):
    """`identity.link_identities` with splink's Spark backend (what `--engine spark` uses) gives
    DuckDB's links: the u probabilities come from the same DuckDB sample, EM runs on the same
    candidate pairs, and the "proche" level uses DuckDB's Jaro-Winkler on Spark too (splink's
    jar scores some pairs differently). Weights agree to float rounding (sums in another
    order), every link, level and count is the same."""
    from workbench import identity

    customers = datasets.read_table("customers", sample_dir)
    accounts = datasets.read_table("social_accounts", sample_dir)
    # half of the customers (every account kept: those of the others stay unlinked)
    customers = customers[customers["customer_id"].str[-1].isin(list("02468"))]
    duck = identity.link_identities(customers, accounts, engine="duckdb")
    spk = identity.link_identities(customers, accounts, engine="spark")
    assert duck.attrs == spk.attrs and spk.attrs["training"] == "EM"
    assert len(duck) > 2_000
    pd.testing.assert_frame_equal(duck, spk, check_exact=False, rtol=1e-9, atol=1e-12)
