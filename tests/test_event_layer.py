"""The event layer (`workbench.events`): each rule in SQL equals its former pandas / numpy
version (`tests/oracles.py`) on hand-built edge cases and on the sample, and is stated once."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oracles
from workbench import datasets, events, journey
from workbench import segmentation as seg

SRC = Path(__file__).resolve().parents[1] / "src" / "workbench"


def _ts(*values):
    return pd.to_datetime(list(values), format="ISO8601")


def _ids(s: pd.Series) -> list:
    return [None if pd.isna(v) else str(v) for v in s]


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Ids and categories as plain text (dtype-neutral comparison)."""
    return df.apply(lambda c: c.astype(object).where(c.notna(), None)
                    if str(c.dtype).startswith(("dictionary", "category")) else c)


# --------------------------------------------------------------------------- hand-built fixtures


@pytest.fixture
def devices():
    """v1: one customer (A) -> stitched; v2: A and B (shared) -> stays anonymous; v3: never
    logged in -> anonymous; v4: B only."""
    return pd.DataFrame({
        "touchpoint_id": [f"p{i}" for i in range(8)],
        "visitor_id": ["v1", "v1", "v2", "v2", "v2", "v3", "v4", "v4"],
        "customer_id": [None, "A", "A", "B", None, None, "B", None],
        "timestamp": _ts("2026-03-01 10:00", "2026-03-01 11:00", "2026-03-01 10:00",
                         "2026-03-02 10:00", "2026-03-02 11:00", "2026-03-03 10:00",
                         "2026-03-03 10:00", "2026-03-03 10:00"),
        "channel": ["search", "website", "app", "search", "website", "social", "email",
                    "search"],
        "platform": [None, None, None, None, None, "tiktok", None, None],
        "transaction_id": [None] * 8,
    })


def test_device_linking_shared_devices_and_counts(devices):
    got, counts = seg.stitch_touchpoints(devices)
    want, want_counts = oracles.stitch_touchpoints(devices)
    assert _ids(got["customer_id"]) == ["A", "A", "A", "B", None, None, "B", "B"]
    assert _ids(got["customer_id"]) == _ids(want["customer_id"])
    assert counts == want_counts == {"touchpoints": 8, "anonymous_before": 4, "stitched": 2,
                                     "still_anonymous": 2, "ambiguous_visitors": 1}
    st, stats = journey.stitch_visitors(devices)
    ost, ostats = oracles.stitch_visitors(devices)
    pd.testing.assert_frame_equal(_text(st), _text(ost))
    pd.testing.assert_frame_equal(stats, ostats)
    assert st["shared_device"].tolist() == [False] * 4 + [True] + [False] * 3
    assert st["person_id"].astype(str).tolist()[5] == "anon:v3"


def test_research_ties_window_edge_and_previous_purchase():
    tp = pd.DataFrame({
        "customer_id": ["A", "A", "B", "C", "D"],
        "channel": ["search", "website", "app", "search", "display"],
        "timestamp": _ts("2026-03-02 15:00",   # A: same instant as the store purchase s1
                         "2026-03-10 09:00",   # A: research 7 days exactly before s2
                         "2026-03-05 12:00",   # B: same instant as a web order and a store one
                         "2026-03-01 12:00",   # C: 7 days and 1 second before s4
                         "2026-03-07 12:00"),  # D: display is not research
    })
    trx = pd.DataFrame({
        "transaction_id": ["s1", "s2", "a3", "s3", "s4", "s5"],
        "customer_id": ["A", "A", "B", "B", "C", "D"],
        "channel": ["store", "store", "web", "store", "store", "store"],
        "timestamp": _ts("2026-03-02 15:00", "2026-03-17 09:00", "2026-03-05 12:00",
                         "2026-03-05 12:00", "2026-03-08 12:00:01", "2026-03-08 12:00"),
    })
    got = seg.web_research_before_store(trx, tp).set_index("transaction_id")
    want = oracles.web_research_before_store(trx, tp).set_index("transaction_id")
    assert got["researched"].to_dict() == {"s1": True, "s2": True, "s3": False, "s4": False,
                                           "s5": False}
    # s3: the web order a3 at the same instant comes first (transaction_id order) and takes
    # the research
    pd.testing.assert_series_equal(got["researched"], want.loc[got.index, "researched"])
    np.testing.assert_allclose(got["days_since_research"].to_numpy(dtype=float),
                               want.loc[got.index, "days_since_research"].to_numpy(dtype=float))


def _journey_log():
    """P: touches at the window's edge (exactly 7 days apart: same journey; 7 days + 1 s: new),
    a touch too early for its purchase, two purchases at the same instant; an anonymous device."""
    day = pd.Timedelta(days=1)
    t0 = pd.Timestamp("2026-03-01 10:00")
    rows = [
        ("v1", "P", t0, "search", None),
        ("v1", "P", t0 + 7 * day, "website", None),                    # gap = window: same
        ("v1", "P", t0 + 14 * day + pd.Timedelta(seconds=1), "app", None),  # gap > window
        ("v1", "P", t0 + 20 * day, "email", None),
        ("v1", "P", t0 + 22 * day, "purchase", "x1"),   # 8 days after the app touch
        ("v1", "P", t0 + 22 * day, "purchase", "x2"),   # same instant: a direct purchase
        ("v1", "P", t0 + 22 * day, "display", None),    # same instant: before the purchases
        ("v9", None, t0, "social", None),
        ("v9", None, t0 + day, "purchase", None),        # anonymous purchase, no transaction
    ]
    tp = pd.DataFrame(rows, columns=["visitor_id", "customer_id", "timestamp", "channel",
                                     "transaction_id"]).assign(platform=None)
    tx = pd.DataFrame({"transaction_id": ["x1", "x2", "x3"], "channel": ["store", "web", "app"],
                       "amount": [10.0, 20.0, 5.0],
                       "timestamp": [t0 + 22 * day] * 2 + [t0], "customer_id": ["P"] * 3})
    return tp, tx


def test_journeys_window_edge_ties_and_too_early_touches():
    tp, tx = _journey_log()
    touches, journeys, stats = journey.build_journeys(tp, tx, window_days=7)
    o_touches, o_journeys, o_stats = oracles.build_journeys(tp, tx, window_days=7)
    pd.testing.assert_frame_equal(_text(touches), _text(o_touches))
    pd.testing.assert_frame_equal(_text(journeys), _text(o_journeys))
    pd.testing.assert_frame_equal(stats, o_stats)
    j = _text(journeys).set_index("journey_id")
    assert j["path"].tolist() == ["search > website", "app", "email > display", "direct",
                                  "social"]
    assert j["converted"].tolist() == [False, False, True, True, True]
    assert j["transaction_id"].tolist()[2:4] == ["x1", "x2"]
    assert j["sales_channel"].tolist()[2:4] == ["store", "web"]
    s = stats.set_index("item")["count"]
    assert s["purchases_without_transaction"] == 1 and s["transactions_without_touchpoint"] == 1


def test_activity_windows_stitch_per_window(tmp_path):
    """A device logged in as A in September and as B in October is A's in September, B's in
    October and shared over both months; rows at a window's end belong to the next window."""
    tp = pd.DataFrame({
        "touchpoint_id": ["p1", "p2", "p3", "p4"], "visitor_id": ["v", "v", "v", "v"],
        "customer_id": ["A", None, "B", None],
        "timestamp": _ts("2026-09-10", "2026-09-20", "2026-10-05", "2026-10-01 00:00"),
        "channel": ["search", "app", "website", "social"],
        "platform": [None, None, None, "tiktok"], "transaction_id": [None] * 4})
    trx = pd.DataFrame({"transaction_id": ["t1"], "customer_id": ["B"], "store_id": ["S"],
                        "channel": ["store"], "timestamp": _ts("2026-10-06"), "amount": [1.5],
                        "n_items": [1]})
    lines = pd.DataFrame({"transaction_id": ["t1"], "line_no": [1], "category": ["mode"],
                          "quantity": [1], "amount": [1.5]})
    ev = pd.DataFrame({"campaign_id": ["m"], "customer_id": ["A"], "event": ["sent"],
                       "timestamp": _ts("2026-09-30 23:59")})
    tables = {"touchpoints": tp, "transactions": trx, "transaction_lines": lines,
              "email_events": ev}
    for name, df in tables.items():
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    windows = {"sep": (pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")),
               "oct": (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")),
               "both": (pd.Timestamp("2026-09-01"), pd.Timestamp("2026-11-01"))}
    act = datasets.customer_activity(tmp_path, windows)
    for key, (start, end) in windows.items():
        want = oracles.customer_activity(tables, start, end)
        pd.testing.assert_frame_equal(act[key][want.columns], want, check_exact=True)
        assert act[key].attrs["touchpoints"] == want.attrs["touchpoints"]
    assert act["sep"].loc["A", "tp_app"] == 1 and act["oct"].loc["B", "social_platforms"] == 1
    assert act["both"].attrs["touchpoints"]["ambiguous_visitors"] == 1
    assert act["oct"].loc["B", "store_researched"] == 1  # the website touch the day before
    contacts = datasets.customer_contacts(tmp_path, windows)
    assert contacts["sep"].loc["A", "emails_sent"] == 1 and contacts["oct"].loc["B", "store_purchases"] == 1


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_tables(sample_dir):
    return datasets.read_tables(["transactions", "transaction_lines", "touchpoints",
                                 "email_events"], sample_dir)


def test_sample_activity_equals_the_pandas_oracle(sample_dir, sample_tables):
    windows = seg.feature_windows(["2026-09", "2026-10"], 90)
    act = datasets.customer_activity(sample_dir, windows)
    for key, (start, end) in windows.items():
        want = oracles.customer_activity(sample_tables, start, end)
        got = act[key]
        assert got.attrs["touchpoints"] == want.attrs["touchpoints"]
        spend = [c for c in want.columns if c.startswith("spend_")]
        others = [c for c in want.columns if c not in spend]
        pd.testing.assert_frame_equal(got[others], want[others], check_exact=True)
        # exact decimal sums in SQL, float sums in pandas: equal to the last digits
        pd.testing.assert_frame_equal(got[spend], want[spend], check_exact=False, rtol=1e-12)


def test_sample_research_equals_the_pandas_oracle(sample_tables):
    tp, _ = oracles.stitch_touchpoints(sample_tables["touchpoints"])
    got = seg.web_research_before_store(sample_tables["transactions"], tp)
    want = oracles.web_research_before_store(sample_tables["transactions"], tp)
    got, want = got.set_index("transaction_id"), want.set_index("transaction_id")
    assert len(got) == len(want) > 10_000
    pd.testing.assert_series_equal(got["researched"], want.loc[got.index, "researched"])


@pytest.mark.slow
def test_sample_journeys_equal_the_numpy_oracle(sample_tables):
    tp, tx = sample_tables["touchpoints"], sample_tables["transactions"]
    got = journey.build_journeys(tp, tx)
    want = oracles.build_journeys(tp, tx)
    for g, w in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(_text(g), _text(w))


# --------------------------------------------------------------------------- one place, two engines


def test_each_rule_and_channel_constant_is_defined_once():
    defs = {}
    for path in SRC.rglob("*.py"):
        if path.name in ("sample.py", "sample_retailers.py"):  # the generator's own truth
            continue
        for name in re.findall(r"^([A-Z_]*CHANNELS|PURCHASE|OFFLINE_SALES|ONLINE_SALES)\s*=",
                               path.read_text(encoding="utf-8"), flags=re.M):
            defs.setdefault(name, []).append(path.relative_to(SRC).as_posix())
    for name in ("RESEARCH_CHANNELS", "ACTIVITY_CHANNELS", "PURCHASE", "OFFLINE_SALES",
                 "ONLINE_SALES"):
        assert defs.get(name) == ["events/rules.py"], (name, defs.get(name))
    code = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py")
                     if p.parent.name != "events")
    for gone in ("def _person_time_order", "def _map_ids", "merge_asof(store",
                 "ASOF LEFT JOIN", "Kahan"):
        assert gone not in code, gone


def test_every_step_transpiles_to_spark_sql():
    from workbench.events import rules

    params = {"start": events.sql_timestamp("2026-01-01"), "end": events.sql_timestamp("2026-02-01"),
              "touchpoints": "window_touchpoints", "research_channels": "'search'",
              "offline_sales": "'store'", "online_sales": "'web'", "research_window_us": "6.048e11",
              "channel_counts": "count(*) AS n", "social": "'social'",
              "category_sums": "sum(amount) AS s", "event_counts": "count(*) AS n",
              "people": "people", "purchase": "'purchase'", "window_us": "6.048e11",
              "timeline": "person_timeline", "numbered": "numbered_people"}
    for name in rules.STEPS:
        spark = events.engine.to_spark_sql(rules.step(name, **params))
        assert "EPOCH" not in spark.upper() and "ASOF" not in spark.upper(), name
        assert spark.upper().lstrip().startswith(("SELECT", "WITH", "/*")), name


def test_engine_comes_from_the_run_option_or_the_environment(monkeypatch):
    from workbench import cli, runner

    monkeypatch.delenv(datasets.ENGINE_ENV, raising=False)
    assert datasets.engine_name() == "duckdb"
    monkeypatch.setenv(datasets.ENGINE_ENV, "spark")
    assert datasets.engine_name() == "spark" and datasets.engine_name("duckdb") == "duckdb"
    monkeypatch.setenv(datasets.ENGINE_ENV, "postgres")
    with pytest.raises(ValueError, match="unknown engine 'postgres'"):
        datasets.customer_activity(None, {"w": ("2026-01-01", "2026-02-01")})
    runner._set_engine("duckdb")  # what `workbench run --engine duckdb` hands the kernels
    assert datasets.engine_name() == "duckdb"
    assert cli._parser().parse_args(["run", "--engine", "spark"]).engine == "spark"
    monkeypatch.setenv(events.SPARK_MASTER_ENV, "spark://head:7077")
    assert events.spark_master("local[2]") == "spark://head:7077"
    monkeypatch.delenv(events.SPARK_MASTER_ENV)
    assert events.spark_master() == "local[*]"
