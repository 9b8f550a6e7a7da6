"""Customer funnel of a month: awareness -> consideration -> conversion -> loyalty -> retention.

Why a funnel of its own: the first version counted only customers who had a touchpoint in the
month, so "awareness" was 100 % by construction and "consideration" (any active touch) was
99.99 % of it: every journey reaches a store, the website or the app. Each stage below is
defined so that it can actually lose customers, on the customer base of the month:

* **base**: the customers the analysis is about (`base`: e.g. every customer of the
  segmentation); by default every customer seen (touchpoint or purchase) in the 12 months up
  to the end of the month;
* **awareness**: at least one touchpoint in the month (any channel, advertising included);
* **consideration**: aware and showing purchase intent: at least `min_active_touches` active
  touches in the month (search, website, app, store visit: the customer comes to the brand,
  or comes back) or a purchase in the month (a purchase is intent shown);
* **conversion**: at least one purchase in the month;
* **loyalty**: converted and already a buyer in at least one of the `loyalty_months` months
  before (repeat buyer);
* **retention**: loyal and a buyer in every one of those months (a regular customer kept).

Each stage holds only customers of the previous one (nested), so `1 - rate_from_previous` is
the drop-off of the stage. The entry channel of a customer is the channel of his first
touchpoint of the month other than a purchase (`direct` when he only bought).

Pure functions of DataFrames: `touchpoints` stitched by `journey.stitch_visitors` (column
`customer_key`), `transactions` (`customer_id`, `timestamp`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.journey import (
    CONSIDERATION_CHANNELS,
    DIRECT,
    PURCHASE,
    _ns,
    _positions,
    _require,
    _sorted_codes,
)

STAGES = ("awareness", "consideration", "conversion", "loyalty", "retention")
STAGE_LABELS = {  # French names shown on the pages
    "base": "Base clients",
    "awareness": "Découverte",
    "consideration": "Considération",
    "conversion": "Conversion",
    "loyalty": "Fidélité",
    "retention": "Rétention",
}
ACTIVE_CHANNELS = CONSIDERATION_CHANNELS  # touches where the customer comes to the brand
NOT_AWARE = "aucun contact"  # entry channel of a customer without any touchpoint in the month


def stage_rules(min_active_touches: int = 2, loyalty_months: int = 2) -> dict[str, str]:
    """French definition of each stage (for the pages), with the parameters in force."""
    return {
        "base": "clients de la base (segmentation) ; par défaut, clients vus (contact ou achat) "
                "dans les 12 mois",
        "awareness": "au moins un point de contact dans le mois (publicité, e-mail, réseaux "
                     "sociaux, recherche, site, appli, magasin)",
        "consideration": f"au moins {min_active_touches} contacts actifs dans le mois (recherche, "
                         "site, appli, visite en magasin) ou un achat",
        "conversion": "au moins un achat dans le mois",
        "loyalty": f"acheteur du mois qui avait déjà acheté dans l'un des {loyalty_months} mois "
                   "précédents",
        "retention": f"fidèle qui a acheté chacun des {loyalty_months} mois précédents",
    }


def _month_bounds(month: pd.Period) -> tuple[int, int]:
    lo = month.start_time.to_datetime64().astype("datetime64[ns]").view(np.int64)
    hi = (month + 1).start_time.to_datetime64().astype("datetime64[ns]").view(np.int64)
    return int(lo), int(hi)


def customer_stages(touchpoints: pd.DataFrame, transactions: pd.DataFrame, month,
                    base=None, min_active_touches: int = 2,
                    loyalty_months: int = 2) -> pd.DataFrame:
    """One row per customer of the base: `customer_id`, `entry_channel`, `touches`,
    `active_touches` (in the month) and the five nested stage flags (rules in the module
    docstring). `base`: customer ids (any iterable); None: customers seen in the 12 months up
    to the end of `month`."""
    _check_inputs(touchpoints, transactions, min_active_touches, loyalty_months)
    month = pd.Period(month, freq="M")
    t_ns = _ns(touchpoints["timestamp"])
    p_ns = _ns(transactions["timestamp"])
    if base is None:
        _, hi = _month_bounds(month)
        year_lo, _ = _month_bounds(month - 11)
        seen_t = touchpoints["customer_key"][(t_ns >= year_lo) & (t_ns < hi)]
        seen_p = transactions["customer_id"][(p_ns >= year_lo) & (p_ns < hi)]
        base_ids = pd.Index(pd.concat([seen_t.dropna().astype("str"),
                                       seen_p.dropna().astype("str")]).unique()).sort_values()
    else:
        base_ids = _base_ids(base)
    ch, ch_cats = _sorted_codes(touchpoints["channel"])
    flags = _stage_flags(_positions(touchpoints["customer_key"], base_ids), t_ns, ch, ch_cats,
                         _positions(transactions["customer_id"], base_ids), p_ns, len(base_ids),
                         month, min_active_touches, loyalty_months)
    entry, awareness = flags.pop("entry"), flags["awareness"]
    entry_names = np.asarray(list(ch_cats.astype("str")) + [NOT_AWARE], dtype=object)
    entry_channel = entry_names[np.where(entry >= 0, entry, len(ch_cats))]
    entry_channel[awareness & (entry < 0)] = DIRECT  # only purchases in the month
    return pd.DataFrame({"customer_id": np.asarray(base_ids, dtype=object),
                         "entry_channel": entry_channel, **flags})


def _check_inputs(touchpoints, transactions, min_active_touches: int, loyalty_months: int) -> None:
    if "customer_key" not in touchpoints.columns:
        raise ValueError("touchpoints must be stitched first: use journey.stitch_visitors(touchpoints)")
    _require(touchpoints, "touchpoints", ["customer_key", "timestamp", "channel"])
    _require(transactions, "transactions", ["customer_id", "timestamp"])
    if min_active_touches < 1:
        raise ValueError(f"min_active_touches must be >= 1, got {min_active_touches}")
    if loyalty_months < 1:
        raise ValueError(f"loyalty_months must be >= 1, got {loyalty_months}")


def _base_ids(base) -> pd.Index:
    """The customer ids of a given base: texts, distinct, sorted."""
    return pd.Index(pd.Series(list(base) if not isinstance(base, pd.Series) else base)
                    .dropna().astype("str").unique()).sort_values()


def _stage_flags(t_cust: np.ndarray, t_ns: np.ndarray, ch: np.ndarray, ch_cats, p_cust: np.ndarray,
                 p_ns: np.ndarray, n: int, month: pd.Period, min_active_touches: int,
                 loyalty_months: int, with_entry: bool = True) -> dict:
    """The stage rules (module docstring) on integer codes: touchpoints (customer position in
    the base, -1 outside it; time in ns; channel code among `ch_cats`) and purchases (customer
    position, time) of the whole log, for the `n` customers of the base in `month`. Returns
    `entry` (channel code of the first touch other than a purchase, -1 when none), `touches`,
    `active_touches` and the five stage flags, one value per customer of the base (`entry`
    only `with_entry`: the month-by-month counts do not need it, and it sorts the month)."""
    lo, hi = _month_bounds(month)
    in_month = (t_ns >= lo) & (t_ns < hi)
    cust, ch, ts = t_cust[in_month], ch[in_month], t_ns[in_month]
    keep = cust >= 0
    cust, ch, ts = cust[keep], ch[keep], ts[keep]
    touches = np.bincount(cust, minlength=n)
    active_codes = ch_cats.get_indexer(list(ACTIVE_CHANNELS))
    active = np.isin(ch, active_codes[active_codes >= 0])
    active_touches = np.bincount(cust[active], minlength=n)
    entry = np.full(n, -1, dtype=np.int64)
    if with_entry:
        purchase_code = ch_cats.get_indexer([PURCHASE])[0]
        browse = ch != purchase_code if purchase_code >= 0 else np.ones(len(ch), dtype=bool)
        order = np.lexsort((ts[browse], cust[browse]))
        bc, bch = cust[browse][order], ch[browse][order]
        first = np.r_[True, bc[1:] != bc[:-1]] if len(bc) else np.zeros(0, dtype=bool)
        entry[bc[first]] = bch[first]

    # purchases of the month and of the `loyalty_months` months before
    bought = np.zeros((loyalty_months + 1, n), dtype=bool)  # row 0: the month, k: k months before
    for k in range(loyalty_months + 1):
        m_lo, m_hi = _month_bounds(month - k)
        pos = p_cust[(p_ns >= m_lo) & (p_ns < m_hi)]
        bought[k, pos[pos >= 0]] = True

    awareness = touches > 0
    consideration = awareness & ((active_touches >= min_active_touches) | bought[0])
    conversion = consideration & bought[0]
    loyalty = conversion & bought[1:].any(axis=0)
    retention = loyalty & bought[1:].all(axis=0)
    return {"entry": entry, "touches": touches.astype(np.int64),
            "active_touches": active_touches.astype(np.int64), "awareness": awareness,
            "consideration": consideration, "conversion": conversion, "loyalty": loyalty,
            "retention": retention}


def _rows(stages: pd.DataFrame, group: str) -> list[dict]:
    rows = []
    previous = len(stages)
    base = len(stages)
    for s in STAGES:
        count = int(stages[s].sum())
        rows.append({"group": group, "stage": s, "customers": count,
                     "rate_from_previous": count / previous if previous else np.nan,
                     "drop_off": 1 - count / previous if previous else np.nan,
                     "rate_from_base": count / base if base else np.nan,
                     "base": base})
        previous = count
    return rows


def funnel_table(stages: pd.DataFrame, by: str | None = None,
                 segments: pd.DataFrame | None = None, min_customers: int = 1) -> pd.DataFrame:
    """Funnel counts from `customer_stages`: one row per group and stage with `customers`,
    `rate_from_previous`, `drop_off` (= 1 - rate_from_previous: the share lost at the stage),
    `rate_from_base` and `base` (customers of the group).

    `by`: None (whole base), "entry_channel" (aware customers by the channel of their first
    touch of the month: awareness is 100 % there by definition) or "segment" (needs
    `segments` with `customer_id`, `segment`; customers without one are "non segmenté").
    Groups with fewer than `min_customers` customers are left out."""
    if by not in (None, "entry_channel", "segment"):
        raise ValueError(f"by must be None, 'entry_channel' or 'segment', got {by!r}")
    _require(stages, "stages", ["customer_id", "entry_channel", *STAGES])
    if by is None:
        groups = {"ensemble": stages}
    elif by == "entry_channel":
        aware = stages[stages["awareness"]]
        groups = {str(k): g for k, g in aware.groupby("entry_channel", sort=True)}
    else:
        if segments is None:
            raise ValueError("by='segment' needs `segments` (customer_id, segment)")
        _require(segments, "segments", ["customer_id", "segment"])
        seg = segments.assign(customer_id=segments["customer_id"].astype("str")).drop_duplicates(
            "customer_id").set_index("customer_id")["segment"]
        label = stages["customer_id"].astype("str").map(seg)
        label = label.where(label.notna(), "non segmenté").astype("str")
        groups = {k: g for k, g in stages.groupby(label.to_numpy(), sort=True)}
    rows = [r for g, f in groups.items() if len(f) >= min_customers for r in _rows(f, g)]
    return pd.DataFrame(rows, columns=["group", "stage", "customers", "rate_from_previous",
                                       "drop_off", "rate_from_base", "base"])


def drop_off_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """Wide view of `funnel_table`: one row per group, one column per stage holding the
    share of the previous stage lost at that stage (`drop_off`), plus `base`."""
    wide = table.pivot(index="group", columns="stage", values="drop_off")[list(STAGES)]
    wide.insert(0, "base", table.groupby("group")["base"].first())
    return wide


def funnel_by_month(touchpoints: pd.DataFrame, transactions: pd.DataFrame, months,
                    base=None, min_active_touches: int = 2, loyalty_months: int = 2) -> pd.DataFrame:
    """Customers at each stage for each month of `months` (columns = stages, plus `base`) and
    `history_complete` (False while the loyalty look-back or the 12-month default base reaches
    before the first transaction)."""
    months = pd.PeriodIndex(months, freq="M")
    rows = []
    first = transactions["timestamp"].min().to_period("M") if len(transactions) else None
    _check_inputs(touchpoints, transactions, min_active_touches, loyalty_months)
    coded = None
    if base is not None:  # the same base every month: the log on its codes, found once
        base_ids = _base_ids(base)
        ch, ch_cats = _sorted_codes(touchpoints["channel"])
        coded = (_positions(touchpoints["customer_key"], base_ids), _ns(touchpoints["timestamp"]),
                 ch, ch_cats, _positions(transactions["customer_id"], base_ids),
                 _ns(transactions["timestamp"]), len(base_ids))
    for m in months:
        if coded is None:
            st = customer_stages(touchpoints, transactions, m, base=base,
                                 min_active_touches=min_active_touches,
                                 loyalty_months=loyalty_months)
        else:
            st = _stage_flags(*coded, m, min_active_touches, loyalty_months, with_entry=False)
        look_back = loyalty_months if base is not None else max(loyalty_months, 11)
        rows.append({"month": str(m), "base": len(st["awareness"]),
                     **{s: int(st[s].sum()) for s in STAGES},
                     "history_complete": first is not None and m - look_back >= first})
    return pd.DataFrame(rows)


def weakest_stage(table: pd.DataFrame) -> pd.Series:
    """The stage that loses the largest share of the previous stage in a `funnel_table` of one
    group (a row of it: `stage`, `drop_off`, `customers`)."""
    return table.loc[table["drop_off"].idxmax()]
