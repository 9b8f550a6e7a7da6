"""What every importer shares: reading exports, matching their headers, reporting, appending.

An importer is a pure mapping function (`map_frame(df, context) -> Mapped`): the source rows in,
the contract tables out (`workbench.schemas.TABLES`), with a `Report` that counts rows read,
written and dropped (one count per reason) and names the source columns it did not use. File
input (`read_export`) and output (`append_tables`) live here, apart from the mappings, so the
mappings can be tested on tiny frames.

Why the rules below:
* Exports are recognised by their header, never by their file name: a file without the
  format's required columns is refused with a `DataError` listing the columns expected.
* Headers are compared loosely (case, accents, spaces, punctuation): "Email Address",
  "email_address" and "E-mail address" are the same column.
* Appending never duplicates a key: rows whose key (per contract) is already in the folder are
  skipped and counted, so importing the same export twice writes 0 new rows the second time.
* Personal columns (names, e-mails, handles) only go to the contract columns marked personal;
  the report never holds their values (reasons name columns and codes, never people).
* Written files are Parquet, replaced atomically (temp file + `os.replace`) in the user's data
  folder (importing is the user's own ingestion step, so a raw-data folder is allowed here).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workbench import datasets
from workbench.datasets import DataError, _problem
from workbench.schemas import TABLES, Table

# Columns holding the retailer's own vocabulary (`Col.vocabulary`: categories, platforms,
# loyalty tiers, store formats, regions; closed by the retailer profile, `workbench.profile`):
# importers write normalised lowercase codes there and report them against the profile.
UNCLASSIFIED = "non_classe"  # category code of a product line the export does not classify

_ARROW = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.timestamp("us"),
    "datetime": pa.timestamp("us"),
}


# --------------------------------------------------------------------------- report


@dataclass
class TableReport:
    """Counts for one output table of one import."""

    produced: int = 0  # rows the mapping produced
    written: int = 0  # new rows appended to the folder
    already_present: int = 0  # rows whose key the folder already held
    file: str = ""


@dataclass
class Report:
    """What one import did: read, dropped (per reason), written, unused, vocabularies."""

    format: str
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    unit: str = "rows"  # what a source row is ("order lines", "events", ...)
    dropped: Counter = field(default_factory=Counter)  # reason -> source rows
    unused_columns: list[str] = field(default_factory=list)
    vocabularies: dict = field(default_factory=dict)  # "table.column" -> Counter(code -> rows)
    profile: object = None  # workbench.profile.RetailerProfile the codes are checked against
    notes: list[str] = field(default_factory=list)
    tables: dict[str, TableReport] = field(default_factory=dict)

    def drop(self, reason: str, n: int = 1) -> None:
        if n:
            self.dropped[reason] += int(n)

    def vocabulary(self, table: str, column: str, values) -> None:
        counts = Counter(v for v in values if isinstance(v, str))
        if counts:
            self.vocabularies.setdefault(f"{table}.{column}", Counter()).update(counts)

    def lines(self) -> list[str]:
        """The report as printed by `workbench import` (no personal values in it)."""
        out = [f"workbench import {self.format}: {len(self.files)} file(s)"]
        for f in self.files:
            out.append(f"  - {f}")
        out.append(f"read: {self.rows_read} {self.unit}")
        n_drop = sum(self.dropped.values())
        out.append(f"dropped: {n_drop} {self.unit}" + (":" if n_drop else ""))
        for reason, n in sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  - {n} {reason}")
        total = sum(t.written for t in self.tables.values())
        out.append(f"written: {total} new row(s)" + (
            " - nothing new: every row of this export is already in the folder"
            if total == 0 and any(t.produced for t in self.tables.values()) else ""))
        for name, t in self.tables.items():
            extra = f", {t.already_present} already in the folder (same key)" if t.already_present else ""
            where = f" -> {t.file}" if t.file else ""
            out.append(f"  - {name}: {t.written} new row(s) of {t.produced}{extra}{where}")
            if t.produced and not t.written:
                out.append(f"    (nothing new for {name}: every key was already there)")
        if self.vocabularies:
            where = f"retailer profile {self.profile.source}" if self.profile is not None else "no retailer profile"
            out.append(f"codes written in retailer vocabularies ({where}):")
            flagged = set()
            for key, counts in sorted(self.vocabularies.items()):
                table, column = key.split(".")
                vkey = getattr(TABLES[table].col(column), "vocabulary", None) or column
                known = set(self.profile.vocabulary(vkey)) if self.profile is not None else None
                shown = []
                for code, n in counts.most_common():
                    star = known is not None and code not in known
                    flagged |= {vkey} if star else set()
                    shown.append(f"{code} ({n}){' *' if star else ''}")
                out.append(f"  - {key} (profile key '{vkey}'): {', '.join(shown)}")
            if flagged:
                out.append(f"    (* = not in the profile: add it under {', '.join(sorted(flagged))} "
                           "before `workbench run --profile`)")
            elif self.profile is None:
                out.append("    (declare these codes in the retailer profile: `workbench profile`)")
        out.append(
            "source columns not used: " + (", ".join(self.unused_columns) if self.unused_columns else "none")
        )
        out.extend(f"note: {n}" for n in self.notes)
        return out


@dataclass
class Mapped:
    """Result of a mapping function: contract tables (by name) and the report."""

    tables: dict[str, pd.DataFrame]
    report: Report


# --------------------------------------------------------------------------- headers


def norm(name) -> str:
    """A header as compared: lower case, no accents, words joined by '_'."""
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def slug(value) -> str | None:
    """A retailer label as a code: 'Prêt-à-porter Femme' -> 'pret_a_porter_femme'."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    s = norm(value)
    return s or None


@dataclass(frozen=True)
class Spec:
    """The columns of an export format: field -> header aliases; which fields are required."""

    name: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    documentation: str = ""

    def resolve(self, headers, path) -> dict[str, str]:
        """field -> actual header; a DataError listing the expected columns when one is missing."""
        by_norm: dict[str, str] = {}
        for h in headers:
            by_norm.setdefault(norm(h), h)
        found = {}
        for fld, aliases in self.columns.items():
            for a in aliases:
                if norm(a) in by_norm:
                    found[fld] = by_norm[norm(a)]
                    break
        missing = [f for f in self.required if f not in found]
        if missing:
            raise wrong_format(path, self, missing, headers)
        return found

    def expected(self) -> str:
        req = [" or ".join(f"'{a}'" for a in self.columns[f][:3]) for f in self.required]
        return ", ".join(req)


def wrong_format(path, spec: Spec, missing: list[str], headers) -> DataError:
    """The refusal of a file that is not of the announced format."""
    seen = ", ".join(map(str, list(headers)[:15]))[:300]
    problems = [
        _problem(
            " or ".join(f"'{a}'" for a in spec.columns[f][:3]).strip("'"),
            "required column is missing",
            (f"a {spec.name} export with the columns {spec.expected()} (found: {seen})" if i == 0
             else f"a column {' or '.join(repr(a) for a in spec.columns[f][:3])}"),
        )
        for i, f in enumerate(missing)
    ]
    problems.append(
        _problem(
            None,
            f"this file is not a {spec.name} export",
            f"the columns listed above ({spec.documentation})" if spec.documentation else "",
        )
    )
    return DataError(path, problems)


# --------------------------------------------------------------------------- reading exports


def read_export(path, spec: Spec) -> pd.DataFrame:
    """Read one export (CSV / TSV / JSON lines / Parquet) as text columns; header found and checked.

    CSV: UTF-8 (BOM or not) or cp1252, separator sniffed (`;` `,` tab `|`); the header is the
    first of the first 30 lines holding the format's required columns (Brandwatch and others
    put a few lines of metadata above it). Values stay text (postcodes keep their zeros).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, [_problem(None, "file not found", "an existing export file")])
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes a DataError
            raise DataError(path, [_problem(None, f"not a readable Parquet file ({exc})", "a Parquet file")]) from exc
    elif suffix in (".json", ".jsonl", ".ndjson"):
        try:
            df = pd.read_json(path, lines=True, dtype=False)
        except ValueError as exc:
            raise DataError(path, [_problem(None, f"not JSON lines ({exc})", "one JSON object per line")]) from exc
    elif suffix in (".xlsx", ".xls"):
        raise DataError(
            path, [_problem(None, "Excel workbooks are not read", "the same export saved as CSV (UTF-8)")]
        )
    else:
        df = _read_text_table(path, spec)
    if len(df) == 0:
        raise DataError(path, [_problem(None, "the file has no data rows", "at least one data row")])
    spec.resolve(df.columns, path)  # refuse early when the format is wrong
    return df


def _read_text_table(path: Path, spec: Spec) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(path, [_problem(None, "the file is empty", "a header line and data rows")])
    decoded = datasets._decode(raw, path, None)  # the CSV reader's own decoding (encodings of French exports)
    text = (decoded[0] if isinstance(decoded, tuple) else decoded).lstrip("\ufeff")
    lines = text.splitlines()
    wanted = [{norm(a) for a in spec.columns[f]} for f in spec.required]
    start, sep = 0, datasets._sniff_sep(lines[0] if lines else "")
    for i, line in enumerate(lines[:30]):
        s = datasets._sniff_sep(line)
        cells = {norm(c.strip().strip('"')) for c in line.split(s)}
        if all(cells & w for w in wanted):
            start, sep = i, s
            break
    try:
        df = pd.read_csv(
            io.StringIO("\n".join(lines[start:])), sep=sep, dtype=str, keep_default_na=False,
            na_values=datasets.CSV_NA_VALUES,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(path, [_problem(None, f"malformed CSV ({' '.join(str(exc).split())})", "a CSV export")]) from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df


def text(s: pd.Series) -> pd.Series:
    """Stripped text, empty -> missing."""
    out = s.astype("object").where(s.notna(), None).map(lambda v: None if v is None else str(v).strip())
    return out.where(out != "", None)


def number(s: pd.Series) -> pd.Series:
    """French or English numbers ('1 234,50', '1,234.50', '12.5 €') as floats."""
    parsed, _bad, _ = datasets._to_float(s.astype("object").where(s.notna(), None), True)
    return parsed


def timestamps(s: pd.Series) -> pd.Series:
    """Dates / date-times as French local naive time (zone-aware values converted)."""
    parsed, _bad, _ = datasets._to_datetime(s.astype("object").where(s.notna(), None), False)
    return parsed


def epoch(s: pd.Series, unit: str) -> pd.Series:
    """Epoch numbers (UTC) as French local naive time."""
    num = pd.to_numeric(s, errors="coerce")
    out = pd.to_datetime(num, unit=unit, utc=True, errors="coerce")
    return out.dt.tz_convert(datasets.LOCAL_TZ).dt.tz_localize(None).astype("datetime64[ns]")


def boolean(s: pd.Series, default: bool = False) -> pd.Series:
    parsed, _bad, _ = datasets._to_bool(s.astype("object").where(s.notna(), None))
    return parsed.fillna(default).astype(bool)


def stable_id(prefix: str, *parts) -> str:
    """A short id that is the same at every import of the same source record."""
    h = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}{h}"


def unused(df_columns, used) -> list[str]:
    used = set(used)
    return [str(c) for c in df_columns if c not in used]


# --------------------------------------------------------------------------- French places

_REGION_DEPARTMENTS = {
    "Auvergne-Rhône-Alpes": "01 03 07 15 26 38 42 43 63 69 73 74",
    "Bourgogne-Franche-Comté": "21 25 39 58 70 71 89 90",
    "Bretagne": "22 29 35 56",
    "Centre-Val de Loire": "18 28 36 37 41 45",
    "Corse": "2A 2B",
    "Grand Est": "08 10 51 52 54 55 57 67 68 88",
    "Hauts-de-France": "02 59 60 62 80",
    "Île-de-France": "75 77 78 91 92 93 94 95",
    "Normandie": "14 27 50 61 76",
    "Nouvelle-Aquitaine": "16 17 19 23 24 33 40 47 64 79 86 87",
    "Occitanie": "09 11 12 30 31 32 34 46 48 65 66 81 82",
    "Pays de la Loire": "44 49 53 72 85",
    "Provence-Alpes-Côte d'Azur": "04 05 06 13 83 84",
    "Guadeloupe": "971",
    "Martinique": "972",
    "Guyane": "973",
    "La Réunion": "974",
    "Mayotte": "976",
}
REGION_OF_DEPARTMENT = {d: r for r, ds in _REGION_DEPARTMENTS.items() for d in ds.split()}


def department_of(postcode: str | None) -> str | None:
    """French department code of a postcode ('75011' -> '75', '20090' -> '2A', '97411' -> '974')."""
    if not postcode:
        return None
    p = re.sub(r"\s", "", str(postcode))
    if not re.fullmatch(r"\d{5}", p):
        return None
    if p.startswith("97"):
        return p[:3] if p[:3] in REGION_OF_DEPARTMENT else None
    if p.startswith("20"):
        return "2A" if p < "20200" else "2B"
    return p[:2] if p[:2] in REGION_OF_DEPARTMENT else None


# --------------------------------------------------------------------------- contract frames


def frame(table: str, data: dict) -> pd.DataFrame:
    """A contract table from columns (missing nullable columns -> null), in contract order."""
    t = TABLES[table]
    if isinstance(data, pd.DataFrame):
        data = {c: data[c] for c in data.columns}
    sized = [len(v) for v in data.values() if v is not None and not isinstance(v, str) and hasattr(v, "__len__")]
    n = max(sized, default=0)
    cols = {}
    for c in t.columns:
        v = data.get(c.name)
        if v is None or isinstance(v, str):
            cols[c.name] = pd.Series([v] * n, dtype="object")
        else:
            cols[c.name] = pd.Series(v).reset_index(drop=True)
    return pd.DataFrame(cols)


def _relaxed(t: Table) -> Table:
    """The contract with the retailer vocabularies open (a profile closes them at run time;
    the import reports codes outside the profile instead of refusing them)."""
    cols = tuple(dataclasses.replace(c, allowed=None) if getattr(c, "vocabulary", None) else c
                 for c in t.columns)
    return dataclasses.replace(t, columns=cols)


def check_contract(df: pd.DataFrame, table: str, source: str) -> pd.DataFrame:
    """Parse and validate rows against the contract (retailer vocabularies open): a DataError
    here is a bug of the importer, never silently written."""
    return datasets._conform(df, _relaxed(TABLES[table]), Path(source), False)


def _arrow_table(df: pd.DataFrame, t: Table) -> pa.Table:
    arrays = {}
    for c in t.columns:
        s = df[c.name]
        if c.dtype in ("date", "datetime"):
            arr = pa.array(pd.to_datetime(s).astype("datetime64[us]"), type=pa.timestamp("us"))
        elif c.dtype == "int":
            arr = pa.array(pd.array(s, dtype="Int64"), type=pa.int64())
        elif c.dtype == "bool":
            arr = pa.array(pd.array(s, dtype="boolean"), type=pa.bool_())
        elif c.dtype == "float":
            arr = pa.array(pd.to_numeric(s).astype("float64"), type=pa.float64())
        else:
            arr = pa.array([None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
                            for v in s.astype("object")], type=pa.string())
        arrays[c.name] = arr
    return pa.table(arrays)


def _key_strings(table: pa.Table, key) -> pa.Array:
    cols = [pc.cast(table.column(k), pa.string()) for k in key]
    if len(cols) == 1:
        return cols[0].combine_chunks() if isinstance(cols[0], pa.ChunkedArray) else cols[0]
    joined = pc.binary_join_element_wise(*cols, "\x1f")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def existing_file(out_dir: Path, table: str) -> Path | None:
    """The folder's file for `table`; a CSV there is refused (the Parquet written beside it
    would silently hide it)."""
    pq_path, csv_path = out_dir / f"{table}.parquet", out_dir / f"{table}.csv"
    if csv_path.exists() and not pq_path.exists():
        raise DataError(
            csv_path,
            [_problem(None, f"the folder holds '{table}' as CSV", "Parquet files to append to: "
                      "import into an empty folder, or convert this CSV to Parquet first")],
            table,
        )
    return pq_path if pq_path.exists() else None


def read_existing(out_dir, table: str, columns) -> pd.DataFrame | None:
    """Some columns of a table already in the folder (None when absent)."""
    p = existing_file(Path(out_dir), table)
    if p is None:
        return None
    names = set(pq.read_schema(p).names)
    return pq.read_table(p, columns=[c for c in columns if c in names]).to_pandas()


def write_parquet_atomic(table: pa.Table, target: Path, existing: Path | None = None) -> None:
    """Write `existing` rows (streamed by row group) then `table` to `target` through a temp
    file renamed into place: readers see the old file or the new one, never a partial one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        schema = pq.read_schema(existing).remove_metadata() if existing else table.schema
        with pq.ParquetWriter(tmp, schema) as w:
            if existing:
                pf = pq.ParquetFile(existing)
                for i in range(pf.num_row_groups):
                    w.write_table(pf.read_row_group(i).cast(schema))
            for name in schema.names:
                if name not in table.column_names:
                    table = table.append_column(name, pa.nulls(len(table), schema.field(name).type))
            w.write_table(table.select(schema.names).cast(schema))
        os.chmod(tmp, 0o644)  # mkstemp creates 0600 files
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_tables(mapped: Mapped, out_dir, source: str = "import") -> Report:
    """Append each mapped table to `<out_dir>/<table>.parquet`, skipping keys already there."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = mapped.report
    plans = []  # every table is checked and filtered before anything is written
    for name, df in mapped.tables.items():
        t = TABLES[name]
        tr = report.tables.setdefault(name, TableReport())
        tr.produced = len(df)
        if df.empty:
            continue
        checked = check_contract(df, name, f"{source} -> {name}")
        new = _arrow_table(checked, t)
        existing = existing_file(out_dir, name)
        if existing is not None and t.key:
            old_keys = _key_strings(pq.read_table(existing, columns=list(t.key)), t.key)
            seen = pc.is_in(_key_strings(new, t.key), value_set=old_keys)
            keep = pc.invert(pc.fill_null(seen, False))
            tr.already_present = int(len(new) - pc.sum(keep).as_py()) if len(new) else 0
            new = new.filter(keep)
        tr.written = len(new)
        tr.file = str(out_dir / f"{name}.parquet")
        plans.append((new, out_dir / f"{name}.parquet", existing))
    for new, target, existing in plans:
        if len(new):
            write_parquet_atomic(new, target, existing)
    return report


def dedupe(df: pd.DataFrame, table: str, report: Report, what: str) -> pd.DataFrame:
    """Drop repeated keys inside one import (first kept), counted as `what`."""
    key = list(TABLES[table].key)
    dup = df.duplicated(subset=key, keep="first")
    report.drop(what, int(dup.sum()))
    return df.loc[~dup].reset_index(drop=True)


def customers_by_email(out_dir) -> dict[str, str]:
    """lower-cased e-mail -> customer_id of the customers already in the folder."""
    if out_dir is None:
        return {}
    df = read_existing(out_dir, "customers", ["customer_id", "email"])
    if df is None or "email" not in df:
        return {}
    df = df.dropna(subset=["email"])
    keys = df["email"].astype(str).str.strip().str.lower()
    return dict(zip(keys, df["customer_id"].astype(str), strict=True))


def json_value(v):
    """A nested value as read from Parquet (numpy arrays, dicts) or JSON (lists, dicts)."""
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v
