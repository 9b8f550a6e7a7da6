"""The raw event tables as DuckDB views over the data folder's files, validated on the way in.

A Parquet file whose columns have the contract's types is scanned in place and checked in SQL
(missing values, allowed values, bounds, duplicate keys) with the same messages as
`datasets.read_table`; anything else (CSV, other types, time zones) is read and validated by
`datasets.read_file`, then registered.
"""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq

from workbench.dataerrors import MAX_SHOWN, DataError, _problem
from workbench.datasets import _restrict, contract, find_table_file, read_file

_DUCKDB_TYPES = {  # DuckDB column types read as they are (others go through read_table)
    "str": ("VARCHAR",),
    "datetime": ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
    "float": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT"),
}


def _sql_str(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _sql_list(values) -> str:
    return ", ".join(_sql_str(v) for v in values)


def duckdb_source(con, name: str, data_dir, columns: list[str], view: str) -> None:
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
