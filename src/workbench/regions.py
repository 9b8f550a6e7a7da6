"""Where the customers, the sales and the social audience are: by region or department.

Why: store networks, regional campaigns and local partnerships are decided region by region;
the report compares where the customers live, where they buy and where the brand's social
audience is, and how concentrated each is. Pure functions of the tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.segmentation import _require, feature_window


def _contains_literal(texts: pd.Series, needle: str) -> pd.Series:
    """texts contain `needle` (plain substring), by pyarrow: a fast prefilter for regexes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    hits = pc.match_substring(pa.array(texts.astype("str"), type=pa.large_string()), needle)
    return pd.Series(pc.fill_null(hits, False).to_numpy(zero_copy_only=False), index=texts.index)


def _bio_regions(accounts: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Region/department of social accounts whose bio names a known city (first match)."""
    acc = accounts[accounts["bio"].notna()][["account_id", "bio", "followers"]]
    cities = places.dropna(subset=["city"]).drop_duplicates("city")
    cities = cities.assign(_len=cities["city"].str.len()).sort_values("_len", ascending=False)
    bio = acc["bio"].str.lower().reset_index(drop=True)
    found = pd.Series(pd.NA, index=bio.index, dtype=object)
    for city in cities["city"]:
        todo = found.isna()
        name = city.lower()
        if not set(name) & set(".^$*+?{}[]\\|()"):  # literal name: only bios containing it
            todo &= _contains_literal(bio, name)
        hit = bio[todo].str.contains(rf"\b{name}\b", regex=True)
        found[hit[hit].index] = city
    loc = cities.set_index("city")[["department", "region"]]
    out = acc.assign(city=pd.Series(found.to_numpy(), index=acc.index, dtype=object))
    out = out.dropna(subset=["city"])
    return out.join(loc, on="city")[["account_id", "followers", "city", "department", "region"]]


def _area_codes(rows: np.ndarray, keys: pd.Index, areas: pd.Series, names: pd.Index) -> np.ndarray:
    """The area of each row as a position in `names` (-1: none), from the row's code among
    `keys` (`rows`, -1 for a missing key) and the area of each key (`areas`, indexed by key):
    each distinct store or customer is looked up once, not each of millions of purchases."""
    per_key = names.get_indexer(areas.reindex(keys))
    return np.where(rows >= 0, per_key[np.maximum(rows, 0)], -1) if len(per_key) else np.full(len(rows), -1)


def geography(tables: dict, as_of=None, *, lookback_days: int = 365,
              level: str = "region") -> pd.DataFrame:
    """Customers, sales and social audience by region (or department).

    Sales are located at the store for store / click & collect purchases and at the
    customer's home for web / app orders. Social audience = person accounts whose bio names a
    city known from the stores / customers tables (accounts without a located bio are counted
    in `.attrs['unlocated_accounts']`, not guessed). Returns one row per area with counts and
    shares, largest customer base first. `geographies` gives several levels at once.
    """
    return geographies(tables, as_of, lookback_days=lookback_days, levels=(level,))[level]


def geographies(tables: dict, as_of=None, *, lookback_days: int = 365,
                levels=("region", "department")) -> dict:
    """`geography` at each of `levels`: {level: table}. The purchases of the window are
    selected and the bios searched for cities once for all levels (the bio search is the
    slow part: a pass over the accounts per known city)."""
    for level in levels:
        if level not in ("region", "department"):
            raise ValueError("level must be 'region' or 'department'")
    cust = _require(tables, "customers", ["customer_id", *levels])
    trx = _require(tables, "transactions", ["customer_id", "store_id", "channel", "amount",
                                            "timestamp"])
    stores = _require(tables, "stores", ["store_id", "city", "department", "region"])
    t = trx
    if as_of is not None:
        start, end = feature_window(as_of, lookback_days)
        # the window's purchases, only the columns read below (a copy of millions of rows)
        t = trx.loc[(trx["timestamp"] >= start) & (trx["timestamp"] < end),
                    ["customer_id", "store_id", "channel", "amount"]]
    at_store = t["channel"].isin(["store", "click_collect"])
    acc = tables.get("social_accounts")
    if acc is not None:
        persons = acc[acc["account_type"] == "person"]
        places = pd.concat([stores[["city", "department", "region"]],
                            cust[["city", "department", "region"]] if "city" in cust else None])
        loc = _bio_regions(persons, places)
    # the purchases' stores and customers as codes, found once for every level
    store_rows, store_ids = pd.factorize(t["store_id"])
    home_rows, home_ids = pd.factorize(t["customer_id"])
    at_store = at_store.to_numpy(bool)
    amount = pd.Series(t["amount"].to_numpy(float))
    store_areas, home_areas = stores.set_index("store_id"), cust.set_index("customer_id")
    result = {}
    for level in levels:
        out = pd.DataFrame({"customers": cust.groupby(level).size()})
        by_store, by_home = store_areas[level], home_areas[level]
        names = pd.Index(pd.concat([by_store, by_home]).dropna().unique())
        row_store = _area_codes(store_rows, store_ids, by_store, names)
        row_home = _area_codes(home_rows, home_ids, by_home, names)
        # located at the store for store / click & collect purchases, else at the customer's home
        area = np.where(at_store & (row_store >= 0), row_store, row_home)
        located = area >= 0
        sales = amount[located].groupby(area[located]).sum()
        sales.index = names[sales.index.to_numpy()]
        out = out.join(sales.rename("sales"), how="outer")
        attrs = {"unlocated_sales": float(amount[~located].sum())}
        if acc is not None:
            aud = loc.groupby(level).agg(social_accounts=("account_id", "size"),
                                         social_followers=("followers", "sum"))
            out = out.join(aud, how="outer")
            attrs["unlocated_accounts"] = int(len(persons) - len(loc))
            attrs["located_accounts"] = int(len(loc))
        out = out.fillna(0)
        for c in [c for c in ("customers", "sales", "social_accounts", "social_followers") if c in out]:
            out[f"{c}_share"] = out[c] / out[c].sum() if out[c].sum() else 0.0
        out.index.name = level
        out = out.sort_values("customers", ascending=False)
        out.attrs.update(attrs)
        result[level] = out
    return result


def concentration(values: pd.Series, top: int = 3) -> dict:
    """Concentration of a distribution: share of the `top` areas and Herfindahl index (0-1)."""
    v = values.astype(float).clip(lower=0)
    tot = v.sum()
    if tot <= 0:  # nothing located (e.g. the region column is empty in the file): not measurable
        return {"top_share": float("nan"), "top_areas": [], "herfindahl": float("nan"), "areas": 0}
    s = (v / tot).sort_values(ascending=False)
    return {"top_share": float(s.iloc[:top].sum()), "top_areas": list(s.index[:top]),
            "herfindahl": float((s ** 2).sum()), "areas": int((s > 0).sum())}
