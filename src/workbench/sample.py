"""Deterministic sample data for a fictional French retailer, with planted truth.

`generate()` writes every raw table of `workbench.schemas` as Parquet, the retailer's profile
(`retailer.yaml`, see `workbench.profile`), plus the truth the analyses should recover
(segments, web-to-store customers, a complaint crisis, influencers, CRM↔social pairs, channel
effects, a soft→hard KPI relation, answer delays, a recurring suggestion) in a separate `_truth/`
folder. Two fictional retailers (`retailer="fashion"`, the default, or `"grocery"`) are defined in
`workbench.sample_retailers`: every vocabulary (categories, platforms, tiers, store formats)
comes from the retailer's profile. The French texts are in `workbench.sample_texts`. Customers
are generated in chunks so that a million customers fit in memory. Everything is synthetic:
never present it as findings. See docs/sample_data.md for the story behind each table.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench import paths, schemas
from workbench import sample_texts as fr  # French text material
from workbench.profile import PROFILE_FILE, write_profile
from workbench.sample_retailers import FASHION, RETAILERS, SampleRetailer, get_retailer

# The default retailer's names (tests and notebooks written for the default sample use them).
BRAND = FASHION.brand
COMPETITORS = FASHION.competitors
BRANDS = FASHION.brands
BRAND_HANDLES = FASHION.handles

SEGMENTS = (
    "digital_natives",
    "web_to_store",
    "store_traditional",
    "premium_omnichannel",
    "occasional_bargain",
)
SEGMENT_SHARES = np.array([0.22, 0.20, 0.25, 0.13, 0.20])

# Log-odds of converting, per channel the journey was exposed to (planted channel effects).
CONVERSION_INTERCEPT = -1.0
CHANNEL_EFFECTS = {
    "search": 0.8,
    "social": 0.3,
    "email": 0.6,
    "display": 0.1,
    "website": 0.5,
    "app": 0.7,
    "store_visit": 1.2,
}
EXPOSURE_CHANNELS = tuple(CHANNEL_EFFECTS)
GENERATED_CHANNELS = (*EXPOSURE_CHANNELS, "purchase")

CRISIS_THEME = FASHION.crisis_theme
CRISIS_DEPARTMENT = FASHION.crisis_department
CRISIS_DAYS = 3
SUGGESTION = FASHION.suggestion
KPI_RELATION = FASHION.kpi_relation
BUZZ_ON_SALES = 0.30  # sales multiplier per standard deviation of last week's buzz
BUZZ_ON_POSITIVE = 0.55  # log-rate of positive mentions per standard deviation of buzz

CHUNK = 100_000

# Planted customer truths that make value segments move and interests visible (own RNG streams
# 22-26, so the older plants keep their draws where the tables allow it).
DROPOUT_SHARE = 0.12  # customers who stop buying for good at a known date (truth: dropouts)
INTEREST_SHARE = 0.30  # customers with one favourite product category (truth: interests)
INTEREST_LINE_SHARE = 0.6  # share of their basket lines moved to that category
INTEREST_MENTION_SHARE = 0.85  # share of their category-naming posts that name it
INTEREST_BIO_SHARE = 0.7  # share of their social accounts whose bio says it
N_DETRACTORS = 3  # engaged customers (consent, many posts) whose posts about the brand are negative
DETRACTOR_NEGATIVES = 10  # negative posts about the brand given to each detractor


@dataclass(frozen=True)
class Calendar:
    """Days of the sample period with their seasonal weights."""

    days: pd.DatetimeIndex
    store_weight: np.ndarray
    online_weight: np.ndarray
    sales_weight: np.ndarray
    buzz_week: np.ndarray  # standardised buzz of each day's ISO week
    buzz_lag: np.ndarray  # buzz of the previous week, per day


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


@lru_cache(maxsize=65_536)
def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


@lru_cache(maxsize=65_536)
def _email_part(name: str) -> str:
    """A name as written in an e-mail address: no accents, lower case, no spaces."""
    return _strip_accents(name).lower().replace(" ", "")


def _id_strings(prefix: str, numbers, width: int, valid=None) -> pd.api.extensions.ExtensionArray:
    """f"{prefix}{n:0{width}d}" for every n (missing where `valid` is False), built in numpy.

    Ids are written by the million (touchpoints, visitors, transactions): building them
    digit by digit instead of one f-string per row is what keeps that cheap at retail scale.
    """
    v = np.asarray(numbers, dtype=np.int64)
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        v = np.where(valid, v, 0)
    if v.size and (v.min() < 0 or v.max() >= 10**width):  # wider than the padding: rare, plain Python
        ids = [f"{prefix}{i:0{width}d}" for i in v.tolist()]
        if valid is not None:
            ids = [x if ok else None for x, ok in zip(ids, valid.tolist(), strict=True)]
        return pd.array(ids, dtype="str")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    rest = v.astype(np.uint32) if width <= 9 else v.copy()  # 32-bit division is faster
    chars = np.empty((head.size + width, v.size), dtype=np.uint8)  # one row per character
    chars[: head.size] = head[:, None]
    for k in range(head.size + width - 1, head.size - 1, -1):
        q = rest // 10
        chars[k] = rest - q * 10 + 48
        rest = q
    buf = np.ascontiguousarray(chars.T)
    offsets = np.arange(v.size + 1, dtype=np.int64) * buf.shape[1]
    nulls = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    arr = pa.LargeStringArray.from_buffers(v.size, pa.py_buffer(offsets), pa.py_buffer(buf), nulls)
    return arr.to_pandas().array


def _labels(codes, labels) -> pd.api.extensions.ExtensionArray:
    """labels[code] for every code (missing where code < 0), without Python string objects."""
    codes = np.asarray(codes)
    arr = pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32), mask=codes < 0), pa.array(list(labels), pa.large_string())
    )
    return arr.dictionary_decode().to_pandas().array


def _read_lines(name: str) -> list[str]:
    text = resources.files("workbench").joinpath("resources", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _cities(rt: SampleRetailer = FASHION) -> pd.DataFrame:
    """Cities of the sample (resources/cities.csv), after the retailer's own extra cities."""
    path = resources.files("workbench").joinpath("resources", "cities.csv")
    with resources.as_file(path) as p:
        cities = pd.read_csv(p, dtype={"postcode": str, "department": str})
    if rt.extra_cities:
        extra = pd.DataFrame(list(rt.extra_cities), columns=cities.columns).astype(
            {"postcode": str, "department": str})
        cities = pd.concat([extra, cities], ignore_index=True)
    return cities


def _period_bounds(start: str, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    first = pd.Timestamp(start).normalize().replace(day=1)
    return first, first + pd.DateOffset(months=months)


def _sales_periods(days: pd.DatetimeIndex) -> np.ndarray:
    """Soldes (winter and summer, 4 weeks each) and Black Friday week, as a 0/1 mask."""
    mask = np.zeros(len(days), dtype=bool)
    for year in sorted(set(days.year)):
        jan = pd.date_range(f"{year}-01-01", f"{year}-01-31")
        winter = jan[jan.weekday == 2][1]  # second Wednesday of January
        jun = pd.date_range(f"{year}-06-01", f"{year}-06-30")
        summer = jun[jun.weekday == 2][-1]  # last Wednesday of June
        nov = pd.date_range(f"{year}-11-01", f"{year}-11-30")
        black_friday = nov[nov.weekday == 4][-1]
        for s, n in ((winter, 28), (summer, 28), (black_friday - pd.Timedelta(days=4), 7)):
            mask |= (days >= s) & (days < s + pd.Timedelta(days=n))
    return mask


def _calendar(start: str, months: int, seed: int) -> Calendar:
    first, end = _period_bounds(start, months)
    days = pd.date_range(first, end - pd.Timedelta(days=1), freq="D")
    wd = days.weekday.to_numpy()
    store_wd = np.array([0.8, 0.85, 0.95, 0.9, 1.05, 1.6, 0.35])[wd]  # Saturday peak, Sunday closed-ish
    online_wd = np.array([1.0, 0.95, 0.95, 0.95, 0.9, 0.85, 1.3])[wd]  # Sunday-evening peak
    sales = _sales_periods(days)
    month = days.month.to_numpy()
    season = np.where(month == 12, 1.6, 1.0) * np.where(np.isin(month, (2, 8)), 0.85, 1.0)
    christmas = (month == 12) & (days.day.to_numpy() <= 24)
    season = season * np.where(christmas, 1.2, 1.0)
    sales_boost = np.where(sales, 1.8, 1.0)
    # Weekly buzz: AR(1), standardised; drives positive mentions now and sales next week.
    week = ((days - days[0]).days.to_numpy() // 7).astype(int)
    n_weeks = week.max() + 1
    r = _rng(seed, 1)
    b = np.zeros(n_weeks)
    eps = r.normal(size=n_weeks)
    for i in range(n_weeks):
        b[i] = (0.4 * b[i - 1] if i else 0.0) + eps[i]
    b = (b - b.mean()) / b.std()
    buzz_week = b[week]
    buzz_lag = np.concatenate([[0.0], b])[week]
    lag_mult = np.clip(1 + BUZZ_ON_SALES * buzz_lag, 0.3, None)
    store_weight = store_wd * season * sales_boost * lag_mult
    online_weight = online_wd * season * sales_boost * lag_mult
    sales_weight = np.where(sales, 8.0, 1.0) * season * lag_mult
    return Calendar(days, store_weight, online_weight, sales_weight, buzz_week, buzz_lag)


# ---------------------------------------------------------------------------------------------
# Stores and customers
# ---------------------------------------------------------------------------------------------

def _stores(n_customers: int, cities: pd.DataFrame, seed: int, rt: SampleRetailer = FASHION) -> pd.DataFrame:
    r = _rng(seed, 2)
    n = int(np.clip(n_customers // 400, 12, 400))
    w = cities["population"].to_numpy(float)
    # every city gets one store, the rest follow population
    extra = r.choice(len(cities), size=max(n - len(cities), 0), p=w / w.sum())
    idx = np.sort(np.concatenate([np.arange(min(n, len(cities))), extra]))
    c = cities.iloc[idx].reset_index(drop=True)
    big = c["population"].to_numpy() >= 140
    # format: one uniform draw per store against the cumulated format shares of its city size
    cdf = np.cumsum(np.where(big[:, None], np.array(rt.format_p_big), np.array(rt.format_p_small)), axis=1)
    k_fmt = np.minimum((r.random(len(c))[:, None] >= cdf).sum(axis=1), len(rt.formats) - 1)
    fmt = np.array(rt.formats)[k_fmt]
    names = [
        f"{rt.brand} {city}" + (f" {k + 1}" if k else "")
        for city, k in zip(c["city"], c.groupby("city").cumcount(), strict=True)
    ]
    return pd.DataFrame(
        {
            "store_id": [f"S{i + 1:04d}" for i in range(len(c))],
            "store_name": names,
            "format": fmt,
            "city": c["city"],
            "postcode": c["postcode"],
            "department": c["department"],
            "region": c["region"],
        }
    )


_SEG_AGE = {  # mean, sd of age
    0: (27, 5),
    1: (42, 7),
    2: (66, 8),
    3: (47, 7),
    4: (45, 14),
}
_SEG_CSP = np.array(
    [  # agri, artisans, cadres, prof_int, employes, ouvriers, retraites, sans_activite
        [0.00, 0.03, 0.30, 0.30, 0.25, 0.05, 0.00, 0.07],
        [0.01, 0.06, 0.22, 0.30, 0.27, 0.12, 0.00, 0.02],
        [0.02, 0.04, 0.03, 0.05, 0.10, 0.08, 0.68, 0.00],
        [0.00, 0.12, 0.58, 0.20, 0.07, 0.01, 0.02, 0.00],
        [0.01, 0.04, 0.10, 0.18, 0.30, 0.20, 0.12, 0.05],
    ]
)
_SEG_JOURNEYS = np.array([26.0, 16.0, 20.0, 24.0, 6.0])  # journeys per customer per year
_SEG_EMAIL_CONSENT = np.array([0.75, 0.7, 0.45, 0.8, 0.5])
_SEG_AMBASSADOR_CONSENT = np.array([0.35, 0.3, 0.25, 0.35, 0.15])
_SEG_SOCIAL = np.array([0.65, 0.30, 0.03, 0.35, 0.12])  # share with a social account
_SEG_OPEN = np.array([0.38, 0.30, 0.10, 0.42, 0.09])
_SEG_CLICK = np.array([0.30, 0.22, 0.08, 0.28, 0.10])  # clicks among opens
_SEG_BIG_CITY = np.array([3.0, 1.0, 0.6, 1.8, 1.0])  # tilt towards big cities
# purchase-intent channel per journey: store, web, app, click_collect
_SEG_INTENT = np.array(
    [
        [0.06, 0.44, 0.44, 0.06],
        [0.95, 0.04, 0.01, 0.00],
        [0.98, 0.02, 0.00, 0.00],
        [0.40, 0.22, 0.16, 0.22],
        [0.60, 0.34, 0.04, 0.02],
    ]
)
_SEG_RESEARCH = np.array([0.10, 0.92, 0.04, 0.12, 0.10])  # online research before a store purchase
# exposure probability of each advertising channel per journey: social, email, display
_SEG_ADS = np.array(
    [
        [0.55, 0.30, 0.25],
        [0.20, 0.30, 0.20],
        [0.02, 0.08, 0.05],
        [0.30, 0.45, 0.25],
        [0.10, 0.15, 0.35],
    ]
)
_SEG_PRICE = np.array([1.0, 1.25, 0.55, 2.3, 0.9])


class _AddressBook:
    """E-mail addresses handed out so far, kept from chunk to chunk so they stay unique.

    One address per person: a second "marie.martin@gmail.com" becomes "marie.martin2@gmail.com".
    """

    def __init__(self) -> None:
        self.count: dict[str, int] = {}  # wished address -> people who wished it so far
        self.used: set[str] = set()

    def unique(self, emails: list[str]) -> list[str]:
        out = []
        for e in emails:
            k = self.count.get(e, 0)
            cand = e if k == 0 else e.replace("@", f"{k + 1}@", 1)
            while cand in self.used:  # "mariemartin1" + 2 may be someone else's "mariemartin12"
                k += 1
                cand = e.replace("@", f"{k + 1}@", 1)
            self.count[e] = k + 1
            self.used.add(cand)
            out.append(cand)
        return out


def _customers_chunk(
    offset: int, n: int, stores: pd.DataFrame, cities: pd.DataFrame, first: pd.Timestamp, seed: int,
    book: _AddressBook | None = None, rt: SampleRetailer = FASHION,
) -> pd.DataFrame:
    """Customers offset+1 .. offset+n; `book` holds the e-mail addresses of earlier chunks."""
    book = _AddressBook() if book is None else book
    r = _rng(seed, 3, offset)
    seg = r.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARES)
    mu = np.array([_SEG_AGE[s][0] for s in range(5)])[seg]
    sd = np.array([_SEG_AGE[s][1] for s in range(5)])[seg]
    age = np.clip(r.normal(mu, sd), 18, 92).round().astype(int)
    birth_year = first.year - age
    sex = np.where(r.random(n) < 0.56, "F", "M")
    csp_idx = (r.random(n)[:, None] > np.cumsum(_SEG_CSP[seg], axis=1)).sum(axis=1)
    csp = np.array(schemas.CSP)[np.minimum(csp_idx, len(schemas.CSP) - 1)]
    tier_idx = (r.random(n)[:, None] > np.cumsum(rt.seg_tier[seg], axis=1)).sum(axis=1)
    tier = np.array(rt.tiers)[np.minimum(tier_idx, len(rt.tiers) - 1)]
    earns = (tier_idx >= 0) if rt.points_lowest else (tier_idx > 0)  # fashion: no card, no points
    points = np.round(r.gamma(2.0, 150.0, n) * (1 + tier_idx)).astype(int) * earns
    # city: population weights tilted towards big cities by segment
    pop = cities["population"].to_numpy(float)
    big = pop >= 250
    city_idx = np.empty(n, dtype=int)
    for s in range(5):
        m = seg == s
        w = pop * np.where(big, _SEG_BIG_CITY[s], 1.0)
        city_idx[m] = r.choice(len(cities), size=m.sum(), p=w / w.sum())
    c = cities.iloc[city_idx].reset_index(drop=True)
    # home store: a store of the same city, else of the same region, else any
    by_city = stores.groupby("city")["store_id"].apply(list).to_dict()
    by_region = stores.groupby("region")["store_id"].apply(list).to_dict()
    u = r.random(n)
    home = np.empty(n, dtype=object)
    for k in np.unique(city_idx):  # one pick list per city (its region determines the fallback)
        ci, rg = cities["city"].iloc[k], cities["region"].iloc[k]
        lst = np.array(by_city.get(ci) or by_region.get(rg) or list(stores["store_id"]), dtype=object)
        m = city_idx == k
        home[m] = lst[(u[m] * len(lst)).astype(int)]
    # names and e-mail
    ff, fm, ln = _read_lines("first_names_f.txt"), _read_lines("first_names_m.txt"), _read_lines("last_names.txt")
    fw = 1.0 / np.arange(1, len(ff) + 1) ** 0.2
    lw = 1.0 / np.arange(1, len(ln) + 1) ** 0.2
    fi = r.choice(len(ff), size=n, p=fw / fw.sum())
    li = r.choice(len(ln), size=n, p=lw / lw.sum())
    first_name = np.where(sex == "F", np.array(ff)[fi], np.array(fm)[np.minimum(fi, len(fm) - 1)])
    last_name = np.array(ln)[li]
    domains = np.array(["gmail.com", "orange.fr", "free.fr", "hotmail.fr", "yahoo.fr", "laposte.net", "sfr.fr"])
    dom = domains[r.choice(len(domains), size=n, p=[0.42, 0.18, 0.12, 0.12, 0.06, 0.05, 0.05])]
    style = r.integers(0, 4, n)
    num = r.integers(1, 99, n)
    emails = [
        f"{local}@{d}"
        for f2, l2, d, st, k, by in zip(
            map(_email_part, first_name.tolist()), map(_email_part, last_name.tolist()),
            dom.tolist(), style.tolist(), num.tolist(), birth_year.tolist(), strict=True,
        )
        for local in ((f"{f2}.{l2}", f"{f2}{l2}{k}", f"{f2[0]}{l2}", f"{f2}.{l2}{by % 100:02d}")[st],)
    ]
    emails = np.array(book.unique(emails), dtype=object)
    has_email = r.random(n) < np.where(seg == 2, 0.55, 0.97)
    emails[~has_email] = None
    email_consent = has_email & (r.random(n) < _SEG_EMAIL_CONSENT[seg])
    amb_consent = r.random(n) < _SEG_AMBASSADOR_CONSENT[seg]
    signup_days = r.integers(0, 365 * 8, n)
    signup = first - pd.to_timedelta(signup_days, unit="D") + pd.to_timedelta(
        (r.random(n) < 0.08) * r.integers(0, 200, n), unit="D"
    )
    missing_demo = r.random(n) < 0.03  # a few incomplete CRM records
    df = pd.DataFrame(
        {
            "customer_id": _id_strings("C", np.arange(offset + 1, offset + n + 1), 7),
            "first_name": first_name,
            "last_name": last_name,
            "email": pd.array(emails, dtype="str"),
            "birth_year": pd.array(np.where(missing_demo, -1, birth_year), dtype="Int64"),
            "sex": sex,
            "csp": csp,
            "postcode": c["postcode"].to_numpy(),
            "city": c["city"].to_numpy(),
            "department": c["department"].to_numpy(),
            "region": c["region"].to_numpy(),
            "home_store_id": home,
            "loyalty_tier": tier,
            "loyalty_points": points.astype("int64"),
            "email_consent": email_consent,
            "ambassador_consent": amb_consent,
            "signup_date": signup.normalize(),
        }
    )
    df.loc[missing_demo, "birth_year"] = pd.NA
    df.loc[missing_demo & (r.random(n) < 0.5), "csp"] = None
    df["_segment"] = seg
    return df


# ---------------------------------------------------------------------------------------------
# Journeys, touchpoints and purchases
# ---------------------------------------------------------------------------------------------

def _hours(r, n, kind):
    """Hour of day (fractional) for store or online activity."""
    if kind == "store":
        return np.clip(r.normal(15.0, 2.6, n), 9.0, 19.9)
    evening = r.random(n) < 0.55
    return np.where(evening, np.clip(r.normal(20.8, 1.4, n), 17, 23.9), np.clip(r.normal(12.5, 2.5, n), 7, 17))


def _customer_plants(n: int, n_days: int, n_categories: int, seed: int, offset: int):
    """Per customer of a chunk: the day they stop buying (n_days: never) and their favourite
    category (-1: none). Own stream, so the customers' other draws do not move."""
    r = _rng(seed, 22, offset)
    dropped = r.random(n) < DROPOUT_SHARE
    lo = int(n_days * 0.25)
    hi = max(lo + 1, n_days - 45)  # late enough to see them leave, early enough to see them gone
    drop_day = np.where(dropped, r.integers(lo, hi, n), n_days)
    interest = np.where(r.random(n) < INTEREST_SHARE, r.integers(0, n_categories, n), -1)
    return drop_day, interest


def _journeys_chunk(cust: pd.DataFrame, stores: pd.DataFrame, cal: Calendar, seed: int, offset: int,
                    rt: SampleRetailer = FASHION, drop_day: np.ndarray | None = None,
                    interest: np.ndarray | None = None):
    """Journeys, touchpoints and purchases of a chunk's customers. Journeys of a customer from
    `drop_day` on are removed after every draw (the drop-out plant leaves the others' draws)."""
    r = _rng(seed, 4, offset)
    n_days = len(cal.days)
    seg = cust["_segment"].to_numpy()
    n_cust = len(cust)
    lam = _SEG_JOURNEYS[seg] * n_days / 365.0
    nj = r.poisson(lam)
    j_cust = np.repeat(np.arange(n_cust), nj)
    j_seg = seg[j_cust]
    m = len(j_cust)
    intent = (r.random(m)[:, None] > np.cumsum(_SEG_INTENT[j_seg], axis=1)).sum(axis=1)
    intent = np.minimum(intent, 3)  # 0 store, 1 web, 2 app, 3 click_collect
    # day of the (intended) purchase
    day = np.empty(m, dtype=int)
    pw = {
        "store": cal.store_weight / cal.store_weight.sum(),
        "online": cal.online_weight / cal.online_weight.sum(),
        "sales": cal.sales_weight / cal.sales_weight.sum(),
    }
    bargain = j_seg == 4
    is_store = intent == 0
    for key, mask in (
        ("sales", bargain),
        ("store", ~bargain & is_store),
        ("online", ~bargain & ~is_store),
    ):
        day[mask] = r.choice(n_days, size=mask.sum(), p=pw[key])
    hour = np.where(is_store, _hours(r, m, "store"), _hours(r, m, "online"))
    t_end = cal.days.values[day] + (hour * 3600e9).astype("timedelta64[ns]")
    # exposures
    x = {c: np.zeros(m, dtype=bool) for c in EXPOSURE_CHANNELS}
    research = is_store & (r.random(m) < _SEG_RESEARCH[j_seg])
    x["search"] = (research & (r.random(m) < 0.75)) | (~is_store & (r.random(m) < 0.5))
    x["website"] = (research & (r.random(m) < 0.7)) | np.isin(intent, (1, 3))
    x["app"] = (research & ~x["website"]) | (research & (r.random(m) < 0.2)) | (intent == 2)
    ads = _SEG_ADS[j_seg]
    x["social"] = r.random(m) < ads[:, 0]
    x["email"] = r.random(m) < ads[:, 1]
    x["display"] = r.random(m) < ads[:, 2]
    x["store_visit"] = is_store
    logit = CONVERSION_INTERCEPT + sum(CHANNEL_EFFECTS[c] * x[c] for c in EXPOSURE_CHANNELS)
    converted = r.random(m) < 1 / (1 + np.exp(-logit))
    # touchpoint rows
    offsets_days = {"display": 3.0, "social": 2.5, "email": 2.0, "search": 1.2, "website": 0.5, "app": 0.5}
    n_dev = 1 + (r.random(n_cust) < 0.5) + (r.random(n_cust) < 0.2)
    dev_start = np.concatenate([[0], np.cumsum(n_dev)[:-1]]) + offset * 3
    rows = []
    first = cal.days.values[0]
    for c in EXPOSURE_CHANNELS:
        sel = np.flatnonzero(x[c])
        if c == "store_visit":
            t = t_end[sel] - np.timedelta64(20, "m")
        else:
            base = offsets_days[c]
            # store research happens over the days before; online browsing closer to the purchase
            scale = np.where(is_store[sel], base, base * 0.35)
            off = np.minimum(r.exponential(scale), 6.5) + 0.01
            if c in ("website", "app"):
                off = np.where(~is_store[sel] & (intent[sel] > 0), r.uniform(0.001, 0.03, sel.size), off)
            t = t_end[sel] - (off * 86400e9).astype("timedelta64[ns]")
        rows.append((sel, np.full(sel.size, GENERATED_CHANNELS.index(c), dtype=np.int8), t))
    tp_j = np.concatenate([s for s, _, _ in rows])
    tp_ch = np.concatenate([c for _, c, _ in rows])
    tp_t = np.concatenate([t for _, _, t in rows])
    tp_t = np.where(tp_t >= first, tp_t, first)
    conv_idx = np.flatnonzero(converted)
    # purchases
    store_of = np.where(
        r.random(conv_idx.size) < 0.85,
        cust["home_store_id"].to_numpy()[j_cust[conv_idx]],
        stores["store_id"].to_numpy()[r.integers(0, len(stores), conv_idx.size)],
    )
    channel = np.array(schemas.SALES_CHANNELS)[intent[conv_idx]]
    tx = pd.DataFrame(
        {
            "j": conv_idx,
            "customer_id": cust["customer_id"].to_numpy()[j_cust[conv_idx]],
            "store_id": np.where(np.isin(channel, ("store", "click_collect")), store_of, None),
            "channel": channel,
            "timestamp": t_end[conv_idx],
            "_seg": j_seg[conv_idx],
            "_interest": (np.full(n_cust, -1) if interest is None else interest)[j_cust[conv_idx]],
        }
    )
    tp_j = np.concatenate([tp_j, conv_idx])
    tp_ch = np.concatenate([tp_ch, np.full(conv_idx.size, GENERATED_CHANNELS.index("purchase"), dtype=np.int8)])
    tp_t = np.concatenate([tp_t, t_end[conv_idx]])
    # identities: device per touchpoint, customer_id known when logged in / offline / e-mail
    n_tp = tp_j.size
    tcust = j_cust[tp_j]
    dev = dev_start[tcust] + (r.random(n_tp) * n_dev[tcust]).astype(int)
    offline = np.isin(tp_ch, [GENERATED_CHANNELS.index("store_visit"), GENERATED_CHANNELS.index("purchase")])
    dev = np.where(offline, dev_start[tcust], dev)
    known = offline | (tp_ch == GENERATED_CHANNELS.index("email")) | (r.random(n_tp) < 0.55)
    plat = np.full(n_tp, -1, dtype=np.int8)
    soc = tp_ch == GENERATED_CHANNELS.index("social")
    plat_p = list(rt.touchpoint_platform_p)
    plat[soc] = r.choice(len(plat_p), size=soc.sum(), p=plat_p)
    # numbers, not strings: ids and labels are written once, after the chunk is sorted
    tp = {
        "j": tp_j, "channel": tp_ch, "timestamp": tp_t, "visitor": dev,
        "customer": np.where(known, offset + tcust + 1, -1), "platform": plat,
    }
    if drop_day is not None:  # drop-outs: no journey from their drop day on
        keep = day < drop_day[j_cust]
        tx = tx[keep[tx["j"].to_numpy()]].reset_index(drop=True)
        keep_tp = keep[tp["j"]]
        tp = {k: v[keep_tp] for k, v in tp.items()}
        converted = converted & keep
    return tp, tx, converted, j_seg


def _anonymous_touchpoints(n: int, cal: Calendar, seed: int, offset: int, rt: SampleRetailer = FASHION):
    """Journeys of visitors never identified (null paths of unknown people)."""
    r = _rng(seed, 5, offset)
    day = r.choice(len(cal.days), size=n, p=cal.online_weight / cal.online_weight.sum())
    t = cal.days.values[day] + (_hours(r, n, "online") * 3600e9).astype("timedelta64[ns]")
    codes = np.array([GENERATED_CHANNELS.index(c) for c in ("search", "social", "display", "website", "app")],
                     dtype=np.int8)
    ch = codes[r.choice(5, size=n, p=[0.25, 0.2, 0.2, 0.3, 0.05])]
    plat = np.where(ch == GENERATED_CHANNELS.index("social"), r.integers(0, len(rt.platforms), n), -1)
    plat = plat.astype(np.int8)
    vis = r.integers(0, n // 2 + 1, n) + 900_000_000 + offset
    return {"channel": ch, "timestamp": t, "visitor": vis, "customer": np.full(n, -1), "platform": plat}


def _lines_for(tx: pd.DataFrame, cal: Calendar, seed: int, offset: int,
               rt: SampleRetailer = FASHION) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    r = _rng(seed, 6, offset)
    n = len(tx)
    seg = tx["_seg"].to_numpy()
    n_lines = np.minimum(1 + r.poisson(0.9, n), 4)
    li_tx = np.repeat(np.arange(n), n_lines)
    li_seg = seg[li_tx]
    cat = (r.random(li_tx.size)[:, None] > np.cumsum(rt.seg_category[li_seg], axis=1)).sum(axis=1)
    cat = np.minimum(cat, len(rt.categories) - 1)
    if "_interest" in tx:  # planted interests: part of a customer's lines go to their favourite category
        li_int = tx["_interest"].to_numpy()[li_tx]
        swap = (li_int >= 0) & (_rng(seed, 23, offset).random(li_tx.size) < INTEREST_LINE_SHARE)
        cat = np.where(swap, li_int, cat)
    qty = 1 + r.poisson(0.5, li_tx.size)
    days = ((tx["timestamp"].to_numpy() - cal.days.values[0]) // np.timedelta64(1, "D")).astype(int)
    in_sales = _sales_periods(cal.days)[np.clip(days, 0, len(cal.days) - 1)]
    disc = np.where(in_sales, 0.7, 1.0)[li_tx]
    unit = rt.category_price[cat] * _SEG_PRICE[li_seg] * disc * r.lognormal(0, 0.35, li_tx.size)
    amount = np.round(unit * qty, 2)
    line_no = np.arange(li_tx.size) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    lines = pd.DataFrame(
        {
            "transaction_id": tx["transaction_id"].to_numpy()[li_tx],
            "line_no": line_no.astype("int64"),
            "category": np.array(rt.categories)[cat],
            "quantity": qty.astype("int64"),
            "amount": amount,
        }
    )
    total = np.bincount(li_tx, weights=amount, minlength=n)
    items = np.bincount(li_tx, weights=qty, minlength=n).astype("int64")
    return lines, np.round(total, 2), items


# ---------------------------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------------------------



def _campaigns(cal: Calendar, seed: int, rt: SampleRetailer = FASHION) -> pd.DataFrame:
    r = _rng(seed, 7)
    weekly = cal.days[cal.days.weekday == 1]  # Tuesdays
    extra = cal.days[_sales_periods(cal.days) & (cal.days.weekday == 4)]
    dates = weekly.union(extra)
    subjects = rt.subjects
    k = r.integers(0, len(subjects), len(dates))
    return pd.DataFrame(
        {
            "campaign_id": [f"E{i + 1:04d}" for i in range(len(dates))],
            "sent_date": dates,
            "subject": [subjects[i][0] for i in k],
            "category": [subjects[i][1] for i in k],
        }
    )


def _email_events_chunk(cust: pd.DataFrame, campaigns: pd.DataFrame, seed: int, offset: int) -> pd.DataFrame:
    r = _rng(seed, 8, offset)
    ok = cust["email_consent"].to_numpy()
    ids = cust["customer_id"].to_numpy()[ok]
    seg = cust["_segment"].to_numpy()[ok]
    out = []
    for cid, sent in zip(campaigns["campaign_id"], campaigns["sent_date"], strict=True):
        target = r.random(ids.size) < 0.35
        c_ids, c_seg = ids[target], seg[target]
        opened = r.random(c_ids.size) < _SEG_OPEN[c_seg]
        clicked = opened & (r.random(c_ids.size) < _SEG_CLICK[c_seg])
        t0 = sent + pd.Timedelta(hours=9)
        t_open = t0 + pd.to_timedelta(r.exponential(10, c_ids.size), unit="h")
        t_click = t_open + pd.to_timedelta(r.exponential(5, c_ids.size), unit="m")
        out.append(pd.DataFrame({"campaign_id": cid, "customer_id": c_ids, "event": "sent", "timestamp": t0}))
        out.append(pd.DataFrame({"campaign_id": cid, "customer_id": c_ids[opened], "event": "open", "timestamp": t_open[opened]}))
        out.append(pd.DataFrame({"campaign_id": cid, "customer_id": c_ids[clicked], "event": "click", "timestamp": t_click[clicked]}))
    return pd.concat(out, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# French text
# ---------------------------------------------------------------------------------------------



_HANDLES = {b: h for rt in RETAILERS.values() for b, h in rt.handles.items()}


@cache
def _brand_refs(brand: str) -> tuple[str, ...]:
    """The ways people name a brand: @handle, name, #hashtag, lower case."""
    return (f"@{_HANDLES[brand]}", brand, "#" + _strip_accents(brand).replace(" ", ""), brand.lower())


def _brand_ref(r: np.random.Generator, brand: str) -> str:
    options = _brand_refs(brand)
    return options[r.integers(0, len(options))]


def _decorate(r, text: str, sentiment: str, brand: str) -> str:
    if r.random() < 0.25:
        for a, b in fr.NOISE:
            if a in text and r.random() < 0.6:
                text = text.replace(a, b, 1)
    if r.random() < 0.5:
        e = fr.EMOJI[sentiment][r.integers(0, len(fr.EMOJI[sentiment]))]
        text = f"{text} {e}".rstrip()
    if r.random() < 0.3:
        tags = ["#" + _strip_accents(brand).replace(" ", ""), "#soldes", "#BlackFriday", "#shopping", "#colis"]
        text = f"{text} {tags[r.integers(0, len(tags))]}"
    if r.random() < 0.08:
        text = text.upper() if sentiment == "negative" else text
    return text


def _fill(r, template: str, brand: str, category: str | None, rt: SampleRetailer = FASHION) -> str:
    cat = category if isinstance(category, str) else rt.categories[r.integers(0, len(rt.categories))]
    prods = rt.products[cat]
    return template.format(
        b=_brand_ref(r, brand), i=fr.INTENS[r.integers(0, len(fr.INTENS))], p=prods[r.integers(0, len(prods))]
    )


# ---------------------------------------------------------------------------------------------
# Social accounts
# ---------------------------------------------------------------------------------------------

def _display_variant(r, first: str, last: str) -> str:
    """A display name as people write it: accents dropped, typos, initials, nicknames."""
    k = r.random()
    if k < 0.35:
        name = f"{first} {last}"
    elif k < 0.55:
        name = _strip_accents(f"{first} {last}").lower()
    elif k < 0.68:
        name = f"{first} {last[0]}."
    elif k < 0.78:
        name = f"{first[0]}. {last}"
    elif k < 0.90:  # one typo
        s = f"{first} {last}"
        i = int(r.integers(1, len(s) - 1))
        name = s[:i] + s[i + 1 :] if r.random() < 0.5 else s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    else:
        name = f"{first.upper()} {last.upper()}"
    return name


@lru_cache(maxsize=65_536)
def _handle_part(name: str) -> str:
    return _strip_accents(name).lower().replace(" ", "").replace("-", "")


def _handle(r, first: str, last: str, birth_year) -> str:
    f = _handle_part(first)
    l_ = _handle_part(last)
    yy = f"{int(birth_year) % 100:02d}" if pd.notna(birth_year) else str(r.integers(1, 99))
    opts = [f"{f}.{l_}", f"{f}_{l_}{yy}", f"{f}{l_[:3]}", f"{f[0]}{l_}", f"{l_}{f}{r.integers(1, 999)}", f"{f}_officiel"]
    return opts[r.integers(0, len(opts))]


def _pick_one(r: np.random.Generator, cdf: np.ndarray) -> int:
    """Same draw as r.choice(len(cdf), p=...) (cdf = normalised cumsum of p), without its overhead."""
    return int(cdf.searchsorted(r.random(), side="right"))


def _pick_distinct(r: np.random.Generator, p: np.ndarray, size: int) -> list[int]:
    """Same draws as r.choice(len(p), size, replace=False, p=p), without its overhead.

    Follows numpy's algorithm step by step (draw, drop the repeats, re-weight, draw again),
    so a sample stays byte-identical to the one written with r.choice.
    """
    found: list[int] = []
    q = p.copy()
    while len(found) < size:
        x = r.random(size - len(found))
        if found:
            q[found] = 0
        cdf = np.cumsum(q)
        cdf /= cdf[-1]
        new = cdf.searchsorted(x, side="right")
        _, first_seen = np.unique(new, return_index=True)
        first_seen.sort()
        found.extend(new.take(first_seen).tolist())
    return found




def _social_accounts(linked: pd.DataFrame, n_customers: int, cities: pd.DataFrame, seed: int,
                     rt: SampleRetailer = FASHION):
    """Person accounts (some owned by CRM customers), influencers and brand accounts."""
    r = _rng(seed, 9)
    rb = _rng(seed, 24)  # interest phrases in bios (own stream: the other bios keep their draws)
    rows, pairs, extra = [], [], []  # extra: (interest, consent, dropped, customer) per linked account
    plat_p = np.array(rt.account_platform_p)
    plat_cdf = np.cumsum(plat_p)
    plat_cdf /= plat_cdf[-1]
    k = 0
    for cid, first, last, email, city, by, seg, intr, consent, dropped in zip(
        *(linked[c].tolist() for c in ("customer_id", "first_name", "last_name", "email", "city", "birth_year")),
        linked["segment"].to_numpy(), linked["interest"].tolist(), linked["ambassador_consent"].tolist(),
        linked["dropped"].tolist(), strict=True,
    ):
        n_acc = 1 + (r.random() < 0.15)
        for p in _pick_distinct(r, plat_p, n_acc):
            k += 1
            aid = f"A{k:08d}"
            bio_parts = []
            if r.random() < 0.97:
                bio_parts.append(fr.BIO_PLACE[r.integers(0, 4)] + city)
            if r.random() < 0.6 and isinstance(email, str):
                bio_parts.append(f"contact : {email}")
            if r.random() < 0.4:
                bio_parts.append(fr.BIO_ABOUT[r.integers(0, 5)])
            if intr >= 0 and rb.random() < INTEREST_BIO_SHARE:
                label = rt.profile.category_label(rt.categories[intr]).lower()
                bio_parts.append(fr.BIO_INTEREST[rb.integers(0, len(fr.BIO_INTEREST))].format(c=label))
            extra.append((intr, consent, dropped, cid))
            rows.append(
                (aid, rt.platforms[p], _handle(r, first, last, by),
                 _display_variant(r, first, last), " · ".join(bio_parts) or None, seg)
            )
            pairs.append((cid, aid))
    ff, fm, ln = _read_lines("first_names_f.txt"), _read_lines("first_names_m.txt"), _read_lines("last_names.txt")
    ffm, city_names = ff + fm, cities["city"].tolist()
    n_other = int(len(rows) * 1.4) + 50
    for _ in range(n_other):
        k += 1
        first = ffm[r.integers(0, len(ffm))]
        last = ln[r.integers(0, len(ln))]
        city = city_names[r.integers(0, len(city_names))]
        bio = (city if r.random() < 0.5 else None)
        p = _pick_one(r, plat_cdf)
        rows.append((f"A{k:08d}", rt.platforms[p], _handle(r, first, last, None), _display_variant(r, first, last), bio, -1))
    acc = pd.DataFrame(rows, columns=["account_id", "platform", "handle", "display_name", "bio", "_segment"])
    n_other = len(acc) - len(extra)
    extra = pd.DataFrame(extra, columns=["_interest", "_consent", "_dropped", "_customer"])
    acc["_interest"] = np.concatenate([extra["_interest"].to_numpy(int), np.full(n_other, -1)])
    acc["_consent"] = np.concatenate([extra["_consent"].to_numpy(bool), np.zeros(n_other, bool)])
    acc["_dropped"] = np.concatenate([extra["_dropped"].to_numpy(bool), np.zeros(n_other, bool)])
    acc["_customer"] = list(extra["_customer"]) + [None] * n_other
    # handles are unique per platform
    dup = acc.duplicated(["platform", "handle"], keep="first")
    acc.loc[dup, "handle"] = acc.loc[dup, "handle"] + acc.loc[dup].index.astype(str).str[-3:]
    acc["followers"] = np.round(r.lognormal(4.8, 1.3, len(acc))).astype("int64")
    # planted influencers: active accounts with large audiences whose posts travel
    n_inf = max(30, len(acc) // 800)
    others = np.flatnonzero(acc["_segment"].to_numpy() == -1)
    custs = np.flatnonzero(acc["_segment"].to_numpy() >= 0)
    inf_idx = np.concatenate([r.choice(others, size=n_inf - n_inf // 4, replace=False), r.choice(custs, size=n_inf // 4, replace=False)])
    acc.loc[inf_idx, "followers"] = np.round(r.pareto(1.2, n_inf) * 15_000 + 20_000).astype("int64")
    # decoys: big audiences, little engagement (reach is not influence)
    decoy = r.choice(np.setdiff1d(others, inf_idx), size=n_inf, replace=False)
    acc.loc[decoy, "followers"] = np.round(r.pareto(1.2, n_inf) * 15_000 + 20_000).astype("int64")
    acc["account_type"] = "person"
    acc["brand"] = None
    acc["_influencer"] = False
    acc.loc[inf_idx, "_influencer"] = True
    acc["_decoy"] = False
    acc.loc[decoy, "_decoy"] = True
    seg_eng = np.array([3.0, 1.2, 0.3, 2.0, 0.4])
    s = acc["_segment"].to_numpy()
    acc["_activity"] = r.lognormal(0, 0.9, len(acc)) * np.where(s >= 0, seg_eng[np.maximum(s, 0)], 0.8)
    acc.loc[inf_idx, "_activity"] *= 6
    acc.loc[decoy, "_activity"] *= 0.3
    brands = []
    for b in rt.brands:
        for p in rt.platforms:
            k += 1
            brands.append((f"A{k:08d}", p, rt.handles[b], b, b))
    br = pd.DataFrame(brands, columns=["account_id", "platform", "handle", "display_name", "brand"])
    scale = max(n_customers / 20_000, 0.05)
    n_b, n_p = len(rt.brands), len(rt.platforms)
    br["followers"] = (np.array(list(rt.brand_followers) * n_b) * np.repeat(list(rt.brand_follower_scale), n_p)
                       * scale).astype("int64")
    br["bio"] = [f"Compte officiel {b}" for b in br["brand"]]
    br["account_type"] = "brand"
    br = br.assign(_segment=-2, _influencer=False, _decoy=False, _activity=0.0, _interest=-1, _consent=False,
                   _dropped=False, _customer=None)
    acc = pd.concat([acc, br], ignore_index=True)
    pairs = pd.DataFrame(pairs, columns=["customer_id", "account_id"])
    return acc, pairs


def _mentions(acc: pd.DataFrame, cal: Calendar, n_customers: int, crisis_day: int, seed: int,
              rt: SampleRetailer = FASHION):
    """Mentions of the three brands, with retweets, replies, likes and the brand's answers."""
    r = _rng(seed, 10)
    people = acc[acc["account_type"] == "person"].reset_index(drop=True)
    act = people["_activity"].to_numpy()
    act_p = act / act.sum()
    brand_acc = acc[acc["account_type"] == "brand"].set_index(["brand", "platform"])["account_id"]
    n_days = len(cal.days)
    lam_own = 3.2 * n_customers / 1000.0
    wd = np.array([1.0, 1.0, 1.0, 1.0, 1.05, 0.95, 1.1])[cal.days.weekday.to_numpy()]
    recs = []  # (day, brand, sentiment, theme, kind)
    base = {"negative": 0.27, "neutral": 0.38, "positive": 0.35}
    brand = rt.brand
    for b, share in zip(rt.brands, (1.0, 0.35, 0.3), strict=True):
        for sent, p in base.items():
            rate = lam_own * share * p * wd
            if b == brand and sent == "positive":
                rate = rate * np.exp(BUZZ_ON_POSITIVE * cal.buzz_week - BUZZ_ON_POSITIVE**2 / 2)
            counts = r.poisson(rate)
            d = np.repeat(np.arange(n_days), counts)
            th = r.choice(len(fr.MENTION_THEMES), size=d.size, p=fr.THEME_GIVEN_SENTIMENT[sent])
            recs.append(pd.DataFrame({"day": d, "brand": b, "sentiment": sent, "theme": np.array(fr.MENTION_THEMES)[th], "kind": "post"}))
    # the crisis: a surge of negative complaints about the brand on one theme (delivery)
    extra = r.poisson(lam_own * np.array([2.2, 1.6, 0.9][:CRISIS_DAYS]))
    d = np.repeat(crisis_day + np.arange(CRISIS_DAYS), extra)
    recs.append(pd.DataFrame({"day": d, "brand": brand, "sentiment": "negative", "theme": rt.crisis_theme,
                              "kind": "crisis"}))
    m = pd.concat(recs, ignore_index=True)
    # questions and suggestions to the brand
    own_neu = (m["brand"] == brand) & (m["sentiment"] == "neutral")
    qmask = own_neu & m["theme"].isin(list(fr.QUESTIONS)) & (r.random(len(m)) < 0.45)
    m.loc[qmask, "kind"] = "question"
    smask = own_neu & ~qmask & (r.random(len(m)) < 0.10)
    m.loc[smask, "kind"] = "suggestion"
    rec_sugg = smask & (r.random(len(m)) < 0.5)
    m.loc[rec_sugg, "kind"] = "suggestion_recurring"
    m.loc[m["kind"] == "suggestion_recurring", "theme"] = "magasin"
    # authors, platform, time, category, text
    auth = r.choice(len(people), size=len(m), p=act_p)
    auth, detractors = _plant_detractors(m, auth, people, brand, seed)
    m["account_id"] = people["account_id"].to_numpy()[auth]
    m["platform"] = people["platform"].to_numpy()[auth]
    hours = _hours(r, len(m), "online")
    m["timestamp"] = cal.days.values[m["day"].to_numpy()] + (hours * 3600).astype("int64").astype("timedelta64[s]")
    has_cat = m["theme"].isin(list(fr.CATEGORY_THEMES)).to_numpy() | (r.random(len(m)) < 0.15)
    cat_p = np.array(rt.mention_category_p)
    cat = np.array(rt.categories)[r.choice(len(cat_p), size=len(m), p=cat_p)]
    # planted product-line driver: quality complaints concentrate on one category
    qneg = (m["theme"] == "qualité").to_numpy() & (m["sentiment"] == "negative").to_numpy()
    cat = np.where(qneg & (r.random(len(m)) < 0.6), rt.quality_category, cat)
    # planted interests: a customer's posts that name a category mostly name their favourite one
    intr = people["_interest"].to_numpy()[auth]
    fav = (intr >= 0) & (_rng(seed, 25).random(len(m)) < INTEREST_MENTION_SHARE)
    cat = np.where(fav, np.array(rt.categories)[np.maximum(intr, 0)], cat)
    m["category"] = np.where(has_cat, cat, None)
    texts = []
    templates = {**fr.TEMPLATES, **rt.template_overrides}
    for t, s, b, kind, c in zip(*(m[col].tolist() for col in ("theme", "sentiment", "brand", "kind", "category")),
                                strict=True):
        if kind == "question":
            opts = fr.QUESTIONS[t]
        elif kind == "suggestion_recurring":
            opts = rt.suggestions_recurring
        elif kind == "suggestion":
            opts = rt.suggestions_other
        else:
            opts = templates[(t, s)]
        txt = _fill(r, opts[r.integers(0, len(opts))], b, c, rt)
        texts.append(_decorate(r, txt, s, b))
    m["text"] = texts
    m = m.sort_values(["timestamp", "account_id"], kind="stable").reset_index(drop=True)
    m["mention_id"] = _ids("M", 0, len(m), 8)
    m["reply_to"] = None
    m["retweet_of"] = None
    # reshares and replies: influencers' posts travel far, others' barely
    acc_idx = pd.Series(np.arange(len(people)), index=people["account_id"])
    is_inf = people["_influencer"].to_numpy()[acc_idx[m["account_id"]].to_numpy()]
    mu_rt = np.where(is_inf, 18.0, 0.15) * np.where(m["kind"] == "crisis", 2.0, 1.0)
    mu_rep = np.where(is_inf, 4.0, 0.08)
    mu_like = np.where(is_inf, 40.0, 1.0)
    n_rt = r.poisson(mu_rt)
    n_rep = r.poisson(mu_rep)
    n_like = r.poisson(mu_like)
    by_plat = {p: np.flatnonzero(people["platform"].to_numpy() == p) for p in rt.platforms}
    by_plat_p = {p: act[ix] / act[ix].sum() for p, ix in by_plat.items()}

    def pick(plat_arr):
        out = np.empty(plat_arr.size, dtype=object)
        for p in rt.platforms:
            sel = plat_arr == p
            if sel.any():
                out[sel] = people["account_id"].to_numpy()[r.choice(by_plat[p], size=sel.sum(), p=by_plat_p[p])]
        return out

    src = np.repeat(np.arange(len(m)), n_rt)
    plat = m["platform"].to_numpy()[src]
    tw = plat == "twitter"
    delay = (r.exponential(6, src.size) * 3600).astype("int64").astype("timedelta64[s]")
    rts = pd.DataFrame(
        {
            "account_id": pick(plat[tw]),
            "platform": "twitter",
            "timestamp": m["timestamp"].to_numpy()[src[tw]] + delay[tw],
            "text": ["RT @" + h + ": " + t for h, t in zip(
                acc.set_index("account_id").loc[m["account_id"].to_numpy()[src[tw]], "handle"].tolist(),
                m["text"].to_numpy()[src[tw]].tolist(), strict=True)],
            "brand": m["brand"].to_numpy()[src[tw]],
            "reply_to": None,
            "retweet_of": m["mention_id"].to_numpy()[src[tw]],
            "category": m["category"].to_numpy()[src[tw]],
            "_src": src[tw],
        }
    )
    shares = pd.DataFrame(  # reshares on other platforms are interactions
        {"post_id": m["mention_id"].to_numpy()[src[~tw]], "account_id": pick(plat[~tw]), "type": "share",
         "timestamp": m["timestamp"].to_numpy()[src[~tw]] + delay[~tw]}
    )
    src_r = np.repeat(np.arange(len(m)), n_rep)
    rep_sent = m["sentiment"].to_numpy()[src_r]
    rep = pd.DataFrame(
        {
            "account_id": pick(m["platform"].to_numpy()[src_r]),
            "platform": m["platform"].to_numpy()[src_r],
            "timestamp": m["timestamp"].to_numpy()[src_r] + (r.exponential(3, src_r.size) * 3600).astype("int64").astype("timedelta64[s]"),
            "text": [fr.REPLIES_PERSON[s][r.integers(0, 3)].format(i=fr.INTENS[r.integers(0, 6)]) for s in rep_sent],
            "brand": m["brand"].to_numpy()[src_r],
            "reply_to": m["mention_id"].to_numpy()[src_r],
            "retweet_of": None,
            "category": None,
            "_src": src_r,
        }
    )
    src_l = np.repeat(np.arange(len(m)), n_like)
    likes = pd.DataFrame(
        {"post_id": m["mention_id"].to_numpy()[src_l], "account_id": pick(m["platform"].to_numpy()[src_l]), "type": "like",
         "timestamp": m["timestamp"].to_numpy()[src_l] + (r.exponential(4, src_l.size) * 3600).astype("int64").astype("timedelta64[s]")}
    )
    # truth of original mentions
    truth = pd.DataFrame(
        {
            "mention_id": m["mention_id"],
            "theme": m["theme"],
            "sentiment": m["sentiment"],
            "is_question": m["kind"] == "question",
            "is_complaint": (m["sentiment"] == "negative") & m["theme"].isin(list(fr.COMPLAINT_THEMES)),
            "is_suggestion": m["kind"].str.startswith("suggestion"),
            "brand": m["brand"],
        }
    )
    # the brand answers questions and complaints addressed to it, with planted delays (hours)
    median_h = rt.response_hours
    need = (truth["brand"] == brand) & (truth["is_question"] | truth["is_complaint"])
    answered = need & (r.random(len(m)) < np.where(truth["is_question"], 0.85, 0.65))
    med = m["platform"].map(median_h).to_numpy()
    delay_h = np.round(med * r.lognormal(0, 0.7, len(m)), 3)
    truth["response_delay_hours"] = np.where(answered, delay_h, np.nan)
    ans = np.flatnonzero(answered.to_numpy())
    replies = pd.DataFrame(
        {
            "account_id": pd.Series(m["platform"].to_numpy()[ans]).map(brand_acc.loc[brand]).to_numpy(),
            "platform": m["platform"].to_numpy()[ans],
            "brand": brand,
            "timestamp": m["timestamp"].to_numpy()[ans] + (delay_h[ans] * 3600).astype("int64").astype("timedelta64[s]"),
            "text": np.where(truth["is_question"].to_numpy()[ans], fr.BRAND_REPLY["question"], fr.BRAND_REPLY["complaint"]),
            "reply_to": m["mention_id"].to_numpy()[ans],
        }
    )
    extra_m = pd.concat([rts, rep], ignore_index=True).sort_values(["timestamp", "account_id"], kind="stable")
    extra_m["mention_id"] = _ids("M", len(m), len(extra_m), 8)
    cols = schemas.TABLES["mentions"].column_names
    mentions = pd.concat([m[cols], extra_m[cols]], ignore_index=True)
    inter = pd.concat([shares, likes], ignore_index=True)
    return mentions, inter, replies, truth, m, detractors


def _plant_detractors(m: pd.DataFrame, auth: np.ndarray, people: pd.DataFrame, brand: str, seed: int):
    """Make the most active consenting customers of the engaged segments detractors.

    Their positive posts about the brand go to other authors and each of them gets
    `DETRACTOR_NEGATIVES` negative posts about the brand from the last quarter: an engaged customer (many posts,
    ambassador consent) whose balance of mentions is negative, whom an ambassador ranking must not
    pick. Returns the new authors and the truth (customer_id, account_id)."""
    r = _rng(seed, 26)
    engaged = np.isin(people["_segment"].to_numpy(), (0, 3)) & people["_consent"].to_numpy(bool) \
        & ~people["_dropped"].to_numpy(bool) & ~people["_influencer"].to_numpy(bool)
    cand = np.flatnonzero(engaged)
    empty = pd.DataFrame({"customer_id": pd.Series(dtype=str), "account_id": pd.Series(dtype=str)})
    if cand.size < N_DETRACTORS:
        return auth, empty
    act = people["_activity"].to_numpy()
    det = cand[np.argsort(-act[cand], kind="stable")[:N_DETRACTORS]]
    own = (m["brand"] == brand).to_numpy()
    sent = m["sentiment"].to_numpy()
    auth = auth.copy()
    p = act.copy()
    p[det] = 0
    p /= p.sum()
    move = np.isin(auth, det) & own & (sent == "positive")
    auth[move] = r.choice(len(people), size=int(move.sum()), p=p)
    recent = m["day"].to_numpy() >= m["day"].max() - 91  # within the last quarter: the report window
    pool = np.flatnonzero(own & (sent == "negative") & (m["kind"] == "post").to_numpy() & recent
                          & ~np.isin(auth, det))
    take = r.choice(pool, size=min(pool.size, N_DETRACTORS * DETRACTOR_NEGATIVES), replace=False)
    auth[take] = np.repeat(det, DETRACTOR_NEGATIVES)[: take.size]
    truth = pd.DataFrame({"customer_id": people["_customer"].to_numpy()[det],
                          "account_id": people["account_id"].to_numpy()[det]})
    return auth, truth


def _brand_posts(acc: pd.DataFrame, cal: Calendar, seed: int, rt: SampleRetailer = FASHION) -> pd.DataFrame:
    r = _rng(seed, 11)
    brand_acc = acc[acc["account_type"] == "brand"]
    rows = []
    for a in brand_acc.itertuples(index=False):
        per_day = 2 if a.brand == rt.brand else 1
        n = r.poisson(per_day, len(cal.days))
        d = np.repeat(np.arange(len(cal.days)), n)
        t = cal.days.values[d] + (r.uniform(8, 20, d.size) * 3600).astype("int64").astype("timedelta64[s]")
        tags = _strip_accents(a.brand).replace(" ", "")
        for ts in t:
            tpl = rt.brand_posts[r.integers(0, len(rt.brand_posts))]
            c = rt.categories[r.integers(0, len(rt.categories))]
            word = rt.post_categories[c] if rt.post_categories else c
            plural = rt.post_products[c] if rt.post_products else rt.products[c][0] + "s"
            rows.append((a.account_id, a.platform, a.brand, ts, tpl.format(c=word, p=plural, h=tags), None))
    return pd.DataFrame(rows, columns=["account_id", "platform", "brand", "timestamp", "text", "reply_to"])


def _post_interactions(posts: pd.DataFrame, acc: pd.DataFrame, seed: int, rt: SampleRetailer = FASHION) -> pd.DataFrame:
    """Likes, shares, comments and retweets of brand posts by engaged people."""
    r = _rng(seed, 12)
    people = acc[acc["account_type"] == "person"].reset_index(drop=True)
    w = people["_activity"].to_numpy()
    lam = np.where(posts["brand"].to_numpy() == rt.brand, 3.0, 1.2) * max(len(people) / 10_000, 0.2) * 4
    n = r.poisson(lam)
    src = np.repeat(np.arange(len(posts)), n)
    plat = posts["platform"].to_numpy()[src]
    who = np.empty(src.size, dtype=object)
    for p in rt.platforms:
        ix = np.flatnonzero(people["platform"].to_numpy() == p)
        sel = plat == p
        who[sel] = people["account_id"].to_numpy()[r.choice(ix, size=sel.sum(), p=w[ix] / w[ix].sum())]
    typ = np.array(["like", "share", "comment", "retweet"])[r.choice(4, size=src.size, p=[0.68, 0.1, 0.14, 0.08])]
    typ = np.where((typ == "retweet") & (plat != "twitter"), "share", typ)
    ts = posts["timestamp"].to_numpy()[src] + (r.exponential(5, src.size) * 3600).astype("int64").astype("timedelta64[s]")
    return pd.DataFrame({"post_id": posts["post_id"].to_numpy()[src], "account_id": who, "type": typ, "timestamp": ts})


# ---------------------------------------------------------------------------------------------
# Audience, search, daily KPIs, stores' nominations and reviews
# ---------------------------------------------------------------------------------------------



def _audience(acc: pd.DataFrame, cal: Calendar, seed: int, rt: SampleRetailer = FASHION) -> pd.DataFrame:
    r = _rng(seed, 13)
    rows = []
    t = np.arange(len(cal.days)) / 30.44
    for a in acc[acc["account_type"] == "brand"].itertuples(index=False):
        g = rt.audience_growth[a.brand][a.platform]
        start = a.followers / (1 + g) ** t[-1]
        f = start * (1 + g) ** t * (1 + np.cumsum(r.normal(0, 0.0015, len(t))))
        rows.append(pd.DataFrame({"date": cal.days, "platform": a.platform, "brand": a.brand, "followers": np.round(f).astype("int64")}))
    return pd.concat(rows, ignore_index=True)




def _search_keywords(cal: Calendar, n_customers: int, seed: int, rt: SampleRetailer = FASHION) -> pd.DataFrame:
    r = _rng(seed, 14)
    months = pd.period_range(cal.days[0], cal.days[-1], freq="M")
    sales = pd.Series(_sales_periods(cal.days), index=cal.days).resample("MS").mean().to_numpy()
    dec = np.array([m.month == 12 for m in months])
    scale = n_customers / 20_000
    rows = []
    for kw, (base, trend, sens) in rt.keywords.items():
        t = np.arange(len(months)) / 12
        v = base * scale * (1 + trend) ** t * (1 + (2.0 * sales + 0.6 * dec if sens else 0)) * r.lognormal(0, 0.08, len(months))
        if "noël" in kw:
            v = v * np.where(dec, 5, 0.4)
        rows.append(pd.DataFrame({"month": months.to_timestamp(), "keyword": kw, "searches": np.round(v).astype("int64")}))
    return pd.concat(rows, ignore_index=True)


def _daily_kpis(cal, store_tx_per_day, website_per_day, app_per_day, neg_own_per_day, n_customers, seed):
    r = _rng(seed, 15)
    n = len(cal.days)
    wd = np.array([1.1, 1.0, 0.95, 0.95, 1.0, 0.8, 0.3])[cal.days.weekday.to_numpy()]
    calls = r.poisson(n_customers / 250 * wd + 0.6 * neg_own_per_day)
    return pd.DataFrame(
        {
            "date": cal.days,
            "store_traffic": np.round(store_tx_per_day * 3.2 * r.lognormal(0, 0.05, n)).astype("int64"),
            "web_sessions": np.round(website_per_day * 2.5 * r.lognormal(0, 0.05, n)).astype("int64"),
            "app_sessions": np.round(app_per_day * 2.0 * r.lognormal(0, 0.05, n)).astype("int64"),
            "customer_service_calls": calls.astype("int64"),
        }
    )




def _nominations(candidates: pd.DataFrame, stores: pd.DataFrame, cal: Calendar, seed: int,
                 rt: SampleRetailer = FASHION) -> pd.DataFrame:
    """Store staff of small stores (formats recruiting through staff) nominate regulars, often
    under the CRM's radar."""
    r = _rng(seed, 16)
    rows = []
    k = 0
    small = stores[stores["format"].isin(rt.profile.formats_recruiting("staff"))]
    by_store = {s: g for s, g in candidates.groupby("home_store_id")}
    for s in small["store_id"]:
        g = by_store.get(s)
        if g is None or g.empty:
            continue
        n = min(len(g), int(r.integers(2, 7)))
        w = np.where(g["_segment"].to_numpy() == 2, 3.0, 1.0)
        pick = r.choice(len(g), size=n, replace=False, p=w / w.sum())
        for i in pick:
            k += 1
            day = cal.days[r.integers(0, len(cal.days))]
            rows.append((f"N{k:06d}", s, f"{s}-E{int(r.integers(1, 4))}", g["customer_id"].iloc[i], day,
                         fr.NOMINATION_REASONS[r.integers(0, len(fr.NOMINATION_REASONS))]))
    return pd.DataFrame(rows, columns=schemas.TABLES["staff_nominations"].column_names)


def _reviews(stores: pd.DataFrame, cust_sample: pd.DataFrame, cal: Calendar, n_customers: int, seed: int,
             rt: SampleRetailer = FASHION):
    r = _rng(seed, 17)
    n = max(50, n_customers // 4)
    day = r.choice(len(cal.days), size=n, p=cal.store_weight / cal.store_weight.sum())
    sent = np.array(["positive", "neutral", "negative"])[r.choice(3, size=n, p=[0.5, 0.2, 0.3])]
    sugg = r.random(n) < 0.15
    recurring = sugg & (r.random(n) < 0.55)
    texts, rating = [], []
    for s, sg, rec in zip(sent, sugg, recurring, strict=True):
        if sg:
            opts = rt.suggestions_recurring if rec else rt.suggestions_other
            t = _fill(r, opts[r.integers(0, len(opts))], rt.brand, None, rt).replace(
                f"@{rt.handles[rt.brand]}", rt.brand)
            rating.append(int(r.integers(3, 5)))
        else:
            opts = fr.REVIEWS[s]
            t = _fill(r, opts[r.integers(0, len(opts))], rt.brand, None, rt)
            rating.append({"positive": int(r.integers(4, 6)), "neutral": 3, "negative": int(r.integers(1, 3))}[s])
        texts.append(t)
    store = stores["store_id"].to_numpy()[r.integers(0, len(stores), n)]
    known = r.random(n) < 0.6
    cid = np.where(known, cust_sample["customer_id"].to_numpy()[r.integers(0, len(cust_sample), n)], None)
    rev = pd.DataFrame(
        {
            "review_id": [f"R{i + 1:07d}" for i in range(n)],
            "store_id": store,
            "customer_id": cid,
            "date": cal.days.values[day],
            "rating": np.array(rating, dtype="int64"),
            "text": texts,
        }
    )
    truth = pd.DataFrame({"review_id": rev["review_id"], "sentiment": np.where(sugg, "neutral", sent), "is_suggestion": sugg,
                          "is_recurring_suggestion": recurring})
    return rev, truth


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

_ARROW = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
          "date": pa.timestamp("us"), "datetime": pa.timestamp("us")}


def arrow_schema(table: str) -> pa.Schema:
    """Arrow schema of a raw table, from its contract."""
    return pa.schema([(c.name, _ARROW[c.dtype]) for c in schemas.TABLES[table].columns])


class _Writers:
    """One Parquet writer per table, appended chunk by chunk (written to a temp name, renamed at close)."""

    def __init__(self, out: Path):
        self.out = out
        self.w: dict[str, pq.ParquetWriter] = {}

    def write(self, table: str, df: pd.DataFrame) -> None:
        schema = arrow_schema(table)
        cols = schema.names
        frame = df[cols].copy()
        for c in schemas.TABLES[table].columns:
            if c.dtype in ("date", "datetime"):
                frame[c.name] = pd.to_datetime(frame[c.name]).astype("datetime64[us]")
        at = pa.Table.from_pandas(frame, schema=schema, preserve_index=False, safe=False)
        at = at.replace_schema_metadata(None)
        if table not in self.w:
            self.w[table] = pq.ParquetWriter(self.out / f".{table}.parquet.tmp", schema, compression="zstd")
        self.w[table].write_table(at, row_group_size=1_000_000)

    def close(self) -> None:
        for table, w in self.w.items():
            w.close()
            (self.out / f".{table}.parquet.tmp").replace(self.out / f"{table}.parquet")


def _ids(prefix: str, start: int, n: int, width: int) -> pd.api.extensions.ExtensionArray:
    return _id_strings(prefix, np.arange(start + 1, start + n + 1), width)


def generate(
    out_dir: str | Path | None = None,
    customers: int = 20_000,
    months: int = 12,
    seed: int = 0,
    start: str = "2025-11-01",
    chunk_size: int = CHUNK,
    progress: bool = False,
    retailer: str = "fashion",
) -> Path:
    """Write the raw tables of a fictional retailer and their planted truth; returns the folder.

    Same arguments give byte-identical files (a different `chunk_size` gives another draw).
    `customers` scales every table (per customer and year about 12 transactions, 63
    touchpoints, 16 e-mail events and 2.3 mentions); customers are generated and written
    `chunk_size` at a time, so a million customers fit in a few GB. `retailer`: "fashion"
    (Maison Lys, the default) or "grocery" (Épicerie Soleil), see `workbench.sample_retailers`;
    its profile is written beside the data as `retailer.yaml`.
    """
    rt = get_retailer(retailer)
    if customers < 200:
        raise ValueError(f"customers must be at least 200 (got {customers})")
    if not 1 <= months <= 36:
        raise ValueError(f"months must be between 1 and 36 (got {months})")
    out = Path(out_dir or paths.RAW_DIR)
    out.mkdir(parents=True, exist_ok=True)
    tdir = paths.truth_dir(out)
    if tdir.exists():
        shutil.rmtree(tdir)
    tdir.mkdir()
    cal = _calendar(start, months, seed)
    first = cal.days[0]
    cities = _cities(rt)
    stores = _stores(customers, cities, seed, rt)
    campaigns = _campaigns(cal, seed, rt)
    wr = _Writers(out)
    wr.write("stores", stores)
    wr.write("email_campaigns", campaigns)
    n_days = len(cal.days)
    store_tx_day = np.zeros(n_days)
    web_day = np.zeros(n_days)
    app_day = np.zeros(n_days)
    tx_n = tp_n = 0
    seg_truth, linked, nomin_cand, review_cust = [], [], [], []
    dropout_truth, interest_truth = [], []
    book = _AddressBook()
    chunks = range(0, customers, chunk_size)
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc="clients", unit="lot")
    for offset in chunks:
        n = min(chunk_size, customers - offset)
        cust = _customers_chunk(offset, n, stores, cities, first, seed, book, rt)
        wr.write("customers", cust)
        seg = cust["_segment"].to_numpy()
        seg_truth.append(pd.DataFrame({"customer_id": cust["customer_id"], "segment": np.array(SEGMENTS)[seg]}))
        drop_day, interest = _customer_plants(n, n_days, len(rt.categories), seed, offset)
        cust = cust.assign(interest=interest, dropped=drop_day < n_days)
        dropout_truth.append(pd.DataFrame({"customer_id": cust.loc[drop_day < n_days, "customer_id"],
                                           "dropout_date": cal.days[drop_day[drop_day < n_days]]}))
        interest_truth.append(pd.DataFrame({"customer_id": cust.loc[interest >= 0, "customer_id"],
                                            "category": np.array(rt.categories)[interest[interest >= 0]]}))
        r = _rng(seed, 20, offset)
        has_social = r.random(n) < _SEG_SOCIAL[seg]
        linked.append(cust.loc[has_social, ["customer_id", "first_name", "last_name", "email", "city", "birth_year",
                                            "interest", "ambassador_consent", "dropped"]]
                      .assign(segment=seg[has_social]))
        nomin_cand.append(cust.loc[r.random(n) < 0.2, ["customer_id", "home_store_id", "_segment"]])
        review_cust.append(cust.loc[r.random(n) < 0.1, ["customer_id"]])
        tp, tx, converted, _jseg = _journeys_chunk(cust, stores, cal, seed, offset, rt, drop_day, interest)
        # anonymous store purchases (no loyalty card) and visitors never identified
        r2 = _rng(seed, 21, offset)
        store_tx = tx[tx["channel"] == "store"]
        anon = store_tx.sample(frac=0.1, random_state=int(r2.integers(0, 2**31 - 1)))
        anon = anon.assign(customer_id=None, j=-1, _interest=-1, timestamp=anon["timestamp"] + pd.Timedelta(minutes=7))
        tx = pd.concat([tx, anon], ignore_index=True)
        tx_num = np.arange(tx_n + 1, tx_n + len(tx) + 1)
        tx["transaction_id"] = _id_strings("T", tx_num, 9)
        tx_n += len(tx)
        lines, total, items = _lines_for(tx, cal, seed, offset, rt)
        tx["amount"] = total
        tx["n_items"] = items
        tx["timestamp"] = tx["timestamp"].dt.floor("s")
        tx_j = tx["j"].to_numpy()
        j2tx = np.full(len(converted), -1, dtype=np.int64)  # journey -> transaction number
        j2tx[tx_j[tx_j >= 0]] = tx_num[tx_j >= 0]
        tp["transaction"] = np.where(tp["channel"] == GENERATED_CHANNELS.index("purchase"), j2tx[tp.pop("j")], -1)
        an = _anonymous_touchpoints(int(len(tp["channel"]) * 0.2), cal, seed, offset, rt)
        an["transaction"] = np.full(len(an["channel"]), -1)
        tp = {k: np.concatenate([v, an[k]]) for k, v in tp.items()}
        tp["timestamp"] = tp["timestamp"].astype("datetime64[s]").astype("datetime64[ns]")  # floor to the second
        # by time then visitor: sorting the visitor numbers orders the fixed-width ids the same way
        order = np.lexsort((tp["visitor"], tp["timestamp"].view("int64")))
        tp = {k: v[order] for k, v in tp.items()}
        n_tp = len(order)
        tp = pd.DataFrame({
            "touchpoint_id": _ids("P", tp_n, n_tp, 10),
            "visitor_id": _id_strings("V", tp["visitor"], 9),
            "customer_id": _id_strings("C", tp["customer"], 7, valid=tp["customer"] >= 0),
            "channel": _labels(tp["channel"], GENERATED_CHANNELS),
            "platform": _labels(tp["platform"], rt.platforms),
            "timestamp": tp["timestamp"],
            "transaction_id": _id_strings("T", tp["transaction"], 9, valid=tp["transaction"] >= 0),
        })
        tp_n += n_tp
        wr.write("transactions", tx)  # already in transaction_id order
        wr.write("transaction_lines", lines)
        wr.write("touchpoints", tp)
        wr.write("email_events", _email_events_chunk(cust, campaigns, seed, offset))
        d_store = ((tx.loc[tx["channel"] == "store", "timestamp"] - first).dt.days).to_numpy()
        store_tx_day += np.bincount(d_store, minlength=n_days)[:n_days]
        for ch, acc_arr in (("website", web_day), ("app", app_day)):
            d = ((tp.loc[tp["channel"] == ch, "timestamp"] - first).dt.days).to_numpy()
            acc_arr += np.bincount(d, minlength=n_days)[:n_days]
    # social
    linked = pd.concat(linked, ignore_index=True)
    accounts, pairs = _social_accounts(linked, customers, cities, seed, rt)
    crisis_start = cal.days[-1].to_period("M").to_timestamp() + pd.Timedelta(days=rt.crisis_day_of_month - 1)
    crisis_day = int(np.flatnonzero(cal.days == crisis_start)[0]) if n_days > 40 else n_days // 2
    mentions, m_inter, replies, m_truth, originals, detractors = _mentions(accounts, cal, customers, crisis_day, seed, rt)
    posts = _brand_posts(accounts, cal, seed, rt)
    posts = pd.concat([posts, replies], ignore_index=True).sort_values(["timestamp", "account_id"], kind="stable")
    posts["post_id"] = _ids("B", 0, len(posts), 8)
    p_inter = _post_interactions(posts[posts["reply_to"].isna()], accounts, seed, rt)
    inter = pd.concat([p_inter, m_inter], ignore_index=True).sort_values(["timestamp", "account_id", "post_id"], kind="stable")
    inter["interaction_id"] = _ids("I", 0, len(inter), 9)
    # events after the end of the period are not observed yet
    end = cal.days[-1] + pd.Timedelta(days=1)
    mentions, posts, inter = (
        df.assign(timestamp=pd.to_datetime(df["timestamp"]).dt.floor("s")).loc[lambda x: x["timestamp"] < end]
        for df in (mentions, posts, inter)
    )
    m_truth.loc[~m_truth["mention_id"].isin(posts["reply_to"]), "response_delay_hours"] = np.nan
    wr.write("social_accounts", accounts)
    wr.write("mentions", mentions)
    wr.write("brand_posts", posts)
    wr.write("interactions", inter)
    wr.write("audience", _audience(accounts, cal, seed, rt))
    wr.write("search_keywords", _search_keywords(cal, customers, seed, rt))
    own_orig = originals[(originals["brand"] == rt.brand) & (originals["sentiment"] == "negative")]
    neg_day = np.bincount(own_orig["day"].to_numpy(), minlength=n_days)[:n_days]
    wr.write("daily_kpis", _daily_kpis(cal, store_tx_day, web_day, app_day, neg_day, customers, seed))
    wr.write("staff_nominations", _nominations(pd.concat(nomin_cand), stores, cal, seed, rt))
    reviews, r_truth = _reviews(stores, pd.concat(review_cust), cal, customers, seed, rt)
    wr.write("store_reviews", reviews)
    wr.close()
    write_profile(rt.profile, out / PROFILE_FILE)  # the retailer's vocabularies, beside its data
    # planted truth
    segs = pd.concat(seg_truth, ignore_index=True)
    segs.to_parquet(tdir / "segments.parquet", index=False)
    segs.loc[segs["segment"] == "web_to_store", ["customer_id"]].to_parquet(tdir / "web_to_store.parquet", index=False)
    pairs.to_parquet(tdir / "identity_pairs.parquet", index=False)
    accounts.loc[accounts["_influencer"], ["account_id"]].to_parquet(tdir / "influencers.parquet", index=False)
    m_truth.drop(columns=["brand"]).to_parquet(tdir / "mentions.parquet", index=False)
    r_truth.to_parquet(tdir / "reviews.parquet", index=False)
    pd.concat(dropout_truth, ignore_index=True).to_parquet(tdir / "dropouts.parquet", index=False)
    pd.concat(interest_truth, ignore_index=True).to_parquet(tdir / "interests.parquet", index=False)
    detractors.to_parquet(tdir / "detractors.parquet", index=False)
    crisis_date = cal.days[crisis_day]
    _dump(tdir / "crisis.json", {"date": crisis_date.date().isoformat(), "days": CRISIS_DAYS,
                                 "theme": rt.crisis_theme, "department": rt.crisis_department, "brand": rt.brand})
    _dump(tdir / "channel_effects.json", {"intercept": CONVERSION_INTERCEPT, **CHANNEL_EFFECTS})
    _dump(tdir / "kpi_relation.json", rt.kpi_relation)
    _dump(tdir / "suggestion.json", rt.suggestion)
    growth = rt.audience_growth[rt.brand]
    _dump(tdir / "manifest.json", {
        "arguments": {"customers": customers, "months": months, "seed": seed, "start": start},
        "brand": rt.brand, "competitors": list(rt.competitors),
        "period": {"start": cal.days[0].date().isoformat(), "end": cal.days[-1].date().isoformat()},
        "fastest_growing_platform": max(growth, key=growth.get),
        "decoy_accounts": accounts.loc[accounts["_decoy"], "account_id"].tolist(),
        "synthetic": True,
    })
    return out


def _dump(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_truth(data_dir: str | Path | None = None) -> dict:
    """The planted truth of a generated sample (for tests: analyses never read it)."""
    tdir = paths.truth_dir(data_dir)
    if not tdir.is_dir():
        raise FileNotFoundError(f"no planted truth in {tdir}: this folder does not hold a generated sample")
    out: dict = {}
    for p in sorted(tdir.iterdir()):
        if p.suffix == ".parquet":
            out[p.stem] = pd.read_parquet(p)
        elif p.suffix == ".json":
            out[p.stem] = json.loads(p.read_text(encoding="utf-8"))
    return out

