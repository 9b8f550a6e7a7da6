"""Test oracles: the pandas / numpy versions of the event rules that `workbench.events` now
states once in SQL. The tests check that the SQL gives the same results as these on the sample
and on tiny hand-built fixtures; nothing in `src/` uses them.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench import quality
from workbench.events import ACTIVITY_CHANNELS, RESEARCH_CHANNELS
from workbench.journey import (
    PURCHASE,
    STITCH_COLUMNS,
    _arrow_text,
    _categorical,
    _id_column,
    _positions,
    _require,
    _sorted_codes,
    add_paths,
)
from workbench.schemas import TABLES

# --------------------------------------------------------------------------- segmentation (pandas)


def stitch_touchpoints(touchpoints: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Fill customer_id of anonymous touchpoints from the same device (visitor_id).

    A visitor seen logged in as exactly one customer gives that customer to all its
    touchpoints; visitors linked to several customers stay anonymous (counted, not guessed).
    Returns (new touchpoints, counts).
    """
    tp = touchpoints.copy()
    known = tp.loc[tp["customer_id"].notna(), ["visitor_id", "customer_id"]].drop_duplicates()
    n_cust = known.groupby("visitor_id")["customer_id"].nunique()
    ambiguous = n_cust.index[n_cust > 1]
    mapping = known[~known["visitor_id"].isin(ambiguous)].drop_duplicates("visitor_id")
    mapping = mapping.set_index("visitor_id")["customer_id"]
    was_null = tp["customer_id"].isna()
    tp["customer_id"] = tp["customer_id"].where(~was_null, tp["visitor_id"].map(mapping))
    counts = {
        "touchpoints": len(tp),
        "anonymous_before": int(was_null.sum()),
        "stitched": int((was_null & tp["customer_id"].notna()).sum()),
        "still_anonymous": int(tp["customer_id"].isna().sum()),
        "ambiguous_visitors": len(ambiguous),
    }
    return tp, counts


def web_research_before_store(
    transactions: pd.DataFrame,
    touchpoints: pd.DataFrame,
    *,
    window_days: float = 7,
    research_channels=RESEARCH_CHANNELS,
) -> pd.DataFrame:
    """Flag each store purchase preceded by online research of the same customer.

    Research = a touchpoint on `research_channels` (stitched to the customer through its
    device) within `window_days` before the purchase AND after the customer's previous
    purchase (any channel): browsing that ended in a web order belongs to that order, not to
    the next store visit. Returns transaction_id, customer_id, timestamp, researched (bool),
    days_since_research.
    """
    known = transactions[transactions["customer_id"].notna()]
    allp = known[["transaction_id", "customer_id", "channel", "timestamp"]].assign(
        customer_id=known["customer_id"].astype(str),
        timestamp=known["timestamp"].astype("datetime64[ns]"))
    allp = allp.sort_values(["customer_id", "timestamp", "transaction_id"], kind="stable")
    allp["previous_purchase"] = allp.groupby("customer_id")["timestamp"].shift(1)
    store = allp[allp["channel"] == "store"].drop(columns="channel").sort_values("timestamp",
                                                                                 kind="stable")
    res = touchpoints.loc[touchpoints["channel"].isin(research_channels)
                          & touchpoints["customer_id"].notna(), ["customer_id", "timestamp"]]
    res = pd.DataFrame({"customer_id": res["customer_id"].astype(str),
                        "research_ts": res["timestamp"].astype("datetime64[ns]")})
    res = res.sort_values("research_ts", kind="stable")
    m = pd.merge_asof(store, res, left_on="timestamp", right_on="research_ts", by="customer_id",
                      direction="backward", allow_exact_matches=True)
    delta = (m["timestamp"] - m["research_ts"]).dt.total_seconds() / 86400
    since_prev = m["previous_purchase"].isna() | (m["research_ts"] > m["previous_purchase"])
    m["days_since_research"] = delta
    m["researched"] = ((delta <= window_days) & since_prev).fillna(False).astype(bool)
    return m[["transaction_id", "customer_id", "timestamp", "researched",
              "days_since_research"]].reset_index(drop=True)


def _count_table(rows: pd.Series, cols: pd.Series) -> pd.DataFrame:
    return rows.groupby([rows, cols], observed=True, sort=True).size().unstack(fill_value=0)


def customer_activity(tables: dict, start, end, *, research_window_days: float = 7,
                      research_channels=RESEARCH_CHANNELS, categories=None) -> pd.DataFrame:
    """`events.activity` for one window [start, end), in pandas (the former
    `segmentation._raw_event_features` blocks): spend per category, touchpoints per channel,
    social platforms, store purchases and researched ones, e-mail counts, per customer."""
    trx = tables["transactions"]
    t = trx[(trx["timestamp"] >= start) & (trx["timestamp"] < end) & trx["customer_id"].notna()]
    t = t.assign(customer_id=t["customer_id"].astype(str))
    parts = []
    lines = tables["transaction_lines"]
    ln = lines.merge(t[["transaction_id", "customer_id"]], on="transaction_id", how="inner")
    spend = (ln.groupby(["customer_id", "category"], observed=True)["amount"].sum()
             .unstack(fill_value=0.0))
    cats = list(categories) if categories else sorted(lines["category"].dropna().unique())
    parts.append(spend.reindex(columns=cats, fill_value=0.0).add_prefix("spend_"))
    tps = tables["touchpoints"]
    tp, counts = stitch_touchpoints(tps[(tps["timestamp"] >= start) & (tps["timestamp"] < end)])
    tp = tp[tp["customer_id"].notna()]
    tp = tp.assign(customer_id=tp["customer_id"].astype(str))
    touch = _count_table(tp["customer_id"], tp["channel"]).reindex(
        columns=list(ACTIVITY_CHANNELS), fill_value=0).add_prefix("tp_")
    parts.append(touch)
    soc = tp[tp["channel"] == "social"]
    parts.append(soc.groupby("customer_id")["platform"].nunique().rename("social_platforms"))
    wr = web_research_before_store(t, tp, window_days=research_window_days,
                                   research_channels=research_channels)
    wg = wr.groupby("customer_id")["researched"]
    parts.append(wg.size().rename("store_purchases"))
    parts.append(wg.sum().rename("store_researched"))
    ev = tables["email_events"]
    e = ev[(ev["timestamp"] >= start) & (ev["timestamp"] < end)]
    parts.append(_count_table(e["customer_id"].astype(str), e["event"]).reindex(
        columns=["sent", "open", "click"], fill_value=0).add_prefix("emails_"))
    out = pd.concat(parts, axis=1).sort_index()
    out.index = pd.Index(out.index.astype(str), name="customer_id")
    spend_cols = [c for c in out.columns if c.startswith("spend_")]
    ints = [c for c in out.columns if c not in spend_cols]
    out[ints] = out[ints].fillna(0).astype("int64")
    out[spend_cols] = out[spend_cols].fillna(0.0).astype(float)
    out.attrs["touchpoints"] = counts
    return out


# --------------------------------------------------------------------------- journeys (numpy)


def _map_ids(values: pd.Series, mapping: pd.Series) -> pd.Series:
    """`values.map(mapping)` for text ids (mapping's index unique), looked up with pyarrow:
    pandas' hash lookup of millions of strings is the slow part of stitching at 1M."""
    try:
        v = pa.array(values, from_pandas=True).cast(pa.large_string())
        k = pa.array(mapping.index, from_pandas=True).cast(pa.large_string())
    except (pa.ArrowException, TypeError, ValueError):
        return values.map(mapping)
    pos = pc.fill_null(pc.index_in(v, value_set=k), -1).to_numpy()
    found = pos >= 0
    out = mapping.iloc[np.where(found, pos, 0)].set_axis(values.index) if len(mapping) else \
        pd.Series(pd.NA, index=values.index, dtype=mapping.dtype)
    return out.where(found)


def stitch_visitors(touchpoints: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Anonymous-to-known stitching through `visitor_id`.

    Returns (touchpoints with `person_id`, `customer_key`, `stitched` and `shared_device`, a
    one-row-per-status count table). `customer_key` is the known or stitched customer_id (null
    for anonymous), `person_id` the customer_key or `anon:<visitor_id>`; both are pyarrow
    dictionary columns (sorted dictionary), computed on integer codes: text ids are never
    compared row by row."""
    _require(touchpoints, "touchpoints", ["visitor_id", "customer_id", "timestamp", "channel"])
    tp = touchpoints.copy(deep=False)  # copy-on-write: new columns never reach the caller's frame
    v, v_cats = _sorted_codes(tp["visitor_id"])
    if (v < 0).any():
        raise ValueError(f"touchpoints: visitor_id is missing in {int((v < 0).sum())} row(s); "
                         "every touchpoint needs its device id")
    c, c_cats = _sorted_codes(tp["customer_id"])
    known = c >= 0
    # distinct customers per device: min and max customer code over its identified rows
    lo = np.full(len(v_cats), np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(len(v_cats), -1, dtype=np.int64)
    np.minimum.at(lo, v[known], c[known])
    np.maximum.at(hi, v[known], c[known])
    owner = np.where((hi >= 0) & (lo == hi), hi, -1)
    multi = (hi >= 0) & (lo != hi)
    del lo, hi
    key = np.where(known, c, owner[v]).astype(np.int32)
    anon = key < 0
    tp["customer_key"] = _id_column(key, c_cats)
    tp["stitched"] = ~known & ~anon
    tp["shared_device"] = ~known & multi[v]
    # person: the customer, else the device ("anon:<visitor_id>"), codes ranked by text
    used = np.flatnonzero(np.bincount(v[anon], minlength=len(v_cats)) > 0)
    ls = pa.large_string()
    anon_names = pc.binary_join_element_wise(
        pa.scalar("anon:", ls), _arrow_text(v_cats).take(pa.array(used, type=pa.int64())),
        pa.scalar("", ls))
    names = pa.concat_arrays([_arrow_text(c_cats), anon_names.cast(pa.large_string())])
    slot = np.full(len(v_cats), -1, dtype=np.int64)
    slot[used] = len(c_cats) + np.arange(len(used))
    raw = np.where(anon, slot[v], key)
    del key, slot
    rank, uniq = _sorted_codes(pd.Series(pd.arrays.ArrowExtensionArray(
        pa.DictionaryArray.from_arrays(pa.array(np.arange(len(names), dtype=np.int32)),
                                       names.cast(pa.string())))))
    tp["person_id"] = _id_column(rank[raw], uniq)
    del raw
    return tp, _stitch_stats(tp)


def _stitch_stats(tp: pd.DataFrame) -> pd.DataFrame:
    from workbench.journey import _stitch_stats as stats

    return stats(tp)


def _person_time_order(person: np.ndarray, t: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The permutation of a stable sort by (person, t, last), i.e.
    `np.lexsort((last, t, person))`, computed as one sort of a packed int64 key (several times
    faster on tens of millions of rows) when the codes fit in 63 bits; ties keep row order."""
    n = len(person)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rel = t - t.min()
    unit = 1
    for u in (10**9, 10**6, 10**3):
        if not (rel % u).any():
            unit = u
            break
    rel //= unit
    t_bits = max(int(rel.max()).bit_length(), 1)
    p_bits = max(int(person.max()).bit_length(), 1)
    if person.min() < 0 or p_bits + t_bits + 1 > 63:
        return np.lexsort((last, t, person))
    key = (person.astype(np.int64) << (t_bits + 1)) | (rel << 1) | last.astype(np.int64)
    del rel
    order = np.argsort(key)  # not stable: ties are put back in row order below
    key = key[order]
    tie = np.flatnonzero(key[1:] == key[:-1])
    if len(tie):
        rows = np.unique(np.r_[tie, tie + 1])
        group = np.cumsum(np.r_[True, np.diff(rows) > 1] | np.r_[True, key[rows[1:]] != key[rows[:-1]]])
        order[rows] = order[rows][np.lexsort((order[rows], group))]
    return order


def build_journeys(touchpoints: pd.DataFrame, transactions: pd.DataFrame,
                   window_days: float = 7.0, with_paths: bool = True
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Cut the touchpoint log into journeys (see the module rules).

    `touchpoints`: raw, or already stitched by `stitch_visitors` (then used as it is).
    Returns (touches, journeys, stats):
    * touches: one row per non-purchase touchpoint with `journey_id`, `person_id`,
      `customer_key`, `timestamp`, `channel`, `platform`, `position`, sorted by journey;
    * journeys: `journey_id`, `person_id`, `customer_id` (null for anonymous visitors),
      `anonymous`, `start`, `end`, `n_touches`, `path` (only when `with_paths`; see
      `add_paths`), `converted`, `conversion_time`, `transaction_id`, `sales_channel`,
      `conversion_value`, `days_to_conversion`;
    * stats: counts of what was stitched, kept apart or not matched (nothing is dropped).
    Ids (`person_id`, `customer_key` / `customer_id`, `transaction_id`) come back as pyarrow
    dictionary columns, channels and platforms as categoricals; everything is computed on
    integer codes (one sort of the log by person and time).
    """
    if window_days <= 0:
        raise ValueError(f"window_days must be > 0, got {window_days}")
    _require(transactions, "transactions", ["transaction_id", "channel", "amount", "timestamp"])
    if all(c in touchpoints.columns for c in STITCH_COLUMNS):
        tp, stitch = touchpoints, _stitch_stats(touchpoints)
    else:
        tp, stitch = stitch_visitors(touchpoints)
    person, person_cats = _sorted_codes(tp["person_id"])
    key, key_cats = _sorted_codes(tp["customer_key"])
    ch, ch_cats = _sorted_codes(tp["channel"])
    if "platform" in tp.columns:
        plat, plat_cats = _sorted_codes(tp["platform"])
    else:
        plat, plat_cats = np.full(len(tp), -1, dtype=np.int8), pd.Index([], dtype="str")
    if "transaction_id" in tp.columns:
        txc, tx_cats = _sorted_codes(tp["transaction_id"])
    else:
        txc, tx_cats = np.full(len(tp), -1, dtype=np.int32), pd.Index([], dtype="str")
    purchase_code = ch_cats.get_indexer([PURCHASE])[0]
    t_all = tp["timestamp"].to_numpy().astype("datetime64[ns]", copy=False)
    is_purchase = ch == purchase_code if purchase_code >= 0 else np.zeros(len(tp), dtype=bool)
    # stable order by (person, timestamp, purchase last); person codes rank the person ids
    order = _person_time_order(person, t_all.view(np.int64), is_purchase)
    n = len(order)
    if n < 2**31:
        order = order.astype(np.int32)
    p = is_purchase[order]
    t = t_all[order].view(np.int64)
    pers = person[order]
    del t_all, is_purchase, person
    window = int(window_days * 86400e9)
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = (pers[1:] != pers[:-1]) | p[:-1] | (np.diff(t) > window)
    session = np.cumsum(new, dtype=np.int32 if n < 2**31 else np.int64) - 1
    n_sessions = int(session[-1]) + 1 if n else 0
    # the purchase, if any, is the last row of its session
    last = np.ones(n, dtype=bool)
    if n > 1:
        last[:-1] = session[1:] != session[:-1]
    sess_conv = np.full(n_sessions, np.iinfo(np.int64).min, dtype=np.int64)
    sess_conv[session[last & p]] = t[last & p]
    conv_t = sess_conv[session]
    pre = ~p & (conv_t != np.iinfo(np.int64).min) & (t < conv_t - window)
    del conv_t, sess_conv, last
    cut = new
    if n > 1:
        cut[1:] |= (session[1:] == session[:-1]) & (pre[1:] != pre[:-1])
    del session, pre
    jid = np.cumsum(cut, dtype=np.int32 if n < 2**31 else np.int64) - 1
    starts = np.flatnonzero(cut)
    del cut
    ends = np.r_[starts[1:], n] - 1  # last row of each journey (its purchase, if any)
    n_j = len(starts)
    converted = p[ends]
    ts_dtype = "datetime64[ns]"
    conversion_time = np.where(converted, t[ends], np.iinfo(np.int64).min).view(ts_dtype)
    j_tx = np.where(converted, txc[order[ends]], -1)
    # the purchases' transactions
    tx_codes, tx_values = _sorted_codes(transactions["transaction_id"])
    per_value = np.bincount(tx_codes[tx_codes >= 0], minlength=len(tx_values))
    if (per_value > 1).any():
        dup = tx_values[np.flatnonzero(per_value > 1)[:5]].tolist()
        raise ValueError(f"transactions: duplicate transaction_id {dup}")
    row_of_value = np.full(len(tx_values) + 1, -1, dtype=np.int64)
    row_of_value[tx_codes[tx_codes >= 0]] = np.flatnonzero(tx_codes >= 0)
    row_of_cat = row_of_value[_positions(pd.Series(tx_cats), tx_values)] if len(tx_cats) \
        else np.zeros(0, np.int64)
    purchase_tx = txc[order[p]]
    purchase_row = np.where(purchase_tx >= 0, np.r_[row_of_cat, -1][purchase_tx], -1)
    unmatched = int((purchase_row < 0).sum())
    matched = np.zeros(len(transactions), dtype=bool)
    matched[purchase_row[purchase_row >= 0]] = True
    n_tx_without_tp = int((~matched).sum())
    j_row = np.where(j_tx >= 0, np.r_[row_of_cat, -1][j_tx], -1)
    s_codes, s_cats = _sorted_codes(transactions["channel"])
    amount = transactions["amount"].to_numpy(dtype=float)
    found = j_row >= 0
    # touches: the non-purchase rows, in journey order (columns set one at a time: no
    # block consolidation copies of tens of millions of rows)
    touch = ~p
    keep = order[touch]
    t_jid = jid[touch]
    j_dtype = jid.dtype
    del jid
    m = len(keep)
    touches = pd.DataFrame(index=pd.RangeIndex(m))
    touches["journey_id"] = t_jid
    touches["person_id"] = _id_column(pers[touch], person_cats)
    touches["customer_key"] = _id_column(key[keep], key_cats)
    touches["timestamp"] = t[touch].view(ts_dtype)
    touches["channel"] = _categorical(ch[keep], ch_cats, drop_unused=True)
    touches["platform"] = _categorical(plat[keep], plat_cats)
    del keep, touch
    first = np.flatnonzero(np.r_[True, t_jid[1:] != t_jid[:-1]]) if m else np.zeros(0, np.int64)
    touches["position"] = (np.arange(m, dtype=np.int64)
                           - np.repeat(first, np.diff(np.r_[first, m]))).astype(np.int32)
    del first
    j_key = key[order[starts]]
    journeys = pd.DataFrame(index=pd.RangeIndex(n_j))
    journeys["journey_id"] = np.arange(n_j, dtype=j_dtype)
    journeys["person_id"] = _id_column(pers[starts], person_cats)
    journeys["customer_id"] = _id_column(j_key, key_cats)
    journeys["anonymous"] = j_key < 0
    journeys["start"] = t[starts].view(ts_dtype)
    journeys["end"] = t[ends].view(ts_dtype)
    journeys["n_touches"] = np.bincount(t_jid, minlength=n_j).astype(np.int32)
    del t_jid, order, pers, t, p
    journeys["converted"] = converted
    journeys["conversion_time"] = conversion_time
    journeys["transaction_id"] = _id_column(j_tx, tx_cats)
    journeys["sales_channel"] = _categorical(np.where(found, s_codes[np.maximum(j_row, 0)], -1),
                                             s_cats)
    journeys["conversion_value"] = np.where(found, amount[np.maximum(j_row, 0)], 0.0)
    journeys["days_to_conversion"] = (
        journeys["conversion_time"] - journeys["start"]
    ).dt.total_seconds() / 86400.0
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
                        n_tx_without_tp,
                    ],
                }
            ),
        ],
        ignore_index=True,
    )
    return touches, journeys, stats


# --------------------------------------------------------------------------- data profile (pandas)

def _n_duplicated(df: pd.DataFrame, columns: list[str]) -> int:
    """Rows equal on `columns` to an earlier row (as `df.duplicated(subset=columns).sum()`,
    missing values equal to each other), counted by duckdb: seconds instead of minutes at 1M."""
    if len(df) == 0:
        return 0
    frame = df[columns].set_axis([f"c{i}" for i in range(len(columns))], axis=1)
    cols = ", ".join(frame.columns)
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        groups = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM frame GROUP BY {cols})").fetchone()
    finally:
        con.close()
    return int(len(df) - groups[0])


def _is_in(values: pd.Series, ref: pd.Series) -> np.ndarray:
    """`values.isin(ref)` as a numpy mask, through pyarrow for text ids (pandas' isin of strings
    against millions of ids is ~20x slower)."""
    try:
        a, r = pa.array(values, from_pandas=True), pa.array(ref, from_pandas=True)
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
            a, r = a.cast(pa.large_string()), r.cast(pa.large_string())
        return pc.is_in(a, value_set=r.unique()).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, TypeError, ValueError):
        return values.isin(ref).to_numpy()



def _shapes(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = [{"table": n, "rows": len(df), "columns": df.shape[1]} for n, df in tables.items()]
    return pd.DataFrame(rows, columns=["table", "rows", "columns"])


def _missing_counts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = [
        {"table": name, "column": c.name, "missing": int(df[c.name].isna().sum()), "rows": len(df)}
        for name, df in tables.items()
        if name in TABLES
        for c in TABLES[name].columns
        if c.name in df
    ]
    return pd.DataFrame(rows, columns=["table", "column", "missing", "rows"])


def _day_counts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for name, df in tables.items():
        col = quality.main_date_column(name) if name in TABLES else None
        if col is None or col not in df:
            continue
        counts = df[col].dropna().dt.normalize().value_counts().sort_index()
        parts.append(
            pd.DataFrame(
                {"table": name, "day": counts.index.astype("datetime64[ns]"),
                 "rows": counts.to_numpy(dtype="int64")}
            )
        )
    if not parts:
        return pd.DataFrame(
            {"table": pd.Series(dtype="str"), "day": pd.Series(dtype="datetime64[ns]"),
             "rows": pd.Series(dtype="int64")}
        )
    return pd.concat(parts, ignore_index=True)


def _duplicate_counts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for name, df in tables.items():
        if name not in TABLES:
            continue
        key = [k for k in TABLES[name].key if k in df]
        if key:
            rows.append({"table": name, "kind": "key", "columns": ", ".join(key),
                         "count": _n_duplicated(df, key)})
        if len(key) == 1:
            others = [c for c in TABLES[name].column_names if c in df and c != key[0]]
            if others:
                rows.append({"table": name, "kind": "rows_without_key",
                             "columns": ", ".join(others), "count": _n_duplicated(df, others)})
    return pd.DataFrame(rows, columns=["table", "kind", "columns", "count"])


def _link_counts(tables: dict[str, pd.DataFrame], links=None) -> pd.DataFrame:
    rows = []
    for table, col, ref_table, ref_col in quality.LINKS if links is None else links:
        if table not in tables or ref_table not in tables:
            continue
        df, ref = tables[table], tables[ref_table]
        if col not in df or ref_col not in ref:
            continue
        values = df[col].dropna()
        broken = int((~_is_in(values, ref[ref_col].dropna())).sum())
        rows.append({"table": table, "column": col, "ref_table": ref_table,
                     "ref_column": ref_col, "values": len(values), "broken": broken})
    return pd.DataFrame(
        rows, columns=["table", "column", "ref_table", "ref_column", "values", "broken"]
    )


def _purchase_mismatches(tables: dict[str, pd.DataFrame], tolerance: float) -> pd.DataFrame | None:
    tx, lines = tables.get("transactions"), tables.get("transaction_lines")
    if tx is None or lines is None:
        return None
    agg = lines.groupby("transaction_id", sort=False).agg(
        lines_amount=("amount", "sum"), lines_quantity=("quantity", "sum")
    )
    m = tx[["transaction_id", "amount", "n_items"]].merge(
        agg, left_on="transaction_id", right_index=True, how="left"
    )
    has = m["lines_amount"].notna()
    bad = (
        ~has
        | (has & ((m["amount"] - m["lines_amount"]).abs() > tolerance))
        | (has & (m["n_items"].astype("float64") != m["lines_quantity"].astype("float64")))
    )
    out = m[bad.to_numpy()].sort_values("transaction_id", ignore_index=True)
    return pd.DataFrame(
        {
            "transaction_id": out["transaction_id"].astype("str"),
            "amount": out["amount"].astype("float64"),
            "n_items": out["n_items"].astype("Int64"),
            "lines_amount": out["lines_amount"].astype("float64"),
            "lines_quantity": out["lines_quantity"].astype("Int64"),
        }
    )


def profile(tables: dict[str, pd.DataFrame], links=None, tolerance: float = 0.01) -> dict:
    """The former `quality.profile`, in pandas: {shapes, missing, day_counts, duplicates, links,
    purchase_mismatches} of tables held in memory; `links` defaults to `quality.LINKS`."""
    return {
        "shapes": _shapes(tables),
        "missing": _missing_counts(tables),
        "day_counts": _day_counts(tables),
        "duplicates": _duplicate_counts(tables),
        "links": _link_counts(tables, links),
        "purchase_mismatches": _purchase_mismatches(tables, tolerance),
    }
