"""Choosing the engine and the Spark master (no Spark needed): `WORKBENCH_SPARK_MASTER` beats
the retailer profile's `spark_master`, which beats local[*]; the analyses that run the event
layer over frames (journeys) open a session of the engine `WORKBENCH_ENGINE` names."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from workbench import datasets, events, journey, profile, runner
from workbench.events import engine
from workbench.profile import ProfileError

MINIMAL = {
    "brand": "Épicerie Soleil",
    "categories": {"epicerie": "Épicerie"},
    "platforms": {"youtube": "YouTube"},
    "loyalty_tiers": ["essentiel", "premium"],
    "store_formats": {"hyper": {"label": "Hypermarché", "recruiting": "crm"}},
}


def _profile_file(folder, **extra):
    p = folder / profile.PROFILE_FILE
    p.write_text(yaml.safe_dump({**MINIMAL, **extra}, allow_unicode=True), encoding="utf-8")
    return p


def test_spark_master_env_beats_profile_beats_default(tmp_path, monkeypatch):
    monkeypatch.delenv(engine.SPARK_MASTER_ENV, raising=False)
    assert profile.load_profile(_profile_file(tmp_path)).spark_master is None
    assert datasets._profile_spark_master(tmp_path) is None
    assert engine.spark_master(datasets._profile_spark_master(tmp_path)) == "local[*]"

    path = _profile_file(tmp_path, spark_master="spark://head:7077")
    assert profile.load_profile(path).spark_master == "spark://head:7077"
    assert engine.spark_master(datasets._profile_spark_master(tmp_path)) == "spark://head:7077"
    runner._set_spark_master(str(path))  # what `workbench run --engine spark` hands the kernels
    assert engine.spark_master() == "spark://head:7077"

    monkeypatch.setenv(engine.SPARK_MASTER_ENV, "yarn")
    assert engine.spark_master(datasets._profile_spark_master(tmp_path)) == "yarn"
    runner._set_spark_master(str(path))
    assert engine.spark_master() == "yarn"  # the environment is left as it was

    monkeypatch.delenv(engine.SPARK_MASTER_ENV)
    runner._set_spark_master(None)  # no profile
    assert engine.spark_master() == "local[*]"
    assert datasets._profile_spark_master("s3a://bucket/raw") is None  # no local profile to read


@pytest.mark.parametrize("bad", [5, ["local[2]"], {"url": "yarn"}, True, "  "])
def test_a_bad_spark_master_is_refused_naming_the_key(tmp_path, bad):
    with pytest.raises(ProfileError, match=r"key 'spark_master': expected a Spark master URL"):
        profile.load_profile(_profile_file(tmp_path, spark_master=bad))


def test_spark_master_survives_the_written_profile(tmp_path):
    p = profile.profile_from_dict({**MINIMAL, "spark_master": "local[4]"})
    text = profile.dump_profile(p)
    assert "WORKBENCH_SPARK_MASTER" in text  # the key is explained above its value
    assert profile.profile_from_dict(yaml.safe_load(text)).spark_master == "local[4]"
    assert profile.profile_from_dict(yaml.safe_load(profile.dump_profile(
        profile.profile_from_dict(MINIMAL)))).spark_master is None


def test_open_session_follows_the_engine_setting(monkeypatch):
    monkeypatch.delenv(engine.ENGINE_ENV, raising=False)
    with engine.open_session() as ses:
        assert isinstance(ses, events.DuckDBSession)
    monkeypatch.setenv(engine.ENGINE_ENV, "oracle")
    with pytest.raises(ValueError, match="unknown engine 'oracle'"):
        engine.open_session()


def test_journeys_open_a_session_of_the_chosen_engine(monkeypatch):
    """Under WORKBENCH_ENGINE=spark, stitching and journeys ask for a Spark session (here a
    stand-in that records the request and then runs DuckDB): notebook 02 needs no change."""
    opened = []

    class Recorder(events.DuckDBSession):
        def __init__(self, *a, **k):
            opened.append("spark")
            super().__init__()

    monkeypatch.setattr(engine, "SparkSession", Recorder)
    monkeypatch.setenv(engine.ENGINE_ENV, "spark")
    tp = pd.DataFrame({"visitor_id": ["v1", "v1"], "customer_id": ["A", None],
                       "timestamp": pd.to_datetime(["2026-03-01 10:00", "2026-03-02 10:00"]),
                       "channel": ["search", "purchase"], "transaction_id": [None, "t1"]})
    tx = pd.DataFrame({"transaction_id": ["t1"], "customer_id": ["A"], "channel": ["store"],
                       "amount": [10.0], "timestamp": pd.to_datetime(["2026-03-02 10:00"])})
    stitched, _ = journey.stitch_visitors(tp)
    touches, journeys, _ = journey.build_journeys(stitched, tx)
    assert opened == ["spark", "spark"]
    assert journeys["converted"].tolist() == [True] and touches["channel"].tolist() == ["search"]


def test_identitys_spark_jaro_winkler_is_duckdbs(sample_dir):
    """The Jaro-Winkler that identity resolution uses on Spark (a pandas UDF) gives DuckDB's
    jaro_winkler_similarity on the sample's names and on edge cases (splink's own Spark
    jaro_winkler does not: 0.899 against 0.908 for one pair, which moved a link)."""
    import random

    import duckdb
    import numpy as np

    from workbench import identity

    customers = datasets.read_table("customers", sample_dir)
    names = identity.customer_features(customers)["full_name"].dropna().unique().tolist()
    rng = random.Random(0)
    pairs = [(rng.choice(names), rng.choice(names)) for _ in range(20_000)]
    pairs += [(n, n[:-1] + "x") for n in names[:2_000]]  # near matches: the "proche" level
    pairs += [("a", "a"), ("a", "b"), ("ab", "ba"), ("ab", "a"), ("martha", "marhta"),
              ("dixon", "dicksonx"), ("aurelebourdon", "aurelebaudouin")]
    df = pd.DataFrame(pairs, columns=["a", "b"])
    ours = identity._jaro_winkler_series()(df["a"], df["b"]).to_numpy()
    theirs = duckdb.sql("SELECT jaro_winkler_similarity(a, b) AS s FROM df").df()["s"].to_numpy()
    assert np.abs(ours - theirs).max() < 1e-15
    assert ((ours >= 0.9) == (theirs >= 0.9)).all() and (theirs >= 0.9).sum() > 1_000
    assert identity._jaro_winkler_series()(pd.Series([None]), pd.Series(["a"])).isna().all()
