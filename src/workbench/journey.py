"""Customer journeys: from the touchpoint log to paths, channels, moments and models (the funnel
is in `workbench.funnel`).

Pure functions: DataFrames in, new DataFrames out. The attribution models live in
`workbench.attribution` and are re-exported here (`markov_attribution`, ...).

Journey rules (documented for analysts):

* Stitching: a device (`visitor_id`) seen with exactly one `customer_id` is that customer's
  device, so its anonymous touchpoints are given that customer. Devices seen with several
  customers (shared) stay unstitched; devices never identified stay anonymous visitors
  (person `anon:<visitor_id>`).
* Journeys: per person, touchpoints in time order. A journey ends at a `purchase` touchpoint
  (the conversion, linked to its transaction) or when the person is inactive for more than
  `window_days`; touchpoints more than `window_days` before the purchase do not belong to
  the converting journey (they form a null journey). Journeys without a purchase are kept as
  null paths. A purchase without any prior touchpoint gets the path `direct`.

The stitching and journey rules are written once, in SQL, in the event layer
(`workbench.events.rules`: device_links, stitched_touchpoints, people, journey_sessions,
journey_touches, journeys, touches); `stitch_visitors` and `build_journeys` run them on the
event layer's engine (`events.engine.engine_name`: DuckDB, or Spark under `workbench run --engine
spark`) and return pandas frames. Ids with millions of distinct values (`person_id`, `customer_key`,
`transaction_id`) come back as pyarrow dictionary columns (a pandas Categorical would build a
Python string per distinct id as soon as it is compared); the later functions work on integer
codes of the text columns (`_sorted_codes`), so they accept plain text, pandas Categoricals and
pyarrow dictionary columns (as `datasets.read_table_compact(..., dictionary=ID_COLUMNS)` reads
them). Text paths are built only for the journeys that need them (`add_paths`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench import events, frames
from workbench.attribution import (  # noqa: F401  (public API re-exported here)
    DIRECT,
    heuristic_attribution,
    markov_attribution,
    markov_bootstrap,
    markov_transition_matrix,
    parse_paths,
    position_based_attribution,
    shapley_attribution,
    time_decay_attribution,
)
from workbench.events import (  # noqa: F401  (the rules' constants, defined once in events.rules)
    OFFLINE_SALES,
    ONLINE_SALES,
    PURCHASE,
    RESEARCH_CHANNELS,
)
from workbench.events.engine import open_session
from workbench.retail_calendar import WEEKDAYS_FR

CONSIDERATION_CHANNELS = ("search", "website", "app", "store_visit")


# touchpoint columns the journey functions use (read only these: the table is the largest one)
TOUCHPOINT_COLUMNS = ("visitor_id", "customer_id", "timestamp", "channel", "platform",
                      "transaction_id")
# transaction columns build_journeys and the funnel use
TRANSACTION_COLUMNS = ("transaction_id", "customer_id", "channel", "amount", "timestamp")
# id columns with millions of distinct values: read as pyarrow dictionary columns
# (`datasets.read_table_compact(..., dictionary=ID_COLUMNS)`), channels as categoricals
ID_COLUMNS = ("visitor_id", "customer_id", "transaction_id")

def _require(df: pd.DataFrame, name: str, columns) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")


# ---------------------------------------------------------------------------------------------
# Stitching and journeys
# ---------------------------------------------------------------------------------------------


def _arrow_text(values) -> pa.Array:
    """Texts (pandas Index / Series / array) as a pyarrow string array, without Python objects
    for pyarrow-backed data."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = values
    else:
        arr = pa.array(pd.Series(values).astype("str"), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def _sorted_codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 = missing) of a text column and its distinct values, sorted (so codes
    order like the texts). Categorical and pyarrow dictionary columns (e.g. from
    `datasets.read_table_compact`) are used as they are, without touching their rows' texts;
    the values are compared with pyarrow (a pandas hash index of millions of ids would hold a
    Python string per id)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, distinct = s.cat.codes.to_numpy(), _arrow_text(s.cat.categories)
    elif isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_dictionary(s.dtype.pyarrow_dtype):
        chunked = s.array._pa_array
        arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
        if isinstance(arr, pa.ChunkedArray):  # chunks with different dictionaries
            arr = chunked.unify_dictionaries().combine_chunks()
        codes = pc.fill_null(arr.indices.cast(pa.int32()), -1).to_numpy(zero_copy_only=False)
        distinct = _arrow_text(arr.dictionary)
    else:
        codes, uniques = pd.factorize(s, sort=True)
        return codes, pd.Index(uniques)
    if len(distinct) > 1 and not pc.all(pc.less(distinct[:-1], distinct[1:])).as_py():
        order = pc.sort_indices(distinct).to_numpy(zero_copy_only=False)
        ordered = distinct.take(pa.array(order))
        new = np.r_[True, ~pc.equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)]
        rank = np.empty(len(distinct) + 1, dtype=np.int64)
        rank[order] = np.cumsum(new) - 1
        rank[-1] = -1
        codes, distinct = rank[codes], ordered.filter(pa.array(new))
    return codes, pd.Index(distinct.to_pandas(), dtype="str")


_BLOCK_ROWS = 1 << 23  # rows per block where a step over tens of millions of rows goes by blocks


def _categorical(codes: np.ndarray, categories: pd.Index, drop_unused: bool = False):
    """pandas Categorical from codes (-1 = missing) and sorted categories (few distinct)."""
    if drop_unused and len(categories):
        used = np.zeros(len(categories), dtype=bool)
        for i in range(0, len(codes), _BLOCK_ROWS):  # (bincount copies its input as int64)
            block = codes[i:i + _BLOCK_ROWS]
            used |= np.bincount(block[block >= 0], minlength=len(categories)) > 0
        if not used.all():
            remap = np.full(len(categories) + 1, -1,
                            dtype=np.int8 if len(categories) < 127 else np.int64)
            remap[np.flatnonzero(used)] = np.arange(int(used.sum()))
            codes, categories = remap[codes], categories[used]
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _id_column(codes: np.ndarray, values: pd.Index):
    """A column of ids (millions of distinct values) from codes (-1 = missing) and the sorted
    distinct ids: pyarrow dictionary-encoded text (no pandas index of the ids is built)."""
    indices = pa.array(np.asarray(codes, dtype=np.int32), mask=np.asarray(codes) < 0)
    return pd.arrays.ArrowExtensionArray(
        pa.DictionaryArray.from_arrays(indices, _arrow_text(values).cast(pa.string())))


def _positions(values, keys) -> np.ndarray:
    """Position in `keys` (unique texts) of each of `values` (-1 when absent or missing), with
    pyarrow's hash lookup (pandas' lookup of millions of strings is slow). Categorical
    `values` are looked up once per category."""
    if isinstance(values, pd.Series) and (
            isinstance(values.dtype, pd.CategoricalDtype)
            or (isinstance(values.dtype, pd.ArrowDtype)
                and pa.types.is_dictionary(values.dtype.pyarrow_dtype))):
        codes, cats = _sorted_codes(values)
        per_cat = np.r_[_positions(pd.Series(cats), keys), -1]
        return per_cat[codes]
    if len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    try:
        v = _arrow_text(values)
        k = _arrow_text(keys)
    except (pa.ArrowException, TypeError, ValueError):
        return pd.Index(keys).get_indexer(pd.Index(values))
    return pc.fill_null(pc.index_in(v, value_set=k), -1).to_numpy().astype(np.int64)


def _lookup_table(ids: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Position of each `query` id among `ids` (unique integers; -1 when absent)."""
    ids = np.asarray(ids)
    query = np.asarray(query)
    if len(ids) and ids.dtype.kind in "iu" and query.dtype.kind in "iu" and ids.min() >= 0 \
            and ids.max() < 4 * len(ids) + 1_000_000:
        table = np.full(int(ids.max()) + 2, -1, dtype=np.int64)
        table[ids] = np.arange(len(ids))
        q = np.where((query >= 0) & (query <= ids.max()), query, len(table) - 1)
        return table[q]
    return pd.Index(ids).get_indexer(query)


STITCH_COLUMNS = ("customer_key", "stitched", "shared_device", "person_id")


class _Persons:
    """The persons of the event layer (`events.stitch` / `events.journey_tables`: person_id and
    customer_key in person number order, both sorted) as id columns for rows given by person
    number: the ids are texts once per person, never once per row."""

    def __init__(self, persons: pa.Table):
        self.person_ids = _arrow_text(persons.column("person_id")).cast(pa.string())
        customer = persons.column("customer_key").combine_chunks()
        is_customer = customer.is_valid().to_numpy(zero_copy_only=False)
        self.customer_code = np.where(is_customer, np.cumsum(is_customer) - 1, -1).astype(np.int32)
        self.customer_ids = _arrow_text(customer.filter(customer.is_valid())).cast(pa.string())

    def columns(self, person_no) -> tuple:
        """(person_id, customer id: null for a device) of rows given by person number."""
        if isinstance(person_no, pa.ChunkedArray):
            person_no = person_no.combine_chunks()
        no = np.asarray(person_no)
        return (_id_column(no, self.person_ids), _id_column(self.customer_code[no], self.customer_ids))


def stitch_visitors(touchpoints: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Anonymous-to-known stitching through `visitor_id` (the event layer's device_links and
    stitched_touchpoints rules, on the engine of `events.engine.open_session`).

    Returns (touchpoints with `person_id`, `customer_key`, `stitched` and `shared_device`, a
    one-row-per-status count table). `customer_key` is the known or stitched customer_id (null
    for anonymous), `person_id` the customer_key or `anon:<visitor_id>`; both are pyarrow
    dictionary columns (sorted dictionary)."""
    _require(touchpoints, "touchpoints", ["visitor_id", "customer_id", "timestamp", "channel"])
    _check_visitors(touchpoints)
    with open_session() as ses:
        ses.register_frame("touchpoints", touchpoints, ["visitor_id", "customer_id"])
        rows, persons, _ = events.stitch_persons(ses, counts=False)  # (counted below)
    tp = touchpoints.copy(deep=False)  # copy-on-write: new columns never reach the caller's frame
    person_id, customer_key = _Persons(persons).columns(rows.column("person_no"))
    tp["customer_key"] = customer_key
    tp["stitched"] = rows.column("stitched").to_numpy(zero_copy_only=False).astype(bool)
    tp["shared_device"] = rows.column("shared_device").to_numpy(zero_copy_only=False).astype(bool)
    tp["person_id"] = person_id
    return tp, _stitch_stats(tp)


def _check_visitors(touchpoints: pd.DataFrame) -> None:
    missing = int(touchpoints["visitor_id"].isna().sum())
    if missing:
        raise ValueError(f"touchpoints: visitor_id is missing in {missing} row(s); "
                         "every touchpoint needs its device id")


def _stitch_stats(tp: pd.DataFrame) -> pd.DataFrame:
    """The one-row-per-status count table of stitched touchpoints."""
    was_known = tp["customer_id"].notna().to_numpy()
    stitched = tp["stitched"].to_numpy(dtype=bool)
    shared = tp["shared_device"].to_numpy(dtype=bool)
    anonymous = tp["customer_key"].isna().to_numpy() & ~shared
    return _stitch_table([int(was_known.sum()), int(stitched.sum()), int(shared.sum()),
                          int(anonymous.sum())], len(tp))


def _stitch_table(counts, n: int) -> pd.DataFrame:
    stats = pd.DataFrame({"status": ["identified", "stitched", "shared_device", "anonymous"],
                          "touchpoints": counts})
    stats["share"] = stats["touchpoints"] / max(n, 1)
    return stats


def _person_numbers(ses, touchpoints: pd.DataFrame) -> np.ndarray:
    """Each row's person number in a stitched log (`person_id`, `customer_key`), numbered by
    the event layer's persons step (`events.number_persons`) run on each person once, not on
    every row. A row without person_id, or a person_id with two customer_keys, is an error."""
    code, ids = _sorted_codes(touchpoints["person_id"])
    cust, cust_ids = _sorted_codes(touchpoints["customer_key"])
    if (code < 0).any():
        raise ValueError(f"touchpoints: person_id is missing in {int((code < 0).sum())} row(s) "
                         "of the stitched log")
    customer_of = np.full(len(ids), -2, dtype=np.int64)  # -2: person without rows
    customer_of[code] = cust
    mixed = customer_of[code] != cust
    if mixed.any():
        shown = _arrow_text(ids).take(pa.array(np.unique(code[mixed])[:5])).to_pylist()
        raise ValueError(f"touchpoints: person_id with several customer_key values {shown}")
    used = np.flatnonzero(customer_of > -2)
    person_ids = _arrow_text(ids).take(pa.array(used)).cast(pa.string())
    customers = _arrow_text(cust_ids).cast(pa.string()).take(
        pa.array(customer_of[used], mask=customer_of[used] < 0))
    ses.register_frame("person_pairs", pa.table({"person_id": person_ids, "customer_key": customers})
                       .to_pandas(types_mapper=pd.ArrowDtype))
    persons = events.number_persons(ses, "person_pairs")
    number = np.full(len(ids), -1, dtype=np.int64)
    number[used] = _positions(pd.Series(pd.arrays.ArrowExtensionArray(person_ids)),
                              persons.column("person_id").combine_chunks())
    small = np.int32 if len(used) < 2**31 else np.int64
    return number[code].astype(small)


def build_journeys(touchpoints: pd.DataFrame, transactions: pd.DataFrame,
                   window_days: float = 7.0, with_paths: bool = True,
                   stitch_stats: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Cut the touchpoint log into journeys (see the module rules; the SQL is the event
    layer's: `events.journey_tables`, run on the engine of `events.engine.open_session`: DuckDB,
    or Spark with `WORKBENCH_ENGINE=spark`).

    `touchpoints`: raw, or already stitched by `stitch_visitors` (with `person_id` and
    `customer_key`: then used as it is). A stitched log's counts are `stitch_stats` (the
    second result of `stitch_visitors`), else counted from its `customer_id`, `stitched` and
    `shared_device`: with the counts given, a large log can drop those columns first.
    Returns (touches, journeys, stats):
    * touches: one row per non-purchase touchpoint with `journey_id`, `person_id`,
      `customer_key`, `timestamp`, `channel`, `platform`, `position`, sorted by journey;
    * journeys: `journey_id`, `person_id`, `customer_id` (null for anonymous visitors),
      `anonymous`, `start`, `end`, `n_touches`, `path` (only when `with_paths`; see
      `add_paths`), `converted`, `conversion_time`, `transaction_id`, `sales_channel`,
      `conversion_value`, `days_to_conversion`;
    * stats: counts of what was stitched, kept apart or not matched (nothing is dropped).
    Ids (`person_id`, `customer_key` / `customer_id`, `transaction_id`) come back as pyarrow
    dictionary columns, channels and platforms as categoricals.
    """
    if window_days <= 0:
        raise ValueError(f"window_days must be > 0, got {window_days}")
    _require(transactions, "transactions", ["transaction_id", "channel", "amount", "timestamp"])
    stitched = all(c in touchpoints.columns for c in ("person_id", "customer_key"))
    if stitched and stitch_stats is None:
        missing = [c for c in ("customer_id", "stitched", "shared_device")
                   if c not in touchpoints.columns]
        if missing:
            raise ValueError(f"touchpoints: a stitched log without stitch_stats (the counts of "
                             f"stitch_visitors) needs column(s) {missing} to count them")
    if not stitched:
        _require(touchpoints, "touchpoints", ["visitor_id", "customer_id", "timestamp", "channel"])
        _check_visitors(touchpoints)
    tx_codes, tx_values = _sorted_codes(transactions["transaction_id"])
    per_value = np.bincount(tx_codes[tx_codes >= 0], minlength=len(tx_values))
    if (per_value > 1).any():
        dup = tx_values[np.flatnonzero(per_value > 1)[:5]].tolist()
        raise ValueError(f"transactions: duplicate transaction_id {dup}")
    # each transaction id of the log (its sorted distinct values) -> the transaction's row (-1:
    # none; last slot: no id), looked up before the event layer runs: the hash of millions of
    # ids is not held beside the journeys' tables
    if "transaction_id" in touchpoints.columns:
        tp_codes, tp_values = _sorted_codes(touchpoints["transaction_id"])
    else:
        tp_codes, tp_values = np.full(len(touchpoints), -1), pd.Index([], dtype="str")
    # the rows with an id and their code (the log's other rows carry none)
    small = np.int32 if len(touchpoints) < 2**31 else np.int64
    id_rows = np.flatnonzero(tp_codes >= 0).astype(small)
    id_codes = tp_codes[id_rows].astype(np.int32 if len(tp_values) < 2**31 else np.int64)
    del tp_codes
    row_of_value = np.full(len(tx_values), -1, dtype=np.int64)
    row_of_value[tx_codes[tx_codes >= 0]] = np.flatnonzero(tx_codes >= 0)
    pos = _positions(pd.Series(tp_values, dtype="str"), tx_values)
    tx_row = np.r_[np.where(pos >= 0, row_of_value[np.maximum(pos, 0)], -1), -1]
    del per_value, row_of_value, pos, tx_codes, tx_values
    with open_session() as ses:
        if stitched:  # numbered by person first: the journey steps read no text id per row
            person_no = _person_numbers(ses, touchpoints)
            ses.register_frame("touchpoints", pd.DataFrame(
                {"person_no": person_no, "timestamp": touchpoints["timestamp"],
                 "channel": touchpoints["channel"]}, copy=False))
            del person_no
        else:
            ses.register_frame("touchpoints", touchpoints,
                               ["visitor_id", "customer_id", "timestamp", "channel"])
        t_arrow, j_arrow, persons = events.journey_tables(ses, window_days, stitched)
        if stitched:
            stitch = _stitch_stats(touchpoints) if stitch_stats is None else stitch_stats
        else:
            stitch = ses.frame(
                "SELECT count(*) FILTER (WHERE customer_id IS NOT NULL) AS identified, "
                "count(*) FILTER (WHERE stitched) AS stitched, "
                "count(*) FILTER (WHERE shared_device) AS shared_device, "
                "count(*) FILTER (WHERE customer_key IS NULL AND NOT shared_device) AS anonymous, "
                "count(*) AS n FROM stitched_touchpoints").iloc[0]
            stitch = _stitch_table([int(stitch[c]) for c in
                                    ("identified", "stitched", "shared_device", "anonymous")],
                                   int(stitch["n"]))
    frames.release_memory()  # the session's memory, for the tables built below
    persons = _Persons(persons)
    channel = _categorical(*_sorted_codes(touchpoints["channel"]))
    platform = (_categorical(*_sorted_codes(touchpoints["platform"]), drop_unused=True)
                if "platform" in touchpoints.columns
                else _categorical(np.full(len(touchpoints), -1), pd.Index([], dtype="str")))
    n_j = j_arrow.num_rows
    j_dtype = np.int32 if n_j < 2**31 else np.int64
    # journeys first, then touches (the event layer's tables freed as soon as read: the peak of
    # a large log is here); columns set one at a time: no block consolidation copies
    touch_journey, position = events.touch_places(j_arrow)
    person_no = j_arrow.column("person_no").to_numpy().astype(j_dtype)
    journeys = pd.DataFrame(index=pd.RangeIndex(n_j))
    journeys["journey_id"] = _column(j_arrow.column("journey_id").to_numpy().astype(j_dtype))
    journeys["person_id"], journeys["customer_id"] = persons.columns(person_no)
    journeys["anonymous"] = _column(journeys["customer_id"].isna().to_numpy())
    journeys["start"] = _column(_timestamps(j_arrow.column("start")))
    journeys["end"] = _column(_timestamps(j_arrow.column("end")))
    journeys["n_touches"] = _column(j_arrow.column("n_touches").to_numpy().astype(np.int32))
    converted = j_arrow.column("converted").to_numpy(zero_copy_only=False).astype(bool)
    journeys["converted"] = _column(converted)
    journeys["conversion_time"] = _column(_timestamps(j_arrow.column("conversion_time")))
    purchase_row = pc.fill_null(j_arrow.column("purchase_row"), -1).to_numpy().astype(np.int64)
    del j_arrow
    frames.release_memory()  # (the allocators keep freed blocks otherwise)
    # the purchase's transaction id: that of its touchpoint row; then the transaction's sales
    # channel and value (only the journeys ending in a purchase row are looked up)
    bought = np.flatnonzero(purchase_row >= 0)
    code_of_row = np.full(len(touchpoints), -1, dtype=id_codes.dtype)  # (the SQL's memory is freed)
    code_of_row[id_rows] = id_codes
    del id_rows, id_codes
    codes = code_of_row[purchase_row[bought]]
    del purchase_row, code_of_row
    j_code = np.full(n_j, -1, dtype=np.int64)
    j_code[bought] = codes
    journeys["transaction_id"] = _id_column(j_code, tp_values)
    del j_code, tp_values
    row = tx_row[codes]  # transaction row per purchase (-1 indexes the trailing "no id")
    del codes, tx_row
    bought, row = bought[row >= 0], row[row >= 0]  # the purchases found among the transactions
    s_codes, s_cats = _sorted_codes(transactions["channel"])
    sales = np.full(n_j, -1, dtype=np.int64)
    sales[bought] = s_codes[row]
    journeys["sales_channel"] = _column(_categorical(sales, s_cats))
    value = np.zeros(n_j)
    value[bought] = transactions["amount"].to_numpy(dtype=float)[row]
    journeys["conversion_value"] = _column(value)
    found = np.zeros(n_j, dtype=bool)
    found[bought] = True
    unmatched = int((converted & ~found).sum())
    matched = np.zeros(len(transactions), dtype=bool)
    matched[row] = True
    del sales, value, found, s_codes, bought, row
    journeys["days_to_conversion"] = _column(_days_between(journeys["start"],
                                                           journeys["conversion_time"]))
    frames.release_memory()  # (the lookups' memory, for the touches)
    rows = t_arrow.column("_row").to_numpy()
    del t_arrow
    touches = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    touches["journey_id"] = _column(touch_journey.astype(j_dtype, copy=False))
    touches["person_id"], touches["customer_key"] = persons.columns(person_no[touch_journey])
    touches["timestamp"] = _column(_ns(touchpoints["timestamp"])[rows].view("datetime64[ns]"))
    touches["channel"] = _column(_categorical(channel.codes[rows], channel.categories,
                                              drop_unused=True))
    touches["platform"] = _column(_categorical(platform.codes[rows], platform.categories))
    touches["position"] = _column(position)
    del rows, touch_journey, position, person_no
    # the event layer's outputs are gone: hand their memory back (the next cells of a large
    # month need it; the allocators keep freed blocks otherwise)
    frames.release_memory()
    if with_paths:
        journeys = add_paths(journeys, touches)
    stats = pd.concat(
        [
            stitch.rename(columns={"status": "item", "touchpoints": "count"})[["item", "count"]],
            pd.DataFrame(
                {
                    "item": [
                        "journeys",
                        "converted_journeys",
                        "null_journeys",
                        "anonymous_journeys",
                        "direct_purchases",
                        "purchases_without_transaction",
                        "transactions_without_touchpoint",
                    ],
                    "count": [
                        n_j,
                        int(converted.sum()),
                        int((~converted).sum()),
                        int(journeys["anonymous"].sum()),
                        int((converted & (journeys["n_touches"].to_numpy() == 0)).sum()),
                        unmatched,
                        int((~matched).sum()),
                    ],
                }
            ),
        ],
        ignore_index=True,
    )
    return touches, journeys, stats


def _column(values) -> pd.Series:
    """`values` (an array of the frame's length) as a column to set without a copy (pandas
    copies an array set as a column: a large log's columns would be held twice)."""
    return pd.Series(values, copy=False)


def _days_between(start: pd.Series, end: pd.Series) -> np.ndarray:
    """Days from `start` to `end` (NaN where either is missing), as
    `(end - start).dt.total_seconds() / 86400` gives them, computed on the rows with both
    (converted journeys) only: no temporary columns of every journey."""
    days = np.full(len(start), np.nan)
    both = start.notna().to_numpy() & end.notna().to_numpy()
    delta = pd.Series(end.to_numpy()[both] - start.to_numpy()[both])
    days[both] = delta.dt.total_seconds().to_numpy() / 86400.0
    return days


def _timestamps(values) -> np.ndarray:
    """An Arrow timestamp column as datetime64[ns] (NaT for nulls)."""
    return pd.Series(values.to_pandas()).to_numpy().astype("datetime64[ns]")


def add_paths(journeys: pd.DataFrame, touches: pd.DataFrame) -> pd.DataFrame:
    """`journeys` with `path`: its touches' channels in order joined by " > " (`direct` for a
    journey without touches). Only the given journeys get a path, so a report can build the
    text paths of one month instead of a whole year of journeys."""
    _require(journeys, "journeys", ["journey_id"])
    _require(touches, "touches", ["journey_id", "channel"])
    jids = journeys["journey_id"].to_numpy()
    row = _lookup_table(jids, touches["journey_id"].to_numpy())
    sel = np.flatnonzero(row >= 0)
    if "position" in touches.columns:
        sub_order = np.lexsort((touches["position"].to_numpy()[sel], row[sel]))
    else:
        sub_order = np.argsort(row[sel], kind="stable")
    sel = sel[sub_order]
    r = row[sel]
    codes, cats = _sorted_codes(touches["channel"])
    out = np.full(len(jids), DIRECT, dtype=object)
    if len(sel):
        starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        offsets = pa.array(np.r_[starts, len(r)].astype(np.int64), type=pa.int64())
        names = pa.array(np.asarray(cats.astype("str"), dtype=object), type=pa.large_string())
        values = pc.take(names, pa.array(codes[sel]))
        joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, values),
                                pa.scalar(" > ", type=pa.large_string()))
        out[r[starts]] = joined.to_numpy(zero_copy_only=False)
    return journeys.assign(path=pd.Series(out, index=journeys.index, dtype="str"))


def journeys_to_paths(journeys: pd.DataFrame) -> pd.DataFrame:
    """Aggregate journeys into the path form: `path`, `total_conversions`,
    `total_conversion_value`, `total_null` (most frequent paths first)."""
    _require(journeys, "journeys", ["path", "converted", "conversion_value"])
    conv = journeys["converted"].astype(bool)
    out = (
        journeys.assign(
            total_conversions=conv.astype(int),
            total_conversion_value=journeys["conversion_value"].where(conv, 0.0),
            total_null=(~conv).astype(int),
        )
        .groupby("path", as_index=False)[["total_conversions", "total_conversion_value",
                                          "total_null"]]
        .sum()
    )
    order = (out["total_conversions"] + out["total_null"]).sort_values(ascending=False).index
    return out.loc[order].reset_index(drop=True)


def top_paths(paths: pd.DataFrame, n: int = 10, converting_only: bool = False) -> pd.DataFrame:
    """The `n` most frequent paths with journeys, conversions and conversion rate."""
    out = paths.assign(
        journeys=paths["total_conversions"] + paths.get("total_null", 0),
    )
    out["conversion_rate"] = out["total_conversions"] / out["journeys"].where(out["journeys"] > 0)
    key = "total_conversions" if converting_only else "journeys"
    return out.sort_values([key, "path"], ascending=[False, True]).head(n).reset_index(drop=True)


def time_to_conversion(journeys: pd.DataFrame) -> pd.DataFrame:
    """Days from first touch to purchase of converted journeys, per sales channel and overall:
    `journeys`, `mean_days`, `median_days`, `p90_days`."""
    conv = journeys[journeys["converted"]]

    def summary(d: pd.Series) -> pd.Series:
        return pd.Series({"journeys": len(d), "mean_days": d.mean(), "median_days": d.median(),
                          "p90_days": d.quantile(0.9)})

    parts = [summary(conv["days_to_conversion"]).rename("all")]
    for ch, d in conv.groupby("sales_channel")["days_to_conversion"]:
        parts.append(summary(d).rename(ch))
    out = pd.DataFrame(parts)
    out.index.name = "sales_channel"
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------


def _ns(ts: pd.Series) -> np.ndarray:
    """Timestamps as int64 nanoseconds since 1970 (no per-row Python objects, no copy)."""
    return ts.to_numpy().astype("datetime64[ns]", copy=False).view(np.int64)


_DAY_NS = 86_400_000_000_000
_HOUR_NS = 3_600_000_000_000


def _journey_flags(touches: pd.DataFrame, journeys: pd.DataFrame, column: str) -> np.ndarray:
    """`journeys[column]` (float) for each touch by its journey_id (NaN when not found)."""
    pos = _lookup_table(journeys["journey_id"].to_numpy(), touches["journey_id"].to_numpy())
    values = journeys[column].to_numpy(dtype=float)
    return np.where(pos >= 0, values[np.maximum(pos, 0)] if len(values) else np.nan, np.nan)


def channel_volumes(touches: pd.DataFrame, journeys: pd.DataFrame) -> pd.DataFrame:
    """Volume and weight of each touchpoint channel: `touches`, `touch_share`, `persons`,
    `journeys`, `converting_journeys`, `conversion_rate` (of journeys touching the channel)."""
    ch, ch_cats = _sorted_codes(touches["channel"])
    person, person_cats = _sorted_codes(touches["person_id"])
    jid = touches["journey_id"].to_numpy().astype(np.int64)
    conv = _journey_flags(touches, journeys, "converted")
    n_ch = len(ch_cats)
    ok = ch >= 0
    touches_n = np.bincount(ch[ok], minlength=n_ch)
    pk = frames.distinct(ch[ok & (person >= 0)].astype(np.int64) * max(len(person_cats), 1)
                         + person[ok & (person >= 0)])
    persons = np.bincount(pk // max(len(person_cats), 1), minlength=n_ch)
    jk, first = np.unique(jid[ok] * n_ch + ch[ok], return_index=True)
    j_ch = jk % n_ch
    journeys_n = np.bincount(j_ch, minlength=n_ch)
    j_conv = conv[ok][first]
    converting = np.bincount(j_ch[~np.isnan(j_conv)], weights=j_conv[~np.isnan(j_conv)],
                             minlength=n_ch)
    present = touches_n > 0
    out = pd.DataFrame(
        {
            "touches": touches_n[present].astype(np.int64),
            "persons": persons[present].astype(np.int64),
            "journeys": journeys_n[present].astype(np.int64),
            "converting_journeys": converting[present].astype(np.int64)
            if not np.isnan(j_conv).any() else converting[present],
        },
        index=pd.Index(ch_cats[present].astype("str"), name="channel"),
    )
    out["touch_share"] = out["touches"] / out["touches"].sum()
    out["conversion_rate"] = out["converting_journeys"] / out["journeys"]
    return out.sort_values("touches", ascending=False).reset_index()


def channel_matrix(transition: pd.DataFrame) -> pd.DataFrame:
    """Square matrix (rows: from, columns: to) of a long transition table, for a heatmap."""
    m = transition.pivot_table(index="channel_from", columns="channel_to", values="probability",
                               aggfunc="sum", fill_value=0.0)
    first = [s for s in m.index if s == "(start)"] + [s for s in m.index if s != "(start)"]
    last = [c for c in m.columns if not c.startswith("(")] + [
        c for c in ("(conversion)", "(null)") if c in m.columns
    ]
    return m.loc[first, last]


def ropo_rates(touches: pd.DataFrame, journeys: pd.DataFrame) -> pd.DataFrame:
    """Research online, purchase offline (ROPO) and the reverse (showrooming).

    ROPO: share of store purchases whose journey holds an online research touch (search,
    website, app) within the conversion window. Reverse: share of online purchases (web,
    app) whose journey holds a store visit. One row per direction with `purchases`,
    `with_cross_channel`, `rate`."""
    conv = journeys[journeys["converted"]]
    research = pd.unique(touches.loc[touches["channel"].isin(RESEARCH_CHANNELS), "journey_id"])
    visited = pd.unique(touches.loc[touches["channel"] == "store_visit", "journey_id"])
    store = conv[conv["sales_channel"].isin(OFFLINE_SALES)]
    online = conv[conv["sales_channel"].isin(ONLINE_SALES)]
    rows = [
        ("ropo", len(store), int(np.isin(store["journey_id"].to_numpy(), research).sum())),
        ("reverse_ropo", len(online), int(np.isin(online["journey_id"].to_numpy(), visited).sum())),
    ]
    out = pd.DataFrame(rows, columns=["direction", "purchases", "with_cross_channel"])
    out["rate"] = out["with_cross_channel"] / out["purchases"].where(out["purchases"] > 0)
    return out


def customer_ropo(touches: pd.DataFrame, journeys: pd.DataFrame, min_store_purchases: int = 2,
                  threshold: float = 0.5) -> pd.DataFrame:
    """Per identified customer: store purchases, share researched online first (`ropo_rate`)
    and `web_to_store` = rate >= `threshold` with at least `min_store_purchases`."""
    research = pd.unique(touches.loc[touches["channel"].isin(RESEARCH_CHANNELS), "journey_id"])
    store = journeys[journeys["converted"] & journeys["sales_channel"].isin(OFFLINE_SALES)
                     & journeys["customer_id"].notna()]
    store = store.assign(_r=np.isin(store["journey_id"].to_numpy(), research),
                         customer_id=store["customer_id"].astype("str"))
    out = store.groupby("customer_id").agg(store_purchases=("_r", "size"), researched=("_r", "sum"))
    out["ropo_rate"] = out["researched"] / out["store_purchases"]
    out["web_to_store"] = (out["store_purchases"] >= min_store_purchases) & (
        out["ropo_rate"] >= threshold
    )
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Moments: trends, peaks, best times to send messages
# ---------------------------------------------------------------------------------------------


def _weekday_hour(ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Day of week (Monday = 0) and hour of int64-nanosecond timestamps."""
    days = ns // _DAY_NS
    return (days + 3) % 7, (ns // _HOUR_NS) % 24  # 1970-01-01 was a Thursday


def weekday_hour_activity(touches: pd.DataFrame, channels=None) -> pd.DataFrame:
    """Touches per weekday (rows, French names, Monday first) and hour (columns 0-23)."""
    t = touches if channels is None else touches[touches["channel"].isin(channels)]
    weekday, hour = _weekday_hour(_ns(t["timestamp"]))
    counts = np.bincount(weekday * 24 + hour, minlength=7 * 24).reshape(7, 24)
    table = pd.DataFrame(counts.astype(np.int64), index=pd.Index(list(WEEKDAYS_FR), name="weekday"),
                         columns=pd.RangeIndex(24, name="timestamp"))
    return table


def weekly_activity(touches: pd.DataFrame) -> pd.DataFrame:
    """Touches per ISO week (Monday) and channel (wide: one column per channel)."""
    ns = _ns(touches["timestamp"])
    weekday, _ = _weekday_hour(ns)
    week = ns // _DAY_NS - weekday  # day number of the week's Monday
    ch, ch_cats = _sorted_codes(touches["channel"])
    ok = ch >= 0
    w0 = int(week.min()) if len(week) else 0
    wi = (week[ok] - w0) // 7
    n_w = int(wi.max()) + 1 if len(wi) else 0
    counts = np.bincount(wi * len(ch_cats) + ch[ok], minlength=n_w * len(ch_cats)).reshape(
        n_w, len(ch_cats))
    rows, cols = counts.sum(axis=1) > 0, counts.sum(axis=0) > 0
    weeks = (w0 + 7 * np.arange(n_w)[rows]).astype("datetime64[D]").astype("datetime64[us]")
    return pd.DataFrame(counts[rows][:, cols].astype(np.int64),
                        index=pd.DatetimeIndex(weeks, name="week"),
                        columns=pd.Index(ch_cats[cols].astype("str"), name="channel"))


def best_moments(touches: pd.DataFrame, journeys: pd.DataFrame,
                 channels=("email", "website", "app", "social"), top: int = 5) -> pd.DataFrame:
    """Best weekday x hour slots to send messages: where online engagement touches (of
    `channels`) of journeys that go on to convert are most frequent. Returns `weekday`,
    `hour`, `touches`, `converting_touches`, `conversion_rate`, ranked by converting touches."""
    t = touches[touches["channel"].isin(channels)]
    weekday, hour = _weekday_hour(_ns(t["timestamp"]))
    conv = _journey_flags(t, journeys, "converted")
    slot = weekday * 24 + hour
    n = np.bincount(slot, minlength=168)
    known = ~np.isnan(conv)
    s = np.bincount(slot[known], weights=conv[known], minlength=168)
    present = np.flatnonzero(n > 0)
    out = pd.DataFrame({"touches": n[present].astype(np.int64), "converting_touches": s[present]},
                       index=pd.MultiIndex.from_arrays(
                           [(present // 24).astype(np.int32), (present % 24).astype(np.int32)],
                           names=["weekday", "hour"]))
    out["conversion_rate"] = out["converting_touches"] / out["touches"]
    out = out.sort_values("converting_touches", ascending=False).head(top).reset_index()
    out["weekday"] = [WEEKDAYS_FR[d] for d in out["weekday"]]
    return out


def daily_decomposition(touches: pd.DataFrame, channel: str | None = None,
                        peak_z: float = 3.0) -> pd.DataFrame:
    """Seasonal decomposition (statsmodels STL, weekly period) of daily touches, with `peak`
    flagging days whose residual exceeds `peak_z` robust standard deviations."""
    from statsmodels.tsa.seasonal import STL

    t = touches if channel is None else touches[touches["channel"] == channel]
    day = _ns(t["timestamp"]) // _DAY_NS  # counted per day on integers, no copy of the touches
    d0 = int(day.min()) if len(day) else 0
    counts = np.bincount(day - d0) if len(day) else np.zeros(0, dtype=np.int64)
    span = pd.DatetimeIndex((d0 + np.arange(len(counts))).astype("datetime64[D]").astype(
        "datetime64[ns]"), name="timestamp")
    daily = pd.Series(counts.astype(float), index=span, name="count")
    if len(daily) < 14:
        raise ValueError(f"need at least 14 days of touches for a weekly decomposition, got {len(daily)}")
    res = STL(daily, period=7, robust=True).fit()
    out = pd.DataFrame({"observed": daily, "trend": res.trend, "seasonal": res.seasonal,
                        "resid": res.resid})
    mad = np.median(np.abs(out["resid"] - np.median(out["resid"]))) * 1.4826
    out["peak"] = out["resid"] > peak_z * (mad if mad > 0 else out["resid"].std())
    out.index.name = "date"
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Conversion model
# ---------------------------------------------------------------------------------------------


def exposure_matrix(touches: pd.DataFrame, journeys: pd.DataFrame,
                    include_anonymous: bool = False) -> pd.DataFrame:
    """One row per journey: `converted` and one 0/1 column per channel the journey touched.

    Anonymous visitors' journeys are left out by default: a purchase always identifies the
    buyer, so they cannot convert by construction and would bias every online channel down."""
    j = journeys if include_anonymous else journeys[~journeys["anonymous"]]
    row = _lookup_table(j["journey_id"].to_numpy(), touches["journey_id"].to_numpy())
    codes, channels = _sorted_codes(touches["channel"])
    inside = (row >= 0) & (codes >= 0)
    present = np.bincount(codes[codes >= 0], minlength=len(channels)) > 0
    remap = np.cumsum(present) - 1
    x = np.zeros((len(j), int(present.sum())), dtype=np.int8)
    x[row[inside], remap[codes[inside]]] = 1
    out = pd.DataFrame(x, columns=[str(c) for c in channels[present]])
    out.insert(0, "converted", j["converted"].astype(int).to_numpy())
    return out


def conversion_model(exposures: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Logistic regression (statsmodels) of conversion on channel exposures.

    Returns per channel `log_odds`, `std_err`, `p_value`, `odds_ratio`, `or_low`, `or_high`
    (confidence interval at `level`), plus the intercept row. Journeys with the same exposures
    are fitted together (binomial GLM on the distinct exposure patterns: the same maximum
    likelihood and standard errors as the logistic regression on one row per journey, in a
    fraction of the time and memory for millions of journeys)."""
    import statsmodels.api as sm

    _require(exposures, "exposures", ["converted"])
    x = exposures.drop(columns="converted")
    constant = [c for c in x.columns if x[c].nunique() < 2]
    if constant:
        raise ValueError(f"channels without variation cannot be estimated: {constant}")
    y = exposures["converted"].astype(float)
    if not y.isin([0.0, 1.0]).all():
        raise ValueError("converted must be 0/1")
    cells = x.assign(_y=y.to_numpy(), _n=1.0).groupby(list(x.columns), sort=True)[
        ["_y", "_n"]].sum()
    patterns = cells.index.to_frame(index=False).astype(float)
    successes = cells["_y"].to_numpy()
    trials = cells["_n"].to_numpy()
    exog = sm.add_constant(patterns, has_constant="add")
    model = sm.GLM(np.column_stack([successes, trials - successes]), exog,
                   family=sm.families.Binomial()).fit(tol=1e-12)
    ci = model.conf_int(alpha=1 - level)
    out = pd.DataFrame(
        {
            "log_odds": model.params,
            "std_err": model.bse,
            "p_value": model.pvalues,
            "odds_ratio": np.exp(model.params),
            "or_low": np.exp(ci[0]),
            "or_high": np.exp(ci[1]),
        }
    )
    out.index.name = "channel"
    out = out.rename(index={"const": "(intercept)"}).reset_index()
    return out


# ---------------------------------------------------------------------------------------------
# Social vs purchase
# ---------------------------------------------------------------------------------------------


def social_vs_purchase(touches: pd.DataFrame, journeys: pd.DataFrame, mentions: pd.DataFrame,
                       interactions: pd.DataFrame, brand: str) -> pd.DataFrame:
    """Per platform: conversations about `brand` (mentions, interactions on them) against the
    purchases and revenue of the customers exposed on that platform (journeys holding a social
    touch of the platform). `conversation_share` vs `revenue_share` says which platforms talk
    and which sell."""
    _require(mentions, "mentions", ["mention_id", "platform", "brand"])
    _require(interactions, "interactions", ["post_id"])
    ours = mentions[mentions["brand"] == brand]
    ours_platform = ours["platform"].astype("str").to_numpy(dtype=object)
    pos = _positions(interactions["post_id"], ours["mention_id"])
    inter_platform = pd.Series(ours_platform[pos[pos >= 0]], dtype="str")
    social = touches[(touches["channel"] == "social") & touches["platform"].notna()]
    plat, plat_cats = _sorted_codes(social["platform"])
    names = plat_cats.astype("str")
    n_p = max(len(plat_cats), 1)
    jid = social["journey_id"].to_numpy().astype(np.int64)
    pairs, first = np.unique(jid * n_p + plat, return_index=True)
    pj_plat = pairs % n_p
    sub = social.iloc[first]
    conv = _journey_flags(sub, journeys, "converted")
    value = _journey_flags(sub, journeys, "conversion_value")
    cust, cust_cats = _sorted_codes(social["customer_key"])
    known = cust >= 0
    exposed = frames.distinct(plat[known].astype(np.int64) * max(len(cust_cats), 1) + cust[known])

    def per_platform(codes: np.ndarray, weights=None, skipna: bool = False) -> pd.Series:
        present = np.bincount(codes, minlength=len(names)) > 0
        if weights is None:
            counts = np.bincount(codes, minlength=len(names)).astype(np.int64)
        else:
            keep = ~np.isnan(weights) if skipna else np.ones(len(codes), dtype=bool)
            counts = np.bincount(codes[keep], weights=weights[keep], minlength=len(names))
        return pd.Series(counts[present], index=pd.Index(names[present]))

    purchases = per_platform(pj_plat, conv, skipna=True)
    if not np.isnan(conv).any():
        purchases = purchases.astype(np.int64)
    out = pd.DataFrame(
        {
            "mentions": ours.assign(platform=ours["platform"].astype("str")).groupby(
                "platform").size(),
            "interactions": inter_platform.value_counts(),
            "social_touches": per_platform(plat),
            "exposed_customers": per_platform(exposed // max(len(cust_cats), 1)),
            "journeys": per_platform(pj_plat),
            "purchases": purchases,
            "revenue": per_platform(pj_plat, value, skipna=True),
        }
    ).fillna(0)
    out["conversion_rate"] = out["purchases"] / out["journeys"].where(out["journeys"] > 0)
    talk = out["mentions"] + out["interactions"]
    out["conversation_share"] = talk / talk.sum() if talk.sum() else np.nan
    out["revenue_share"] = out["revenue"] / out["revenue"].sum() if out["revenue"].sum() else np.nan
    out["revenue_per_mention"] = out["revenue"] / out["mentions"].where(out["mentions"] > 0)
    out.index.name = "platform"
    return out.reset_index()
