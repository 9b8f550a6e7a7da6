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
import functools
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
from workbench.schemas import TABLES, Table, contracts, pandera_schema

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
    "scan_available",
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


class MissingTableError(DataError):
    """A raw table has no file in the data folder (the data overview lists it as absent)."""


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


_WESTERN_ENCODINGS = ["cp1252", "cp850", "iso8859_15", "mac_roman"]  # French exports, by usage
# the non-ASCII characters a French export plausibly holds: accented letters of French (and of
# the names and words it borrows), French quotes, dashes, units
_PLAUSIBLE = set("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆñÑßáíóúÁÍÓÚãõ"
                 "€«»’‘“”„…–—°·\u00a0\u202f²³ªº½§")


def _plausible_share(text: str) -> float:
    """Share of the non-ASCII characters of `text` that a French export plausibly holds: near 1
    for a right decoding, low when the bytes were decoded with the wrong code page ('rang‚' for
    'rangé') or are not text in a Western encoding."""
    other = [c for c in text if ord(c) > 127]
    if not other:
        return 1.0
    ok = sum(c in _PLAUSIBLE for c in other)
    return ok / len(other)


def _decode(raw: bytes, path: Path, table: str) -> tuple[str, str]:
    """Decode CSV bytes: (text, encoding). UTF-8 (with or without BOM) and UTF-16 with a BOM are
    read as they are; otherwise charset-normalizer ranks the encodings of French exports
    (UTF-16 without BOM; cp1252, cp850, ISO 8859-15, Mac Roman) and the first whose text reads
    as Latin script wins. When the bytes do not decode plausibly in any of them, the file is
    refused rather than read garbled."""
    import charset_normalizer

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
        return raw.decode("utf-16"), "utf-16"
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if b"\x00" not in raw:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            utf8_err = exc
    if b"\x00" in raw:  # UTF-16 without BOM, or a binary file
        guess = charset_normalizer.from_bytes(raw[:65536], cp_isolation=["utf_16_le", "utf_16_be"])
        best = guess.best()
        if best is not None and best.chaos < 0.2:
            enc = best.encoding.replace("_", "-")
            try:
                text = raw.decode(enc)
            except UnicodeDecodeError:
                text = None
            if text is not None and "\x00" not in text:
                return text, enc
        raise DataError(path, [_encoding_problem(raw, raw.find(b"\x00"))], table)
    candidates = [m.encoding for m in charset_normalizer.from_bytes(
        raw, cp_isolation=_WESTERN_ENCODINGS)] or []
    candidates += [e for e in _WESTERN_ENCODINGS if e not in candidates]
    tried = []
    for enc in candidates:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        share = _plausible_share(text)
        tried.append(f"{enc} ({share:.0%} plausible)")
        if share >= 0.98:
            return text, enc
    problem = _encoding_problem(raw, utf8_err.start)
    problem["problem"] += (
        "; not UTF-8, and no Western encoding gives plausible text ("
        + ", ".join(tried[:4]) + "): the workbench does not guess"
    )
    raise DataError(path, [problem], table)


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


def _ragged_rows(text: str, sep: str, path: Path, table: str) -> None:
    """Refuse a CSV whose rows do not all have the header's number of fields, naming them:
    pandas would silently shift the columns (an extra field on the first row becomes an index)
    and report misleading problems. The usual cause, an unquoted decimal comma in a
    comma-separated file, is named."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep)
    header = next(reader, [])
    width = len(header)
    bad, counts = [], {}
    for row_no, fields in enumerate(reader, 1):
        if not fields:  # blank line: pandas skips it too
            continue
        if len(fields) != width:
            counts[len(fields)] = counts.get(len(fields), 0) + 1
            if len(bad) < MAX_SHOWN:
                bad.append((row_no, fields))
    if not bad:
        return
    n = sum(counts.values())
    shown = "; ".join(f"row {r} has {len(f)} fields" for r, f in bad)
    decimal = sep == "," and any(
        re.search(r"\d,\d", sep.join(f)) or any(x.strip().isdigit() for x in f[1:]) for _, f in bad
    )
    hint = (
        ": unquoted decimal comma? (write decimals with a point, quote them, or export with ';')"
        if decimal and any(len(f) > width for _, f in bad)
        else ""
    )
    raise DataError(
        path,
        [
            _problem(
                None,
                f"{n} row(s) do not have the header's {width} fields ({shown}"
                f"{'; ...' if n > len(bad) else ''}){hint}",
                f"every row with {width} '{sep}'-separated fields, like the header",
                rows=[r for r, _ in bad],
                n=n,
            )
        ],
        table,
    )


def _read_csv_text(path: Path, table: str) -> tuple[pd.DataFrame, bool, str]:
    """(raw text columns, whether decimals use a comma, encoding) of a CSV export."""
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(
            path,
            [_problem(None, "the file is empty", "a header line and at least one data row")],
            table,
        )
    text, encoding = _decode(raw, path, table)
    header = text.split("\n", 1)[0].strip("\r").lstrip("\ufeff")
    sep = _sniff_sep(header)
    _ragged_rows(text, sep, path, table)
    try:
        df = pd.read_csv(
            io.StringIO(text.lstrip("\ufeff")),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=CSV_NA_VALUES,
            skipinitialspace=False,
            index_col=False,
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
    return df, sep != ",", encoding


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
                "one of: " + ", ".join(map(str, col.allowed))
                + (f" (or add it to the retailer profile's '{col.vocabulary}' list, retailer.yaml)"
                   if getattr(col, "vocabulary", None) else ""),
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


_DATE_RANGE = "between 1678 and 2261"  # what a datetime64[ns] column can hold


def _as_ns(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(values as datetime64[ns], mask of the values outside what it can hold: 9999-12-31,
    1677-01-01... become missing here and are reported as unreadable, never a crash)."""
    if values.dtype == "datetime64[ns]":
        return values, np.zeros(len(values), dtype=bool)
    oor = ((values < pd.Timestamp.min) | (values > pd.Timestamp.max)).fillna(False).to_numpy()
    if oor.any():
        values = values.where(~oor)
    return values.astype("datetime64[ns]"), oor


def _to_datetime(s, date_only: bool):
    expected = (
        f"a date {_DATE_RANGE}, e.g. 2026-01-31 or 31/01/2026"
        if date_only
        else f"a date-time {_DATE_RANGE}, e.g. 2026-01-31 14:05:00 or 31/01/2026 14:05"
    )
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out, bad = _as_ns(s.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None))
    elif pd.api.types.is_datetime64_any_dtype(s):
        out, bad = _as_ns(s)
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
            out, oor = _as_ns(pd.to_datetime(s, errors="coerce"))
            bad = (s.notna() & out.isna()).to_numpy() | oor
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
        out[aware] = _as_ns(got.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None))[0]
        todo &= ~aware
    iso = todo & txt.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False)
    if iso.any():
        out[iso] = _as_ns(pd.to_datetime(txt[iso], format="ISO8601", errors="coerce"))[0]
    todo &= out.isna()
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        got = pd.to_datetime(txt[todo], format=fmt, errors="coerce")
        ok = got.notna()
        if ok.any():
            out[ok[ok].index] = _as_ns(got[ok])[0]
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


# --------------------------------------------------------------------------- whole-table scan (data overview)

SCAN_CHUNK_ROWS = 1_000_000  # rows per piece when a Parquet file has to be parsed by pandas
SCAN_DUCKDB_CONFIG = {"threads": 2, "memory_limit": "5GB", "preserve_insertion_order": False}
_SCAN_ARROW_TYPES = {  # arrow types of conformed contract columns (what `_conform` returns)
    "str": "large_string",
    "int": "int64",
    "float": "float64",
    "bool": "bool_",
    "date": "timestamp_ns",
    "datetime": "timestamp_ns",
}


def _sql_id(name) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _sql_text(value) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _first_date_column(t: Table) -> str | None:
    """The first date/datetime column of a contract (its activity date)."""
    return next((c.name for c in t.columns if c.dtype in ("date", "datetime")), None)


def _arrow_type(dtype: str):
    import pyarrow

    name = _SCAN_ARROW_TYPES[dtype]
    return pyarrow.timestamp("ns") if name == "timestamp_ns" else getattr(pyarrow, name)()


def _direct_sql(arrow_type, dtype: str, q: str) -> str | None:
    """SQL giving a contract column's values (as `_conform` parses them) straight from a Parquet
    column of `arrow_type`; None when the column needs pandas parsing (text numbers, time
    zones, other types)."""
    import pyarrow
    import pyarrow.types as pat

    t = arrow_type.value_type if pat.is_dictionary(arrow_type) else arrow_type
    is_int = pat.is_integer(t) and t != pyarrow.uint64()
    plain_ts = pat.is_timestamp(t) and t.tz is None
    if dtype == "str" and (pat.is_string(t) or pat.is_large_string(t) or pat.is_string_view(t)):
        return q
    if dtype == "int" and is_int:
        return f"CAST({q} AS BIGINT)"
    if dtype == "float" and (is_int or pat.is_float32(t) or pat.is_float64(t)):
        value = f"CAST({q} AS DOUBLE)"
        return f"CASE WHEN isnan({value}) THEN NULL ELSE {value} END"  # NaN is missing, as in pandas
    if dtype == "bool" and pat.is_boolean(t):
        return q
    if dtype == "date" and (plain_ts or pat.is_date(t)):
        return f"CAST(CAST({q} AS DATE) AS TIMESTAMP)"
    if dtype == "datetime" and plain_ts:
        return q
    if dtype == "datetime" and pat.is_date(t):
        return f"CAST({q} AS TIMESTAMP)"
    return None


def _direct_plan(path: Path, t: Table) -> tuple[str, int, int] | None:
    """(SQL selecting the contract columns, rows, columns as pandas reads them) for a Parquet
    file whose contract columns hold their values as they are; None when pandas must parse it."""
    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        rows = pf.metadata.num_rows
        meta = schema.pandas_metadata or {}
    except Exception:  # noqa: BLE001 - the pandas path gives the clear message
        return None
    index_cols = {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    names = [n for n in schema.names if n not in index_cols]
    if rows == 0 or len(set(names)) != len(names):
        return None
    by_lower: dict[str, list[str]] = {}
    for n in names:
        by_lower.setdefault(n.lower(), []).append(n)
    select = []
    for c in t.columns:
        found = by_lower.get(c.name.lower(), [])
        if len(found) != 1:
            return None
        expr = _direct_sql(schema.field(found[0]).type, c.dtype, _sql_id(found[0]))
        if expr is None:
            return None
        select.append(f"{expr} AS {_sql_id(c.name)}")
    select.append(f"file_row_number AS {SCAN_ROW}")
    sql = f"SELECT {', '.join(select)} FROM read_parquet({_sql_text(path)}, file_row_number = true)"
    return sql, rows, len(names)


def _column_counts(con, view: str, t: Table, with_rules: bool):
    """(rows, missing values per contract column, whether some row breaks the contract, rows
    per day of the first date column) of `view`. The contract (`with_rules`): no missing value
    where not nullable, values in the allowed lists, bounds; the counts come from cheap scans
    (Parquet statistics, min/max, the distinct values of the allowed-list columns)."""
    aggs = ["count(*)"] + [f"count(*) - count({_sql_id(c.name)})" for c in t.columns]
    bounded = [c for c in t.columns if c.ge is not None or c.le is not None] if with_rules else []
    dated = [c for c in t.columns if c.dtype in ("date", "datetime")] if with_rules else []
    for c in bounded + dated:
        aggs += [f"min({_sql_id(c.name)})", f"max({_sql_id(c.name)})"]
    res = con.execute(f"SELECT {', '.join(aggs)} FROM {view}").fetchall()[0]
    n_rows = int(res[0])
    missing = {c.name: int(m) for c, m in zip(t.columns, res[1 : 1 + len(t.columns)], strict=True)}
    broken = False
    if with_rules:
        broken = any(missing[c.name] for c in t.columns if not c.nullable)
        bounds = res[1 + len(t.columns) :]
        for i, c in enumerate(bounded + dated):
            lo, hi = bounds[2 * i], bounds[2 * i + 1]
            if c in dated:  # dates pandas cannot hold (9999-12-31): parsed and reported by pandas
                broken |= lo is not None and (lo < _SQL_MIN_DATE or hi > _SQL_MAX_DATE)
                continue
            broken |= lo is not None and (
                (c.ge is not None and lo < c.ge) or (c.le is not None and hi > c.le)
            )
        for c in t.columns:
            if c.allowed is None or broken:
                continue
            q = _sql_id(c.name)
            seen = con.execute(
                f"SELECT {q} FROM {view} WHERE {q} IS NOT NULL GROUP BY {q} LIMIT 10000"
            ).fetchall()
            broken |= any(v not in c.allowed for (v,) in seen)
    date_col = _first_date_column(t)
    days = []
    if date_col is not None and not broken:
        q = _sql_id(date_col)
        res = con.execute(
            f"SELECT CAST({q} AS DATE) AS d, count(*) FROM {view} WHERE {q} IS NOT NULL GROUP BY d"
        ).fetchall()
        days = sorted((pd.Timestamp(d), int(n)) for d, n in res)
    return n_rows, missing, broken, days


_SQL_MIN_DATE = pd.Timestamp.min.ceil("s").to_pydatetime()  # dates a pandas column can hold
_SQL_MAX_DATE = pd.Timestamp.max.floor("s").to_pydatetime()
SCAN_ROW = "_scan_row"  # row number (0 = first data row) in the views over Parquet files
_IN_LIST_MAX = 50_000  # candidate rows looked up by row number (Parquet skips the rest)


def _hash_duplicates(
    con, view: str, column_sets: list[list[str]], n_rows: int, by_row: bool = False
) -> list[int]:
    """For each list of columns: rows equal on those columns to an earlier row (missing values
    equal to each other, as `DataFrame.duplicated`). One scan computes a 64-bit hash of each row
    per list, numpy sorts them; rows whose hash is seen twice are then compared on their values
    (found by their row number `SCAN_ROW` when `by_row`, else by hash)."""
    if not column_sets or n_rows == 0:
        return [0] * len(column_sets)
    exprs = [f"hash({', '.join(_sql_id(c) for c in cols)})" for cols in column_sets]
    arrays = [np.empty(n_rows, dtype=np.uint64) for _ in column_sets]
    rows = np.empty(n_rows, dtype=np.int64) if by_row else None
    select = [f"{e} AS h{i}" for i, e in enumerate(exprs)] + ([SCAN_ROW] if by_row else [])
    pos = 0
    for batch in con.sql(f"SELECT {', '.join(select)} FROM {view}").to_arrow_reader(1_000_000):
        n = batch.num_rows
        for i, arr in enumerate(arrays):
            arr[pos : pos + n] = batch.column(i).to_numpy()
        if by_row:
            rows[pos : pos + n] = batch.column(len(arrays)).to_numpy()
        pos += n
    out = []
    for cols, expr, arr in zip(column_sets, exprs, arrays, strict=True):
        arr = arr[:pos]
        ordered = np.sort(arr) if by_row else arr
        if not by_row:
            ordered.sort()
        repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        del ordered
        if len(repeated) == 0:
            out.append(0)
            continue
        col_list = ", ".join(_sql_id(c) for c in cols)
        where, cand = None, None
        if by_row:
            # rows whose hash repeats: a 2**20 bucket table first, exact test on what passes
            shift = np.uint64(44)
            buckets = np.zeros(1 << 20, dtype=bool)
            buckets[(repeated >> shift).astype(np.intp)] = True
            maybe = np.flatnonzero(buckets[(arr >> shift).astype(np.intp)])
            cand_rows = np.sort(rows[:pos][maybe[np.isin(arr[maybe], repeated)]])
            if len(cand_rows) <= _IN_LIST_MAX:
                where = f"{SCAN_ROW} IN ({', '.join(map(str, cand_rows.tolist()))})"
            else:
                cand = pd.DataFrame({"r": cand_rows})
                where = f"{SCAN_ROW} IN (SELECT r FROM _dup_candidates)"
        else:
            cand = pd.DataFrame({"h": repeated})
            where = f"{expr} IN (SELECT h FROM _dup_candidates)"
        if cand is not None:
            con.register("_dup_candidates", cand)
        try:
            n_cand, n_groups = con.execute(
                f"WITH r AS (SELECT {col_list} FROM {view} WHERE {where}) "
                f"SELECT (SELECT count(*) FROM r), "
                f"(SELECT count(*) FROM (SELECT 1 FROM r GROUP BY {col_list}))"
            ).fetchall()[0]
        finally:
            if cand is not None:
                con.unregister("_dup_candidates")
        out.append(int(n_cand - n_groups))
    return out


def _merge_problems(merged: dict, problems: list[dict], offset: int) -> None:
    """Add one chunk's problems (rows counted from the chunk's first row) to `merged`."""
    for p in problems:
        k = (p["column"], p["problem"], p["expected"])
        rows = [r + offset for r in p["rows"]]
        values = list(p["values"])
        if k not in merged:
            merged[k] = {**p, "rows": rows[:MAX_SHOWN], "values": values[:MAX_SHOWN]}
            continue
        m = merged[k]
        room = MAX_SHOWN - len(m["rows"])
        if len(values) == len(rows) and len(m["values"]) == len(m["rows"]):
            values = values[: max(room, 0)]
        else:
            values = [v for v in values if v not in m["values"]][: MAX_SHOWN - len(m["values"])]
        m["rows"] += rows[: max(room, 0)]
        m["values"] += values
        m["n"] += p["n"]


def _problem_rank(p: dict, t: Table) -> tuple[int, int]:
    """Order of problems as a whole-file `_conform` lists them: header, parsing, contract
    checks (both by column), duplicate key."""
    text = p["problem"]
    if text.startswith(
        ("column appears more than once", "required column is missing", "the file has no data")
    ):
        return 0, 0
    col = t.column_names.index(p["column"]) if p["column"] in t.column_names else -1
    if text.startswith("not readable as"):
        return 1, col
    if text == "duplicate key":
        return 3, 0
    return 2, col


def _conform_parquet_chunks(con, path: Path, t: Table, out_file: Path) -> tuple[int, int]:
    """Parse and validate a Parquet file piece by piece (`SCAN_CHUNK_ROWS` rows, `_conform` on
    each), the key over the whole file; write the contract columns to `out_file`.

    Returns (rows, columns); raises the DataError `read_file` would raise (same problems, rows
    numbered from the first row of the file).
    """
    import pyarrow

    try:
        pf = pq.ParquetFile(path)
        n_rows = pf.metadata.num_rows
        batches = pf.iter_batches(batch_size=SCAN_CHUNK_ROWS) if n_rows else None
        empty = pf.schema_arrow.empty_table() if not n_rows else None
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a DataError
        raise DataError(
            path, [_problem(None, f"not a readable Parquet file ({exc})", "a Parquet file")], t.name
        ) from exc
    no_key = dataclasses.replace(t, key=())
    schema = pyarrow.schema([(c.name, _arrow_type(c.dtype)) for c in t.columns])
    key_schema = pyarrow.schema([(k, _arrow_type(t.col(k).dtype)) for k in t.key])
    key_file = out_file.with_name(out_file.stem + ".keys.parquet")
    merged: dict = {}
    writer = pq.ParquetWriter(out_file, schema)
    key_writer = pq.ParquetWriter(key_file, key_schema) if t.key else None
    has_keys, offset, n_cols = bool(t.key), 0, 0
    try:
        chunks = (b.to_pandas() for b in batches) if batches is not None else [empty.to_pandas()]
        for df in chunks:
            n_cols = df.shape[1]
            lower = {c.name.lower(): c.name for c in t.columns}
            renamed = df.rename(
                columns={
                    c: lower[c.lower()]
                    for c in df.columns
                    if c not in lower.values() and c.lower() in lower
                }
            )
            has_keys = (
                has_keys
                and not renamed.columns.duplicated().any()
                and all(k in renamed.columns for k in t.key)
            )
            try:
                out = _conform(df, no_key, path, decimal_comma=False)
            except DataError as exc:
                _merge_problems(merged, exc.problems, offset)
                out = None
            if has_keys:
                keys = (
                    out[list(t.key)]
                    if out is not None
                    else pd.DataFrame(
                        {k: _parse(renamed[k], t.col(k).dtype, False)[0] for k in t.key}
                    )
                )
                key_writer.write_table(
                    pyarrow.Table.from_pandas(keys, schema=key_schema, preserve_index=False)
                )
            if out is not None and not merged:
                writer.write_table(
                    pyarrow.Table.from_pandas(
                        out[t.column_names], schema=schema, preserve_index=False
                    )
                )
            offset += len(df)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - a failure while reading becomes a DataError
        raise DataError(
            path, [_problem(None, f"not a readable Parquet file ({exc})", "a Parquet file")], t.name
        ) from exc
    finally:
        writer.close()
        if key_writer is not None:
            key_writer.close()
    if has_keys and offset:
        dup = _duplicate_key_problem(con, key_file, t)
        if dup is not None:
            merged[("key",)] = dup
    key_file.unlink(missing_ok=True)
    if merged:
        problems = sorted(merged.values(), key=lambda p: _problem_rank(p, t))
        raise DataError(path, problems, t.name)
    return offset, n_cols


def _duplicate_key_problem(con, key_file: Path, t: Table) -> dict | None:
    """The 'duplicate key' problem of `_conform` over a whole file of parsed key columns."""
    key = list(t.key)
    cols = ", ".join(_sql_id(k) for k in key)
    src = f"read_parquet({_sql_text(key_file)}, file_row_number = true)"
    on = " AND ".join(f"k.{_sql_id(c)} IS NOT DISTINCT FROM d.{_sql_id(c)}" for c in key)
    sql = (
        f"WITH k AS (SELECT * FROM {src}), "
        f"d AS (SELECT {cols} FROM k GROUP BY {cols} HAVING count(*) > 1) "
        f"SELECT k.file_row_number FROM k SEMI JOIN d ON {on}"
    )
    rows = np.sort(con.execute(sql).fetchnumpy()["file_row_number"].astype(np.int64))
    if len(rows) == 0:
        return None
    import pyarrow

    shown = (
        pq.read_table(key_file)
        .take(pyarrow.array(rows[:MAX_SHOWN]))
        .to_pandas(
            types_mapper={pyarrow.int64(): pd.Int64Dtype(), pyarrow.bool_(): pd.BooleanDtype()}.get
        )
    )
    vals = shown[key].astype(str).agg("/".join, axis=1) if len(key) > 1 else shown[key[0]]
    return _problem(
        "/".join(key),
        "duplicate key",
        f"each {'/'.join(key)} once (key of table '{t.name}')",
        rows=rows[:MAX_SHOWN] + 1,
        values=vals,
        n=len(rows),
    )


def _problems_message(problems: list[dict]) -> str:
    """The problems of a DataError for reports: column, what, how many rows (no cell values)."""
    return "; ".join(
        f"{p['column'] or 'fichier'} : {p['problem']}" + (f" ({p['n']} lignes)" if p["n"] else "")
        for p in problems
    )


def scan_available(
    names=None,
    data_dir=None,
    keep=(),
    links=(),
    tolerance: float = 0.01,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict[str, pd.DataFrame | None]]:
    """Validate every present table like `read_available`, keeping in memory only the tables
    named in `keep`, and profile every valid table with DuckDB over its file.

    No big table is loaded whole: a Parquet file whose columns already have the contract's
    types is checked in SQL (missing values, allowed values, bounds; key through hashes); when
    that finds a problem, or the file needs parsing (text numbers, time zones...), it is parsed
    and validated by pandas piece by piece, so the error is the one `read_file` gives (same
    problems, same row numbers). CSV files and the `keep` tables are read by `read_file`.

    Returns (tables, status, profile):

    - tables: {name: DataFrame} of the valid tables named in `keep`;
    - status: as `read_available` (table, status, file, rows, message);
    - profile: small DataFrames on the valid tables, equal to what `quality.profile` computes
      in pandas from the whole tables: `shapes` (table, rows, columns), `missing` (table,
      column, missing, rows; every contract column), `day_counts` (table, day, rows; first
      date column of each contract), `duplicates` (table, kind 'key' or 'rows_without_key'
      for tables with a one-column key, columns, count: rows equal on `columns` to an earlier
      row), `links` (table, column, ref_table, ref_column, values, broken: non-missing values
      of `column` absent from `ref_column`) for each (table, column, ref_table, ref_column) of
      `links` whose tables are both valid, and `purchase_mismatches` (transaction_id, amount,
      n_items, lines_amount, lines_quantity: purchases without lines, whose amount differs from
      the sum of their lines by more than `tolerance` or whose n_items differs from the sum of
      their quantities; None unless transactions and transaction_lines are both valid), and
      `future_rows` (table, column, count, rows, last: rows dated after today, see `now`).
    """
    import duckdb

    names = list(TABLES) if names is None else list(names)
    folder = Path(data_dir) if data_dir is not None else paths.RAW_DIR
    keep = set(keep or ())
    tables, status = {}, []
    shapes, missing, days, dups, future = [], [], [], [], []
    limit = now()
    views: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="workbench-scan-") as tmp:
        con = duckdb.connect(config={**SCAN_DUCKDB_CONFIG, "temp_directory": str(Path(tmp))})
        try:
            for name in names:
                t = contract(name, folder)
                try:
                    path = find_table_file(name, folder)
                except MissingTableError:
                    status.append(_absent_row(name))
                    continue
                except DataError as exc:  # e.g. two files for the table
                    status.append(_invalid_row(name, Path(exc.path), exc))
                    continue
                view = f"t_{name}"
                try:
                    key_set = [list(t.key)] if t.key else []
                    other_set = (
                        [[c for c in t.column_names if c != t.key[0]]]
                        if len(t.key) == 1 and len(t.columns) > 1
                        else []
                    )
                    other_dups, note = None, ""
                    plan = (
                        _direct_plan(path, t)
                        if path.suffix.lower() == ".parquet" and name not in keep
                        else None
                    )
                    valid = False
                    if plan is not None:  # checked in SQL, in place
                        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {plan[0]}")
                        n_rows, miss, broken, day_rows = _column_counts(con, view, t, True)
                        if not broken:
                            counts = _hash_duplicates(
                                con, view, key_set + other_set, n_rows, by_row=True
                            )
                            broken = bool(key_set) and counts[0] > 0
                            other_dups = counts[-1] if other_set else None
                        valid = n_rows > 0 and not broken
                        n_cols = plan[2]
                    if not valid and path.suffix.lower() == ".parquet" and name not in keep:
                        out_file = Path(tmp) / f"{name}.parquet"
                        n_rows, n_cols = _conform_parquet_chunks(con, path, t, out_file)
                        plan = _direct_plan(out_file, t)
                        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {plan[0]}")
                        n_rows, miss, broken, day_rows = _column_counts(con, view, t, False)
                    elif not valid:  # CSV or kept: read whole by pandas
                        df = read_file(path, t)
                        note = _read_note(df)
                        if name in keep:
                            tables[name] = df
                        plan = _direct_plan(path, t) if path.suffix.lower() == ".parquet" else None
                        if plan is not None:  # the file holds the parsed values: scan it
                            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {plan[0]}")
                        else:
                            con.register(f"{view}_frame", df[t.column_names].assign(
                                **{SCAN_ROW: np.arange(len(df))}))
                            con.execute(
                                f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {view}_frame"
                            )
                        n_rows, n_cols = len(df), df.shape[1]
                        _, miss, _, day_rows = _column_counts(con, view, t, False)
                        del df
                    if not valid and other_set:
                        other_dups = _hash_duplicates(
                            con, view, other_set, n_rows, by_row=plan is not None
                        )[0]
                except DataError as exc:
                    status.append(_invalid_row(name, path, exc))
                    continue
                views[name] = view
                future += _future_rows(con, view, t, limit)
                status.append(
                    {"table": name, "status": "valide", "file": path.name, "rows": n_rows,
                     "message": note}
                )
                shapes.append({"table": name, "rows": n_rows, "columns": n_cols})
                missing += [
                    {"table": name, "column": c, "missing": m, "rows": n_rows}
                    for c, m in miss.items()
                ]
                days += [{"table": name, "day": d, "rows": r} for d, r in day_rows]
                if t.key:  # valid: no duplicate key
                    dups.append(
                        {"table": name, "kind": "key", "columns": ", ".join(t.key), "count": 0}
                    )
                if other_set:
                    dups.append(
                        {
                            "table": name,
                            "kind": "rows_without_key",
                            "columns": ", ".join(other_set[0]),
                            "count": other_dups,
                        }
                    )
            link_rows = _link_counts(con, views, links, missing)
            mismatches = (
                _purchase_mismatches(con, views, tolerance)
                if "transactions" in views and "transaction_lines" in views
                else None
            )
        finally:
            con.close()
    profile = {
        "shapes": pd.DataFrame(shapes, columns=["table", "rows", "columns"]),
        "missing": pd.DataFrame(missing, columns=["table", "column", "missing", "rows"]),
        "day_counts": pd.DataFrame(days, columns=["table", "day", "rows"]).astype(
            {"day": "datetime64[ns]"}
        ),
        "duplicates": pd.DataFrame(dups, columns=["table", "kind", "columns", "count"]),
        "links": link_rows,
        "purchase_mismatches": mismatches,
        "future_rows": pd.DataFrame(future, columns=["table", "column", "count", "rows", "last"]),
    }
    return (
        tables,
        pd.DataFrame(status, columns=["table", "status", "file", "rows", "message"]),
        profile,
    )


def _future_rows(con, view: str, t: Table, limit: pd.Timestamp) -> list[dict]:
    """Future-dated rows of each date column of a valid table (dated after `limit`, now): how
    many, the first rows (1 = first data row) and the latest date."""
    out = []
    for c in t.columns:
        if c.dtype not in ("date", "datetime"):
            continue
        q = _sql_id(c.name)
        n, rows, last = con.execute(
            f"SELECT count(*), list({SCAN_ROW} + 1 ORDER BY {SCAN_ROW})[1:{MAX_SHOWN}], max({q}) "
            f"FROM {view} WHERE {q} > ?", [limit.to_pydatetime()]
        ).fetchone()
        if n:
            out.append({"table": t.name, "column": c.name, "count": int(n),
                        "rows": ", ".join(map(str, rows)) + (" …" if n > len(rows) else ""),
                        "last": pd.Timestamp(last)})
    return out


def _link_counts(con, views: dict, links, missing: list[dict]) -> pd.DataFrame:
    """Per link (table, column, ref_table, ref_column) between valid tables: non-missing
    values of the column and those absent from the referenced column."""
    present = {(m["table"], m["column"]): m["rows"] - m["missing"] for m in missing}
    rows = []
    for table, col, ref_table, ref_col in links:
        if table not in views or ref_table not in views or (table, col) not in present:
            continue
        # a valid table's one-column key is unique: no DISTINCT needed
        distinct = "" if TABLES[ref_table].key == (ref_col,) else "DISTINCT "
        broken = con.execute(
            f"SELECT count(*) FROM {views[table]} l ANTI JOIN "
            f"(SELECT {distinct}{_sql_id(ref_col)} AS k FROM {views[ref_table]} "
            f"WHERE {_sql_id(ref_col)} IS NOT NULL) r ON l.{_sql_id(col)} = r.k "
            f"WHERE l.{_sql_id(col)} IS NOT NULL"
        ).fetchall()[0][0]
        rows.append(
            {
                "table": table,
                "column": col,
                "ref_table": ref_table,
                "ref_column": ref_col,
                "values": int(present[(table, col)]),
                "broken": int(broken),
            }
        )
    return pd.DataFrame(
        rows, columns=["table", "column", "ref_table", "ref_column", "values", "broken"]
    )


def _purchase_mismatches(con, views: dict, tolerance: float) -> pd.DataFrame:
    """Purchases without lines or whose lines do not add up (amount, number of items)."""
    tx, lines = views["transactions"], views["transaction_lines"]
    df = con.execute(
        f"""WITH agg AS (
                SELECT transaction_id, fsum(amount) AS lines_amount,
                       CAST(sum(quantity) AS BIGINT) AS lines_quantity
                FROM {lines} GROUP BY transaction_id)
            SELECT t.transaction_id, t.amount, t.n_items, a.lines_amount, a.lines_quantity
            FROM {tx} t LEFT JOIN agg a ON t.transaction_id = a.transaction_id
            WHERE a.transaction_id IS NULL
               OR abs(t.amount - a.lines_amount) > {float(tolerance)!r}
               OR CAST(t.n_items AS DOUBLE) <> CAST(a.lines_quantity AS DOUBLE)
            ORDER BY t.transaction_id"""
    ).df()
    return pd.DataFrame(
        {
            "transaction_id": df["transaction_id"].astype("str"),
            "amount": df["amount"].astype("float64"),
            "n_items": df["n_items"].astype("Int64"),
            "lines_amount": df["lines_amount"].astype("float64"),
            "lines_quantity": df["lines_quantity"].astype("Int64"),
        }
    )


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


# --------------------------------------------------------------------------- compact reads


def read_table_compact(name: str, data_dir=None, columns=None, categorical=None,
                       until=None, dictionary=()) -> pd.DataFrame:
    """Read and validate raw table `name` like `read_table`, with compact dtypes for the big
    event tables (tens of millions of rows).

    Text columns in `categorical` (default: every text column read) come back as pandas
    Categoricals: pyarrow reads them dictionary-encoded, so each row holds a small integer code
    and each distinct text is stored once; categories are the distinct values present, sorted
    (grouping by them gives the same order as grouping the text). Text columns in `dictionary`
    (ids with millions of distinct values) come back as pyarrow dictionary columns
    (`pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string()))`, sorted dictionary): as compact,
    without the pandas index of the categories (one Python string per distinct id) that a
    Categorical builds when compared or grouped. `until`: keep only the rows
    whose `timestamp` is <= `until` (the others are validated, then not loaded into pandas).
    Every row read is validated against the contract with the same messages as `read_table`
    (a bad file raises one DataError naming the file, column, rows and values); Parquet text
    columns are checked on their dictionary (missing values, allowed values), other columns
    go through the usual parsing and checks. CSV files are read by `read_file`, then converted.
    """
    if name not in TABLES:
        raise KeyError(f"unknown table '{name}'; known tables: {', '.join(TABLES)}")
    path = find_table_file(name, data_dir)
    t = contract(name, data_dir) if columns is None else _restrict(contract(name, data_dir), list(columns))
    text = [c.name for c in t.columns if c.dtype == "str"]
    dictionary = [c for c in text if c in set(dictionary or ())]
    cats = [c for c in text if c not in dictionary and (categorical is None or c in set(categorical))]
    coded = cats + dictionary
    if until is not None and "timestamp" not in t.column_names:
        raise ValueError(f"until= needs the 'timestamp' column of table '{name}'")
    table = _compact_parquet(path, t, coded) if path.suffix.lower() == ".parquet" else None
    if table is None:  # CSV or unusual Parquet: the general reader, then compact dtypes
        df = read_file(path, name, columns=columns)
        if until is not None:
            df = df[df["timestamp"] <= pd.Timestamp(until)].reset_index(drop=True)
        for c in coded:
            values = df[c]
            uniques = pd.Index(values.dropna().unique(), dtype="str").sort_values()
            codes = uniques.get_indexer(values)
            df[c] = pd.Categorical.from_codes(codes, categories=uniques) if c in cats else \
                _arrow_dictionary(codes, uniques)
        df.attrs = {"source": str(path), "table": t.name}
        return df
    encoded, dense = table
    n_rows = len(dense) if dense is not None else len(next(iter(encoded.values()))[0])
    problems = []
    for c in t.columns:
        if c.name in coded:
            problems += _dictionary_problems(encoded[c.name], c)
    if len(t.key) == 1 and t.key[0] in coded:
        problems += _dictionary_key_problems(encoded[t.key[0]], t)
    rest = [c.name for c in t.columns if c.name not in coded]
    try:
        plain = _conform(dense, dataclasses.replace(t, columns=tuple(
            c for c in t.columns if c.name in rest), key=t.key if set(t.key) <= set(rest) else ()),
            path, decimal_comma=False) if rest else pd.DataFrame(index=range(n_rows))
    except DataError as exc:
        problems += exc.problems
        plain = None
    if n_rows == 0 and not rest:
        problems.append(_problem(None, "the file has no data rows", "at least one data row"))
    if problems:
        order = {c: i for i, c in enumerate(t.column_names)}
        problems.sort(key=lambda p: order.get(p["column"], -1))
        raise DataError(path, problems, t.name)
    keep = None
    if until is not None:
        keep = (plain["timestamp"] <= pd.Timestamp(until)).to_numpy()
        plain = plain[keep].reset_index(drop=True)
    out = {}
    for c in t.columns:
        if c.name in cats:
            out[c.name] = _dictionary_categorical(encoded.pop(c.name), keep)
        elif c.name in dictionary:
            out[c.name] = _dictionary_categorical(encoded.pop(c.name), keep, arrow=True)
        else:
            out[c.name] = plain[c.name]
    df = pd.DataFrame(out)
    df.attrs = {"source": str(path), "table": t.name}
    return df


def _compact_parquet(path: Path, t: Table, cats: list[str]):
    """({text column: (codes with -1 for missing, pyarrow dictionary)}, pandas frame of the other
    columns) for a Parquet file whose headers and text types fit, else None. Text columns are
    read one at a time and dictionary-encoded by pyarrow (one hash table per column, so the
    row groups share one dictionary)."""
    import pyarrow.types as pa_types

    try:
        names = pq.read_schema(path).names
    except Exception:  # noqa: BLE001 - read_file gives the clear message
        return None
    by_lower: dict[str, list[str]] = {}
    for n in names:
        by_lower.setdefault(n.lower(), []).append(n)
    actual = {}
    for c in t.columns:
        found = by_lower.get(c.name.lower(), [])
        if len(found) != 1:
            return None
        actual[c.name] = found[0]
    from concurrent.futures import ThreadPoolExecutor

    def encode(c):
        column = pq.read_table(path, columns=[actual[c]]).column(0)
        typ = column.type
        if not (pa_types.is_string(typ) or pa_types.is_large_string(typ)):
            return None  # e.g. numbers in a text column: read_file converts them
        return _dictionary_parts(column)

    rest = [c for c in t.column_names if c not in cats]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:  # pyarrow works outside the GIL
            jobs = {c: pool.submit(encode, c) for c in cats}
            dense = None
            if rest:
                dense = pq.read_table(path, columns=[actual[c] for c in rest]).rename_columns(
                    rest).to_pandas()
            encoded = {c: job.result() for c, job in jobs.items()}
    except Exception:  # noqa: BLE001 - read_file gives the clear message
        return None
    if any(v is None for v in encoded.values()):
        return None
    return encoded, dense


def _dictionary_parts(column):
    """(codes with -1 for missing, dictionary values as a pyarrow array) of a text
    ChunkedArray, dictionary-encoded by pyarrow."""
    import pyarrow
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column)
    if encoded.num_chunks == 0:
        return np.zeros(0, dtype=np.int32), pyarrow.array([], type=pyarrow.string())
    dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary
    if any(len(ch.dictionary) != len(dictionary) for ch in encoded.chunks):
        encoded = encoded.unify_dictionaries()
        dictionary = encoded.chunk(0).dictionary
    parts = [pc.fill_null(chunk.indices.cast(pyarrow.int32()), -1).to_numpy(zero_copy_only=False)
             for chunk in encoded.chunks]
    codes = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return codes.astype(np.int32, copy=False), dictionary


def _dictionary_problems(encoded, c) -> list[dict]:
    """Missing values and values outside the allowed list of a dictionary-encoded column."""
    import pyarrow
    import pyarrow.compute as pc

    codes, values = encoded
    problems = []
    if not c.nullable and (codes < 0).any():
        idx = np.flatnonzero(codes < 0)
        problems.append(_problem(c.name, "missing value",
                                 "a value in every row (column is not nullable)",
                                 rows=idx[:MAX_SHOWN] + 1, n=len(idx)))
    if c.allowed is not None and len(values):
        used = np.bincount(codes[codes >= 0], minlength=len(values)) > 0
        allowed = pc.is_in(values, value_set=pyarrow.array([str(a) for a in c.allowed]))
        bad_code = used & ~pc.fill_null(allowed, False).to_numpy(zero_copy_only=False)
        if bad_code.any():
            idx = np.flatnonzero(bad_code[np.maximum(codes, 0)] & (codes >= 0))
            shown = values.take(pyarrow.array(codes[idx[:MAX_SHOWN]])).to_pylist()
            problems.append(_problem(c.name, "value outside the allowed list",
                                     "one of: " + ", ".join(map(str, c.allowed)),
                                     rows=idx[:MAX_SHOWN] + 1, values=shown, n=len(idx)))
    return problems


def _dictionary_key_problems(encoded, t: Table) -> list[dict]:
    """Duplicate values of a one-column key read dictionary-encoded."""
    import pyarrow

    codes, values = encoded
    counts = np.bincount(codes[codes >= 0], minlength=len(values))
    dup = (codes >= 0) & (counts[np.maximum(codes, 0)] > 1)
    if not dup.any():
        return []
    idx = np.flatnonzero(dup)
    key = "/".join(t.key)
    shown = values.take(pyarrow.array(codes[idx[:MAX_SHOWN]])).to_pylist()
    return [_problem(key, "duplicate key", f"each {key} once (key of table '{t.name}')",
                     rows=idx[:MAX_SHOWN] + 1, values=shown, n=len(idx))]


def _arrow_dictionary(codes: np.ndarray, values):
    """A pyarrow dictionary column (pandas ArrowDtype) from codes (-1 = missing) and values."""
    import pyarrow

    indices = pyarrow.array(np.asarray(codes, dtype=np.int32), mask=np.asarray(codes) < 0)
    values = values if isinstance(values, pyarrow.Array) else pyarrow.array(
        pd.Series(values, dtype="str"), type=pyarrow.string())
    return pd.arrays.ArrowExtensionArray(pyarrow.DictionaryArray.from_arrays(indices, values))


def _dictionary_categorical(encoded, keep: np.ndarray | None, arrow: bool = False):
    """A dictionary-encoded column as a pandas Categorical (or, `arrow`, a pyarrow dictionary
    column) of its used values, sorted."""
    import pyarrow
    import pyarrow.compute as pc

    codes, values = encoded
    if keep is not None:
        codes = codes[keep]
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(values)) > 0)
    used_values = values.take(pyarrow.array(used, type=pyarrow.int64()))
    order = pc.sort_indices(used_values).to_numpy(zero_copy_only=False)
    remap = np.full(len(values) + 1, -1, dtype=np.int32)  # last slot: missing (-1)
    remap[used[order]] = np.arange(len(used), dtype=np.int32)
    if arrow:
        return _arrow_dictionary(remap[codes], used_values.take(pyarrow.array(order)).cast(
            pyarrow.string()))
    cats = pd.Index(used_values.take(pyarrow.array(order)).to_pandas(), dtype="str")
    return pd.Categorical.from_codes(remap[codes], categories=cats, validate=False)

