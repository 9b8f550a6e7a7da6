"""Whole-table scan of the data folder for the data overview (`scan_available`).

Every raw table is counted and profiled in DuckDB over its file (rows, missing values, allowed
values, duplicate keys, dates, links between tables), so that 50M-row event tables are never
loaded into pandas; files DuckDB cannot read as they are go through `datasets.read_file`
piece by piece. Re-exported by `workbench.datasets`.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from workbench import frames, paths
from workbench.dataerrors import MAX_SHOWN, DataError, MissingTableError, _problem
from workbench.datasets import (
    _absent_row,
    _invalid_row,
    _read_note,
    _restrict,
    contract,
    find_table_file,
    now,
    read_file,
)
from workbench.readers import _SQL_MAX_DATE, _SQL_MIN_DATE, _conform, _parse
from workbench.schemas import TABLES, Table

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
        repeated = frames.distinct(ordered[1:][ordered[1:] == ordered[:-1]])
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


def profile_frames(tables: dict[str, pd.DataFrame], links=(), tolerance: float = 0.01) -> dict:
    """The profile of tables held in memory ({name: DataFrame}), computed by the same SQL as
    `scan_available` over the files (the frames are registered in DuckDB): {shapes, missing,
    day_counts, duplicates, links, purchase_mismatches} (see `scan_available`; every contract
    column present is profiled, `purchase_mismatches` is None without both purchase tables)."""
    import duckdb

    shapes, missing, days, dups, views = [], [], [], [], {}
    con = duckdb.connect(config=SCAN_DUCKDB_CONFIG)
    try:
        for i, (name, df) in enumerate(tables.items()):
            shapes.append({"table": name, "rows": len(df), "columns": df.shape[1]})
            if name not in TABLES:
                continue
            t = _restrict(TABLES[name], [c for c in TABLES[name].column_names if c in df])
            if not t.columns:
                continue
            view = f"profile_{i}"
            con.register(f"{view}_frame", df[t.column_names].assign(
                **{SCAN_ROW: np.arange(len(df), dtype=np.int64)}))
            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {view}_frame")
            views[name] = view
            n_rows, miss, _, day_rows = _column_counts(con, view, t, False)
            missing += [{"table": name, "column": c, "missing": m, "rows": n_rows}
                        for c, m in miss.items()]
            days += [{"table": name, "day": d, "rows": n} for d, n in day_rows]
            key = list(t.key) if t.key else [k for k in TABLES[name].key if k in df]
            sets = [("key", key)] if key else []
            if len(key) == 1:
                others = [c for c in t.column_names if c != key[0]]
                if others:
                    sets.append(("rows_without_key", others))
            counts = _hash_duplicates(con, view, [cols for _, cols in sets], len(df), by_row=True)
            dups += [{"table": name, "kind": kind, "columns": ", ".join(cols), "count": int(n)}
                     for (kind, cols), n in zip(sets, counts, strict=True)]
        link_rows = _link_counts(con, views, links, missing)
        mism = (_purchase_mismatches(con, views, tolerance)
                if "transactions" in views and "transaction_lines" in views else None)
    finally:
        con.close()
    return {
        "shapes": pd.DataFrame(shapes, columns=["table", "rows", "columns"]),
        "missing": pd.DataFrame(missing, columns=["table", "column", "missing", "rows"]),
        "day_counts": pd.DataFrame(days, columns=["table", "day", "rows"]).astype(
            {"day": "datetime64[ns]", "rows": "int64"}),
        "duplicates": pd.DataFrame(dups, columns=["table", "kind", "columns", "count"]),
        "links": link_rows,
        "purchase_mismatches": mism,
    }
