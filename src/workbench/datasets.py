"""Reading and writing tables: the one door between files and analyses.

Every raw table is read through `read_table` / `read_file`, which parse the types of the
contract (`workbench.schemas.TABLES`), validate it (pandera, key uniqueness, required columns)
and raise ONE `DataError` listing every problem with the file, the column, the rows and what
was expected. CSV files exported from French Excel (`;`, decimal comma, UTF-8 with BOM or
cp1252, dates as 31/01/2026) are accepted as they are. Processed outputs are written atomically
as Parquet into `data/processed`; `data/raw` is never written here.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from workbench import paths
from workbench.dataerrors import (  # noqa: F401  (re-exported: the error of bad input data)
    MAX_SHOWN,
    DataError,
    MissingTableError,
    _problem,
    _problems_message,
)
from workbench.readers import (  # noqa: F401  (re-exported: importers reuse the CSV reader's parsing)
    _DATE_RANGE,
    _SQL_MAX_DATE,
    _SQL_MIN_DATE,
    CSV_NA_VALUES,
    LOCAL_TZ,
    _conform,
    _decode,
    _read_csv_text,
    _sniff_sep,
    _to_bool,
    _to_datetime,
    _to_float,
    _to_int,
)
from workbench.schemas import TABLES, Table, contracts

__all__ = [
    "DataError",
    "read_table",
    "read_tables",
    "read_file",
    "write_table",
    "read_processed",
    "report_month",
    "read_cdnow",
    "find_table_file",
    "data_period",
    "read_available",
    "scan_available",  # noqa: F822 (loaded from workbench.scan on first use)
]

_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# names that moved out of this module, still importable from it (`datasets.scan_available`,
# `from workbench.datasets import read_table_compact`): {module: names}, loaded on first use
# (those modules import this one)
_MOVED = {
    "workbench.scan": ("scan_available", "SCAN_CHUNK_ROWS", "SCAN_DUCKDB_CONFIG", "SCAN_ROW",
                       "_conform_parquet_chunks", "_hash_duplicates", "_column_counts",
                       "_direct_plan"),
    "workbench.compact": ("read_table_compact",),
}


def __getattr__(name: str):
    import importlib

    for module, names in _MOVED.items():
        if name in names:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'workbench.datasets' has no attribute {name!r}")


# --------------------------------------------------------------------------- finding files


def find_table_file(name: str, data_dir=None) -> Path:
    """The file holding raw table `name` in `data_dir`: `<name>.parquet` or `<name>.csv`.

    Two files for one table (say a fresh CSV export next to last month's Parquet) is an error
    naming both: the workbench never guesses which one is current."""
    folder = Path(data_dir) if data_dir is not None else paths.RAW_DIR
    found = [folder / f"{name}{ext}" for ext in (".parquet", ".csv")
             if (folder / f"{name}{ext}").is_file()]
    if len(found) > 1:
        raise DataError(
            found[0],
            [
                _problem(
                    None,
                    f"two files for table '{name}': {found[0].name} and {found[1].name} "
                    f"in {folder}",
                    "one file per table: remove or rename the one that is not current",
                )
            ],
            table=name,
        )
    if found:
        return found[0]
    raise MissingTableError(
        folder / f"{name}.parquet",
        [
            _problem(
                None,
                f"table '{name}' not found in {folder}",
                f"a file {name}.parquet or {name}.csv (run `make sample` for the sample data)",
            )
        ],
        table=name,
    )


@functools.lru_cache(maxsize=8)
def _profile_contracts(profile_file: str, mtime: float) -> dict[str, Table]:
    from workbench import profile

    return contracts(profile.load_profile(profile_file))


def contract(name: str, data_dir=None) -> Table:
    """The contract of raw table `name` in a data folder: its retailer vocabularies (categories,
    platforms, loyalty tiers, store formats, regions) closed by the folder's retailer profile
    (`retailer.yaml`) when it has one, open otherwise."""
    if name not in TABLES:
        raise KeyError(f"unknown table '{name}'; known tables: {', '.join(TABLES)}")
    folder = Path(data_dir) if data_dir is not None else paths.RAW_DIR
    profile_file = folder / "retailer.yaml"
    if profile_file.is_file():
        return _profile_contracts(str(profile_file), profile_file.stat().st_mtime)[name]
    return TABLES[name]


def read_table(name: str, data_dir=None, columns=None) -> pd.DataFrame:
    """Read and validate raw table `name` (see `workbench.schemas.TABLES`) from `data_dir`.

    `columns` (contract column names) reads only those columns (Parquet: the others are not
    even loaded, which matters for 50M-row event tables); what is read is validated, and the
    key is checked only when all its columns are read (the data overview checks whole tables).
    """
    t = contract(name, data_dir)
    return read_file(find_table_file(name, data_dir), t, columns=columns)


def read_tables(names, data_dir=None, columns: dict | None = None) -> dict[str, pd.DataFrame]:
    """Read and validate several raw tables: {name: DataFrame}; `columns` = {name: [columns]}
    for the tables to read only in part (see `read_table`)."""
    columns = columns or {}
    return {n: read_table(n, data_dir, columns=columns.get(n)) for n in names}


def _restrict(t: Table, columns) -> Table:
    """The contract of `t` limited to `columns` (key kept only when fully read)."""
    unknown = [c for c in columns if c not in t.column_names]
    if unknown:
        raise KeyError(f"table '{t.name}' has no column(s) {unknown}; contract: {t.column_names}")
    cols = tuple(c for c in t.columns if c.name in set(columns))
    key = t.key if all(k in columns for k in t.key) else ()
    return dataclasses.replace(t, columns=cols, key=key)


def _absent_row(name: str) -> dict:
    """Status row of a table whose file is missing."""
    return {"table": name, "status": "absente", "file": "", "rows": 0, "message": "fichier absent"}


def _invalid_row(name: str, path: Path, exc: DataError) -> dict:
    """Status row of a refused table: its problems (column, what, how many rows), no cell values."""
    return {"table": name, "status": "invalide", "file": path.name, "rows": 0,
            "message": _problems_message(exc.problems)}


def _read_note(df: pd.DataFrame) -> str:
    """What the data overview says of a valid table read in an unusual way (its encoding)."""
    enc = df.attrs.get("encoding")
    return f"lu avec l'encodage {enc} (détecté ; pas en UTF-8)" if enc else ""


def read_available(names=None, data_dir=None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Read every table that is present and valid; never raises for a missing or invalid table.

    Returns ({name: DataFrame} of the valid tables, status table with one row per table:
    table, status ('valide', 'absente', 'invalide'), file, rows, message). Messages list the
    problems (column, what, how many rows) without cell values, so they can go into reports.
    """
    names = list(TABLES) if names is None else list(names)
    folder = Path(data_dir) if data_dir is not None else paths.RAW_DIR
    tables, rows = {}, []
    for name in names:
        try:
            path = find_table_file(name, folder)
        except MissingTableError:
            rows.append(_absent_row(name))
            continue
        except DataError as exc:  # e.g. two files for the table
            rows.append(_invalid_row(name, Path(exc.path), exc))
            continue
        try:
            df = read_file(path, contract(name, folder))
        except DataError as exc:
            rows.append(_invalid_row(name, path, exc))
            continue
        tables[name] = df
        rows.append({"table": name, "status": "valide", "file": path.name, "rows": len(df),
                     "message": _read_note(df)})
    return tables, pd.DataFrame(rows, columns=["table", "status", "file", "rows", "message"])


# --------------------------------------------------------------------------- reading one file


def read_file(path, table: str | Table, columns=None) -> pd.DataFrame:
    """Read any Parquet or CSV file and validate it against the contract of `table`.

    Returns a new DataFrame with the contract's types (dates as datetime64[ns], ints as Int64,
    bools as boolean, text as str); extra columns are kept as read. `columns`: read only these
    contract columns (see `read_table`).
    """
    path = Path(path)
    t = TABLES[table] if isinstance(table, str) else table
    if columns is not None:
        t = _restrict(t, list(columns))
    if not path.is_file():
        raise DataError(
            path, [_problem(None, "file not found", "an existing .parquet or .csv file")], t.name
        )
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            if columns is None:
                df = pd.read_parquet(path)
            else:  # header names match the contract case-insensitively, as in _conform
                wanted = {c.lower() for c in t.column_names}
                names = [n for n in pq.read_schema(path).names if n.lower() in wanted]
                df = pd.read_parquet(path, columns=names)
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes a DataError
            raise DataError(
                path,
                [_problem(None, f"not a readable Parquet file ({exc})", "a Parquet file")],
                t.name,
            ) from exc
        decimal_comma, encoding = False, None
    elif suffix in (".csv", ".txt", ".tsv"):
        df, decimal_comma, encoding = _read_csv_text(path, t.name)
    else:
        raise DataError(
            path, [_problem(None, f"unsupported file type '{suffix}'", ".parquet or .csv")], t.name
        )
    if columns is not None and suffix != ".parquet":
        wanted = {c.lower() for c in t.column_names}
        df = df[[c for c in df.columns if str(c).strip().lower() in wanted]]
    out = _conform(df, t, path, decimal_comma)
    if encoding not in (None, "utf-8"):  # said on the data overview and in the run's log
        out.attrs["encoding"] = encoding
    return out


# --------------------------------------------------------------------------- processed outputs


def _check_name(name: str) -> None:
    if not name or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name) or name.startswith("."):
        raise ValueError(f"invalid table name {name!r}: use letters, digits, '_', '-' and '.' only")


def _write_atomic(df: pd.DataFrame, name: str, out_dir, suffix: str, writer) -> Path:
    """Write `df` to `<out_dir>/<name><suffix>` through a temp file renamed into place."""
    _check_name(name)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    folder = Path(out_dir) if out_dir is not None else paths.PROCESSED_DIR
    if folder.resolve().is_relative_to(paths.RAW_DIR.resolve()):
        raise ValueError(
            f"refusing to write into the raw data folder {paths.RAW_DIR}; use data/processed"
        )
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}{suffix}"
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        frame = df.copy(deep=False)
        frame.attrs = {}
        writer(frame, tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600 files
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_table(df: pd.DataFrame, name: str, out_dir=None) -> Path:
    """Write `df` as `<out_dir>/<name>.parquet` atomically (temp file + rename); returns the path.

    Default folder: `data/processed`. Writing into the raw data folder is refused.
    """
    return _write_atomic(df, name, out_dir, ".parquet", lambda f, p: f.to_parquet(p, index=False))


def write_csv(df: pd.DataFrame, name: str, out_dir=None) -> Path:
    """Write `df` as `<out_dir>/<name>.csv` for French Excel (`;`, decimal comma, UTF-8 with BOM),
    atomically; returns the path. Used for tables handed to other teams (e.g. alerts)."""
    return _write_atomic(
        df, name, out_dir, ".csv",
        lambda f, p: f.to_csv(p, sep=";", decimal=",", index=False, encoding="utf-8-sig"),
    )


def read_processed(name: str, processed_dir=None, required: bool = True) -> pd.DataFrame | None:
    """Read an output written by `write_table` (None when absent and not `required`)."""
    _check_name(name)
    folder = Path(processed_dir) if processed_dir is not None else paths.PROCESSED_DIR
    target = folder / f"{name}.parquet"
    if not target.is_file():
        if not required:
            return None
        raise DataError(
            target,
            [
                _problem(
                    None,
                    f"processed table '{name}' not found",
                    "the notebook that produces it to have run first "
                    "(`workbench run` runs them in order)",
                )
            ],
        )
    df = pd.read_parquet(target)
    df.attrs = {"source": str(target), "table": name}
    return df


# --------------------------------------------------------------------------- report month


def _parquet_time_range(path: Path, column: str, limit: pd.Timestamp):
    """(min, max) of the values up to `limit` of a plain (time-zone naive) timestamp column of
    a Parquet file, read alone with pyarrow; (None, None) when it has no such value; None when
    pandas must parse it."""
    import pyarrow
    import pyarrow.compute as pc
    import pyarrow.types as pat

    try:
        field = pq.ParquetFile(path).schema_arrow.field(column)
        if not (pat.is_timestamp(field.type) and field.type.tz is None):
            return None
        col = pq.read_table(path, columns=[column]).column(0)
        lo_all, hi_all = pc.min_max(col).values()
        if lo_all.is_valid and (lo_all.as_py() < _SQL_MIN_DATE or hi_all.as_py() > _SQL_MAX_DATE):
            return None  # dates pandas cannot hold: the validated read names them
        col = col.cast(pyarrow.timestamp("ns"))
        col = col.filter(pc.less_equal(col, pyarrow.scalar(limit.value, pyarrow.timestamp("ns"))))
        lo, hi = pc.min_max(col).values()
    except Exception:  # noqa: BLE001 - the pandas path below gives the clear message
        return None
    if not lo.is_valid:
        return None, None
    return pd.Timestamp(lo.value, unit="ns"), pd.Timestamp(hi.value, unit="ns")


def now() -> pd.Timestamp:
    """The current French local time (naive, like the tables' timestamps): rows dated after it
    are future-dated (an entry error), flagged by the data overview and never used to pick the
    report month."""
    return pd.Timestamp.now(tz=LOCAL_TZ).tz_localize(None)


def data_period(data_dir=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last transaction timestamps, future-dated transactions left out (see `now`):
    the period the data covers."""
    path = find_table_file("transactions", data_dir)
    limit = now()
    ts = None
    fast = _parquet_time_range(path, "timestamp", limit) if path.suffix == ".parquet" else None
    if fast is not None and fast[0] is not None:
        return fast
    if fast is not None:  # no dated transaction at all
        ts = pd.Series([], dtype="datetime64[ns]")
    elif path.suffix == ".parquet":
        try:
            raw = pd.read_parquet(path, columns=["timestamp"])["timestamp"]
            ts, bad, _ = _to_datetime(raw, date_only=False)
            ts = None if bad.any() else ts
        except Exception:  # noqa: BLE001 - the full, validated read below gives the clear message
            ts = None
    if ts is None:
        ts = read_file(path, "transactions")["timestamp"]
    ts = ts[ts <= limit].dropna()
    if ts.empty:
        raise DataError(
            path,
            [_problem("timestamp", "no dated transactions up to today",
                      "at least one transaction dated before today")],
            "transactions",
        )
    return ts.min(), ts.max()


def report_month(data_dir=None, month: str | None = None) -> pd.Period:
    """The report month: `month` ("YYYY-MM") if given, else the last complete calendar month of
    the transactions (a month is complete when transactions reach its last day; future-dated
    transactions do not count). A given month must overlap the data's period: the error says
    which period the data covers."""
    if month is not None:
        text = str(month).strip()
        if not _MONTH_RE.match(text):
            raise ValueError(f"invalid month {month!r}: expected 'YYYY-MM', e.g. '2026-10'")
        month_p = pd.Period(text, freq="M")
        try:
            first, last = data_period(data_dir)
        except MissingTableError:  # no transactions to check against (e.g. a CDNOW file instead)
            return month_p
        if month_p.end_time < first or month_p.start_time > last:
            raise ValueError(
                f"month {text} is outside the data: the transactions run from "
                f"{first:%d/%m/%Y} to {last:%d/%m/%Y}, so a report month between "
                f"{first:%Y-%m} and {last:%Y-%m}"
            )
        return month_p
    path = find_table_file("transactions", data_dir)
    first, last = data_period(data_dir)
    month_p = last.to_period("M")
    if last.normalize() < month_p.end_time.normalize():
        month_p -= 1
    if month_p < first.to_period("M"):
        raise DataError(
            path,
            [
                _problem(
                    "timestamp",
                    f"no complete calendar month in the data ({first:%Y-%m-%d} to {last:%Y-%m-%d})",
                    "transactions up to the last day of at least one month; "
                    "or pass month='YYYY-MM'",
                )
            ],
            "transactions",
        )
    return month_p


# --------------------------------------------------------------------------- CDNOW real data


def read_cdnow(path) -> pd.DataFrame:
    """Read the CDNOW purchase log (whitespace separated: customer_id date number_of_cds
    dollar_value) into the `transactions` contract.

    All purchases are store purchases without a store; transaction_id is
    `cdnow-<customer_id>-<YYYYMMDD>-<k>` (k = order within the customer's day, file order).
    Rows with fewer than 1 CD are kept with n_items = 1 and counted in
    `df.attrs["flags"]["n_items_below_1_set_to_1"]` (the contract needs n_items >= 1).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            path, [_problem(None, "file not found", "the CDNOW_master.txt file")], "transactions"
        )
    raw = pd.read_csv(
        path, sep=r"\s+", dtype=str, engine="python" if path.stat().st_size < 1000 else "c"
    )
    raw.columns = [c.strip() for c in raw.columns]
    need = ["customer_id", "date", "number_of_cds", "dollar_value"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataError(
            path,
            [
                _problem(c, "required column is missing", "header: " + " ".join(need))
                for c in missing
            ],
            "transactions",
        )
    date = pd.to_datetime(raw["date"], format="%Y%m%d", errors="coerce")
    n_cds, bad_n, exp_n = _to_int(raw["number_of_cds"])
    amount, bad_a, exp_a = _to_float(raw["dollar_value"], decimal_comma=False)
    problems = []
    for column, bad, problem, expected in (
        ("date", date.isna().to_numpy(), "unparsable date", "a date as YYYYMMDD"),
        ("number_of_cds", bad_n, "not a whole number", exp_n),
        ("dollar_value", bad_a, "not a number", exp_a),
    ):
        if bad.any():
            idx = np.flatnonzero(bad)
            problems.append(
                _problem(
                    column,
                    problem,
                    expected,
                    rows=idx[:MAX_SHOWN] + 1,
                    values=raw[column].iloc[idx[:MAX_SHOWN]],
                    n=len(idx),
                )
            )
    if problems:
        raise DataError(path, problems, "transactions")
    cust = raw["customer_id"].astype("str").str.strip()
    day = raw["date"].str.strip()
    k = pd.DataFrame({"c": cust, "d": day}).groupby(["c", "d"], sort=False).cumcount() + 1
    below = (n_cds < 1).fillna(False).to_numpy()
    df = pd.DataFrame(
        {
            "transaction_id": "cdnow-" + cust + "-" + day + "-" + k.astype(str),
            "customer_id": cust,
            "store_id": pd.Series(pd.NA, index=raw.index, dtype="str"),
            "channel": "store",
            "timestamp": date.astype("datetime64[ns]"),
            "amount": amount,
            "n_items": n_cds.where(~below, 1).astype("Int64"),
        }
    )
    out = _conform(df, TABLES["transactions"], path, decimal_comma=False)
    out.attrs["flags"] = {"n_items_below_1_set_to_1": int(below.sum())}
    return out


# --------------------------------------------------------------------------- per-customer activity

ACTIVITY_TOUCHPOINT_CHANNELS = ("search", "social", "email", "display", "website", "app", "store_visit")
ACTIVITY_RESEARCH_CHANNELS = ("search", "website", "app")
_DUCKDB_TYPES = {  # DuckDB column types read as they are (others go through read_table)
    "str": ("VARCHAR",),
    "datetime": ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
    "float": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT"),
}


def _sql_str(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _sql_list(values) -> str:
    return ", ".join(_sql_str(v) for v in values)


def _duckdb_source(con, name: str, data_dir, columns: list[str], view: str) -> None:
    """Create the DuckDB view `view` over raw table `name` with `columns` and `file_row_number`
    (0 = first data row), validated like `read_table` for those columns.

    A Parquet file whose columns have the contract's types is scanned in place and checked in
    SQL (missing values, allowed values, minimum), with the same messages as `read_table`
    (file, column, first rows, values); anything else (CSV, other types, time zones, odd
    headers, no rows) is read and validated by `read_table`, then registered.
    """
    path = find_table_file(name, data_dir)
    t = _restrict(contract(name, data_dir), columns)
    actual = None
    if path.suffix.lower() == ".parquet":
        try:
            desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_str(path)})").fetchall()
            meta = pq.ParquetFile(path).metadata
            n_rows = meta.num_rows
        except Exception:  # noqa: BLE001 - read_table gives the clear message
            desc, n_rows = [], 0
        by_lower: dict[str, list] = {}
        for col_name, col_type, *_ in desc:
            by_lower.setdefault(col_name.lower(), []).append((col_name, col_type))
        actual = {}
        for c in t.columns:
            found = by_lower.get(c.name.lower(), [])
            if len(found) != 1 or found[0][1] not in _DUCKDB_TYPES.get(c.dtype, ()):
                actual = None
                break
            actual[c.name] = found[0][0]
        if n_rows == 0:
            actual = None
    if actual is None:  # general path: pandas parsing and validation
        df = read_file(path, name, columns=columns)
        df = df[[c.name for c in t.columns]].assign(file_row_number=np.arange(len(df)))
        con.register(f"{view}_frame", df)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {view}_frame")
        return
    select = ", ".join(f'"{actual[c.name]}" AS "{c.name}"' for c in t.columns)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {select}, file_row_number "
        f"FROM read_parquet({_sql_str(path)}, file_row_number = true)"
    )
    checks = []  # (column, SQL condition of a bad row, problem, expected)
    for c in t.columns:
        q = f'"{c.name}"'
        if not c.nullable and not _parquet_no_nulls(meta, actual[c.name]):
            checks.append((c.name, f"{q} IS NULL", "missing value",
                           "a value in every row (column is not nullable)"))
        if c.allowed is not None:
            checks.append((c.name, f"{q} NOT IN ({_sql_list(c.allowed)})",
                           "value outside the allowed list",
                           "one of: " + ", ".join(map(str, c.allowed))))
        if c.ge is not None:
            checks.append((c.name, f"{q} < {c.ge}", "value too small", f">= {c.ge}"))
        if c.le is not None:
            checks.append((c.name, f"{q} > {c.le}", "value too large", f"<= {c.le}"))
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _, _ in checks)
        + f" FROM {view}"
    ).fetchone() if checks else ()
    problems = []
    for (column, cond, problem, expected), n in zip(checks, counts, strict=True):
        if not n:
            continue
        first = con.execute(
            f'SELECT file_row_number, "{column}" FROM {view} WHERE {cond} '
            f"ORDER BY file_row_number LIMIT {MAX_SHOWN}"
        ).fetchall()
        values = [] if problem == "missing value" else [v for _, v in first]
        problems.append(_problem(column, problem, expected, rows=[r + 1 for r, _ in first],
                                 values=values, n=n))
    if len(t.key) == 1:  # the key is checked when read, as by read_table
        k = f'"{t.key[0]}"'
        dup = con.execute(f"""
            WITH d AS (SELECT {k} FROM {view} GROUP BY {k} HAVING count(*) > 1)
            SELECT count(*), list(file_row_number ORDER BY file_row_number)[1:{MAX_SHOWN}],
                   list({k} ORDER BY file_row_number)[1:{MAX_SHOWN}]
            FROM {view} WHERE {k} IN (SELECT {k} FROM d)""").fetchone()
        if dup[0]:
            problems.append(_problem(t.key[0], "duplicate key",
                                     f"each {t.key[0]} once (key of table '{t.name}')",
                                     rows=[r + 1 for r in dup[1]], values=dup[2], n=dup[0]))
    if problems:
        raise DataError(path, problems, name)


def _parquet_no_nulls(meta, column: str) -> bool:
    """True when the Parquet statistics of every row group say `column` has no missing value."""
    try:
        i = meta.schema.names.index(column)
        for g in range(meta.num_row_groups):
            st = meta.row_group(g).column(i).statistics
            if st is None or not st.has_null_count or st.null_count:
                return False
    except (ValueError, AttributeError):
        return False
    return True


def _duckdb_connection(temp_dir: str):
    import duckdb

    return duckdb.connect(config={"threads": 2, "memory_limit": "4GB", "temp_directory": temp_dir,
                                  "preserve_insertion_order": False})


def customer_activity(
    data_dir=None,
    windows: dict | None = None,
    *,
    research_window_days: float = 7,
    research_channels=ACTIVITY_RESEARCH_CHANNELS,
    categories=None,
) -> dict:
    """Per-customer aggregates of the event tables over behaviour windows, counted by DuckDB.
    `categories`: the product categories (the retailer profile's, in its order); None = those
    of transaction_lines, sorted.

    `windows` = {key: (start, end)} (e.g. `segmentation.feature_windows`); for each window
    [start, end), from `touchpoints`, `email_events`, `transaction_lines` and `transactions`
    of `data_dir` (only the columns needed, validated as by `read_table`, in one pass for all
    windows):

    - `spend_<category>`: spend per product category of the customer's purchases in the window
      (summed in file order with Kahan compensation: bit for bit pandas' groupby sum);
    - `tp_<channel>` per touchpoint channel and `social_platforms` (distinct platforms of social
      touchpoints), after stitching: an anonymous touchpoint takes the customer of its device
      (`visitor_id`) when the device is seen logged in as exactly one customer in the window;
    - `store_purchases` and `store_researched`: store purchases in the window and those preceded
      by a research touchpoint (`research_channels`) within `research_window_days` before the
      purchase and after the customer's previous purchase in the window (any channel);
    - `emails_sent`, `emails_open`, `emails_click`.

    Returns {key: DataFrame indexed by customer_id} (customers without any activity absent);
    `attrs` hold the window, the research parameters and the stitching counts (touchpoints,
    anonymous_before, stitched, still_anonymous, ambiguous_visitors).
    """
    keys, spans, sql = _activity_windows(windows, "customer_activity")
    channels = tuple(research_channels)
    with tempfile.TemporaryDirectory(prefix="workbench-duckdb-") as tmp:
        con = _duckdb_connection(tmp)
        try:
            _duckdb_source(con, "touchpoints", data_dir,
                           ["visitor_id", "customer_id", "timestamp", "channel", "platform"],
                           "tp_src")
            _duckdb_source(con, "transactions", data_dir,
                           ["transaction_id", "customer_id", "channel", "timestamp"], "trx_src")
            _duckdb_source(con, "transaction_lines", data_dir,
                           ["transaction_id", "category", "amount"], "lines_src")
            _duckdb_source(con, "email_events", data_dir,
                           ["customer_id", "event", "timestamp"], "ev_src")
            touch, counts = _touchpoint_activity(con, sql, channels)
            research = _research_activity(con, sql, spans, float(research_window_days))
            spend = _category_spend(con, sql, categories)
            email = _email_activity(con, sql)
        finally:
            con.close()
    out = {}
    for w, (key, (start, end)) in enumerate(zip(keys, spans, strict=True)):
        frame = pd.concat([spend[w], touch[w], research[w], email[w]], axis=1).sort_index()
        ints = [c for c in frame.columns if not c.startswith("spend_")]
        frame[ints] = frame[ints].fillna(0).astype("int64")
        spend_cols = [c for c in frame.columns if c.startswith("spend_")]
        frame[spend_cols] = frame[spend_cols].fillna(0.0)
        frame.index = pd.Index(frame.index.astype(str), name="customer_id")
        frame.attrs = {"start": start, "end": end, "research_window_days": float(research_window_days),
                       "research_channels": channels, "touchpoints": counts[w]}
        out[key] = frame
    return out


def customer_contacts(data_dir=None, windows: dict | None = None) -> dict:
    """Per-customer e-mail events and purchases by channel over windows, counted by DuckDB.

    `windows` = {key: (start, end)} (half-open [start, end), e.g.
    `ambassadors.signal_windows`); from `email_events` and `transactions` of `data_dir` (only
    the columns needed, validated as by `read_table`, one scan each for all windows):
    `emails_sent`, `emails_open`, `emails_click`, `store_purchases` (channel store) and
    `online_orders` (web and app) per customer id as found in the files (ids unknown to the CRM
    included, so that the caller can count them). Returns {key: DataFrame indexed by
    customer_id}; `attrs` hold the window.
    """
    keys, spans, sql = _activity_windows(windows, "customer_contacts")
    ts = '"timestamp"'
    with tempfile.TemporaryDirectory(prefix="workbench-duckdb-") as tmp:
        con = _duckdb_connection(tmp)
        try:
            _duckdb_source(con, "email_events", data_dir, ["customer_id", "event", "timestamp"],
                           "ev_src")
            _duckdb_source(con, "transactions", data_dir,
                           ["transaction_id", "customer_id", "channel", "timestamp"], "trx_src")
            email = _email_activity(con, sql)
            con.execute(f"""
                CREATE TEMP TABLE trx_b AS
                SELECT customer_id, {sql.bucket(ts)} AS b,
                       count(*) FILTER (WHERE channel = 'store') AS store_purchases,
                       count(*) FILTER (WHERE channel IN ('web', 'app')) AS online_orders
                FROM trx_src WHERE customer_id IS NOT NULL AND {sql.in_range(ts)} GROUP BY ALL""")
            out = {}
            for w, (key, (start, end)) in enumerate(zip(keys, spans, strict=True)):
                trx = con.execute(f"""
                    SELECT customer_id, sum(store_purchases) AS store_purchases,
                           sum(online_orders) AS online_orders
                    FROM trx_b WHERE {sql.in_window(w)} GROUP BY customer_id""").df()
                frame = pd.concat([email[w], trx.set_index("customer_id")],
                                  axis=1).fillna(0).astype("int64").sort_index()
                frame.index = pd.Index(frame.index.astype(str), name="customer_id")
                frame.attrs = {"start": start, "end": end}
                out[key] = frame
            return out
        finally:
            con.close()


def _activity_windows(windows: dict | None, what: str) -> tuple[list, list, _ActivitySQL]:
    """Keys, (start, end) spans and time-bucket SQL of `windows` = {key: (start, end)}; each
    window = a run of the buckets [bounds[i], bounds[i + 1])."""
    if not windows:
        raise ValueError(f"{what}: give at least one window {{key: (start, end)}}")
    keys = list(windows)
    spans = [(pd.Timestamp(s), pd.Timestamp(e)) for s, e in windows.values()]
    for key, (s, e) in zip(keys, spans, strict=True):
        if not s < e:
            raise ValueError(f"{what}: window {key!r} ends ({e}) before it starts ({s})")
    bounds = sorted({t for span in spans for t in span})
    members = [[i for i in range(len(bounds) - 1) if s <= bounds[i] and bounds[i + 1] <= e]
               for s, e in spans]
    return keys, spans, _ActivitySQL(bounds, members)


class _ActivitySQL:
    """SQL snippets for the time buckets of `customer_activity` (bucket i = [bounds[i],
    bounds[i + 1]); window w = the buckets `members[w]`)."""

    def __init__(self, bounds, members):
        self.bounds = [_sql_str(b.isoformat(sep=" ")) for b in bounds]
        self.members = members

    def in_range(self, col: str) -> str:
        return f"{col} >= TIMESTAMP {self.bounds[0]} AND {col} < TIMESTAMP {self.bounds[-1]}"

    def bucket(self, col: str) -> str:
        whens = " ".join(f"WHEN {col} < TIMESTAMP {b} THEN {i}"
                         for i, b in enumerate(self.bounds[1:-1]))
        last = len(self.bounds) - 2
        return f"CAST(CASE {whens} ELSE {last} END AS TINYINT)" if whens else f"CAST({last} AS TINYINT)"

    def in_window(self, w: int, col: str = "b") -> str:
        return f"{col} IN ({', '.join(map(str, self.members[w])) or 'NULL'})"

    @property
    def windows(self):
        return range(len(self.members))


def _touchpoint_activity(con, sql: _ActivitySQL, channels):
    """tp_<channel>, social_platforms per customer and window, after stitching devices.

    One scan counts the touchpoints per (device, customer or none, time bucket) and lists the
    times of research touchpoints (`channels`, for `_research_activity`); the devices seen
    logged in give the stitching map of each window, the anonymous rows are then counted for
    the device's customer of the window."""
    ws = sql.windows
    bucket = sql.bucket('"timestamp"')
    platforms = [p for (p,) in con.execute(  # the retailer's own platforms, as observed
        "SELECT DISTINCT platform FROM tp_src WHERE platform IS NOT NULL ORDER BY 1").fetchall()]
    bits = " ".join(f"WHEN {_sql_str(p)} THEN {1 << i}" for i, p in enumerate(platforms))
    counts_sql = ", ".join(f"count(*) FILTER (WHERE channel = {_sql_str(c)}) AS tp_{c}"
                           for c in ACTIVITY_TOUCHPOINT_CHANNELS)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE tp_groups AS
        SELECT visitor_id, customer_id, {bucket} AS b, {counts_sql},
               bit_or(CAST(CASE platform {bits} ELSE 0 END AS INTEGER))
                   FILTER (WHERE channel = 'social') AS pm,
               count(*) AS n,
               list("timestamp") FILTER (WHERE channel IN ({_sql_list(channels)})) AS rts
        FROM tp_src WHERE {sql.in_range('"timestamp"')} GROUP BY visitor_id, customer_id, b""")
    per_window = ", ".join(
        f"count(DISTINCT customer_id) FILTER (WHERE {sql.in_window(w)}) AS n{w}, "
        f"min(customer_id) FILTER (WHERE {sql.in_window(w)}) AS m{w}" for w in ws)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE vmap AS
        SELECT visitor_id, {', '.join(f'CASE WHEN n{w} = 1 THEN m{w} END AS c{w}' for w in ws)},
               {', '.join(f'n{w} > 1 AS amb{w}' for w in ws)}
        FROM (SELECT visitor_id, {per_window} FROM tp_groups
              WHERE customer_id IS NOT NULL GROUP BY visitor_id)""")
    ambiguous = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE amb{w})" for w in ws) + " FROM vmap"
    ).fetchone()
    sums = ", ".join(f"sum(g.tp_{c}) AS tp_{c}" for c in ACTIVITY_TOUCHPOINT_CHANNELS)
    frames, counts = [], []
    for w in ws:
        tp = con.execute(f"""
            SELECT coalesce(g.customer_id, m.c{w}) AS customer_id, {sums},
                   bit_count(coalesce(bit_or(g.pm), 0)) AS social_platforms,
                   sum(g.n) AS n_all, sum(g.n) FILTER (WHERE g.customer_id IS NULL) AS n_was_null
            FROM tp_groups g LEFT JOIN vmap m
                 ON g.customer_id IS NULL AND g.visitor_id = m.visitor_id
            WHERE {sql.in_window(w, 'g.b')}
            GROUP BY coalesce(g.customer_id, m.c{w})""").df()
        anonymous = tp["customer_id"].isna()
        n_all, n_null = tp["n_all"].fillna(0), tp["n_was_null"].fillna(0)
        counts.append({
            "touchpoints": int(n_all.sum()),
            "anonymous_before": int(n_null.sum()),
            "stitched": int(n_null[~anonymous].sum()),
            "still_anonymous": int(n_all[anonymous].sum()),
            "ambiguous_visitors": int(ambiguous[w]),
        })
        frames.append(tp[~anonymous].drop(columns=["n_all", "n_was_null"])
                      .set_index("customer_id"))
    return frames, counts


def _research_activity(con, sql: _ActivitySQL, spans, window_days: float):
    """store_purchases and store_researched per customer and window.

    Each store purchase is matched (ASOF join) with the customer's last logged-in research
    touchpoint once for all windows, and with the last stitched anonymous one per window (the
    device's customer depends on the window); the later of the two is the last research."""
    ws = sql.windows
    con.execute("""
        CREATE OR REPLACE TEMP TABLE res_known AS
        SELECT customer_id, unnest(rts) AS rts FROM tp_groups
        WHERE customer_id IS NOT NULL AND rts IS NOT NULL""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_anon AS
        SELECT {', '.join(f'm.c{w}' for w in ws)}, unnest(g.rts) AS rts, g.b
        FROM tp_groups g JOIN vmap m ON g.visitor_id = m.visitor_id
        WHERE g.customer_id IS NULL AND g.rts IS NOT NULL
          AND coalesce({', '.join(f'm.c{w}' for w in ws)}) IS NOT NULL""")
    con.execute("DROP TABLE tp_groups")
    # previous purchase over the union of the windows (a window keeps it when inside)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE store_seq AS
        SELECT s.customer_id, s.ts, s.prev, s.b, r.rts AS rk FROM (
            SELECT customer_id, ts, prev, b FROM (
                SELECT customer_id, channel, "timestamp" AS ts, {sql.bucket('"timestamp"')} AS b,
                       lag("timestamp") OVER (PARTITION BY customer_id
                                              ORDER BY "timestamp", file_row_number) AS prev
                FROM trx_src
                WHERE customer_id IS NOT NULL AND {sql.in_range('"timestamp"')})
            WHERE channel = 'store') s
        ASOF LEFT JOIN res_known r ON s.customer_id = r.customer_id AND s.ts >= r.rts""")
    con.execute("DROP TABLE res_known")
    frames = []
    for w in ws:
        start = f"TIMESTAMP {_sql_str(spans[w][0].isoformat(sep=' '))}"
        frames.append(con.execute(f"""
            WITH s AS (SELECT customer_id, ts,
                              CASE WHEN prev >= {start} THEN prev END AS prev,
                              CASE WHEN rk >= {start} THEN rk END AS rk
                       FROM store_seq WHERE {sql.in_window(w)}),
                 a AS (SELECT c{w} AS customer_id, rts FROM res_anon
                       WHERE c{w} IS NOT NULL AND {sql.in_window(w)}),
                 j AS (SELECT s.customer_id, s.ts, s.prev, greatest(s.rk, a.rts) AS r
                       FROM s ASOF LEFT JOIN a ON s.customer_id = a.customer_id AND s.ts >= a.rts)
            SELECT customer_id, count(*) AS store_purchases,
                   count(*) FILTER (WHERE r IS NOT NULL
                       AND CAST(epoch_ns(ts) - epoch_ns(r) AS DOUBLE) / 1e9 / 86400
                           <= {window_days!r}
                       AND (prev IS NULL OR r > prev)) AS store_researched
            FROM j GROUP BY customer_id""").df().set_index("customer_id"))
    con.execute("DROP TABLE res_anon")
    con.execute("DROP TABLE store_seq")
    con.execute("DROP TABLE vmap")
    return frames


def _email_activity(con, sql: _ActivitySQL):
    """emails_sent / emails_open / emails_click per customer and window."""
    from workbench.schemas import EMAIL_EVENTS

    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ev_counts AS
        SELECT customer_id, event, {sql.bucket('"timestamp"')} AS b, count(*) AS n
        FROM ev_src WHERE {sql.in_range('"timestamp"')} GROUP BY ALL""")
    cols = ", ".join(f"sum(n) FILTER (WHERE event = {_sql_str(v)}) AS emails_{v}"
                     for v in EMAIL_EVENTS)
    frames = [con.execute(f"""SELECT customer_id, {cols} FROM ev_counts
                              WHERE {sql.in_window(w)} GROUP BY customer_id""")
              .df().set_index("customer_id") for w in sql.windows]
    con.execute("DROP TABLE ev_counts")
    return frames


def _category_spend(con, sql: _ActivitySQL, categories=None):
    """spend_<category> per customer and window: the lines of the window's purchases summed in
    file order with Kahan compensation, bit for bit as pandas' groupby sum (vectorised over
    customer x category groups: step k adds the k-th line of every group at once).
    `categories`: the retailer profile's, in its order; None = those of the lines, sorted."""
    CATEGORIES = list(categories) if categories else [c for (c,) in con.execute(  # noqa: N806
        "SELECT DISTINCT category FROM lines_src WHERE category IS NOT NULL ORDER BY 1").fetchall()]

    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE trx_codes AS
        SELECT transaction_id, customer_id, {sql.bucket('"timestamp"')} AS b
        FROM trx_src WHERE customer_id IS NOT NULL AND {sql.in_range('"timestamp"')}""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE cust_codes AS
        SELECT customer_id, CAST(row_number() OVER () - 1 AS INTEGER) AS code
        FROM (SELECT DISTINCT customer_id FROM trx_codes)""")
    cat_code = " ".join(f"WHEN {_sql_str(c)} THEN {i}" for i, c in enumerate(CATEGORIES))
    arr = con.execute(f"""
        SELECT c.code, CAST(CASE l.category {cat_code} END AS SMALLINT) AS cat, l.amount, t.b,
               l.file_row_number AS rn
        FROM lines_src l JOIN trx_codes t ON l.transaction_id = t.transaction_id
        JOIN cust_codes c ON t.customer_id = c.customer_id""").fetchnumpy()
    ids = con.execute("SELECT customer_id FROM cust_codes ORDER BY code").df()["customer_id"]
    con.execute("DROP TABLE trx_codes")
    con.execute("DROP TABLE cust_codes")
    n_cat = len(CATEGORIES)
    group = np.asarray(arr["code"]).astype(np.int64) * n_cat + np.asarray(arr["cat"])
    rn = np.asarray(arr["rn"]).astype(np.int64)
    if len(rn) and (int(rn.max()) >= 1 << 36 or int(group.max()) >= 1 << 26):
        order = np.lexsort((rn, group))  # by group, then file order
    else:  # the same order with one sort key
        order = np.argsort((group << 36) | rn)
    del rn
    group, bucket = group[order], np.asarray(arr["b"])[order]
    amount = np.asarray(arr["amount"], dtype=float)[order]
    del arr, order
    frames = []
    for w in sql.windows:
        keep = np.isin(bucket, sql.members[w])
        g, val = group[keep], amount[keep]
        if len(g) == 0:
            frames.append(pd.DataFrame(columns=[f"spend_{c}" for c in CATEGORIES], dtype=float))
            continue
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        lens = np.diff(np.r_[starts, len(g)])
        by_len = np.argsort(-lens, kind="stable")
        starts, lens = starts[by_len], lens[by_len]
        total = np.zeros(len(starts))
        comp = np.zeros(len(starts))
        for k in range(int(lens[0])):
            m = int(np.searchsorted(-lens, -k, side="left"))  # groups with more than k lines
            y = val[starts[:m] + k] - comp[:m]
            t = total[:m] + y
            c = (t - total[:m]) - y
            comp[:m] = np.where(np.isnan(c), 0.0, c)
            total[:m] = t
        keys = g[starts]
        codes, cats = keys // n_cat, keys % n_cat
        present, row = np.unique(codes, return_inverse=True)
        wide = np.zeros((len(present), n_cat))
        wide[row, cats] = total
        frames.append(pd.DataFrame(wide, index=pd.Index(ids.to_numpy()[present]),
                                   columns=[f"spend_{c}" for c in CATEGORIES]))
    return frames


