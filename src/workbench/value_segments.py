"""Value segments (RFM) month over month: who moved from Champions to "À risque", and who is lost.

The behavioural segments of `workbench.segmentation` are built on 12-month rolling features:
one month more changes a twelfth of the window, so almost every customer "stays" in their
segment and the migration table says little. Value segments move: the recency score of a
customer who stopped buying falls every month, so Champions become "À risque", then "Perdus".

* `value_segments`: the RFM value segment of every customer as of each month (same rules,
  `segmentation.rfm_segment`, computed on each month's own window);
* `value_migration`: the crosstab previous month -> report month (customers who bought in
  either window; `NO_PURCHASE` when not in a window);
* `migration_flows`: the moves between segments, largest first, with the share of the origin
  segment each one represents and whether it is a move up or down the value ladder, so that a
  page can name the flows that matter.

Pure functions of the `transactions` table (any transactions-shaped table, CDNOW included).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.segmentation import NO_PURCHASE, RFM_SEGMENTS_FR, purchase_features, purchase_window

# Value ladder: rank of each RFM segment, best first (a move to a higher rank is a loss of value).
VALUE_ORDER: tuple[str, ...] = tuple(label for label, _ in RFM_SEGMENTS_FR)
# How valuable a segment is (higher = better). Champions and Fidèles share a step: with recency
# scored by quintile, frequent buyers swap between them from month to month (noise, not news).
VALUE_LADDER = {
    "Champions": 4, "Fidèles": 4, "Nouveaux / prometteurs": 3, "À risque": 2, "À réveiller": 2,
    "Perdus": 1, NO_PURCHASE: 0,
}


def value_segments(transactions: pd.DataFrame, months, lookback_days: int | None = 365,
                   customers=None, scored: dict | None = None) -> pd.DataFrame:
    """RFM value segment of each customer as of the end of each month (one column per month).

    Every month is scored on its own `lookback_days` window (quintiles among that window's
    buyers, rules of `segmentation.RFM_SEGMENTS_FR`). Rows: `customers` (ids) or every
    customer with a purchase before the last month's end; `NO_PURCHASE` when a customer has
    no purchase in a month's window. Columns: the months (pd.Period), in the given order.
    `scored`: {month: features} already computed for some months (`segmentation.
    customer_features` / `purchase_features`): their `rfm_segment` is reused when they were
    computed over that month's window (their `attrs['window']`), instead of scoring it again.
    """
    months = [pd.Period(m, "M") for m in months]
    if not months:
        raise ValueError("value_segments: give at least one month")
    anonymous = transactions["customer_id"].isna()
    # (the table itself when every purchase is identified: no copy of millions of rows)
    known = transactions[~anonymous] if anonymous.any() else transactions
    if customers is None:
        last_end = (max(months) + 1).start_time
        # (sorted as texts by the column's own sort, not one Python object per customer)
        customers = pd.Index(known.loc[known["timestamp"] < last_end, "customer_id"].unique()
                             ).sort_values()
    idx = pd.Index(pd.Index(customers).astype(str), name="customer_id")
    out = pd.DataFrame(index=idx)
    scored = {pd.Period(m, "M"): f for m, f in (scored or {}).items()}
    for m in months:
        f = scored.get(m)
        if f is None or f.attrs.get("window") != purchase_window(m, lookback_days):
            f = purchase_features(known, m, lookback_days=lookback_days, customers=idx)
        out[m] = f["rfm_segment"].reindex(idx).fillna(NO_PURCHASE).to_numpy()
    return out


def value_migration(transactions: pd.DataFrame, month, lookback_days: int | None = 365,
                    previous=None, features: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customers per (previous month's value segment, this month's value segment).

    `previous`: the month compared with (default: the month before `month`). Rows and
    columns follow the value ladder (`VALUE_ORDER`), only segments present; a `Total` row and
    column. Customers without a purchase in both windows are left out. `features`: this
    month's `customer_features` / `purchase_features`, whose value segments are reused when
    computed over the same window (see `value_segments`).
    """
    cur = pd.Period(month, "M")
    prev = cur - 1 if previous is None else pd.Period(previous, "M")
    seg = value_segments(transactions, [prev, cur], lookback_days,
                         scored=None if features is None else {cur: features})
    seg = seg[(seg[prev] != NO_PURCHASE) | (seg[cur] != NO_PURCHASE)]
    tab = pd.crosstab(seg[prev], seg[cur])
    rows = [s for s in VALUE_ORDER if s in tab.index]
    cols = [s for s in VALUE_ORDER if s in tab.columns]
    tab = tab.reindex(index=rows, columns=cols, fill_value=0)
    tab.loc["Total"] = tab.sum(axis=0)
    tab["Total"] = tab.sum(axis=1)
    tab.index.name = f"segment {prev}"
    tab.columns.name = f"segment {cur}"
    tab.attrs.update({"previous": str(prev), "month": str(cur)})
    return tab


def migration_flows(table: pd.DataFrame, top: int | None = None, ladder: dict | None = None) -> pd.DataFrame:
    """The moves between segments of a migration crosstab (rows: before, columns: after).

    One row per off-diagonal cell with customers: `from`, `to`, `customers`, `share_of_from`
    (share of the origin segment that made this move) and `direction` ("baisse" when the
    destination is lower on the value `ladder` (default `VALUE_LADDER`), "hausse" when higher,
    "latéral" on the same step or off the ladder). Sorted by customers (largest first), `top`
    rows when given. A `Total`
    row/column is ignored. `attrs["stayed"]`: share of customers who stayed in their segment.
    """
    ladder = VALUE_LADDER if ladder is None else ladder
    body = table.drop(index="Total", columns="Total", errors="ignore")
    total = float(body.to_numpy().sum())
    diag = sum(float(body.at[s, s]) for s in body.index if s in body.columns)
    rows = []
    for a in body.index:
        size = float(body.loc[a].sum())
        for b in body.columns:
            n = int(body.at[a, b])
            if a == b or n == 0:
                continue
            la, lb = ladder.get(a), ladder.get(b)
            direction = ("baisse" if la is not None and lb is not None and lb < la
                         else "hausse" if la is not None and lb is not None and lb > la else "latéral")
            rows.append({"from": a, "to": b, "customers": n, "share_of_from": n / size if size else np.nan,
                         "direction": direction})
    out = pd.DataFrame(rows, columns=["from", "to", "customers", "share_of_from", "direction"])
    out = out.sort_values(["customers", "from", "to"], ascending=[False, True, True], kind="mergesort")
    out = out.reset_index(drop=True)
    if top is not None:
        out = out.head(top)
    out.attrs["stayed"] = diag / total if total else np.nan
    out.attrs["moved"] = int(total - diag)
    out.attrs["customers"] = int(total)
    return out


def dropout_check(values: pd.DataFrame, segments: pd.Series, p_alive_col: str = "p_alive") -> pd.DataFrame:
    """Mean P(actif) (BG/NBD) and customers per RFM value segment, to read the two models together.

    `values`: `clv.customer_value` output (index customer_id, with `p_alive`); `segments`: the
    value segment per customer_id. Rows in value order; `p_alive_mean`, `p_alive_median`,
    `below_half` (share with P(actif) < 50 %), `customers`.
    """
    df = pd.DataFrame({"segment": segments.reindex(values.index), "p": values[p_alive_col]}).dropna()
    g = df.groupby("segment")["p"]
    out = pd.DataFrame({"customers": g.size(), "p_alive_mean": g.mean(), "p_alive_median": g.median(),
                        "below_half": g.agg(lambda s: float((s < 0.5).mean()))})
    return out.reindex([s for s in VALUE_ORDER if s in out.index])
