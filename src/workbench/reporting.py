"""Report helpers: key figures, executive summary, French number formats, plots, HTML indexes.

Notebooks publish a few key figures with `key_figures(...)`; the monthly run collects them in
`reports/<month>/index.html` (French), which shows the executive summary first when the KPI
notebook wrote one. `reports/index.html` lists every month.
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
    "fmt_value",
    "esc",
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


def fmt_num(x, decimals: int = 0) -> str:
    """12345.678 -> '12 345,68' (decimals=2): French separators; '–' when missing."""
    if _is_missing(x):
        return "–"
    text = f"{float(x):,.{decimals}f}"
    return text.replace(",", THIN_SPACE).replace(".", ",")


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


def _axis_formatter(fn):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fn(v))


STATIC_ENV = "WORKBENCH_STATIC"  # set to 1 by `workbench run` and the tests: no live widgets
STATIC_NOTE = (
    "*Explorateur interactif : ouvrez ce notebook dans JupyterLab (`make lab`) pour l'utiliser ; "
    "le rapport HTML en montre le contenu sous forme de tableaux et de graphiques ci-dessus.*"
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


def int_axis(ax, axis: str = "y") -> None:
    """Format an axis with French thousands separators."""
    getattr(ax, f"{axis}axis").set_major_formatter(_axis_formatter(fmt_int))


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


def eur_axis(ax, axis: str = "y") -> None:
    """Format an axis in euros, French style."""
    getattr(ax, f"{axis}axis").set_major_formatter(_axis_formatter(fmt_eur))


def pct_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    """Format an axis of shares (0-1) as French percentages."""
    getattr(ax, f"{axis}axis").set_major_formatter(_axis_formatter(lambda v: fmt_pct(v, decimals)))


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
    _display(table.set_index("Indicateur"))


def executive_summary(items: list[dict], report_dir=None) -> None:
    """Save the month's executive summary (shown first in the month index) to
    `<report_dir>/summary.json`. Each item: title, text and an optional link (e.g. 'kpi.html')."""
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
        unknown = set(item) - {"title", "text", "link"}
        if unknown:
            raise ValueError(f"executive summary item {i}: unknown keys {sorted(unknown)}")
        clean.append(
            {
                "title": str(item["title"]),
                "text": str(item["text"]),
                "link": str(item["link"]) if item.get("link") else None,
            }
        )
    if report_dir is not None:
        _atomic_write_text(
            Path(report_dir) / SUMMARY_FILE,
            json.dumps({"items": clean}, ensure_ascii=False, indent=2),
        )
    try:
        from IPython.display import Markdown

        _display(Markdown("\n".join(f"- **{esc(c['title'])}** : {esc(c['text'])}" for c in clean)))
    except ImportError:  # pragma: no cover
        pass


# --------------------------------------------------------------------------- HTML indexes

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem auto;
max-width:980px;
color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;
text-align:left}th{background:#f4f4f4}.ok{color:#1a7f37;font-weight:bold}
.failed{color:#c62828;font-weight:bold}.summary{background:#f6f8fa;border-left:4px solid #3366cc;
padding:.5rem 1rem}.muted{color:#666;font-size:.9rem}td.num{text-align:right}
"""

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


def _fmt_seconds(s) -> str:
    if s is None:
        return "–"
    s = float(s)
    return f"{fmt_num(s, 1)} s" if s < 60 else f"{int(s // 60)} min {int(s % 60):02d} s"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_month_index(month_dir) -> Path:
    """Write `<month_dir>/index.html` (French) from run.json, summary.json and figures/*.json."""
    month_dir = Path(month_dir)
    run = _read_json(month_dir / RUN_FILE) or {}
    month = run.get("month") or month_dir.name
    notebooks = run.get("notebooks", [])
    parts = [f"<h1>Rapport mensuel — {_e(month_label(month))}</h1>"]
    period = run.get("data_period")
    meta = []
    if period:
        meta.append(f"Données du {_e(_fr_date(period[0]))} au {_e(_fr_date(period[1]))}")
    if run.get("data_dir_label"):
        meta.append(f"source : {_e(run['data_dir_label'])}")
    n_failed = sum(nb.get("status") != "ok" for nb in notebooks)
    if notebooks:
        state = "tous les carnets ont abouti" if n_failed == 0 else f"{n_failed} carnet(s) en échec"
        meta.append(state)
    if meta:
        parts.append(f'<p class="muted">{" · ".join(meta)}</p>')

    summary = _read_json(month_dir / SUMMARY_FILE)
    if summary and summary.get("items"):
        items = []
        for it in summary["items"]:
            link = f' <a href="{_e(it["link"])}">détails</a>' if it.get("link") else ""
            items.append(f"<li><strong>{_e(it['title'])}</strong> : {_e(it['text'])}{link}</li>")
        parts.append('<h2>Synthèse</h2><div class="summary"><ul>' + "".join(items) + "</ul></div>")

    if notebooks:
        rows = []
        for nb in notebooks:
            ok = nb.get("status") == "ok"
            status = '<span class="ok">réussi</span>' if ok else '<span class="failed">ÉCHEC</span>'
            name = nb.get("title") or nb["notebook"]
            link = f'<a href="{_e(nb["html"])}">{_e(name)}</a>' if nb.get("html") else _e(name)
            err = "" if ok else f'<br><span class="muted">{_e(nb.get("error") or "")}</span>'
            rows.append(
                f"<tr><td>{link}{err}</td><td>{status}</td>"
                f'<td class="num">{_e(_fmt_seconds(nb.get("seconds")))}</td></tr>'
            )
        parts.append(
            "<h2>Carnets exécutés</h2><table><tr><th>Carnet</th><th>Statut</th>"
            "<th>Durée</th></tr>" + "".join(rows) + "</table>"
        )

    order = {nb["notebook"]: i for i, nb in enumerate(notebooks)}
    figs = []
    for f in sorted(
        (month_dir / FIGURES_DIR).glob("*.json"), key=lambda p: (order.get(p.stem, 1e9), p.stem)
    ):
        data = _read_json(f)
        if not data or not data.get("figures"):
            continue
        rows = "".join(
            f'<tr><td>{_e(x["label"])}</td><td class="num">{_e(x["text"])}</td></tr>'
            for x in data["figures"]
        )
        titles = {nb["notebook"]: nb.get("title") for nb in notebooks}
        figs.append(
            f"<h3>{_e(titles.get(f.stem) or data.get('notebook', f.stem))}</h3>"
            "<table><tr><th>Indicateur</th>"
            f"<th>Valeur</th></tr>{rows}</table>"
        )
    if figs:
        parts.append("<h2>Chiffres clés</h2>" + "".join(figs))
    parts.append(
        '<p class="muted"><a href="../index.html">Tous les mois</a> · données '
        "pseudonymisées : aucun nom, e-mail ni pseudo n'apparaît dans ces rapports.</p>"
    )
    out = month_dir / "index.html"
    _atomic_write_text(out, _page(f"Rapport {month}", "\n".join(parts)))
    return out


def _fr_date(iso: str) -> str:
    return pd.Timestamp(iso).strftime("%d/%m/%Y")


def write_reports_index(reports_dir) -> Path:
    """Write `<reports_dir>/index.html`: every month that has a report, newest first."""
    reports_dir = Path(reports_dir)
    months = (
        sorted(
            (
                d
                for d in reports_dir.iterdir()
                if d.is_dir()
                and re.fullmatch(r"\d{4}-\d{2}", d.name)
                and (d / "index.html").exists()
            ),
            key=lambda d: d.name,
            reverse=True,
        )
        if reports_dir.is_dir()
        else []
    )
    rows = []
    for d in months:
        run = _read_json(d / RUN_FILE) or {}
        nbs = run.get("notebooks", [])
        failed = sum(nb.get("status") != "ok" for nb in nbs)
        status = (
            '<span class="ok">réussi</span>'
            if failed == 0
            else f'<span class="failed">{failed} échec(s)</span>'
        )
        rows.append(
            f'<tr><td><a href="{_e(d.name)}/index.html">{_e(month_label(d.name))}</a></td>'
            f'<td>{status}</td><td class="num">{len(nbs)}</td></tr>'
        )
    body = ["<h1>Rapports mensuels</h1>"]
    if rows:
        body.append(
            "<table><tr><th>Mois</th><th>Statut</th><th>Carnets</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    else:
        body.append("<p>Aucun rapport pour l'instant : lancez <code>make report</code>.</p>")
    out = reports_dir / "index.html"
    _atomic_write_text(out, _page("Rapports mensuels", "\n".join(body)))
    return out
