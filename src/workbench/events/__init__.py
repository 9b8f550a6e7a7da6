"""The event layer: every rule over the event tables, written once in SQL (`events.rules`).

Device linking, stitching, research before a store purchase, journeys and the per-customer
activity and contact aggregates run as named SQL steps in a session: an embedded DuckDB by
default (`DuckDBSession`), Apache Spark for data that outgrows one machine (`SparkSession`, the
same SQL transpiled by sqlglot). The analyses receive the results as DataFrames:
`datasets.customer_activity` / `customer_contacts` (from the data folder's files),
`segmentation.customer_features`, `segmentation.stitch_touchpoints`,
`segmentation.web_research_before_store`, `journey.stitch_visitors` and
`journey.build_journeys` (from pandas frames) all call the functions below.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.events.engine import (  # noqa: F401  (public API)
    ENGINES,
    SPARK_MASTER_ENV,
    DuckDBSession,
    SparkSession,
    spark_master,
    sql_list,
    sql_text,
    sql_timestamp,
)
from workbench.events.rules import (  # noqa: F401  (public API: the one copy of the constants)
    ACTIVITY_CHANNELS,
    EMAIL_EVENTS,
    OFFLINE_SALES,
    ONLINE_SALES,
    PURCHASE,
    RESEARCH_CHANNELS,
    SOCIAL_CHANNEL,
    step,
)

# bounds of "the whole log" (what a datetime64[ns] column can hold)
ALL_TIME = (pd.Timestamp("1678-01-01"), pd.Timestamp("2262-01-01"))

# columns of the raw tables each output reads
ACTIVITY_COLUMNS = {
    "touchpoints": ["visitor_id", "customer_id", "timestamp", "channel", "platform"],
    "transactions": ["transaction_id", "customer_id", "channel", "timestamp"],
    "transaction_lines": ["transaction_id", "category", "amount"],
    "email_events": ["customer_id", "event", "timestamp"],
}
CONTACT_TABLES = ("email_events", "transactions")


def session(engine: str = "duckdb", **kwargs):
    """A new session of `engine` ("duckdb" or "spark")."""
    if engine == "duckdb":
        return DuckDBSession(**kwargs)
    if engine == "spark":
        return SparkSession(**kwargs)
    raise ValueError(f"unknown engine {engine!r}: use one of {ENGINES}")


def check_windows(windows: dict | None, what: str) -> dict:
    """{key: (start, end)} as Timestamps; each window must end after it starts."""
    if not windows:
        raise ValueError(f"{what}: give at least one window {{key: (start, end)}}")
    out = {}
    for key, (s, e) in windows.items():
        s, e = pd.Timestamp(s), pd.Timestamp(e)
        if not s < e:
            raise ValueError(f"{what}: window {key!r} ends ({e}) before it starts ({s})")
        out[key] = (s, e)
    return out


def _window(start, end) -> dict:
    return {"start": sql_timestamp(start), "end": sql_timestamp(end)}


def _stitch_window(ses, start, end) -> None:
    """Steps window_touchpoints, device_links and stitched_touchpoints for [start, end)."""
    ses.create("window_touchpoints", step("window_touchpoints", **_window(start, end)),
               materialize=False)
    ses.create("device_links", step("device_links", touchpoints="window_touchpoints"))
    ses.create("stitched_touchpoints", step("stitched_touchpoints", touchpoints="window_touchpoints"),
               materialize=False)


def _research(ses, start, end, research_window_days: float, research_channels,
              purchases: bool = True) -> None:
    """Steps window_purchases (unless made already: `purchases` False) and store_research
    (after the stitching steps)."""
    if purchases:
        ses.create("window_purchases", step("window_purchases", **_window(start, end)))
    ses.create("store_research", step(
        "store_research", research_channels=sql_list(research_channels),
        offline_sales=sql_list(OFFLINE_SALES),
        research_window_us=repr(float(research_window_days) * 86400e6)), materialize=False)


def _by_customer(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("customer_id")


def categories_of(ses) -> list:
    """The product categories present in transaction_lines, sorted."""
    return sorted(ses.frame("SELECT DISTINCT CAST(category AS VARCHAR) AS c FROM transaction_lines "
                            "WHERE category IS NOT NULL")["c"].tolist())


def activity(ses, windows: dict, *, research_window_days: float = 7,
             research_channels=RESEARCH_CHANNELS, categories=None,
             parts=("touchpoints", "transaction_lines", "email_events")) -> dict:
    """Per-customer aggregates of the event tables registered in `ses` for each window
    {key: (start, end)} ([start, end)): `spend_<category>` (transaction_lines), `tp_<channel>`,
    `social_platforms`, `store_purchases`, `store_researched` (touchpoints) and `emails_sent`,
    `emails_open`, `emails_click` (email_events); `parts` = the event tables present.

    Returns {key: DataFrame indexed by customer_id (text, sorted)}, counts as int64 and spend
    as float; customers without any activity in the window are absent. `attrs`: the window,
    the research parameters and, with touchpoints, the stitching counts."""
    windows = check_windows(windows, "customer_activity")
    channels = tuple(research_channels)
    if "transaction_lines" in parts:
        cats = list(categories) if categories else categories_of(ses)
    out = {}
    for key, (start, end) in windows.items():
        attrs = {"start": start, "end": end, "research_window_days": float(research_window_days),
                 "research_channels": channels}
        ses.create("window_purchases", step("window_purchases", **_window(start, end)))
        made = []  # per-customer steps of the window, joined in the session (one frame back)
        if "transaction_lines" in parts:
            sums = ", ".join(
                f"coalesce(CAST(sum(CAST(l.amount AS DECIMAL(38, 10))) FILTER "
                f"(WHERE l.category = {sql_text(c)}) AS DOUBLE), 0.0) AS \"spend_{c}\""
                for c in cats) or "0 AS _none"
            made.append(("activity_spend", step("category_spend", category_sums=sums)))
        if "touchpoints" in parts:
            _stitch_window(ses, start, end)
            _research(ses, start, end, research_window_days, channels, purchases=False)
            counts = ", ".join(f"count(*) FILTER (WHERE channel = {sql_text(c)}) AS tp_{c}"
                               for c in ACTIVITY_CHANNELS)
            made.append(("activity_touchpoints", step(
                "touchpoint_activity", channel_counts=counts, social=sql_text(SOCIAL_CHANNEL))))
            made.append(("activity_research", step("research_activity")))
        if "email_events" in parts:
            made.append(("activity_emails", _email_step(start, end)))
        for name, sql in made:
            ses.create(name, sql)
        if "touchpoints" in parts:
            attrs["touchpoints"] = stitch_counts(ses)
        if made:  # customers with activity in any of the steps (full outer joins on the id)
            frame = _by_customer(ses.frame(
                f"SELECT * FROM {made[0][0]} "
                + " ".join(f"FULL OUTER JOIN {name} USING (customer_id)" for name, _ in made[1:])))
        else:
            frame = pd.DataFrame()
        frame = frame.drop(columns="_none", errors="ignore")
        frame.index = pd.Index(frame.index.astype(str), name="customer_id")
        frame = frame.sort_index()
        spend_cols = [c for c in frame.columns if c.startswith("spend_")]
        ints = [c for c in frame.columns if c not in spend_cols]
        frame[ints] = frame[ints].fillna(0).astype("int64")
        frame[spend_cols] = frame[spend_cols].fillna(0.0).astype(float)
        frame.attrs = attrs
        out[key] = frame
    return out


def _email_step(start, end) -> str:
    counts = ", ".join(f"count(*) FILTER (WHERE event = {sql_text(v)}) AS emails_{v}"
                       for v in EMAIL_EVENTS)
    return step("email_activity", event_counts=counts, **_window(start, end))


def _email_frame(ses, start, end) -> pd.DataFrame:
    return _by_customer(ses.frame(_email_step(start, end)))


def contacts(ses, windows: dict) -> dict:
    """Per-customer e-mail events and purchases by channel for each window {key: (start,
    end)}: `emails_sent`, `emails_open`, `emails_click`, `store_purchases` and
    `online_orders` per customer id as found in the tables (ids unknown to the CRM included).
    Returns {key: DataFrame indexed by customer_id}; `attrs` hold the window."""
    windows = check_windows(windows, "customer_contacts")
    out = {}
    for key, (start, end) in windows.items():
        ses.create("window_purchases", step("window_purchases", **_window(start, end)))
        trx = _by_customer(ses.frame(step("purchase_contacts",
                                          offline_sales=sql_list(OFFLINE_SALES),
                                          online_sales=sql_list(ONLINE_SALES))))
        frame = pd.concat([_email_frame(ses, start, end), trx], axis=1).fillna(0)
        frame = frame.astype("int64")
        frame.index = pd.Index(frame.index.astype(str), name="customer_id")
        frame = frame.sort_index()
        frame.attrs = {"start": start, "end": end}
        out[key] = frame
    return out


def stitch(ses) -> tuple[pa.Table, dict]:
    """Device linking and stitching over the whole `touchpoints` table registered in `ses`
    (only visitor_id and customer_id are read). Returns (one row per touchpoint in row order:
    `customer_key`, `stitched`, `shared_device`, `person_id` as an Arrow table; counts)."""
    rows, persons, counts = stitch_persons(ses)
    no = rows.column("person_no")
    return pa.table({"customer_key": persons.column("customer_key").take(no),
                     "stitched": rows.column("stitched"),
                     "shared_device": rows.column("shared_device"),
                     "person_id": persons.column("person_id").take(no)}), counts


def stitch_persons(ses, counts: bool = True) -> tuple[pa.Table, pa.Table, dict | None]:
    """`stitch` with the persons by number: (one row per touchpoint in row order: `person_no`,
    `stitched`, `shared_device`; the persons (person_id, customer_key) in person_no order, as
    `journey_tables` gives them; counts, None when not `counts`: one more pass over the log).
    A row's customer_key is its person's: tens of millions of rows come back as numbers, not
    texts."""
    ses.create("window_touchpoints",
               "SELECT CAST(visitor_id AS VARCHAR) AS visitor_id, "
               "CAST(customer_id AS VARCHAR) AS customer_id, _row FROM touchpoints",
               materialize=False)
    ses.create("device_links", step("device_links", touchpoints="window_touchpoints"))
    # (views: each read is a scan of the log joined to the small device_links, rather than a
    # copy of the whole log held in the session)
    ses.create("stitched_touchpoints", step("stitched_touchpoints", touchpoints="window_touchpoints"),
               materialize=False)
    ses.create("people", step("people"), materialize=False)
    ses.create("persons", step("persons", people="people"))
    rows = ses.arrow("SELECT t._row, CAST(p.person_no AS INTEGER) AS person_no, t.stitched, "
                     "t.shared_device "
                     "FROM people AS t JOIN persons AS p ON t.person_id = p.person_id")
    counts = stitch_counts(ses) if counts else None
    # (an ORDER BY is not kept by every engine's parallel export: each row put in its place)
    at = rows.column("_row").to_numpy()
    placed = {}
    for name in ("person_no", "stitched", "shared_device"):
        values = rows.column(name).to_numpy(zero_copy_only=False)
        placed[name] = np.empty(len(values), dtype=values.dtype)
        placed[name][at] = values
    del rows
    return pa.table(placed), _persons(ses), counts


def _persons(ses) -> pa.Table:
    """The persons step (person_id, customer_key) in person_no order (row i = person i)."""
    persons = _sorted(ses.arrow("SELECT person_no, person_id, customer_key FROM persons "
                                "ORDER BY person_no"), ["person_no"])
    if persons.num_rows and persons.column("person_no")[-1].as_py() != persons.num_rows - 1:
        raise RuntimeError("persons: person numbers are not 0..n-1")  # (a rule's bug)
    return persons.drop_columns(["person_no"])


def stitch_counts(ses) -> dict:
    """The stitching counts of the last stitched_touchpoints step of `ses`."""
    stats = ses.frame(step("stitch_counts")).iloc[0]
    return {k: int(stats[k]) for k in ("touchpoints", "anonymous_before", "stitched",
                                       "still_anonymous", "ambiguous_visitors")}


def store_research(ses, *, window_days: float = 7, research_channels=RESEARCH_CHANNELS,
                   window=ALL_TIME) -> pd.DataFrame:
    """Research before each store purchase (`rules.store_research`) from `transactions` and the
    already stitched `stitched_touchpoints` of `ses` (customer_key, timestamp, channel).
    Returns transaction_id, customer_id, timestamp, researched, days_since_research."""
    start, end = window
    _research(ses, start, end, window_days, research_channels)
    return ses.frame('SELECT transaction_id, customer_id, "timestamp", researched, '
                     "days_since_research FROM store_research")


def number_persons(ses, people: str) -> pa.Table:
    """The persons step over relation `people` of `ses` (rows with person_id, customer_key:
    e.g. each person of a stitched log once): (person_id, customer_key) in person number order
    (row i = person i, ids sorted). The step stays in `ses` for `journey_tables`."""
    ses.create("persons", step("persons", people=people))
    return _persons(ses)


def journey_tables(ses, window_days: float, stitched: bool):
    """Steps of the journeys over `touchpoints` of `ses`: raw, or, when `stitched`, already
    stitched and numbered by person (`person_no` of the persons step, made by
    `number_persons`, with timestamp and channel). Returns (touches, journeys, persons) as
    Arrow tables: touches (`_row`: the touchpoint's row) in journey order (see
    `touch_places`), journeys (journey_id, person_no, start, end, n_touches, converted,
    conversion_time, purchase_row) by journey_id, persons (person_id, customer_key) in
    person_no order (row i = person i, ids sorted). Persons and rows are named by number, not
    by text: a log of tens of millions of touches comes back without a text per row (the
    caller takes a row's channel, platform or transaction from its own table by `_row`)."""
    # the rules compare whole microseconds: d > w exactly when d > floor(w)
    window_us = str(math.floor(float(window_days) * 86400e6))
    purchase = sql_text(PURCHASE)
    if stitched:  # the log is numbered by person already
        numbered = "touchpoints"
    else:
        ses.create("all_touchpoints", step("all_touchpoints"), materialize=False)
        ses.create("device_links", step("device_links", touchpoints="all_touchpoints"))
        ses.create("stitched_touchpoints", step("stitched_touchpoints",
                                                touchpoints="all_touchpoints"))
        ses.create("people", step("people"), materialize=False)
        ses.create("persons", step("persons", people="people"))
        ses.create("numbered_people", step("numbered_people", people="people"), materialize=False)
        numbered = "numbered_people"
    ses.create("person_timeline", step("person_timeline", numbered=numbered, purchase=purchase),
               materialize=False)
    ses.create("journey_sessions", step("journey_sessions", timeline="person_timeline",
                                        window_us=window_us))
    ses.drop_frame("touchpoints")  # read by no later step: its copy is freed
    ses.compress()  # the sessions, read by the next step, compressed meanwhile
    ses.create("journey_touches", step("journey_touches", window_us=window_us))
    # the sessions are no longer read: an empty view in their place frees the table's memory
    # before the outputs are fetched (the largest moment of a large log)
    ses.create("journey_sessions", "SELECT 1 AS freed", materialize=False)
    ses.compress()  # the touches are read twice (journeys, then touches): compressed meanwhile
    # journey ids are 0..n-1 and a touch's place is its journey's first place + its position:
    # each row is put in its place (no sort of the largest output) as the touches stream in
    journeys = ses.arrow(step("journeys"))
    order = np.empty(journeys.num_rows, dtype=np.int64)
    order[journeys.column("journey_id").to_numpy()] = np.arange(journeys.num_rows)
    journeys = journeys.take(pa.array(order)).combine_chunks()
    n_touches, first = _first_places(journeys)
    rows = np.empty(int(n_touches.sum()), dtype=np.int32)  # (int64 for logs of 2**31 rows)
    for batch in ses.batches(step("touches")):
        to = first[batch.column("journey_id").to_numpy()] + batch.column("position").to_numpy()
        row = batch.column("_row").to_numpy()
        if len(row) and row.max() >= 2**31 and rows.dtype == np.int32:
            rows = rows.astype(np.int64)
        rows[to] = row
    ses.create("journey_touches", "SELECT 1 AS freed", materialize=False)
    return pa.table({"_row": rows}), journeys, _persons(ses)


def touch_places(journeys: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(journey_id, position) of each row of `journey_tables`' touches: the touches are in
    journey order, journey i's `n_touches` after those of the journeys before it."""
    n_touches, first = _first_places(journeys)
    small = np.int32 if len(n_touches) < 2**31 else np.int64
    journey_id = np.repeat(np.arange(len(n_touches), dtype=small), n_touches)
    position = (np.arange(len(journey_id), dtype=np.int64) - first[journey_id]).astype(np.int32)
    return journey_id, position


def _first_places(journeys: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(touches of each journey, place of its first touch among all touches), journeys in id
    order."""
    n_touches = journeys.column("n_touches").to_numpy().astype(np.int64)
    return n_touches, np.concatenate([[0], np.cumsum(n_touches)[:-1]]).astype(np.int64)


def _sorted(table, columns):
    """`table` sorted by `columns`: the step's ORDER BY is kept by DuckDB's export (then only
    checked, a cheap pass), not necessarily by every engine's."""
    import pyarrow.compute as pc

    if table.num_rows > 1:
        cur = [table.column(c)[1:] for c in columns]
        prev = [table.column(c)[:-1] for c in columns]
        ok = pc.greater_equal(cur[-1], prev[-1])  # each row >= the one before, lexicographic
        for c, p in zip(reversed(cur[:-1]), reversed(prev[:-1]), strict=True):
            ok = pc.or_(pc.greater(c, p), pc.and_(pc.equal(c, p), ok))
        if not pc.all(ok).as_py():
            return table.sort_by([(c, "ascending") for c in columns])
    return table
