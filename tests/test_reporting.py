"""Presentation helpers of the report pages: French axes, tables without nan/None, escaped data,
interactive long tables that work offline, "À retenir" paragraphs, figures' alt text."""

from __future__ import annotations

import html
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from workbench import report_tables, reporting  # noqa: E402

ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def _labels(fig, axis):
    fig.canvas.draw()
    return [t.get_text() for t in getattr(fig.axes[0], f"get_{axis}ticklabels")() if t.get_text()]


@pytest.fixture(autouse=True)
def _plots():
    reporting.setup_plots()
    yield
    plt.close("all")


def test_percent_axis_shows_the_decimals_its_steps_need():
    fig, ax = plt.subplots()
    ax.plot([0, 0.05], [0, 1])
    ax.set_xticks(np.arange(0, 0.0501, 0.0125))
    reporting.pct_axis(ax, "x")
    assert _labels(fig, "x") == [f"{v}\u00a0%" for v in ("0", "1,25", "2,5", "3,75", "5")]
    ax.set_xticks([0, 0.02, 0.04])
    assert _labels(fig, "x") == ["0\u00a0%", "2\u00a0%", "4\u00a0%"]


def test_compact_axes_never_repeat_a_label_and_euros_stay_short():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [2400, 2600])
    ax.set_yticks([2400, 2450, 2500, 2550, 2600])
    reporting.int_axis(ax, "y", compact=False)
    assert _labels(fig, "y")[0] == "2\u202f400"
    fig2, ax2 = plt.subplots()
    ax2.plot([0, 1], [24_000, 26_000])
    ax2.set_yticks([24_000, 24_500, 25_000, 25_500, 26_000])
    reporting.int_axis(ax2, "y", compact=True)
    labels = _labels(fig2, "y")
    assert labels == ["24\u00a0k", "24,5\u00a0k", "25\u00a0k", "25,5\u00a0k", "26\u00a0k"]
    fig3, ax3 = plt.subplots()
    ax3.plot([0, 3_000_000], [0, 1])
    ax3.set_xticks([0, 1_000_000, 2_000_000, 3_000_000])
    reporting.eur_axis(ax3, "x")
    assert _labels(fig3, "x") == ["0\u00a0M€", "1\u00a0M€", "2\u00a0M€", "3\u00a0M€"]
    fig4, ax4 = plt.subplots(figsize=(4, 3))  # a narrow axis: few ticks, labels never collide
    ax4.barh(range(3), [0.01, 0.1, 0.208])
    reporting.pct_axis(ax4, "x")
    fig4.tight_layout()
    assert _labels(fig4, "x")[:2] == ["0\u00a0%", "10\u00a0%"]
    boxes = sorted((t.get_window_extent() for t in ax4.get_xticklabels() if t.get_text()),
                   key=lambda b: b.x0)
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False))  # never run together


def test_default_axes_become_french_when_shown():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    ax1.plot([0, 0.05], [1000, 25000])
    days = pd.date_range("2025-11-01", periods=300, freq="D")
    ax2.plot(days, np.arange(300))
    reporting.int_axis(ax1, "y")  # formatted by the notebook: kept
    kept = ax1.yaxis.get_major_formatter()
    reporting.frenchify_figure(fig)
    fig.canvas.draw()
    assert ax1.yaxis.get_major_formatter() is kept
    x1 = [t.get_text() for t in ax1.get_xticklabels() if t.get_text()]
    assert "0,01" in x1 and not any("." in t for t in x1)
    x2 = [t.get_text() for t in ax2.get_xticklabels() if t.get_text()]
    assert x2 and not any(ENGLISH_MONTHS.search(t) for t in x2) and any("janv." in t for t in x2)


def test_heatmap_colorbar_in_french_percent():
    import seaborn as sns

    fig, ax = plt.subplots()
    sns.heatmap(np.array([[0.0, 0.25], [0.5, 1.0]]), ax=ax)
    cbar = ax.collections[0].colorbar
    reporting.pct_axis(cbar)
    fig.canvas.draw()
    labels = [t.get_text() for t in cbar.ax.get_yticklabels() if t.get_text()]
    assert labels[0] == "0\u00a0%" and labels[-1] == "100\u00a0%" and not any("." in t for t in labels)


@pytest.mark.parametrize("kind", ["matplotlib", "pandas_weekly", "pandas_monthly"])
def test_month_axis_is_french(kind):
    weeks = pd.date_range("2025-11-02", periods=52, freq="W")
    fig, ax = plt.subplots()
    if kind == "matplotlib":
        ax.plot(weeks, np.arange(52))
    elif kind == "pandas_weekly":
        pd.Series(np.arange(52.0), index=weeks).plot(ax=ax)
    else:
        pd.Series(np.arange(12.0), index=pd.period_range("2025-11", periods=12, freq="M")).plot(ax=ax)
    reporting.month_axis(ax)
    labels = _labels(fig, "x")
    assert labels[0] == "nov. 2025" and "janv. 2026" in labels and "févr." in labels
    assert not any(ENGLISH_MONTHS.search(t) for t in labels)
    days = pd.Series(np.arange(31.0), index=pd.date_range("2026-10-01", periods=31, freq="D"))
    fig, ax = plt.subplots()
    days.plot(ax=ax)
    reporting.month_axis(ax)
    assert _labels(fig, "x")[:2] == ["1 oct. 2026", "4 oct."]


def test_figure_alt_text_from_titles_or_given():
    fig, ax = plt.subplots()
    ax.set_title("Chiffre d'affaires par mois")
    assert reporting.figure_alt(fig) == "Graphique : Chiffre d'affaires par mois"
    fig.suptitle("Octobre")
    assert reporting.figure_alt(fig).startswith("Graphique : Octobre ; Chiffre")
    reporting.figure_alt(fig, "Courbe des ventes")
    assert reporting.figure_alt(fig) == "Courbe des ventes"
    assert reporting.figure_alt(plt.figure()) == "Graphique"


SCRIPT = "<script>alert('x')</script>"


def _frame(n):
    return pd.DataFrame({
        "store": ([SCRIPT, "Lyon & Co", None] * n)[:n],
        "revenue": ([12345.6, np.nan, 3.0] * n)[:n],
        "share": ([0.125, None, 0.5] * n)[:n],
        "day": pd.to_datetime((["2026-10-01", None, "2026-10-14"] * n)[:n]),
        "note": (["x" * 120, "court", None] * n)[:n],
    })


def test_short_table_is_french_escaped_and_has_no_nan():
    blocks = report_tables.table_blocks(
        _frame(3)[["store", "revenue", "share", "day"]],
        {"store": "Magasin", "revenue": "Chiffre d'affaires", "share": "Part", "day": "Jour"},
        {"revenue": "eur", "share": "pct"}, 15, "Légende <b>x</b>", None)
    assert len(blocks) == 1
    page = blocks[0]
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;x" in page
    cells = re.findall(r"<t[dh](?:\s[^>]*)?>(.*?)</t[dh]>", page)
    assert cells[:4] == ["Magasin", "Chiffre d&#x27;affaires", "Part", "Jour"]
    assert "12\u202f346\u00a0€" in cells and "12,5\u00a0%" in cells and "14/10/2026" in cells
    assert not {c.lower() for c in cells} & {"nan", "none", "nat", ""}
    assert cells.count(report_tables.MISSING) == 4


def test_long_or_wordy_table_is_interactive_offline_with_full_text(monkeypatch):
    monkeypatch.setattr(report_tables, "_itables_loaded", False)
    blocks = report_tables.table_blocks(_frame(40), None, None, 15, None, None)
    assert len(blocks) == 2  # the library (once per kernel), then the table
    library, table = blocks
    assert "_itables_" in library and len(library) > 500_000  # embedded, no CDN
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?https?://", library + table)
    assert "x" * 120 in table and "…" not in table  # full text in the fallback and the data
    assert "Rechercher" in table and '"pageLength": 15' in table
    assert "<script>alert" not in table and "alert('x')" not in table  # data inert
    again = report_tables.table_blocks(_frame(3), None, None, 15, None, None)
    assert len(again) == 1 and "_itables_" in again[0]  # wordy: interactive, library not repeated


def test_table_rejects_unknown_columns_and_formats():
    with pytest.raises(KeyError, match="colonne|not in the table"):
        report_tables.table_blocks(_frame(3), {"nope": "X"}, None, 15, None, None)
    with pytest.raises(ValueError, match="unknown format 'money'"):
        report_tables.table_blocks(_frame(3), None, {"revenue": "money"}, 15, None, None)


def test_takeaway_escapes_its_text(monkeypatch):
    shown = []
    monkeypatch.setattr(reporting, "_display", lambda obj: shown.append(obj.data))
    reporting.takeaway("Les ventes de A&B <img src=x> baissent de 12,3 %.")
    assert shown == ['<p class="wb-takeaway"><strong>À retenir :</strong> Les ventes de A&amp;B '
                     "&lt;img src=x&gt; baissent de 12,3 %.</p>"]
    assert html.unescape(shown[0]).endswith("A&B <img src=x> baissent de 12,3 %.</p>")
    with pytest.raises(ValueError):
        reporting.takeaway("  ")


def test_interactive_table_ids_are_stable_from_run_to_run(monkeypatch):
    ids = []
    for _run in range(2):  # a fresh kernel each run: same tables, same ids (diff-friendly pages)
        monkeypatch.setattr(report_tables, "_n_tables", 0)
        blocks = [report_tables.table_blocks(_frame(40), None, None, 15, None, None)[-1]
                  for _ in range(2)]
        ids.append([re.search(r'<table id="(wb_[^"]+)"', b).group(1) for b in blocks])
    assert ids[0] == ids[1] and ids[0][0] != ids[0][1]  # stable, and unique within a page


MINUS = "\u2212"


def test_negative_numbers_use_one_typographic_minus_everywhere():
    """Every French number of the pages writes a negative with U+2212 (never the hyphen): the
    plain formats, the signed changes of the indicator registry, and the axes."""
    from workbench import indicators

    assert reporting.fmt_num(-0.5, 2) == f"{MINUS}0,50"
    assert reporting.fmt_num(-1234.5, 1) == f"{MINUS}1\u202f234,5"
    assert reporting.fmt_pct(-0.45) == f"{MINUS}45,0\u00a0%"
    assert reporting.fmt_eur(-12) == f"{MINUS}12\u00a0€"
    assert reporting.fmt_int(-3) == f"{MINUS}3"
    assert reporting.fmt_num(-0.004, 2) == "0,00"  # rounds to zero: no sign
    assert reporting.fmt_signed(-0.9, 1, "pt") == f"{MINUS}0,9\u00a0pt"
    assert reporting.fmt_signed(12.3, 1, "%") == "+12,3\u00a0%"
    assert reporting.fmt_signed(0.04, 1, "%") == "0,0\u00a0%"
    assert reporting.fmt_signed(None) == "–"
    # the registry's changes and values say the same thing with the same sign
    assert indicators.display_change("sales", 877, 1000) == reporting.fmt_signed(-12.3, 1, "%")
    assert indicators.display("net_sentiment", -0.05) == f"{MINUS}5\u00a0pt"
    assert indicators.display("care_answered_share", -0.123) == reporting.fmt_pct(-0.123)
    for text in (reporting.fmt_pct(-0.45), indicators.display_change("sales", 877, 1000)):
        assert "-" not in text
    fig, ax = plt.subplots()
    ax.plot([0, 1], [-0.05, 0.05])
    ax.set_yticks([-0.05, 0, 0.05])
    reporting.pct_axis(ax)
    assert _labels(fig, "y") == [f"{MINUS}5\u00a0%", "0\u00a0%", "5\u00a0%"]


def test_executive_summary_saved_without_display_and_with_kinds(monkeypatch, tmp_path):
    import json

    shown = []
    monkeypatch.setattr(reporting, "_display", lambda obj: shown.append(obj))
    items = [{"title": "Ventes", "text": "en baisse", "link": "05.html#x", "kind": "finding"},
             {"title": "Action 1", "text": "relancer", "kind": "action"},
             {"title": "Trafic", "text": "stable"}]
    reporting.executive_summary(items, tmp_path, show=False)
    assert shown == []
    saved = json.loads((tmp_path / reporting.SUMMARY_FILE).read_text(encoding="utf-8"))["items"]
    assert [i["kind"] for i in saved] == ["finding", "action", "finding"]
    assert saved[0]["link"] == "05.html#x" and saved[1]["link"] is None
    reporting.executive_summary(items, None)
    assert len(shown) == 1
    with pytest.raises(ValueError, match="kind must be one of"):
        reporting.executive_summary([{"title": "x", "text": "y", "kind": "other"}])


def test_key_figures_table_has_one_header_row_and_stays_plain(monkeypatch):
    """Issue 17 (reader): the closing key-figures table had its header split over two rows
    ('| Valeur' then 'Indicateur |'). One header row, never the interactive kind (its output is
    checked from run to run), long text included, escaped."""
    shown = []
    monkeypatch.setattr(reporting, "_display", lambda obj: shown.append(obj.data))
    reporting.key_figures("05_x", {"Chiffre d'affaires": 2_237_626, "Principale alerte": "<b>" + "x" * 120})
    page = shown[0]
    assert page.count("<tr>") == 3 and page.count("<thead>") == 1
    assert re.search(r"<thead><tr><th>Indicateur</th><th>Valeur</th></tr></thead>", page)
    assert "_itables_" not in page and "&lt;b&gt;" + "x" * 120 in page and "2\u202f237\u202f626" in page
