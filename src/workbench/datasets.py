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
import hashlib
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
from workbench.events.engine import (  # noqa: F401  (the engine choice, defined there)
    ENGINE_ENV,
    engine_name,
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
    "source_stamp",
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


def source_stamp(names, data_dir=None) -> str:
    """A fingerprint of the raw files behind tables `names` (each file's name and content; an
    absent table counts as absent): what an output saved for later notebooks of the month
    derives from. Such an output (the identity links, the value migration) is reused only
    while the stamp it was saved with is unchanged, so a corrected export dropped into the
    data folder is taken into account instead of last run's result being shown again."""
    digest = hashlib.sha256()
    for name in sorted(set(names)):
        try:
            path = find_table_file(name, data_dir)
        except MissingTableError:
            digest.update(f"{name}: absent\n".encode())
            continue
        with open(path, "rb") as f:
            content = hashlib.file_digest(f, "sha256").hexdigest()
        digest.update(f"{name}: {path.name} {content}\n".encode())
    return digest.hexdigest()[:16]


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

def _profile_spark_master(folder) -> str | None:
    """The `spark_master` of the data folder's retailer profile (None without one; a folder
    given as an object-store URI has none here: use `WORKBENCH_SPARK_MASTER`)."""
    from workbench import profile

    if "://" in str(folder):
        return None
    found = profile.find_profile(folder)
    return profile.load_profile(found).spark_master if found else None


def _event_session(data_dir, tables: dict, engine: str | None):
    """A session of the event layer with raw `tables` {name: columns} of `data_dir` registered
    (validated as by `read_table` on DuckDB; read as Parquet on Spark)."""
    from workbench import events

    folder = data_dir if data_dir is not None else paths.RAW_DIR
    if engine_name(engine) == "spark":
        ses = events.SparkSession(master=events.spark_master(_profile_spark_master(folder)))
    else:
        ses = events.DuckDBSession()
    try:
        for name, columns in tables.items():
            ses.register_files(name, folder, columns)
    except BaseException:
        ses.close()
        raise
    return ses


def customer_activity(
    data_dir=None,
    windows: dict | None = None,
    *,
    research_window_days: float = 7,
    research_channels=None,
    categories=None,
    engine: str | None = None,
) -> dict:
    """Per-customer aggregates of the event tables of `data_dir` over behaviour windows
    {key: (start, end)} (e.g. `segmentation.feature_windows`), computed by the event layer
    (`workbench.events.activity`, rules in `workbench.events.rules`) on DuckDB, or on Spark
    with `engine="spark"` / `WORKBENCH_ENGINE=spark`.

    For each window [start, end), from `touchpoints`, `email_events`, `transaction_lines` and
    `transactions` (only the columns needed, validated as by `read_table`): `spend_<category>`
    (`categories`: the retailer profile's, in its order; None = those of transaction_lines,
    sorted), `tp_<channel>` and `social_platforms` after stitching, `store_purchases` and
    `store_researched` (research within `research_window_days` before the purchase and after
    the previous one), `emails_sent`, `emails_open`, `emails_click`. Returns {key: DataFrame
    indexed by customer_id} (customers without any activity absent); `attrs` hold the window,
    the research parameters and the stitching counts.
    """
    from workbench import events

    windows = events.check_windows(windows, "customer_activity")
    channels = events.RESEARCH_CHANNELS if research_channels is None else research_channels
    with _event_session(data_dir, events.ACTIVITY_COLUMNS, engine) as ses:
        return events.activity(ses, windows, research_window_days=research_window_days,
                               research_channels=channels, categories=categories)


def customer_contacts(data_dir=None, windows: dict | None = None, *,
                      engine: str | None = None) -> dict:
    """Per-customer e-mail events and purchases by channel over windows {key: (start, end)}
    (half-open, e.g. `ambassadors.signal_windows`), computed by the event layer
    (`workbench.events.contacts`) from `email_events` and `transactions` of `data_dir`:
    `emails_sent`, `emails_open`, `emails_click`, `store_purchases` and `online_orders` per
    customer id as found in the files (ids unknown to the CRM included, so that the caller can
    count them). Returns {key: DataFrame indexed by customer_id}; `attrs` hold the window.
    """
    from workbench import events

    windows = events.check_windows(windows, "customer_contacts")
    tables = {n: events.ACTIVITY_COLUMNS[n] for n in events.CONTACT_TABLES}
    with _event_session(data_dir, tables, engine) as ses:
        return events.contacts(ses, windows)
