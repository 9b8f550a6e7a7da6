"""The French retail calendar: the one place for the dates of soldes, Black Friday, Christmas,
Mother's Day, back to school and other commercial moments.

Why one module: the segmentation (purchases in sales periods), the KPI models (calendar
controls) and the moments analysis (labelling peaks) all need the same dates; three copies
drifted apart (second Wednesday of January always, or the legal exception; the Black Friday
week as Monday-Sunday or up to Cyber Monday). Every date here follows a stated rule:

* **soldes d'hiver / d'été** (Code de commerce, art. D310-15-2; 4 weeks since 2020): winter
  soldes start on the second Wednesday of January, or the first one when the second falls
  after the 12th; summer soldes on the last Wednesday of June, or the one before when the last
  falls after the 28th;
* **Black Friday**: the day after the fourth Thursday of November; the **Black Week** runs from
  the Monday before it to Cyber Monday included;
* **Noël**: Christmas shopping, 1 to 24 December;
* **fête des mères**: last Sunday of May, or the first Sunday of June when it falls on
  Pentecost; the week before it (Monday to Sunday) is the gift week;
* **fête des pères**: third Sunday of June (week before it);
* **Saint-Valentin**: 14 February (the week before, 8-14 February);
* **rentrée scolaire**: back-to-school shopping, 16 August to 9 September (the school year
  starts in the first days of September; the dates vary a little by year and zone).

Events are half-open periods [start, end) of whole days, timezone-naive (local dates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# day names, Monday first (weekday 0 = Monday, as pandas counts)
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

WINTER_SALES = "soldes d'hiver"
SUMMER_SALES = "soldes d'été"
BLACK_WEEK = "Black Friday"
CHRISTMAS = "Noël"
MOTHERS_DAY = "fête des mères"
FATHERS_DAY = "fête des pères"
VALENTINE = "Saint-Valentin"
BACK_TO_SCHOOL = "rentrée scolaire"

EVENT_KINDS = {  # event name -> kind (the KPI models' controls group events by kind)
    WINTER_SALES: "soldes",
    SUMMER_SALES: "soldes",
    BLACK_WEEK: "black_friday",
    CHRISTMAS: "christmas",
    MOTHERS_DAY: "gift",
    FATHERS_DAY: "gift",
    VALENTINE: "gift",
    BACK_TO_SCHOOL: "back_to_school",
}
SALES_EVENTS = (WINTER_SALES, SUMMER_SALES, BLACK_WEEK)  # price-driven periods


def easter(year: int) -> pd.Timestamp:
    """Easter Sunday (Gregorian calendar; anonymous Gregorian algorithm, Meeus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return pd.Timestamp(year=year, month=month, day=day)


def winter_sales_start(year: int) -> pd.Timestamp:
    wed = pd.date_range(f"{year}-01-01", f"{year}-01-31", freq="W-WED")
    return wed[1] if wed[1].day <= 12 else wed[0]


def summer_sales_start(year: int) -> pd.Timestamp:
    wed = pd.date_range(f"{year}-06-01", f"{year}-06-30", freq="W-WED")
    return wed[-1] if wed[-1].day <= 28 else wed[-2]


def black_friday(year: int) -> pd.Timestamp:
    thursdays = pd.date_range(f"{year}-11-01", f"{year}-11-30", freq="W-THU")
    return thursdays[3] + pd.Timedelta(days=1)


def mothers_day(year: int) -> pd.Timestamp:
    last = pd.date_range(f"{year}-05-01", f"{year}-05-31", freq="W-SUN")[-1]
    if last == easter(year) + pd.Timedelta(days=49):  # Pentecost
        return last + pd.Timedelta(days=7)
    return last


def fathers_day(year: int) -> pd.Timestamp:
    return pd.date_range(f"{year}-06-01", f"{year}-06-30", freq="W-SUN")[2]


def events(years) -> pd.DataFrame:
    """The retail calendar of `years` (any iterable of years): `name`, `kind`, `start`, `end`
    (exclusive), sorted by start."""
    day = pd.Timedelta(days=1)
    rows = []
    for y in sorted({int(v) for v in years}):
        w, s = winter_sales_start(y), summer_sales_start(y)
        bf = black_friday(y)
        monday = bf - pd.Timedelta(days=4)
        md, fd = mothers_day(y), fathers_day(y)
        rows += [
            (WINTER_SALES, w, w + pd.Timedelta(weeks=4)),
            (VALENTINE, pd.Timestamp(f"{y}-02-08"), pd.Timestamp(f"{y}-02-15")),
            (MOTHERS_DAY, md - pd.Timedelta(days=6), md + day),
            (FATHERS_DAY, fd - pd.Timedelta(days=6), fd + day),
            (SUMMER_SALES, s, s + pd.Timedelta(weeks=4)),
            (BACK_TO_SCHOOL, pd.Timestamp(f"{y}-08-16"), pd.Timestamp(f"{y}-09-10")),
            (BLACK_WEEK, monday, bf + pd.Timedelta(days=4)),  # Monday .. Cyber Monday
            (CHRISTMAS, pd.Timestamp(f"{y}-12-01"), pd.Timestamp(f"{y}-12-25")),
        ]
    out = pd.DataFrame(rows, columns=["name", "start", "end"])
    out.insert(1, "kind", out["name"].map(EVENT_KINDS))
    return out.sort_values("start", kind="stable", ignore_index=True)


def sales_periods(years) -> pd.DataFrame:
    """Soldes and Black Friday periods (`start`, `end` exclusive, `name`): what
    `segmentation.sales_periods` returns."""
    ev = events(years)
    return ev.loc[ev["name"].isin(SALES_EVENTS), ["start", "end", "name"]].reset_index(drop=True)


def _years_of(dates: pd.DatetimeIndex) -> range:
    if len(dates) == 0:
        return range(0)
    return range(int(dates.min().year), int(dates.max().year) + 1)


def label_dates(dates, window_days: int = 0) -> pd.Series:
    """The retail event of each date (comma-joined when several; empty text when none), on
    the same index as `dates` when it is a Series. `window_days`: a date also takes the
    events that start or end within that many days of it (a peak the day before the soldes
    is about the soldes)."""
    index = dates.index if isinstance(dates, pd.Series) else None
    d = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates).to_numpy())).normalize()
    if d.tz is not None:
        d = d.tz_localize(None)
    labels = [[] for _ in range(len(d))]
    valid = d[~d.isna()]
    ev = events(_years_of(valid)) if len(valid) else events([])
    slack = pd.Timedelta(days=window_days)
    for name, start, end in zip(ev["name"], ev["start"], ev["end"], strict=True):
        hit = np.flatnonzero(np.asarray((d >= start - slack) & (d < end + slack)))
        for i in hit:
            if name not in labels[i]:
                labels[i].append(name)
    return pd.Series([", ".join(x) for x in labels], index=index, dtype=object)


def daily_flags(days, kinds=("soldes", "black_friday", "christmas")) -> pd.DataFrame:
    """0/1 per day (index: the normalised days) and per event kind."""
    d = pd.DatetimeIndex(pd.to_datetime(days)).normalize()
    out = pd.DataFrame(0.0, index=d, columns=list(kinds))
    ev = events(_years_of(d))
    for kind, start, end in zip(ev["kind"], ev["start"], ev["end"], strict=True):
        if kind in out.columns:
            out.loc[(d >= start) & (d < end), kind] = 1.0
    return out


def weekly_shares(weeks: pd.DatetimeIndex, freq: str = "W-SUN",
                  kinds=("soldes", "black_friday", "christmas")) -> pd.DataFrame:
    """Share of each week's days in each event kind (index: the weeks' end dates): the
    calendar controls of the KPI models (`kpis.retail_calendar`)."""
    ends = pd.DatetimeIndex(weeks).normalize()
    if len(ends) == 0:
        return pd.DataFrame(columns=list(kinds), index=ends, dtype=float)
    days = pd.date_range(ends.min() - pd.Timedelta(days=6), ends.max(), freq="D")
    return daily_flags(days, kinds).resample(freq).mean().reindex(ends).fillna(0.0)
