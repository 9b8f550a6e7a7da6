"""Report helpers for the notebooks: French number formats, French axes and figures' alt text,
tables (`show_table`, built in `report_tables`), "À retenir" paragraphs (`takeaway`), key
figures and the executive summary.

Notebooks publish a few key figures with `key_figures(...)`; the monthly run collects them in
`reports/<month>/index.html` (French, written by `report_index`), which shows the executive
summary first when the KPI notebook wrote one. `reports/index.html` lists every month.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import numbers
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

__all__ = [
    "key_figures",
    "figures_table",
    "executive_summary",
    "setup_plots",
    "fmt_int",
    "fmt_eur",
    "fmt_pct",
    "fmt_num",
    "fmt_signed",
    "fmt_value",
    "esc",
    "esc_list",
    "takeaway",
    "show_table",
    "int_axis",
    "eur_axis",
    "pct_axis",
    "month_axis",
    "log_axis",
    "figure_alt",
    "frenchify_figure",
    "write_month_index",
    "write_reports_index",
    "RUN_FILE",
    "SUMMARY_FILE",
    "FIGURES_DIR",
]

RUN_FILE = "run.json"  # written by the runner in reports/<month>/
SUMMARY_FILE = "summary.json"
FIGURES_DIR = "figures"
THIN_SPACE = "\u202f"  # French thousands separator (narrow no-break space)
NBSP = "\u00a0"  # before € and %

# --------------------------------------------------------------------------- text from the data

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$-])")  # < > & are escaped as HTML


def esc(value) -> str:
    """Text from the data (a brand, a store name, a keyword, a theme label, a file name…) made
    safe to put inside a Markdown or HTML page: it shows as written and never becomes markup,
    a link, emphasis or a script. Every data value a notebook writes into `Markdown(f"…")` goes
    through it (tables are escaped by pandas; figure titles are plain text)."""
    text = "" if value is None else str(value)
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=True)


def esc_list(values, sep: str = ", ") -> str:
    """`esc` of each value, joined (e.g. the competitors' names in a sentence)."""
    return sep.join(esc(v) for v in values)


# --------------------------------------------------------------------------- French number formats


def _is_missing(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


MINUS = "\u2212"  # the typographic minus of French typography (never the hyphen "-")


def fmt_num(x, decimals: int = 0) -> str:
    """12345.678 -> '12 345,68' (decimals=2): French separators, a typographic minus for
    negatives ('−0,50', as French typography and matplotlib's axes write it; a value that
    rounds to zero has no sign); '–' when missing. Every French number of the pages (the
    `fmt_*` helpers, the axes, the indicator registry) goes through here."""
    if _is_missing(x):
        return "–"
    text = f"{float(x):,.{decimals}f}"
    if text.startswith("-"):
        text = text[1:] if not any(c in "123456789" for c in text) else MINUS + text[1:]
    return text.replace(",", THIN_SPACE).replace(".", ",")


def fmt_signed(x, decimals: int = 0, unit: str = "") -> str:
    """A change with its sign: '+12,3 %', '−0,9 pt', '0,0 %' (no sign when it rounds to zero);
    `unit` after a no-break space. The one signed format of the pages (changes, effects)."""
    if _is_missing(x):
        return "–"
    text = fmt_num(x, decimals)
    if not text.startswith(MINUS) and any(c in "123456789" for c in text):
        text = "+" + text
    return text + (f"{NBSP}{unit}" if unit else "")


def fmt_int(x) -> str:
    """12345 -> '12 345'."""
    return fmt_num(x, 0)


def fmt_eur(x, decimals: int = 0) -> str:
    """12345.6 -> '12 346 €'."""
    return "–" if _is_missing(x) else f"{fmt_num(x, decimals)}{NBSP}€"


def fmt_pct(x, decimals: int = 1) -> str:
    """A share (0.123) -> '12,3 %'."""
    return "–" if _is_missing(x) else f"{fmt_num(100 * float(x), decimals)}{NBSP}%"


def fmt_value(x) -> str:
    """Default display of a key figure: ints with separators, floats with 2 decimals at most."""
    if _is_missing(x):
        return "–"
    if isinstance(x, bool):
        return "oui" if x else "non"
    if isinstance(x, numbers.Integral):
        return fmt_int(x)
    if isinstance(x, numbers.Real):
        x = float(x)
        if x == int(x) and abs(x) < 1e15:
            return fmt_int(x)
        return fmt_num(x, 2 if abs(x) < 1000 else 0)
    if isinstance(x, (pd.Timestamp, dt.datetime)):
        return (
            pd.Timestamp(x).strftime("%d/%m/%Y %H:%M")
            if pd.Timestamp(x).time() != dt.time()
            else pd.Timestamp(x).strftime("%d/%m/%Y")
        )
    if isinstance(x, dt.date):
        return x.strftime("%d/%m/%Y")
    return str(x)


STATIC_ENV = "WORKBENCH_STATIC"  # set to 1 by `workbench run` and the tests: no live widgets
STATIC_NOTE = (
    "*Explorateur interactif : il s'utilise en ouvrant ce carnet dans JupyterLab ; cette page en "
    "donne le contenu sous forme de tableaux et de graphiques.*"
)


def interactive() -> bool:
    """True when live ipywidgets should be built (JupyterLab), False in batch runs.

    Batch runs (papermill, nbval) set WORKBENCH_STATIC=1: a widget frozen in an HTML page is
    useless to readers, and nbclient can hang on widget messages (jupyter/nbclient#312).
    """
    return os.environ.get(STATIC_ENV, "") not in ("1", "true", "yes")


def setup_plots() -> None:
    """Seaborn theme and sizes shared by all reports (call once at the top of a notebook)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    mpl.rcParams.update(
        {
            "figure.figsize": (9, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titleweight": "bold",
            "axes.titlesize": 13,
            "axes.formatter.use_locale": False,
            "text.parse_math": False,  # a '$' in a brand or store name is text, not a formula
        }
    )
    # tables styled with DataFrame.style show data text as text, like plain DataFrames do
    pd.set_option("styler.format.escape", "html")
    _install_alt_text_hook()  # figures carry a French alt text into the exported page


# --------------------------------------------------------------------------- French axes
#
# Tick labels are formatted all at once (`format_ticks`) so that the number of decimals is the
# smallest that keeps every label distinct and exact: 2,5 % steps print "2,5 %" (not "2 %" and
# "3 %"), 2 500-steps in thousands print "2,5 k" once. Large amounts switch to "k€"/"M€" so that
# currency labels never run into each other on a horizontal axis.


def _axis_formatter(fn):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fn(v))


def _scale_for(values, unit: str) -> tuple[float, str]:
    """(divisor, suffix) for a set of tick values: thousands as 'k', millions as 'M'."""
    top = max((abs(v) for v in values), default=0)
    if top >= 1e6:
        return 1e6, f"{NBSP}M{unit}" if unit else f"{NBSP}M"
    if top >= 1e4:
        return 1e3, f"{NBSP}k{unit}" if unit else f"{NBSP}k"
    return 1.0, f"{NBSP}{unit}" if unit else ""


def _exact(v: float, d: int) -> bool:
    return abs(round(v, d) - v) < 1e-9 * max(1.0, abs(v))


def _distinct_labels(values, to_text, max_decimals: int = 3) -> list[str]:
    """`to_text(v, decimals)` for every tick, each with the fewest decimals that shows it
    exactly ("0 %", "2,5 %", "5 %": short labels that do not run into each other), and enough
    for the labels to stay distinct."""
    values = [float(v) for v in values]
    for d in range(0, max_decimals + 1):
        labels = [to_text(v, next(k for k in range(d + 1) if _exact(v, k) or k == d))
                  for v in values]
        if all(_exact(v, d) for v in values) and len(set(labels)) == len(labels):
            return labels
    return [to_text(v, max_decimals) for v in values]


def _french_formatter(unit: str = "", factor: float = 1.0, compact: bool = True):
    """A matplotlib formatter: French separators, `unit` after a no-break space, values times
    `factor` (100 for shares shown as %), thousands/millions compacted when `compact`."""
    from matplotlib.ticker import Formatter

    class FrenchFormatter(Formatter):
        def __call__(self, x, pos=None):
            return self.format_ticks([x])[0]

        def format_ticks(self, values):
            values = [float(v) * factor for v in values]
            div, suffix = _scale_for(values, unit) if compact else (1.0, f"{NBSP}{unit}" if unit else "")
            return _distinct_labels(
                [v / div for v in values], lambda v, d: f"{fmt_num(0.0 if v == 0 else v, d)}{suffix}"
            )

    return FrenchFormatter()


def _axes_of(ax, axis: str):
    return [getattr(ax, f"{a}axis") for a in (("x", "y") if axis == "both" else (axis,))]


def _few_x_ticks(ax, a) -> None:
    """On a horizontal axis, about one tick per 0.7 inch: French labels ("12,5 %", "250 k€")
    are wider than matplotlib's, and its default density makes them run into each other."""
    from matplotlib.ticker import FixedLocator, MaxNLocator

    if a.axis_name != "x" or ax.get_xscale() != "linear" or isinstance(
            a.get_major_locator(), FixedLocator):  # ticks the notebook chose stay
        return
    width = ax.get_position().width * ax.figure.get_figwidth()
    a.set_major_locator(MaxNLocator(nbins=max(3, min(9, int(width / 0.7))),
                                    steps=[1, 2, 2.5, 5, 10]))


def _apply(ax, axis: str, formatter_args) -> None:
    """Put a French formatter on `ax`'s axis (or axes, 'both'), or on a colorbar."""
    if hasattr(ax, "update_ticks") and hasattr(ax, "formatter"):  # a matplotlib Colorbar
        ax.formatter = _french_formatter(*formatter_args)
        ax.update_ticks()
        return
    for a in _axes_of(ax, axis):
        a.set_major_formatter(_french_formatter(*formatter_args))
        _few_x_ticks(ax, a)


def int_axis(ax, axis: str = "y", compact: bool = False) -> None:
    """An axis (or a colorbar) of counts with French separators ("12 500"; "12,5 k" with
    `compact`)."""
    _apply(ax, axis, ("", 1.0, compact))


def eur_axis(ax, axis: str = "y") -> None:
    """An axis (or a colorbar) of amounts in euros, French style; "250 k€", "1,5 M€" past
    10 000 so that labels stay short and never run into each other."""
    _apply(ax, axis, ("€", 1.0, True))


def pct_axis(ax, axis: str = "y", decimals: int | None = None) -> None:
    """An axis (or a colorbar, e.g. a heatmap's) of shares (0-1) as French percentages:
    "2,5 %" for 2,5 % steps (as many decimals as each tick needs; `decimals` is accepted for
    compatibility and ignored)."""
    _apply(ax, axis, ("%", 100.0, False))


_FR_MONTHS_SHORT = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
]


def _tick_dates(axis_obj, values) -> list:
    """Tick values (matplotlib date numbers) as pandas Timestamps."""
    import matplotlib.dates as mdates

    out = []
    for v in values:
        try:
            out.append(pd.Timestamp(mdates.num2date(v)).tz_localize(None))
        except (ValueError, OverflowError, TypeError):
            out.append(None)
    return out


def _date_formatter(axis_obj):
    from matplotlib.ticker import Formatter

    class FrenchDateFormatter(Formatter):
        def __call__(self, x, pos=None):
            return self.format_ticks([x])[0]

        def format_ticks(self, values):
            return self.format_day_labels(_tick_dates(axis_obj, values))

        def format_day_labels(self, dates):
            known = [d for d in dates if d is not None]
            monthly = bool(known) and all(d.day == 1 for d in known)
            labels, last_year = [], None
            for d in dates:
                if d is None:
                    labels.append("")
                    continue
                month = _FR_MONTHS_SHORT[d.month - 1]
                text = month if monthly else f"{d.day} {month}"
                if d.year != last_year:  # the year on the first tick and at each new year
                    text = f"{text} {d.year}"
                    last_year = d.year
                labels.append(text)
            return labels

    return FrenchDateFormatter()


def month_axis(ax, axis: str = "x", monthly_ticks: bool | None = None) -> None:
    """A date axis in French: "oct. 2026, nov., déc., janv. 2027" (month ticks), or "14 oct."
    for daily charts, with the year on the first tick and at each new year — never the
    English "Feb"/"Apr" of matplotlib's default. Works for matplotlib/seaborn date axes and
    for `DataFrame.plot` period axes. `monthly_ticks` forces ticks on the 1st of each month
    (default: when the axis spans more than ~3 months)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    for a in _axes_of(ax, axis):
        lo, hi = sorted(getattr(ax, f"get_{a.axis_name}lim")())
        freq = getattr(a.get_major_formatter(), "freq", None)
        if freq is not None:  # DataFrame.plot's period axis: ticks at period ordinals
            start = pd.Period(ordinal=int(math.ceil(lo)), freq=freq).start_time
            end = pd.Period(ordinal=int(math.floor(hi)), freq=freq).end_time
            days = (end - start).days
            if (monthly_ticks is None and days > 92) or monthly_ticks:
                ticks = pd.date_range(start.to_period("M").start_time, end, freq="MS")
                ticks = [m for m in ticks if start <= m <= end] or [start]
                ticks = ticks[:: max(1, math.ceil(len(ticks) / 12))]
                labels = short_month_labels(ticks)
            else:
                ticks = list(pd.date_range(start.normalize(), end, freq=f"{max(1, math.ceil(days / 10))}D"))
                labels = _date_formatter(a).format_day_labels(ticks)
            a.set_major_locator(FixedLocator([pd.Period(m, freq=freq).ordinal for m in ticks]))
            a.set_major_formatter(FixedFormatter(labels))
            a.set_minor_locator(NullLocator())
            continue
        monthly = (hi - lo) > 90 if monthly_ticks is None else monthly_ticks
        if monthly:
            n_months = max(1, int((hi - lo) / 30.4))
            a.set_major_locator(mdates.MonthLocator(interval=max(1, math.ceil(n_months / 12))))
        a.set_major_formatter(_date_formatter(a))
        a.set_minor_formatter(_axis_formatter(lambda v: ""))


def short_month_labels(months) -> list[str]:
    """'nov. 2025', 'déc.', 'janv. 2026', … (the year on the first label and each January)."""
    out, last_year = [], None
    for m in months:
        text = _FR_MONTHS_SHORT[m.month - 1]
        if m.year != last_year:
            text, last_year = f"{text} {m.year}", m.year
        out.append(text)
    return out


def _log_tick(v) -> str:
    """A log-axis tick in French: 1 000, 10, 0,01 (as many decimals as the power of ten needs)."""
    if not v or v <= 0:
        return ""
    return fmt_num(v, max(0, -math.floor(math.log10(v) + 1e-9)))


def log_axis(ax, axis: str = "y") -> None:
    """A logarithmic axis with French plain-number ticks (matplotlib's default ones are
    formulas, which reports do not render: see `setup_plots`)."""
    getattr(ax, f"set_{axis}scale")("log")
    getattr(ax, f"{axis}axis").set_major_formatter(_axis_formatter(_log_tick))
    getattr(ax, f"{axis}axis").set_minor_formatter(_axis_formatter(lambda v: ""))


def frenchify_figure(fig) -> None:
    """French tick labels on every axis of `fig` that still has matplotlib's default English
    formatting: plain numbers ('0,05', '12 500'; '250 k' on horizontal axes), dates
    ('oct. 2026', '14 oct.'), log axes. Axes a notebook formatted itself are left alone.
    Called on every figure a notebook shows (see `setup_plots`), so no chart says '0.05' or
    'Feb'."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import LogFormatterSciNotation, ScalarFormatter

    for ax in fig.axes:
        for a in (ax.xaxis, ax.yaxis):
            fmt = a.get_major_formatter()
            if type(fmt) is ScalarFormatter:
                a.set_major_formatter(_french_formatter("", 1.0, a.axis_name == "x"))
            elif isinstance(fmt, (mdates.AutoDateFormatter, mdates.ConciseDateFormatter)):
                a.set_major_formatter(_date_formatter(a))
                a.set_minor_formatter(_axis_formatter(lambda v: ""))
            elif isinstance(fmt, LogFormatterSciNotation):
                a.set_major_formatter(_axis_formatter(_log_tick))
                a.set_minor_formatter(_axis_formatter(lambda v: ""))


# --------------------------------------------------------------------------- figures' alt text

ALT_ATTR = "_workbench_alt"


def figure_alt(fig, text: str | None = None) -> str:
    """The French alternative text of a figure (what a screen reader says in place of it, and
    what the exported page puts in `<img alt>`): `text` when given (stored on the figure), else
    "Graphique : <titre>" from its suptitle or axes titles, else from its axis labels."""
    if text is not None:
        setattr(fig, ALT_ATTR, str(text))
        return str(text)
    given = getattr(fig, ALT_ATTR, None)
    if given:
        return given
    parts = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text().strip():
        parts.append(sup.get_text().strip())
    for ax in fig.axes:
        title = next((t for t in (ax.get_title(loc) for loc in ("center", "left", "right"))
                      if t.strip()), "")
        if title.strip() and title.strip() not in parts:
            parts.append(title.strip())
    if not parts:
        for ax in fig.axes:
            x, y = ax.get_xlabel().strip(), ax.get_ylabel().strip()
            if x or y:
                parts.append(f"{y or 'valeurs'} selon {x}" if x else y)
    return "Graphique : " + " ; ".join(parts) if parts else "Graphique"


def _install_alt_text_hook() -> None:
    """Make every figure the notebook shows (matplotlib's inline backend, at the end of a cell
    or on `plt.show()`) carry its `figure_alt` text in the output's metadata (`"alt"`), which
    `runner.export_html` puts in the page's `<img alt>` (nbconvert would write an English
    placeholder), and French tick labels (`frenchify_figure`). Wraps the inline backend's
    metadata function, called just before each figure is drawn; no-op outside a kernel."""
    try:
        from IPython import get_ipython
        from matplotlib_inline import backend_inline
    except ImportError:  # pragma: no cover - both ship with ipykernel
        return
    if get_ipython() is None or getattr(backend_inline._fetch_figure_metadata, "_wb_alt", False):
        return
    original = backend_inline._fetch_figure_metadata

    def with_alt(fig):
        frenchify_figure(fig)  # runs before the figure is drawn into the page
        md = dict(original(fig) or {})
        md["alt"] = figure_alt(fig)
        return md

    with_alt._wb_alt = True
    backend_inline._fetch_figure_metadata = with_alt


# --------------------------------------------------------------------------- key figures

_STEM_RE = re.compile(r"^[A-Za-z0-9_\-]+$")


def _jsonable(x):
    if _is_missing(x):
        return None
    if isinstance(x, bool):
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        x = float(x)
        return x if math.isfinite(x) else None
    if isinstance(x, (pd.Timestamp, dt.datetime, dt.date)):
        return pd.Timestamp(x).isoformat()
    if isinstance(x, pd.Period):
        return str(x)
    if hasattr(x, "item"):  # numpy scalars
        return _jsonable(x.item())
    return str(x)


def figures_table(figures: dict) -> pd.DataFrame:
    """Key figures as a small French table (Indicateur, Valeur)."""
    if not isinstance(figures, dict) or not figures:
        raise ValueError("key figures must be a non-empty dict {label: value}")
    bad = [k for k in figures if not isinstance(k, str) or not k.strip()]
    if bad:
        raise ValueError(f"key figure labels must be non-empty strings, got {bad!r}")
    rows = [{"Indicateur": k, "Valeur": fmt_value(v)} for k, v in figures.items()]
    return pd.DataFrame(rows)


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600 files; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _display(obj) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with jupyter
        return
    if get_ipython() is not None:
        display(obj)


def key_figures(notebook: str, figures: dict, report_dir=None) -> None:
    """Show a notebook's key figures as a French table and, when `report_dir` is given (set by
    `workbench run`), save them to `<report_dir>/figures/<notebook>.json` for the month index.

    Values may be numbers, text (e.g. already formatted with `fmt_eur`), dates or None.
    Returns nothing (so the table is not shown twice); `figures_table` gives the table.
    """
    if not isinstance(notebook, str) or not _STEM_RE.match(notebook):
        raise ValueError(
            f"notebook must be the notebook's file stem, e.g. '00_data_overview', got {notebook!r}"
        )
    table = figures_table(figures)
    if report_dir is not None:
        payload = {
            "notebook": notebook,
            "figures": [
                {"label": k, "value": _jsonable(v), "text": fmt_value(v)}
                for k, v in figures.items()
            ],
        }
        _atomic_write_text(
            Path(report_dir) / FIGURES_DIR / f"{notebook}.json",
            json.dumps(payload, ensure_ascii=False, indent=2),
        )
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover - IPython ships with jupyter
        return
    from workbench import report_tables

    _display(HTML(report_tables.static_table(table)))  # one header row: Indicateur | Valeur


SUMMARY_KINDS = ("finding", "action", "more")  # main finding, recommended action, folded finding


def executive_summary(items: list[dict], report_dir=None, show: bool = True) -> None:
    """Save the month's executive summary (shown first in the month index) to
    `<report_dir>/summary.json`, and show it on the page unless `show=False` (the KPI page shows
    its own synthesis and saves this one without displaying it).

    Each item: title, text, an optional link (e.g. 'kpi.html#section') and an optional kind:
    'finding' (a main finding, shown first), 'action' (a recommended action) or 'more' (a
    lesser finding, folded under "Autres constats" in the index); default 'finding'."""
    if not isinstance(items, list) or not items:
        raise ValueError(
            "executive summary: expected a non-empty list of {title, text, link} dicts"
        )
    clean = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("title") or not item.get("text"):
            raise ValueError(
                f"executive summary item {i}: needs a non-empty 'title' and 'text', got {item!r}"
            )
        unknown = set(item) - {"title", "text", "link", "kind"}
        if unknown:
            raise ValueError(f"executive summary item {i}: unknown keys {sorted(unknown)}")
        kind = item.get("kind") or "finding"
        if kind not in SUMMARY_KINDS:
            raise ValueError(f"executive summary item {i}: kind must be one of {SUMMARY_KINDS}, got {kind!r}")
        clean.append(
            {
                "title": str(item["title"]),
                "text": str(item["text"]),
                "link": str(item["link"]) if item.get("link") else None,
                "kind": kind,
            }
        )
    if report_dir is not None:
        _atomic_write_text(
            Path(report_dir) / SUMMARY_FILE,
            json.dumps({"items": clean}, ensure_ascii=False, indent=2),
        )
    if not show:
        return
    try:
        from IPython.display import Markdown

        _display(Markdown("\n".join(f"- **{esc(c['title'])}** : {esc(c['text'])}" for c in clean)))
    except ImportError:  # pragma: no cover
        pass


# --------------------------------------------------------------------------- page blocks


def takeaway(text: str) -> None:
    """Show one "**À retenir :** …" paragraph under a figure or table.

    `text` is plain text and is escaped here (HTML and Markdown): pass the sentence as the
    reader should read it, with data values as they are — do NOT pre-escape it with `esc`
    (a brand such as "A&B" would then show as "A&amp;B")."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("takeaway: expected a non-empty sentence")
    from IPython.display import HTML

    _display(HTML(f'<p class="wb-takeaway"><strong>À retenir :</strong> {_e(text.strip())}</p>'))


def show_table(df, *, columns: dict | None = None, formats: dict | None = None,
               max_rows: int = 15, caption: str | None = None, index: bool | None = None) -> None:
    """Show a table on the page the French way.

    `columns`: {column: French header} — the columns to show, in that order (default: all,
    headers as they are). `formats`: {column (or its French header): a `fmt_*`-like function
    or one of 'int', 'eur',
    'eur2', 'pct', 'pct0', 'pct2', 'num0', 'num1', 'num2', 'date', 'datetime', 'month', 'text'};
    other columns get French number/date formats from their dtype. Missing values show as "–"
    (never nan/None/NaT). Every cell and header is HTML-escaped here: pass raw data text.
    Text is never cut. A table longer than `max_rows`, or with text longer than ~80
    characters, becomes an interactive table (sortable, searchable, paginated by `max_rows`,
    full text); shorter ones are a plain table. `index`: show the index as a first column
    (default: when it is not a plain 0..n-1 range)."""
    from IPython.display import HTML

    from workbench import report_tables as rt

    for html_block in rt.table_blocks(df, columns, formats, max_rows, caption, index):
        _display(HTML(html_block))


# --------------------------------------------------------------------------- HTML indexes

_FR_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def month_label(month: str) -> str:
    """'2026-10' -> 'octobre 2026'."""
    p = pd.Period(month, "M")
    return f"{_FR_MONTHS[p.month - 1]} {p.year}"


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def write_month_index(month_dir) -> Path:
    """Write `<month_dir>/index.html` (French): see `report_index.write_month_index`."""
    from workbench import report_index

    return report_index.write_month_index(month_dir)


def write_reports_index(reports_dir) -> Path:
    """Write `<reports_dir>/index.html`, every month newest first: see `report_index`."""
    from workbench import report_index

    return report_index.write_reports_index(reports_dir)
