"""Where the event layer's SQL runs: an embedded DuckDB (default) or Apache Spark.

The rules are written once, in DuckDB's SQL dialect (`workbench.events.rules`); a session runs
each named step as a table of the session. `SparkSession` transpiles the same text to Spark SQL
with sqlglot (as splink does), so there is never a second, hand-kept copy of a rule.
Sessions register the raw tables either from pandas frames (the analyses' tables) or from the
data folder's files (`register_files`), then hand back only small results as DataFrames.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

ENGINE_ENV = "WORKBENCH_ENGINE"  # "duckdb" (default) or "spark": set by `workbench run --engine`
SPARK_MASTER_ENV = "WORKBENCH_SPARK_MASTER"  # cluster URL for `--engine spark` (default local[*])
SPARK_DRIVER_MEMORY_ENV = "WORKBENCH_SPARK_DRIVER_MEMORY"  # local[*] runs: driver heap (4g)
ENGINES = ("duckdb", "spark")


def engine_name(engine: str | None = None) -> str:
    """The event layer's engine: `engine`, else `WORKBENCH_ENGINE`, else duckdb."""
    name = engine or os.environ.get(ENGINE_ENV) or "duckdb"
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r} (from {ENGINE_ENV} or --engine): "
                         "use duckdb or spark")
    return name


def open_session(engine: str | None = None):
    """A new session of the chosen engine (`engine_name`): what the analyses that run the
    event layer over pandas frames (journeys, stitching) open, so that `workbench run --engine
    spark` runs them on Spark without a change to the notebooks."""
    if engine_name(engine) == "spark":
        return SparkSession()
    return DuckDBSession()


def sql_text(value) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values) -> str:
    """Comma-separated SQL string literals (for `IN (...)`)."""
    return ", ".join(sql_text(v) for v in values) or "NULL"


def sql_timestamp(ts) -> str:
    """A SQL timestamp literal (DuckDB dialect; transpiled for Spark)."""
    return f"TIMESTAMP {sql_text(pd.Timestamp(ts).isoformat(sep=' '))}"


class DuckDBSession:
    """An in-process DuckDB database for one computation (temporary files in a private folder)."""

    dialect = "duckdb"

    def __init__(self, threads: int = 2, memory_limit: str = "4GB"):
        import duckdb

        self._tmp = tempfile.TemporaryDirectory(prefix="workbench-duckdb-")
        self.con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                          "temp_directory": self._tmp.name,
                                          "preserve_insertion_order": False})
        # the steps' tables live in an in-memory database that can compress them (`compress`)
        self.con.execute("ATTACH ':memory:' AS steps (COMPRESS)")
        self.con.execute("USE steps")
        self._frames: dict = {}

    def register_frame(self, name: str, df: pd.DataFrame, columns=None) -> None:
        """Table `name` over a pandas frame (its `columns`, default all) plus `_row`, the row
        number (0 = first row): ties in time keep the frame's order."""
        cols = list(columns) if columns is not None else list(df.columns)
        table = pa.Table.from_pandas(df[cols], preserve_index=False)
        table = table.append_column("_row", pa.array(np.arange(len(df), dtype=np.int64)))
        self._frames[name] = table
        self.con.register(f"{name}_frame", table)
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT * FROM "{name}_frame"')

    def drop_frame(self, name: str) -> None:
        """Forget frame `name` once the steps that read it are materialized: its copy (row
        numbers, converted columns) is freed before the session ends."""
        self.con.execute(f'DROP VIEW IF EXISTS temp."{name}"')
        self.con.unregister(f"{name}_frame")
        self._frames.pop(name, None)

    def register_files(self, name: str, data_dir, columns) -> None:
        """Table `name` over raw table `name` of `data_dir` (only `columns`), validated as by
        `datasets.read_table`, with `_row` = the row number in the file."""
        from workbench.events.sources import duckdb_source

        duckdb_source(self.con, name, data_dir, list(columns), f"{name}_src")
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS '
                         f'SELECT * EXCLUDE (file_row_number), file_row_number AS _row FROM {name}_src')

    def create(self, name: str, sql: str, materialize: bool = True) -> None:
        """Run one named step: table `name` = the result of `sql` (a view when not
        `materialize`: a step read once, computed where it is read)."""
        import duckdb

        for kind in ("VIEW", "TABLE"):  # the step's previous result, whichever kind it was
            try:
                self.con.execute(f'DROP {kind} IF EXISTS "{name}"')
            except duckdb.CatalogException:  # (DROP VIEW on a table and vice versa)
                pass
        kind = "TABLE" if materialize else "VIEW"
        self.con.execute(f'CREATE {kind} "{name}" AS {sql}')

    def compress(self) -> None:
        """Compress the steps' tables written so far: a large step read several times (the
        journeys' touches of tens of millions of rows) then holds a fraction of its size."""
        self.con.execute("CHECKPOINT steps")

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()  # (a relation: no extra copy of the rows)

    def batches(self, sql: str, rows: int = 1_000_000):
        """The result of `sql` as Arrow record batches, streamed (the whole result is never
        held at once: for outputs of tens of millions of rows)."""
        return self.con.sql(sql).to_arrow_reader(rows)

    def close(self) -> None:
        self.con.close()
        self._frames.clear()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def spark_master(profile_master: str | None = None) -> str:
    """The Spark master: `WORKBENCH_SPARK_MASTER`, else the retailer profile's `spark_master`
    (`profile_master`), else local[*]."""
    return os.environ.get(SPARK_MASTER_ENV) or profile_master or "local[*]"


def _splink_jar() -> str | None:
    """splink's jar of similarity functions (jaro_winkler, damerau_levenshtein...) for this
    Spark version, when splink is installed: identity resolution uses them on Spark."""
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError:  # pragma: no cover - splink is a dependency
        return None
    return similarity_jar_location()


def get_spark(master: str | None = None, app_name: str = "workbench",
              shuffle_partitions: int | None = None):
    """The process's `pyspark.sql.SparkSession`: the active one when there is one (a managed
    Spark, an earlier call of this kernel: one JVM per kernel, never one per call), else one
    started on `master` (`spark_master()`), with splink's jar of similarity functions."""
    try:
        from pyspark.sql import SparkSession as _Spark
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("the Spark engine needs pyspark: pip install 'workbench[spark]' "
                          "(and Java 17)") from exc
    active = _Spark.getActiveSession()
    if active is not None:
        if shuffle_partitions:
            active.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
        return active
    master = master or spark_master()
    # few partitions on one machine (each costs a task per step), Spark's default else
    parts = shuffle_partitions or (4 if master.startswith("local") else 200)
    builder = _Spark.builder.master(master).appName(app_name)
    if master.startswith("local"):  # driver = executor: room for the cached steps
        builder = builder.config("spark.driver.memory",
                                 os.environ.get(SPARK_DRIVER_MEMORY_ENV, "4g"))
        # Python workers (identity's Jaro-Winkler UDF) run this interpreter, with its packages
        # (pyspark reads the variable when the session starts)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    jar = _splink_jar()
    if jar:
        builder = builder.config("spark.jars", jar)
    spark = (builder
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", str(parts))
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")  # no bars on the pages
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextlib.contextmanager
def _quiet():
    """pyspark's pandas conversions without its FutureWarning about pandas 3 (it would land on
    the pages)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def to_spark_sql(sql: str) -> str:
    """The Spark SQL text of one step written in DuckDB's dialect (sqlglot)."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


class SparkSession:
    """The same steps on Apache Spark: tables are Spark temporary views, each step's DuckDB SQL
    is transpiled with sqlglot; only the final (small) results are collected to pandas.

    `spark`: an existing `pyspark.sql.SparkSession`; else the process's (`get_spark`: the
    active one, or one started on `master`). `close()` releases the session's cached steps,
    never the JVM (the next session of the kernel reuses it). Timestamps are read and compared
    as local times (no time-zone shift)."""

    dialect = "spark"

    def __init__(self, master: str | None = None, spark=None, app_name: str = "workbench",
                 shuffle_partitions: int | None = None):
        self.spark = spark if spark is not None else get_spark(master, app_name,
                                                                 shuffle_partitions)
        self._owned = []
        self._tmp = None  # private folder of the registered frames (local masters)
        self._frames = 0

    def register_frame(self, name: str, df: pd.DataFrame, columns=None) -> None:
        """View `name` over a pandas frame (its `columns`, default all) plus `_row`. On a local
        master the frame goes through a Parquet file of a private temporary folder (several
        times faster than Spark's in-process transfer, and read as `register_files` reads the
        data folder); on a cluster, through `createDataFrame` (the executors cannot see the
        driver's disk)."""
        import pyarrow.parquet as pq

        cols = list(columns) if columns is not None else list(df.columns)
        table = pa.Table.from_pandas(df[cols], preserve_index=False)
        table = table.append_column("_row", pa.array(np.arange(len(df), dtype=np.int64)))
        plain = pa.table({c: (table[c].cast(pa.string()) if pa.types.is_dictionary(table[c].type)
                              else table[c]) for c in table.column_names})
        if self.spark.sparkContext.master.startswith("local"):
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="workbench-spark-")
            self._frames += 1
            path = os.path.join(self._tmp.name, f"{name}-{self._frames}.parquet")
            pq.write_table(plain, path, coerce_timestamps="us")  # Spark reads no nanoseconds
            sdf = self.spark.read.parquet(path)
        else:
            with _quiet():
                sdf = self.spark.createDataFrame(plain)
        sdf.createOrReplaceTempView(name)

    def drop_frame(self, name: str) -> None:
        """Forget frame `name` (its temporary view; its Parquet copy goes with the session)."""
        self.spark.catalog.dropTempView(name)

    def register_files(self, name: str, data_dir, columns) -> None:
        """View `name` over the Parquet file of raw table `name` in `data_dir` (a local folder
        or an object-store URI such as s3a://bucket/data), with `_row` (file order)."""
        from pyspark.sql import functions as F  # noqa: N812

        folder = str(data_dir).rstrip("/")
        df = self.spark.read.parquet(f"{folder}/{name}.parquet")
        lower = {c.lower(): c for c in df.columns}
        df = df.select(*[F.col(lower.get(c.lower(), c)).alias(c) for c in columns])
        df.withColumn("_row", F.monotonically_increasing_id()).createOrReplaceTempView(name)

    def create(self, name: str, sql: str, materialize: bool = True) -> None:
        df = self.spark.sql(to_spark_sql(sql))
        if materialize:
            df = df.persist()
            self._owned.append(df)
        df.createOrReplaceTempView(name)

    def compress(self) -> None:
        """(Spark keeps the cached steps itself: nothing to do.)"""

    def frame(self, sql: str) -> pd.DataFrame:
        with _quiet():
            return self.spark.sql(to_spark_sql(sql)).toPandas()

    def arrow(self, sql: str) -> pa.Table:
        return pa.Table.from_pandas(self.frame(sql), preserve_index=False)

    def batches(self, sql: str, rows: int = 1_000_000):
        """The result of `sql` as Arrow record batches (collected to the driver)."""
        return self.arrow(sql).to_batches(rows)

    def close(self) -> None:
        for df in self._owned:
            df.unpersist()
        self._owned.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
