"""Reading and writing tables: the one door between files and analyses.

Every raw table is read through `read_table` / `read_file`, which parse the types of the
contract (`workbench.schemas.TABLES`), validate it (pandera, key uniqueness, required columns)
and raise ONE `DataError` listing every problem with the file, the column, the rows and what
was expected. CSV files exported from French Excel (`;`, decimal comma, UTF-8 with BOM or
cp1252, dates as 31/01/2026) are accepted as they are. Processed outputs are written atomically
as Parquet into `data/processed`; `data/raw` is never written here.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow.parquet as pq

from workbench import paths
from workbench.schemas import TABLES, Table, pandera_schema

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
]

MAX_SHOWN = 5  # rows / values shown per problem in error messages
CSV_NA_VALUES = ["", "NULL", "null", "NaN", "nan", "N/A", "#N/A", "None"]
_DATE_FORMATS = (
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y%m%d",
    "%d-%m-%Y",
    "%d.%m.%Y",
)
_TRUE = {"true", "1", "oui", "vrai", "yes", "o", "y", "t"}
_FALSE = {"false", "0", "non", "faux", "no", "n", "f"}
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
LOCAL_TZ = "Europe/Paris"  # time-zone aware timestamps are converted to French local time


class DataError(ValueError):
    """Bad input data: the message names the file, the column(s), the row(s) and the expectation.

    `problems` holds one dict per problem: column, problem, expected, rows (1-based data rows,
    1 = first row after the header), values (a few offending values) and n (rows affected).
    """

    def __init__(self, path, problems: list[dict], table: str | None = None):
        self.path = str(path)
        self.table = table
        self.problems = problems
        super().__init__(_format_problems(self.path, problems, table))


def _problem(column, problem, expected, rows=(), values=(), n=None) -> dict:
    rows = [int(r) for r in rows]
    return {
        "column": column,
        "problem": problem,
        "expected": expected,
        "rows": rows[:MAX_SHOWN],
        "values": [_short(v) for v in list(values)[:MAX_SHOWN]],
        "n": int(n if n is not None else len(rows)),
    }


def _short(v) -> str:
    s = repr(v) if isinstance(v, str) else str(v)
    return s if len(s) <= 40 else s[:37] + "..."


def _format_problems(path: str, problems: list[dict], table: str | None) -> str:
    what = f" (table '{table}')" if table else ""
    lines = [f"{path}{what}: {len(problems)} problem(s)"]
    for p in problems:
        where = f"column '{p['column']}'" if p["column"] else "file"
        line = f"  - {where}: {p['problem']}"
        rows, values = p["rows"], p["values"]
        if rows:
            plural = "s" if p["n"] > 1 else ""
            if len(values) == len(rows):
                shown = ", ".join(f"{r} ({v})" for r, v in zip(rows, values, strict=True))
            else:
                shown = ", ".join(map(str, rows)) + (
                    f" (values {', '.join(values)})" if values else ""
                )
            more = f" and {p['n'] - len(rows)} more" if p["n"] > len(rows) else ""
            line += f" in {p['n']} row{plural}: row{'s' if len(rows) > 1 else ''} {shown}{more}"
        elif values:
            line += f" (values {', '.join(values)})"
        if p["expected"]:
            line += f"; expected {p['expected']}"
        lines.append(line)
    if any(p["rows"] for p in problems):
        lines.append("  (rows are data rows: 1 = the first row after the header)")
    if table:
        lines.append(
            f"  (contract: workbench.schemas.TABLES['{table}'], see README 'Bring your own data')"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- finding files


def find_table_file(name: str, data_dir=None) -> Path:
    """The file holding raw table `name` in `data_dir`: `<name>.parquet`, else `<name>.csv`."""
    folder = Path(data_dir) if data_dir is not None else paths.RAW_DIR
    for ext in (".parquet", ".csv"):
        candidate = folder / f"{name}{ext}"
        if candidate.is_file():
            return candidate
    raise DataError(
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


def read_table(name: str, data_dir=None, columns=None) -> pd.DataFrame:
    """Read and validate raw table `name` (see `workbench.schemas.TABLES`) from `data_dir`.

    `columns` (contract column names) reads only those columns (Parquet: the others are not
    even loaded, which matters for 50M-row event tables); what is read is validated, and the
    key is checked only when all its columns are read (the data overview checks whole tables).
    """
    if name not in TABLES:
        raise KeyError(f"unknown table '{name}'; known tables: {', '.join(TABLES)}")
    return read_file(find_table_file(name, data_dir), name, columns=columns)


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
        except DataError:
            rows.append(
                {
                    "table": name,
                    "status": "absente",
                    "file": "",
                    "rows": 0,
                    "message": "fichier absent",
                }
            )
            continue
        try:
            df = read_file(path, name)
        except DataError as exc:
            msg = "; ".join(
                f"{p['column'] or 'fichier'} : {p['problem']}"
                + (f" ({p['n']} lignes)" if p["n"] else "")
                for p in exc.problems
            )
            rows.append(
                {"table": name, "status": "invalide", "file": path.name, "rows": 0, "message": msg}
            )
            continue
        tables[name] = df
        rows.append(
            {"table": name, "status": "valide", "file": path.name, "rows": len(df), "message": ""}
        )
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
        decimal_comma = False
    elif suffix in (".csv", ".txt", ".tsv"):
        df, decimal_comma = _read_csv_text(path, t.name)
    else:
        raise DataError(
            path, [_problem(None, f"unsupported file type '{suffix}'", ".parquet or .csv")], t.name
        )
    if columns is not None and suffix != ".parquet":
        wanted = {c.lower() for c in t.column_names}
        df = df[[c for c in df.columns if str(c).strip().lower() in wanted]]
    return _conform(df, t, path, decimal_comma)


def _decode(raw: bytes, path: Path, table: str) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if raw.startswith(b"PK\x03\x04"):
        raise DataError(
            path,
            [
                _problem(
                    None,
                    "this is an Excel workbook (.xlsx), not a CSV file",
                    "a CSV export (Excel: 'CSV UTF-8')",
                )
            ],
            table,
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if b"\x00" in raw:  # UTF-16 without BOM or a binary file
        raise DataError(path, [_encoding_problem(raw, raw.find(b"\x00"))], table)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as utf8_err:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            raise DataError(path, [_encoding_problem(raw, utf8_err.start)], table) from None


def _encoding_problem(raw: bytes, pos: int) -> dict:
    """Locate an undecodable byte: data row and column (by counting separators before it)."""
    line_start = raw.rfind(b"\n", 0, pos) + 1
    line_no = raw.count(b"\n", 0, pos) + 1  # 1 = header line
    header = raw.split(b"\n", 1)[0].decode("latin-1").strip("\r").lstrip("\ufeff\xef\xbb\xbf")
    sep = _sniff_sep(header)
    before = raw[line_start:pos].decode("latin-1")
    names = next(csv.reader([header], delimiter=sep)) if header else []
    idx = len(next(csv.reader([before], delimiter=sep))) - 1 if before else 0
    column = names[idx].strip() if 0 <= idx < len(names) else None
    rows = [line_no - 1] if line_no > 1 else []
    return _problem(
        column,
        f"undecodable byte 0x{raw[pos]:02x} at byte offset {pos} (line {line_no} of the file)",
        "text encoded as UTF-8 (with or without BOM) or Windows-1252 (cp1252); "
        "in Excel save as 'CSV UTF-8'",
        rows=rows,
    )


def _sniff_sep(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _read_csv_text(path: Path, table: str) -> tuple[pd.DataFrame, bool]:
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(
            path,
            [_problem(None, "the file is empty", "a header line and at least one data row")],
            table,
        )
    text = _decode(raw, path, table)
    header = text.split("\n", 1)[0].strip("\r").lstrip("\ufeff")
    sep = _sniff_sep(header)
    try:
        df = pd.read_csv(
            io.StringIO(text.lstrip("\ufeff")),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=CSV_NA_VALUES,
            skipinitialspace=False,
        )
    except pd.errors.ParserError as exc:
        detail = " ".join(str(exc).split()).replace("Error tokenizing data. C error: ", "")
        line = re.search(r"line (\d+)", detail)
        rows = [int(line.group(1)) - 1] if line and int(line.group(1)) > 1 else []
        raise DataError(
            path,
            [
                _problem(
                    None,
                    f"malformed CSV ({detail})",
                    f"rows with the same number of '{sep}'-separated fields as the header",
                    rows=rows,
                )
            ],
            table,
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(
            path,
            [_problem(None, "the file is empty", "a header line and at least one data row")],
            table,
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    # A ';' file keeps ',' for decimals (French Excel); a ',' file only has them in quotes.
    return df, sep != ","


def _conform(df: pd.DataFrame, t: Table, path: Path, decimal_comma: bool) -> pd.DataFrame:
    """Parse the contract's types, then validate; one DataError with every problem."""
    problems: list[dict] = []
    # header fixes: case-insensitive match of contract names
    lower = {c.name.lower(): c.name for c in t.columns}
    rename = {
        c: lower[c.lower()] for c in df.columns if c not in lower.values() and c.lower() in lower
    }
    df = df.rename(columns=rename)
    dup_cols = df.columns[df.columns.duplicated()].unique().tolist()
    for c in dup_cols:
        problems.append(
            _problem(c, "column appears more than once in the header", "each column once")
        )
    if problems:
        raise DataError(path, problems, t.name)
    missing = [c for c in t.column_names if c not in df.columns]
    found = ", ".join(map(str, df.columns))[:200]
    for i, c in enumerate(missing):
        where = f" (found: {found})" if i == 0 else ""
        problems.append(
            _problem(c, "required column is missing", f"a column '{c}' in the header{where}")
        )
    if len(df) == 0:
        problems.append(_problem(None, "the file has no data rows", "at least one data row"))
        raise DataError(path, problems, t.name)

    out = df.reset_index(drop=True)  # a new frame: the caller's `df` is never modified
    parse_bad: dict[str, np.ndarray] = {}
    for col in t.columns:
        if col.name not in out.columns:
            continue
        parsed, bad, expected = _parse(out[col.name], col.dtype, decimal_comma)
        out[col.name] = parsed
        if bad.any():
            idx = np.flatnonzero(bad)
            parse_bad[col.name] = idx
            problems.append(
                _problem(
                    col.name,
                    f"not readable as {col.dtype}",
                    expected,
                    rows=idx[:MAX_SHOWN] + 1,
                    values=df[col.name].iloc[idx[:MAX_SHOWN]],
                    n=len(idx),
                )
            )

    schema = pandera_schema(t)
    if missing:
        schema = schema.remove_columns(missing)
    try:
        schema.validate(out, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems.extend(_pandera_problems(exc.failure_cases, t, parse_bad))

    key = [k for k in t.key if k in out.columns]
    if key and len(key) == len(t.key):
        dup = out.duplicated(subset=key, keep=False).to_numpy()
        if dup.any():
            idx = np.flatnonzero(dup)
            vals = (
                out[key].iloc[idx[:MAX_SHOWN]].astype(str).agg("/".join, axis=1)
                if len(key) > 1
                else out[key[0]].iloc[idx[:MAX_SHOWN]]
            )
            problems.append(
                _problem(
                    "/".join(key),
                    "duplicate key",
                    f"each {'/'.join(key)} once (key of table '{t.name}')",
                    rows=idx[:MAX_SHOWN] + 1,
                    values=vals,
                    n=len(idx),
                )
            )
    if problems:
        raise DataError(path, problems, t.name)
    out.attrs = {"source": str(path), "table": t.name}
    return out


def _pandera_problems(fc: pd.DataFrame, t: Table, parse_bad: dict) -> list[dict]:
    problems = []
    for (column, check), grp in fc.groupby(["column", "check"], sort=False, dropna=False):
        col = t.col(column) if column in t.column_names else None
        idx = pd.to_numeric(grp["index"], errors="coerce").dropna().astype(int).to_numpy()
        if check == "not_nullable" and column in parse_bad:
            idx = np.setdiff1d(idx, parse_bad[column])  # already reported as unreadable
            if len(idx) == 0:
                continue
        idx = np.sort(idx)
        values = grp.set_index(pd.to_numeric(grp["index"], errors="coerce"))["failure_case"]
        shown = (
            [values.get(i) for i in idx[:MAX_SHOWN]]
            if len(idx)
            else grp["failure_case"].head(MAX_SHOWN).tolist()
        )
        check = str(check)
        if check == "not_nullable":
            text, expected = "missing value", "a value in every row (column is not nullable)"
            shown = []
        elif check.startswith("isin") and col is not None:
            text, expected = (
                "value outside the allowed list",
                "one of: " + ", ".join(map(str, col.allowed)),
            )
        elif check.startswith("greater_than_or_equal_to"):
            text, expected = "value too small", f">= {col.ge if col else check}"
        elif check.startswith("less_than_or_equal_to"):
            text, expected = "value too large", f"<= {col.le if col else check}"
        elif check.startswith("dtype"):
            text, expected = (
                f"wrong type {grp['failure_case'].iloc[0]}",
                f"type {col.dtype if col else check}",
            )
            shown = []
        elif check.startswith("column_in_dataframe"):
            text, expected = "required column is missing", "the column"
            shown = []
        else:
            text, expected = f"failed check {check}", check
        problems.append(
            _problem(
                column if isinstance(column, str) else None,
                text,
                expected,
                rows=idx[:MAX_SHOWN] + 1,
                values=shown,
                n=len(idx),
            )
        )
    return problems


# --------------------------------------------------------------------------- type parsing


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)


def _clean_text(s: pd.Series) -> pd.Series:
    return s.astype("str").str.strip().replace("", np.nan)


def _parse(s: pd.Series, dtype: str, decimal_comma: bool):
    """(parsed series, bad-row mask, expectation text) for one column."""
    if dtype == "str":
        return _to_str(s)
    if dtype == "int":
        return _to_int(s)
    if dtype == "float":
        return _to_float(s, decimal_comma)
    if dtype == "bool":
        return _to_bool(s)
    if dtype in ("date", "datetime"):
        return _to_datetime(s, dtype == "date")
    raise ValueError(f"unknown contract dtype {dtype!r}")


def _no_bad(s):
    return np.zeros(len(s), dtype=bool)


def _to_str(s):
    expected = "text"
    if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        return s.astype("str"), _no_bad(s), expected
    if pd.api.types.is_float_dtype(s):
        whole = s.isna() | (s == np.floor(s))
        if whole.all():
            return s.astype("Int64").astype("str"), _no_bad(s), expected
    return s.astype("str"), _no_bad(s), expected


def _to_int(s):
    expected = "a whole number, e.g. 12"
    if pd.api.types.is_bool_dtype(s):
        return pd.Series(pd.NA, index=s.index, dtype="Int64"), s.notna().to_numpy(), expected
    if pd.api.types.is_integer_dtype(s):
        return s.astype("Int64"), _no_bad(s), expected
    if pd.api.types.is_float_dtype(s):
        num, unreadable = s.astype("float64"), _no_bad(s)
    else:
        txt = _clean_text(s).str.replace(_SPACES, "", regex=True)
        num = pd.to_numeric(txt, errors="coerce")
        if pd.api.types.is_integer_dtype(num):
            return num.astype("Int64"), _no_bad(s), expected
        num = num.astype("float64")
        unreadable = (txt.notna() & num.isna()).to_numpy()
    bad = unreadable | (num.notna() & (num != np.floor(num))).to_numpy()
    return num.where(~bad).astype("Int64"), bad, expected


def _to_float(s, decimal_comma):
    expected = "a number, e.g. 12.5 or 12,5"
    if pd.api.types.is_bool_dtype(s):
        return pd.Series(np.nan, index=s.index), s.notna().to_numpy(), expected
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64"), _no_bad(s), expected
    txt = _clean_text(s).str.replace(_SPACES, "", regex=True).str.replace("€", "", regex=False)
    has_c = txt.str.contains(",", regex=False).fillna(False)
    has_d = txt.str.contains(".", regex=False).fillna(False)
    both = has_c & has_d
    if both.any():  # thousands separator + decimal: the last mark is the decimal one
        comma_last = txt.str.rfind(",") > txt.str.rfind(".")
        txt = txt.where(~(both & comma_last), txt.str.replace(".", "", regex=False))
        txt = txt.where(~(both & ~comma_last), txt.str.replace(",", "", regex=False))
    txt = txt.str.replace(",", ".", regex=False)
    num = pd.to_numeric(txt, errors="coerce").astype("float64")
    bad = (txt.notna() & num.isna()).to_numpy()
    return num, bad, expected


def _to_bool(s):
    expected = "true/false, 1/0 or oui/non"
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean"), _no_bad(s), expected
    if pd.api.types.is_numeric_dtype(s):
        ok = s.isna() | s.isin([0, 1])
        out = s.where(ok).astype("Float64").astype("boolean")
        return out, (~ok).to_numpy(), expected
    txt = _clean_text(s).str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    is_t, is_f = txt.isin(_TRUE), txt.isin(_FALSE)
    out[is_t.to_numpy()] = True
    out[is_f.to_numpy()] = False
    bad = (txt.notna() & ~is_t & ~is_f).to_numpy()
    return out, bad, expected


def _to_datetime(s, date_only: bool):
    expected = (
        "a date, e.g. 2026-01-31 or 31/01/2026"
        if date_only
        else "a date-time, e.g. 2026-01-31 14:05:00 or 31/01/2026 14:05"
    )
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        bad = _no_bad(s)
    elif pd.api.types.is_datetime64_any_dtype(s):
        out, bad = s, _no_bad(s)
    elif pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        bad = s.notna().to_numpy()
    else:
        is_text = (
            s.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
            if pd.api.types.is_object_dtype(s)
            else pd.Series(True, index=s.index)
        )
        if pd.api.types.is_object_dtype(s) and not is_text.any():
            # python date / datetime objects (e.g. Parquet date32)
            out = pd.to_datetime(s, errors="coerce")
            bad = (s.notna() & out.isna()).to_numpy()
        else:
            out, bad = _parse_datetime_text(_clean_text(s))
    out = out.astype("datetime64[ns]")
    if date_only:
        out = out.dt.normalize()
    return out, bad, expected


def _parse_datetime_text(txt: pd.Series):
    todo = txt.notna()
    out = pd.Series(pd.NaT, index=txt.index, dtype="datetime64[ns]")
    if not todo.any():
        return out, _no_bad(txt)
    aware = txt.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).fillna(False) & todo
    if aware.any():
        got = pd.to_datetime(txt[aware], format="ISO8601", errors="coerce", utc=True)
        out[aware] = got.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).astype("datetime64[ns]")
        todo &= ~aware
    iso = todo & txt.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False)
    if iso.any():
        out[iso] = pd.to_datetime(txt[iso], format="ISO8601", errors="coerce").astype(
            "datetime64[ns]"
        )
    todo &= out.isna()
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        got = pd.to_datetime(txt[todo], format=fmt, errors="coerce")
        ok = got.notna()
        if ok.any():
            out[ok[ok].index] = got[ok].astype("datetime64[ns]")
            todo &= out.isna()
    bad = (txt.notna() & out.isna()).to_numpy()
    return out, bad


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


def data_period(data_dir=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last transaction timestamps: the period the data covers."""
    path = find_table_file("transactions", data_dir)
    ts = None
    if path.suffix == ".parquet":
        try:
            raw = pd.read_parquet(path, columns=["timestamp"])["timestamp"]
            ts, bad, _ = _to_datetime(raw, date_only=False)
            ts = None if bad.any() else ts
        except Exception:  # noqa: BLE001 - the full, validated read below gives the clear message
            ts = None
    if ts is None:
        ts = read_file(path, "transactions")["timestamp"]
    ts = ts.dropna()
    if ts.empty:
        raise DataError(
            path,
            [_problem("timestamp", "no dated transactions", "at least one transaction")],
            "transactions",
        )
    return ts.min(), ts.max()


def report_month(data_dir=None, month: str | None = None) -> pd.Period:
    """The report month: `month` ("YYYY-MM") if given, else the last complete calendar month of
    the transactions (a month is complete when transactions reach its last day)."""
    if month is not None:
        text = str(month).strip()
        if not _MONTH_RE.match(text):
            raise ValueError(f"invalid month {month!r}: expected 'YYYY-MM', e.g. '2026-10'")
        return pd.Period(text, freq="M")
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
