"""datasets: CSV/Parquet reading, contract validation, clear errors, atomic writes, report month."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import datasets, paths
from workbench.datasets import DataError

FIXTURES = Path(__file__).parent / "fixtures"


def _error(name: str, table: str = "transactions") -> DataError:
    with pytest.raises(DataError) as info:
        datasets.read_file(FIXTURES / name, table)
    return info.value


# --------------------------------------------------------------------------- bad inputs


def test_missing_column_names_file_and_column():
    err = _error("bad_missing_column.csv")
    msg = str(err)
    assert "bad_missing_column.csv" in msg
    assert "column 'timestamp'" in msg and "missing" in msg
    assert [p["column"] for p in err.problems] == ["timestamp"]


def test_wrong_type_names_file_column_row_and_value():
    err = _error("bad_wrong_type.csv")
    msg = str(err)
    assert "bad_wrong_type.csv" in msg and "column 'n_items'" in msg
    (p,) = err.problems
    assert p["column"] == "n_items" and p["rows"] == [2] and p["values"] == ["'deux'"]
    assert "whole number" in p["expected"]


def test_unparsable_date_names_row():
    err = _error("bad_unparsable_date.csv")
    (p,) = err.problems
    assert p["column"] == "timestamp" and p["rows"] == [3] and "'31/02/2026'" in p["values"]
    assert "bad_unparsable_date.csv" in str(err) and "column 'timestamp'" in str(err)


def test_duplicate_key_names_both_rows():
    err = _error("bad_duplicate_key.csv")
    (p,) = err.problems
    assert (
        p["column"] == "transaction_id" and p["rows"] == [1, 3] and "duplicate key" in p["problem"]
    )
    assert "bad_duplicate_key.csv" in str(err)


def test_unknown_channel_lists_allowed_values():
    err = _error("bad_unknown_channel.csv")
    (p,) = err.problems
    assert p["column"] == "channel" and p["rows"] == [2] and p["values"] == ["'télé'"]
    assert "store, web, app, click_collect" in str(err) and "bad_unknown_channel.csv" in str(err)


@pytest.mark.parametrize("name", ["bad_empty.csv", "bad_header_only.csv"])
def test_empty_file(name):
    err = _error(name)
    assert name in str(err)
    assert ("empty" in str(err)) or ("no data rows" in str(err))


def test_header_only_file_still_reports_missing_columns():
    err = _error("bad_header_only.csv")
    # header is complete, so only the emptiness is reported
    assert [p["problem"] for p in err.problems] == ["the file has no data rows"]


def test_wrong_encoding_names_file_column_and_row():
    err = _error("bad_encoding.csv")
    (p,) = err.problems
    assert "bad_encoding.csv" in str(err)
    assert p["column"] == "customer_id" and p["rows"] == [2]
    assert "0x81" in p["problem"] and "UTF-8" in p["expected"]


def test_xlsx_and_binary_are_refused_utf16_without_bom_is_read(tmp_path):
    xlsx = tmp_path / "transactions.csv"
    xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 20)
    with pytest.raises(DataError, match="Excel workbook"):
        datasets.read_file(xlsx, "transactions")
    nul = tmp_path / "nul.csv"  # UTF-16 without BOM is detected (issue 14), then validated
    nul.write_bytes("transaction_id;channel\n".encode("utf-16-le"))
    with pytest.raises(DataError, match=r"found: transaction_id, channel\)"):
        datasets.read_file(nul, "transactions")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"transaction_id;channel\n\x00\x01\x02\xff\x00\x00\x10")
    with pytest.raises(DataError, match="undecodable byte 0x00"):
        datasets.read_file(binary, "transactions")


def test_malformed_csv_and_unsupported_type(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "transaction_id;customer_id;store_id;channel;timestamp;amount;n_items\n"
        "T1;C1;S1;store;2026-01-02;3;1\nT2;C1;S1;store;2026-01-02;3;1;extra;more\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"(?s)t\.csv.*header's 7 fields \(row 2 has 9 fields\)") as info:
        datasets.read_file(f, "transactions")
    assert info.value.problems[0]["rows"] == [2]
    x = tmp_path / "t.xlsx"
    x.write_bytes(b"PK\x03\x04")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        datasets.read_file(x, "transactions")


def test_several_problems_in_one_error(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "transaction_id;customer_id;store_id;channel;timestamp;amount;n_items\n"
        "T1;C1;S1;tv;hier;-3;0\n",
        encoding="utf-8",
    )
    err = pytest.raises(DataError, datasets.read_file, f, "transactions").value
    got = {(p["column"], p["rows"][0]) for p in err.problems}
    assert got == {("channel", 1), ("timestamp", 1), ("amount", 1), ("n_items", 1)}


def test_not_nullable_reports_missing_rows(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "transaction_id,customer_id,store_id,channel,timestamp,amount,n_items\n"
        "T1,C1,S1,store,2026-01-02,3.5,1\nT2,C1,S1,,2026-01-02,3.5,1\n",
        encoding="utf-8",
    )
    (p,) = pytest.raises(DataError, datasets.read_file, f, "transactions").value.problems
    assert p["column"] == "channel" and p["rows"] == [2] and "missing" in p["problem"]


# --------------------------------------------------------------------------- good CSV variants

EXPECTED = pd.DataFrame(
    {
        "transaction_id": ["T1", "T2", "T3"],
        "timestamp": pd.to_datetime(
            ["2026-01-31 14:05", "2026-02-01 10:00", "2026-02-01"], format="ISO8601"
        ),
        "amount": [12.5, 1234.5, 0.99],
        "n_items": pd.array([2, 1, 3], dtype="Int64"),
        "channel": ["store", "web", "click_collect"],
    }
)


@pytest.mark.parametrize("name", ["excel_utf8.csv", "excel_utf8_bom.csv", "excel_cp1252.csv"])
def test_french_excel_csv_variants(name):
    df = datasets.read_file(FIXTURES / name, "transactions")
    assert list(df.columns[:7]) == [
        "transaction_id",
        "customer_id",
        "store_id",
        "channel",
        "timestamp",
        "amount",
        "n_items",
    ]
    for col in EXPECTED.columns:
        assert df[col].tolist() == EXPECTED[col].tolist(), col
    assert df["timestamp"].dtype == "datetime64[ns]" and df["n_items"].dtype == "Int64"
    assert df["amount"].dtype == "float64"
    assert df["customer_id"].isna().tolist() == [False, True, False]
    if name == "excel_cp1252.csv":
        assert df["customer_id"].iloc[0] == "Cé1" and df["customer_id"].iloc[2] == "Cà2"


def _customers_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "first_name": ["Zoé", None, "Jean"],
            "last_name": ["Durand", None, "Martin"],
            "email": [None, None, "j@x.fr"],
            "birth_year": [1980, None, 1955],
            "sex": ["F", None, "M"],
            "csp": ["cadres", None, "retraites"],
            "postcode": ["01000", None, "75011"],
            "city": ["Bourg", None, "Paris"],
            "department": ["01", None, "75"],
            "region": ["Auvergne-Rhône-Alpes", None, "Île-de-France"],
            "home_store_id": ["S1", None, "S2"],
            "loyalty_tier": ["gold", "none", "silver"],
            "loyalty_points": [120, 0, 5],
            "email_consent": ["oui", "1", "true"],
            "ambassador_consent": ["non", "0", "FALSE"],
            "signup_date": ["15/03/2024", "2024-03-16", "16/03/2024"],
            "extra_note": ["a", "b", "c"],
        }
    )


def test_customers_bools_codes_and_extra_columns(tmp_path):
    f = tmp_path / "customers.csv"
    _customers_frame().to_csv(f, sep=";", index=False, encoding="utf-8-sig")
    df = datasets.read_table("customers", tmp_path)
    assert df["email_consent"].tolist() == [True, True, True]
    assert df["ambassador_consent"].tolist() == [False, False, False]
    assert df["email_consent"].dtype == "boolean"
    assert df["postcode"].iloc[0] == "01000" and df["department"].iloc[0] == "01"  # codes stay text
    assert df["birth_year"].tolist()[0] == 1980 and pd.isna(df["birth_year"].iloc[1])
    assert df["signup_date"].tolist() == list(
        pd.to_datetime(["2024-03-15", "2024-03-16", "2024-03-16"])
    )
    assert df["extra_note"].tolist() == ["a", "b", "c"]


def test_bad_bool_reported(tmp_path):
    raw = _customers_frame()
    raw.loc[1, "email_consent"] = "peut-être"
    f = tmp_path / "customers.csv"
    raw.to_csv(f, sep=";", index=False)
    (p,) = pytest.raises(DataError, datasets.read_table, "customers", tmp_path).value.problems
    assert p["column"] == "email_consent" and p["rows"] == [2]


def test_parquet_roundtrip_and_type_coercion(tmp_path):
    src = datasets.read_file(FIXTURES / "excel_utf8.csv", "transactions")
    raw = src.astype({"n_items": "int64"})
    raw["timestamp"] = raw["timestamp"].dt.tz_localize("Europe/Paris").dt.tz_convert("UTC")
    raw.to_parquet(tmp_path / "transactions.parquet", index=False)
    back = datasets.read_table("transactions", tmp_path)
    pd.testing.assert_frame_equal(back, src, check_like=False)


def test_unknown_table_and_missing_file(tmp_path):
    with pytest.raises(KeyError, match="unknown table"):
        datasets.read_table("nope", tmp_path)
    with pytest.raises(DataError, match=r"stores\.parquet or stores\.csv"):
        datasets.read_table("stores", tmp_path)


def test_read_tables_returns_dict(tmp_path):
    (tmp_path / "transactions.csv").write_bytes((FIXTURES / "excel_utf8.csv").read_bytes())
    got = datasets.read_tables(["transactions"], tmp_path)
    assert list(got) == ["transactions"] and len(got["transactions"]) == 3


def test_read_does_not_touch_input_folder(tmp_path):
    (tmp_path / "transactions.csv").write_bytes((FIXTURES / "excel_utf8.csv").read_bytes())
    before = sorted(p.name for p in tmp_path.iterdir())
    datasets.read_table("transactions", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --------------------------------------------------------------------------- writing


def test_write_table_atomic_no_temp_left(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    out = datasets.write_table(df, "scores", tmp_path / "processed")
    assert out == tmp_path / "processed" / "scores.parquet"
    assert [p.name for p in out.parent.iterdir()] == ["scores.parquet"]
    pd.testing.assert_frame_equal(datasets.read_processed("scores", out.parent), df)


def test_write_table_failure_leaves_previous_file_and_no_temp(tmp_path):
    datasets.write_table(pd.DataFrame({"a": [1]}), "t", tmp_path)
    bad = pd.DataFrame({"a": [object()]})  # not serialisable to Parquet
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's own error type
        datasets.write_table(bad, "t", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
    assert datasets.read_processed("t", tmp_path)["a"].tolist() == [1]


def test_write_table_refuses_raw_dir_and_bad_names(tmp_path):
    for folder in (paths.RAW_DIR, paths.RAW_DIR / "sub"):
        with pytest.raises(ValueError, match="raw data folder"):
            datasets.write_table(pd.DataFrame({"a": [1]}), "x", folder)
    assert not (paths.RAW_DIR / "sub").exists()
    with pytest.raises(ValueError, match="invalid table name"):
        datasets.write_table(pd.DataFrame({"a": [1]}), "../x", tmp_path)


def test_read_processed_missing(tmp_path):
    assert datasets.read_processed("nothing", tmp_path, required=False) is None
    with pytest.raises(DataError, match="processed table 'nothing' not found"):
        datasets.read_processed("nothing", tmp_path)


# --------------------------------------------------------------------------- report month


def _write_transactions(folder: Path, last: str) -> None:
    ts = pd.date_range("2026-01-15", last, freq="D")
    n = len(ts)
    pd.DataFrame(
        {
            "transaction_id": [f"T{i}" for i in range(n)],
            "customer_id": ["C1"] * n,
            "store_id": ["S1"] * n,
            "channel": ["store"] * n,
            "timestamp": ts + pd.Timedelta(hours=10),
            "amount": np.ones(n),
            "n_items": np.ones(n, dtype=int),
        }
    ).to_parquet(folder / "transactions.parquet")


@pytest.mark.parametrize(
    ("last", "expected"),
    [("2026-03-31", "2026-03"), ("2026-03-30", "2026-02"), ("2026-04-01", "2026-03")],
)
def test_report_month_last_complete_month(tmp_path, last, expected):
    _write_transactions(tmp_path, last)
    assert datasets.report_month(tmp_path) == pd.Period(expected, "M")


def test_report_month_explicit_and_invalid(tmp_path):
    assert datasets.report_month(tmp_path, "2026-10") == pd.Period("2026-10", "M")
    for bad in ["2026-13", "10/2026", "2026-1"]:
        with pytest.raises(ValueError, match="YYYY-MM"):
            datasets.report_month(tmp_path, bad)
    _write_transactions(tmp_path, "2026-01-20")
    with pytest.raises(DataError, match="no complete calendar month"):
        datasets.report_month(tmp_path)


# --------------------------------------------------------------------------- CDNOW


def test_read_cdnow_tiny(tmp_path):
    f = tmp_path / "cdnow.txt"
    f.write_text(
        " customer_id  date number_of_cds  dollar_value\n"
        " 00001 19970101  1   11.77\n 00002 19970112  1   12.00\n 00002 19970112  5   77.00\n"
        " 00003 19970102  0   0.00\n",
        encoding="ascii",
    )
    df = datasets.read_cdnow(f)
    assert df["transaction_id"].tolist() == [
        "cdnow-00001-19970101-1",
        "cdnow-00002-19970112-1",
        "cdnow-00002-19970112-2",
        "cdnow-00003-19970102-1",
    ]
    assert df["customer_id"].tolist() == ["00001", "00002", "00002", "00003"]
    assert (
        df["n_items"].tolist() == [1, 1, 5, 1]
        and df.attrs["flags"]["n_items_below_1_set_to_1"] == 1
    )
    assert (df["channel"] == "store").all() and df["store_id"].isna().all()
    assert df["amount"].tolist() == [11.77, 12.0, 77.0, 0.0]


@pytest.mark.real_data
def test_read_cdnow_real(shared_data):
    f = shared_data / "cdnow" / "CDNOW_master.txt"
    if not f.is_file():
        pytest.skip(f"{f} absent")
    df = datasets.read_cdnow(f)
    n_lines = sum(1 for _ in f.open()) - 1
    assert len(df) == n_lines  # nothing dropped
    assert df["transaction_id"].is_unique and df["customer_id"].nunique() == 23570
    assert df["timestamp"].min() == pd.Timestamp("1997-01-01")


# --------------------------------------------------------------------------- default sample


def test_every_sample_table_validates(sample_dir):
    tables, status = datasets.read_available(data_dir=sample_dir)
    assert status["status"].eq("valide").all(), status[status["status"] != "valide"].to_string()
    assert set(tables) == set(datasets.TABLES)
    tx = tables["transactions"]
    assert tx["timestamp"].dtype == "datetime64[ns]" and tx["n_items"].dtype == "Int64"
    assert datasets.report_month(sample_dir) == pd.Period("2026-10", "M")


def test_read_available_reports_invalid_and_absent(tmp_path):
    (tmp_path / "transactions.csv").write_bytes((FIXTURES / "bad_unknown_channel.csv").read_bytes())
    tables, status = datasets.read_available(["transactions", "stores"], tmp_path)
    assert tables == {}
    st = status.set_index("table")
    assert (
        st.loc["transactions", "status"] == "invalide" and st.loc["stores", "status"] == "absente"
    )
    assert "channel" in st.loc["transactions", "message"]
    assert "télé" not in st.loc["transactions", "message"]  # no cell values in reports


def test_write_csv_is_french_excel_ready_and_atomic(tmp_path):
    df = pd.DataFrame({"theme": ["livraison", "prix"], "z": [4.5, 12.25]})
    path = datasets.write_csv(df, "alerts", tmp_path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 correctly
    assert "livraison;4,5" in raw.decode("utf-8-sig")
    assert [p.name for p in tmp_path.iterdir()] == ["alerts.csv"]


# --------------------------------------------------------------------------- reading part of a table


def test_columns_reads_and_validates_only_those(tmp_path):
    # n_items is unreadable in row 2: reading other columns works, reading n_items names it
    part = datasets.read_file(FIXTURES / "bad_wrong_type.csv", "transactions",
                              columns=["transaction_id", "amount"])
    assert list(part.columns) == ["transaction_id", "amount"]
    assert part["amount"].dtype == "float64"
    with pytest.raises(DataError) as info:
        datasets.read_file(FIXTURES / "bad_wrong_type.csv", "transactions", columns=["n_items"])
    assert [p["column"] for p in info.value.problems] == ["n_items"]
    with pytest.raises(KeyError, match="no column"):
        datasets.read_file(FIXTURES / "bad_wrong_type.csv", "transactions", columns=["nope"])


def test_columns_key_checked_only_when_read(tmp_path):
    datasets.read_file(FIXTURES / "bad_duplicate_key.csv", "transactions", columns=["amount"])
    with pytest.raises(DataError, match="duplicate key"):
        datasets.read_file(FIXTURES / "bad_duplicate_key.csv", "transactions",
                           columns=["transaction_id", "amount"])


def test_columns_from_parquet_equal_full_read(sample_dir):
    full = datasets.read_table("touchpoints", sample_dir)
    cols = ["visitor_id", "customer_id", "timestamp", "channel"]
    part = datasets.read_tables(["touchpoints"], sample_dir, columns={"touchpoints": cols})
    pd.testing.assert_frame_equal(part["touchpoints"], full[cols])


# --------------------------------------------------------------------------- compact reads


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(**{c: df[c].astype("str") for c in df.columns
                        if isinstance(df[c].dtype, (pd.CategoricalDtype, pd.ArrowDtype))})


def test_read_table_compact_equals_read_table(sample_dir):
    import pyarrow.types as pa_types

    cols = ["visitor_id", "customer_id", "timestamp", "channel", "platform", "transaction_id"]
    full = datasets.read_table("touchpoints", sample_dir, columns=cols)
    compact = datasets.read_table_compact("touchpoints", sample_dir, columns=cols)
    assert all(isinstance(compact[c].dtype, pd.CategoricalDtype) for c in cols if c != "timestamp")
    for c in cols:
        if c != "timestamp":
            assert compact[c].cat.categories.is_monotonic_increasing, c
            assert compact[c].cat.categories.is_unique, c
    pd.testing.assert_frame_equal(_as_text(compact), full)
    assert compact.memory_usage(deep=True).sum() < full.memory_usage(deep=True).sum() / 2
    until = pd.Timestamp("2026-06-30 23:59:59")
    part = datasets.read_table_compact("touchpoints", sample_dir, columns=cols, until=until)
    expected = full[full["timestamp"] <= until].reset_index(drop=True)
    pd.testing.assert_frame_equal(_as_text(part), expected)
    # categories are the values present in the rows kept
    assert set(part["customer_id"].cat.categories) == set(expected["customer_id"].dropna())
    # ids as pyarrow dictionary columns: same values, sorted dictionary of the values present
    ids = ["visitor_id", "customer_id", "transaction_id"]
    coded = datasets.read_table_compact("touchpoints", sample_dir, columns=cols, until=until,
                                        dictionary=ids)
    pd.testing.assert_frame_equal(_as_text(coded), expected)
    for c in ids:
        assert pa_types.is_dictionary(coded[c].dtype.pyarrow_dtype), c
        values = coded[c].array._pa_array.chunk(0).dictionary.to_pylist()
        assert values == sorted(set(expected[c].dropna())), c
    assert isinstance(coded["channel"].dtype, pd.CategoricalDtype)


def test_read_table_compact_csv_and_numbers(tmp_path):
    tx = datasets.read_file(FIXTURES / "excel_utf8.csv", "transactions")
    tx.to_csv(tmp_path / "transactions.csv", index=False)
    compact = datasets.read_table_compact("transactions", tmp_path,
                                          columns=["transaction_id", "channel", "amount"])
    pd.testing.assert_frame_equal(_as_text(compact), tx[["transaction_id", "channel", "amount"]])
    coded = datasets.read_table_compact("transactions", tmp_path, columns=["transaction_id"],
                                        dictionary=["transaction_id"])
    pd.testing.assert_frame_equal(_as_text(coded), tx[["transaction_id"]])
    (tmp_path / "transactions.csv").unlink()  # one file per table
    tx.to_parquet(tmp_path / "transactions.parquet")
    compact = datasets.read_table_compact("transactions", tmp_path)
    pd.testing.assert_frame_equal(_as_text(compact), tx)


def test_read_table_compact_errors_name_file_column_rows(tmp_path):
    tp = pd.DataFrame({
        "touchpoint_id": ["P1", "P2", "P3", "P4"],
        "visitor_id": ["V1", None, "V2", "V3"],
        "customer_id": ["C1", None, None, "C2"],
        "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", None, "2026-01-04"]),
        "channel": ["search", "télé", "email", "télé"],
        "platform": [None, None, None, None],
        "transaction_id": [None, None, None, None],
    })
    tp.to_parquet(tmp_path / "touchpoints.parquet")
    cols = ["visitor_id", "customer_id", "timestamp", "channel"]
    with pytest.raises(DataError) as compact:
        datasets.read_table_compact("touchpoints", tmp_path, columns=cols)
    with pytest.raises(DataError) as reference:
        datasets.read_table("touchpoints", tmp_path, columns=cols)
    msg = str(compact.value)
    assert "touchpoints.parquet" in msg and "column 'channel'" in msg and "'télé'" in msg

    def problems(err):
        return sorted((p["column"], p["problem"], tuple(p["rows"]), p["n"]) for p in err.problems)

    assert problems(compact.value) == problems(reference.value)
    assert ("channel", "value outside the allowed list", (2, 4), 2) in problems(compact.value)
    assert ("visitor_id", "missing value", (2,), 1) in problems(compact.value)
    # duplicate key read compactly
    tp.assign(visitor_id="V1", timestamp=pd.Timestamp("2026-01-01"), channel="search",
              touchpoint_id=["P1", "P2", "P1", "P4"]).to_parquet(tmp_path / "touchpoints.parquet")
    with pytest.raises(DataError, match="duplicate key") as dup:
        datasets.read_table_compact("touchpoints", tmp_path)
    assert dup.value.problems[0]["rows"] == [1, 3]
    with pytest.raises(ValueError, match="until"):
        datasets.read_table_compact("touchpoints", tmp_path, columns=["visitor_id"], until="2026-01-01")


# --------------------------------------------------------------------------- customer_activity


def _activity_tables():
    ts = pd.to_datetime(["2026-10-01 10:00", "2026-10-02 10:00", "2026-10-03 10:00"])
    return {
        "touchpoints": pd.DataFrame({
            "touchpoint_id": ["p1", "p2", "p3"], "visitor_id": ["v1", "v1", "v2"],
            "customer_id": ["A", None, None], "timestamp": ts,
            "channel": ["search", "website", "social"], "platform": [None, None, "tiktok"],
            "transaction_id": [None, None, None]}),
        "transactions": pd.DataFrame({
            "transaction_id": ["t1", "t2"], "customer_id": ["A", "B"], "store_id": ["S1", "S1"],
            "channel": ["store", "store"], "timestamp": ts[1:] + pd.Timedelta(hours=1),
            "amount": [10.0, 5.0], "n_items": [1, 1]}),
        "transaction_lines": pd.DataFrame({
            "transaction_id": ["t1", "t1", "t2"], "line_no": [1, 2, 1],
            "category": ["mode", "mode", "sport"], "quantity": [1, 1, 1],
            "amount": [4.0, 6.0, 5.0]}),
        "email_events": pd.DataFrame({
            "campaign_id": ["m1", "m1"], "customer_id": ["A", "A"], "event": ["sent", "open"],
            "timestamp": ts[:2]}),
    }


def _write(tables, folder):
    for name, df in tables.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)


def test_customer_activity_counts_and_stitches(tmp_path):
    _write(_activity_tables(), tmp_path)
    win = {"oct": (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")),
           "day1": (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-02"))}
    act = datasets.customer_activity(tmp_path, win)
    a = act["oct"].loc["A"]
    assert a["tp_search"] == 1 and a["tp_website"] == 1  # v1's anonymous visit stitched to A
    assert a["store_purchases"] == 1 and a["store_researched"] == 1
    assert a["spend_mode"] == 10.0 and a["emails_sent"] == 1 and a["emails_open"] == 1
    assert act["oct"].loc["B", "store_researched"] == 0
    assert act["oct"].attrs["touchpoints"] == {"touchpoints": 3, "anonymous_before": 2,
                                               "stitched": 1, "still_anonymous": 1,
                                               "ambiguous_visitors": 0}
    assert list(act["day1"].index) == ["A"] and act["day1"].loc["A", "tp_website"] == 0
    with pytest.raises(ValueError, match="ends"):
        datasets.customer_activity(tmp_path, {"x": (pd.Timestamp("2026-10-02"),
                                                    pd.Timestamp("2026-10-01"))})


def test_customer_activity_names_file_column_and_rows_of_bad_data(tmp_path):
    tables = _activity_tables()
    tables["touchpoints"].loc[1, "visitor_id"] = None
    tables["touchpoints"].loc[2, "channel"] = "télé"
    _write(tables, tmp_path)
    win = {"oct": (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01"))}
    with pytest.raises(DataError) as info:
        datasets.customer_activity(tmp_path, win)
    msg = str(info.value)
    assert "touchpoints.parquet" in msg
    probs = {p["column"]: p for p in info.value.problems}
    assert probs["visitor_id"]["rows"] == [2] and probs["visitor_id"]["problem"] == "missing value"
    assert probs["channel"]["rows"] == [3] and probs["channel"]["values"] == ["'télé'"]
    tables = _activity_tables()
    tables["transactions"].loc[1, "transaction_id"] = "t1"
    _write(tables, tmp_path)
    with pytest.raises(DataError, match="duplicate key") as info:
        datasets.customer_activity(tmp_path, win)
    assert info.value.problems[0]["rows"] == [1, 2]
    tables = _activity_tables()  # a text timestamp: read and validated by read_table
    tables["email_events"]["timestamp"] = ["01/10/2026 10:00", "31/02/2026"]
    _write(tables, tmp_path)
    with pytest.raises(DataError, match="not readable as datetime") as info:
        datasets.customer_activity(tmp_path, win)
    assert "email_events.parquet" in str(info.value) and info.value.problems[0]["rows"] == [2]


# --------------------------------------------------------------------------- whole-table scan


def _bad_transactions_parquet(path):
    df = pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T3", "T4", "T5", "T1"],
            "customer_id": ["C1", None, "C2", "C3", "C4", "C5"],
            "store_id": ["S1"] * 6,
            "channel": ["store", "web", "télé", "app", "store", "web"],
            "timestamp": pd.to_datetime([f"2026-01-0{i} 10:00" for i in range(1, 7)]),
            "amount": [10.0, np.nan, 5.0, -1.0, 3.0, 4.0],
            "n_items": [1, 1, 1, 1, 1, 1],
        }
    )
    df.to_parquet(path, index=False)


def test_scan_chunks_give_the_read_file_error(tmp_path, monkeypatch):
    # problems spread over several chunks: same message as the whole-file read (rows, values)
    path = tmp_path / "transactions.parquet"
    _bad_transactions_parquet(path)
    with pytest.raises(DataError) as whole:
        datasets.read_file(path, "transactions")
    monkeypatch.setattr(datasets, "SCAN_CHUNK_ROWS", 2)
    _, status, _ = datasets.scan_available(["transactions"], tmp_path)
    assert status.loc[0, "status"] == "invalide"
    with pytest.raises(DataError) as chunked:
        import duckdb

        datasets._conform_parquet_chunks(
            duckdb.connect(), path, datasets.TABLES["transactions"], tmp_path / "out.parquet"
        )
    assert str(chunked.value) == str(whole.value)
    _, expected = datasets.read_available(["transactions"], tmp_path)
    pd.testing.assert_frame_equal(status, expected)
    assert "duplicate key" in status.loc[0, "message"] and "channel" in status.loc[0, "message"]


def test_scan_parses_odd_parquet_like_read_file(tmp_path, monkeypatch):
    # text numbers and time-zone aware timestamps go through pandas, in chunks
    monkeypatch.setattr(datasets, "SCAN_CHUNK_ROWS", 2)
    df = pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T3"],
            "customer_id": ["C1", None, None],
            "store_id": [None, None, None],
            "channel": ["store", "web", "web"],
            "timestamp": pd.to_datetime(["2026-01-01 10:00", "2026-01-02 23:30", "2026-01-02 23:30"]).tz_localize("UTC"),
            "amount": ["10,5", "2", "2"],
            "n_items": [1, 2, 2],
        }
    )
    df.to_parquet(tmp_path / "transactions.parquet", index=False)
    tables, status, prof = datasets.scan_available(["transactions"], tmp_path)
    assert tables == {} and status.loc[0, "status"] == "valide" and status.loc[0, "rows"] == 3
    full = datasets.read_table("transactions", tmp_path)
    import oracles
    from workbench import quality

    expected = oracles.profile({"transactions": full})
    in_memory = quality.profile({"transactions": full})
    for k in ["shapes", "missing", "day_counts", "duplicates"]:
        pd.testing.assert_frame_equal(prof[k], expected[k], check_dtype=False)
        pd.testing.assert_frame_equal(in_memory[k], expected[k], check_dtype=False)
    assert prof["duplicates"].set_index("kind").loc["rows_without_key", "count"] == 1


def test_hash_duplicates_equal_pandas(tmp_path):
    import duckdb

    rng = np.random.default_rng(5)
    df = pd.DataFrame({
        "a": pd.Series(rng.choice(["x", "y", None], 3000), dtype="str"),
        "b": rng.integers(0, 5, 3000),
        "c": pd.Series(rng.choice([1.5, np.nan], 3000)),
    })
    df.to_parquet(tmp_path / "f.parquet", index=False)
    con = duckdb.connect()
    con.execute(f"CREATE VIEW v AS SELECT *, file_row_number AS {datasets.SCAN_ROW} "
                f"FROM read_parquet('{tmp_path / 'f.parquet'}', file_row_number = true)")
    sets = [["a", "b", "c"], ["a"], ["b", "c"]]
    expected = [int(df.duplicated(subset=s).sum()) for s in sets]
    assert datasets._hash_duplicates(con, "v", sets, len(df), by_row=True) == expected
    assert datasets._hash_duplicates(con, "v", sets, len(df), by_row=False) == expected


def test_data_period_fast_path_equals_pandas(sample_dir, tmp_path):
    ts = datasets.read_table("transactions", sample_dir)["timestamp"]
    assert datasets.data_period(sample_dir) == (ts.min(), ts.max())
    df = pd.DataFrame({"transaction_id": ["T1"], "customer_id": ["C1"], "store_id": ["S1"],
                       "channel": ["store"], "amount": [1.0], "n_items": [1],
                       "timestamp": pd.to_datetime(["2026-01-01 10:00"]).tz_localize("UTC")})
    df.to_parquet(tmp_path / "transactions.parquet", index=False)  # time zone: pandas path
    assert datasets.data_period(tmp_path)[0] == pd.Timestamp("2026-01-01 11:00")


def test_values_outside_the_retailer_profile_name_the_key_to_extend(sample_dir, tmp_path):
    """A folder holding retailer.yaml closes its vocabularies: a category the profile does not
    list is refused with file, column, rows and the profile key to extend."""
    shutil.copy(Path(sample_dir) / "retailer.yaml", tmp_path / "retailer.yaml")
    lines = pd.read_parquet(Path(sample_dir) / "transaction_lines.parquet").head(50)
    lines.loc[[3, 9], "category"] = "jardin"
    lines.to_parquet(tmp_path / "transaction_lines.parquet", index=False)
    with pytest.raises(DataError) as err:
        datasets.read_table("transaction_lines", tmp_path)
    msg = str(err.value)
    assert "column 'category'" in msg and "rows 4 ('jardin'), 10 ('jardin')" in msg
    assert "retailer profile's 'categories' list" in msg
    (tmp_path / "retailer.yaml").unlink()  # without a profile the vocabularies are open
    assert len(datasets.read_table("transaction_lines", tmp_path)) == 50
