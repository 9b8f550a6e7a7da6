"""Parsing raw files into the contract's types: CSV decoding and sniffing, type conversion,
pandera validation (`_conform`).

Used through `workbench.datasets.read_file` / `read_table` (the one door between files and
analyses); CSV files exported from French Excel (`;`, decimal comma, UTF-8 with BOM or cp1252,
dates as 31/01/2026) are accepted as they are.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

with warnings.catch_warnings():  # pandera imports pyspark.pandas when the 'spark' extra is
    # installed, which warns about pandas 3 on stderr (the workbench uses pyspark.sql only)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support",
                            category=FutureWarning)
    import pandera.pandas as pa

from workbench.dataerrors import MAX_SHOWN, DataError, _problem  # noqa: E402
from workbench.schemas import Table, pandera_schema  # noqa: E402

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
LOCAL_TZ = "Europe/Paris"  # time-zone aware timestamps are converted to French local time
_SQL_MIN_DATE = pd.Timestamp.min.ceil("s").to_pydatetime()  # dates a pandas column can hold
_SQL_MAX_DATE = pd.Timestamp.max.floor("s").to_pydatetime()


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
    lo, hi = values.min(), values.max()  # one pass: a large column is usually all in range
    if pd.isna(lo) or (lo >= pd.Timestamp.min and hi <= pd.Timestamp.max):
        return values.astype("datetime64[ns]"), np.zeros(len(values), dtype=bool)
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
