"""Hostile and broken input (issue 14): everything shown is escaped, personal data is masked,
bad files get one clear message naming file, column and rows, and nothing crashes or guesses.
docs/bad_inputs.md lists these cases with the message each gets."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hostile_data import (
    CARD,
    EMAIL,
    HOSTILE_COMPETITOR,
    IBAN,
    MARKUP,
    PHONES,
    empty_columns_copy,
    hostile_text,
    leaks,
    live_markup,
    make_hostile_copy,
)
from workbench import cli, concepts, datasets, quality, regions, reporting, runner, segmentation
from workbench.text import mask_personal

FIXTURES = Path(__file__).parent / "fixtures"
TX_HEADER = "transaction_id;customer_id;store_id;channel;timestamp;amount;n_items\n"


# --------------------------------------------------------------------------- 1. escaping


@pytest.mark.parametrize("value", [
    MARKUP, "<script>alert('x')</script>", "[clic](javascript:alert(2))", "**gras** _x_ `code`",
    "<a href=\"javascript:alert(1)\">lien</a>", "Rival <b onmouseover=alert(1)>x</b> & co",
    "![img](x\" onerror=\"alert(1))", "# titre\n- item", "<svg/onload=alert(1)>",
])
def test_esc_shows_data_text_as_text_in_markdown(value):
    page = markdown2html_mistune(f"Concurrents : **{reporting.esc(value)}** et {reporting.esc_list([value, 'B'])}")
    assert live_markup(page) == []
    assert "<a " not in page and "<img" not in page and "<script" not in page and "<svg" not in page
    # the reader still sees the text as written (entities decode back to it)
    import html as _html
    assert value.replace("\n", " ").split()[0] in _html.unescape(page).replace("\n", " ")


def test_styled_tables_in_notebooks_escape_data_text():
    """pandas' Styler.format does not escape unless told (a plain DataFrame does): every styled
    table of a notebook says escape="html"."""
    import json

    for path in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            src = "".join(cell["source"])
            assert src.count(".style.format(") == src.count('.style.format(escape="html"'), path.name
    df = pd.DataFrame({"Marque": [HOSTILE_COMPETITOR], "Part": [0.5]})
    page = df.style.format(escape="html", precision=1).to_html()
    assert live_markup(page) == [] and "&lt;img" in page


def test_figure_titles_take_dollars_as_text():
    import matplotlib.pyplot as plt

    reporting.setup_plots()
    fig, ax = plt.subplots()
    ax.set_title("Magasin $x^2$ {bad} \\frac")
    fig.canvas.draw()  # mathtext would fail or change the text; plain text draws as written
    assert ax.get_title() == "Magasin $x^2$ {bad} \\frac"
    plt.close(fig)


def test_log_axes_show_french_numbers_not_formulas():
    import matplotlib.pyplot as plt

    reporting.setup_plots()
    fig, ax = plt.subplots()
    ax.plot([1e-4, 1, 1e4], [10, 1000, 1e6])
    reporting.log_axis(ax, "x")
    reporting.log_axis(ax, "y")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_text()]
    assert labels and not any("$" in t or "mathdefault" in t for t in labels)
    assert "0,0001" in labels and "1\u202f000\u202f000" in labels
    plt.close(fig)


def test_executive_summary_markdown_is_escaped(monkeypatch):
    shown = []
    monkeypatch.setattr(reporting, "_display", lambda obj: shown.append(obj.data))
    reporting.executive_summary([{"title": "Alerte " + MARKUP, "text": "[x](javascript:alert(1))"}])
    assert live_markup(markdown2html_mistune(shown[0])) == []


def test_exported_page_renders_escaped_data_as_text_and_keeps_its_markup(tmp_path):
    """What notebooks output (Markdown with `esc`, plain and styled tables) exports to a page
    whose own markup is live (headings, tables) and whose data text is inert."""
    reporting.setup_plots()
    nb = new_notebook(cells=[new_markdown_cell("# Titre"), new_code_cell("x")])
    nb.cells[1].outputs = [
        new_output("display_data", data={"text/markdown": f"Concurrents : **{reporting.esc(MARKUP)}**"}),
        new_output("display_data", data={"text/html": pd.DataFrame({"a": [MARKUP]}).to_html()}),
        new_output("display_data", data={"text/html": pd.DataFrame({"a": [MARKUP]}).style.format(
            escape="html").to_html()}),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    runner.export_html(path, tmp_path / "nb.html")
    page = (tmp_path / "nb.html").read_text(encoding="utf-8")
    assert live_markup(page) == []
    assert "<h1" in page and page.count("<table") >= 2 and "<strong>" in page  # markup is live
    assert "&lt;h1" not in page and "&lt;table" not in page and "&lt;p&gt;" not in page


# --------------------------------------------------------------------------- 2. masking


@pytest.mark.parametrize("personal", [EMAIL, *PHONES, IBAN, CARD, "prenom.nom+promo@mail.example.com",
                                      "07-12-34-56-78", "+33 (0)6 12 34 56 78", "+1 (212) 555-0123",
                                      "BE68 5390 0754 7034", "4970-1012-3456-7890"])
def test_mask_personal_hides_every_kind(personal):
    out = mask_personal(f"Bonjour, voici {personal} merci")
    assert personal not in out and out.startswith("Bonjour, voici [") and out.endswith("] merci")


def test_mask_personal_keeps_ordinary_numbers_and_brand_handles():
    text = "Commande 123456 de 49,90 € le 14/10/2026, code postal 75011, 3 articles, 1 234 567 €"
    assert mask_personal(text) == text
    assert mask_personal("@Marque merci @jeanne_75", keep_handles=["@marque"]) == "@Marque merci @user"


def test_mask_personal_on_series_keeps_index_and_missing():
    s = pd.Series({"a": f"mail {EMAIL}", "b": None, "c": f"mail {EMAIL}"})
    out = mask_personal(s)
    assert list(out.index) == ["a", "b", "c"] and out["a"] == "mail [e-mail]" and pd.isna(out["b"])


def test_topic_words_and_concepts_never_hold_personal_data():
    texts = [f"colis en retard {hostile_text(i)} livraison" for i in range(30)] + \
            [f"accueil super vendeuse {i}" for i in range(30)]
    topics, _ = concepts.discover_topics(texts, n_topics=3, seed=0)
    words = " ".join(topics["words"].astype(str))
    for fragment in ("dupont", "example", "3000", "4970", "fr76"):
        assert fragment not in words.lower()


# --------------------------------------------------------------------------- 3. future dates


def _sample_copy(sample_dir, tmp_path, tables):
    out = tmp_path / "raw"
    out.mkdir()
    for t in tables:
        shutil.copy(Path(sample_dir) / f"{t}.parquet", out / f"{t}.parquet")
    return out


@pytest.mark.parametrize("future", ["2030-05-01 10:00", "2062-03-02 00:00"])
def test_future_dated_rows_are_flagged_and_do_not_move_the_month(sample_dir, tmp_path, future):
    raw = _sample_copy(sample_dir, tmp_path, ["transactions", "mentions"])
    before = datasets.report_month(sample_dir)
    for name, col in (("transactions", "timestamp"), ("mentions", "timestamp")):
        df = pd.read_parquet(raw / f"{name}.parquet")
        df.loc[[10, 20], col] = pd.Timestamp(future)
        df.to_parquet(raw / f"{name}.parquet", index=False)
    assert datasets.report_month(raw) == before
    assert datasets.data_period(raw)[1] < pd.Timestamp(future)
    _, status, profile = datasets.scan_available(["transactions", "mentions"], raw)
    fut = profile["future_rows"].set_index("table")
    assert fut.loc["transactions", "count"] == 2 and fut.loc["transactions", "rows"] == "11, 21"
    assert fut.loc["mentions", "count"] == 2
    checks = quality.future_checks(profile["future_rows"], status.set_index("table")["rows"].to_dict())
    assert "lignes 11, 21" in checks["check"].iloc[0]
    assert quality.flags_summary(status, checks.iloc[:0], checks.iloc[:0], checks)["rows_flagged"] == 4


# --------------------------------------------------------------------------- 4. extreme dates


def _parquet_with(path: Path, df: pd.DataFrame, column: str, values: dict, arrow_type) -> None:
    t = pa.Table.from_pandas(df, preserve_index=False)
    col = t.column(column).cast(arrow_type).to_pylist()
    for i, v in values.items():
        col[i] = v
    i = t.schema.get_field_index(column)
    pq.write_table(t.set_column(i, column, pa.array(col, arrow_type)), path)


@pytest.mark.parametrize("extreme", [dt.datetime(9999, 12, 31), dt.datetime(1677, 1, 1),
                                     dt.datetime(2262, 6, 1), dt.datetime(1, 1, 1)])
def test_extreme_timestamps_in_parquet_are_validation_problems(sample_dir, tmp_path, extreme):
    tx = pd.read_parquet(Path(sample_dir) / "transactions.parquet").head(50)
    _parquet_with(tmp_path / "transactions.parquet", tx, "timestamp", {3: extreme}, pa.timestamp("us"))
    with pytest.raises(datasets.DataError) as err:
        datasets.read_file(tmp_path / "transactions.parquet", "transactions")
    msg = str(err.value)
    assert "transactions.parquet" in msg and "column 'timestamp'" in msg and "row 4" in msg
    assert "between 1678 and 2261" in msg
    _, status, _ = datasets.scan_available(["transactions"], tmp_path)
    assert status["status"].iloc[0] == "invalide" and "timestamp" in status["message"].iloc[0]
    with pytest.raises(datasets.DataError, match="row 4"):
        datasets.report_month(tmp_path)


@pytest.mark.parametrize(("table", "column"), [("customers", "signup_date"), ("store_reviews", "date")])
def test_extreme_dates_in_other_tables(sample_dir, tmp_path, table, column):
    df = pd.read_parquet(Path(sample_dir) / f"{table}.parquet").head(30)
    _parquet_with(tmp_path / f"{table}.parquet", df, column, {2: dt.date(9999, 12, 31)}, pa.date32())
    with pytest.raises(datasets.DataError, match=rf"column '{column}'.*row 3"):
        datasets.read_file(tmp_path / f"{table}.parquet", table)


@pytest.mark.parametrize("text", ["9999-12-31 10:00", "31/12/9999", "1500-01-01"])
def test_extreme_dates_in_csv(tmp_path, text):
    (tmp_path / "transactions.csv").write_text(
        TX_HEADER + "T1;C1;S1;store;2026-01-02 10:00;12,5;1\n" + f"T2;C1;S1;store;{text};3;1\n",
        encoding="utf-8")
    with pytest.raises(datasets.DataError, match=r"column 'timestamp'.*row 2"):
        datasets.read_file(tmp_path / "transactions.csv", "transactions")


# --------------------------------------------------------------------------- 5. empty optional columns


def test_an_entirely_empty_feature_is_left_out_of_clustering_and_named():
    f = pd.DataFrame({"age": [np.nan] * 20, "frequency": range(20), "avg_basket": range(20)})
    X = segmentation.clustering_matrix(f, columns=("age", "frequency", "avg_basket"))
    assert list(X.columns) == ["frequency", "avg_basket"]
    assert X.attrs["dropped"] == {"age": "customers.birth_year"}


def test_segment_tests_skip_variables_without_two_values():
    f = pd.DataFrame({"csp": [None] * 40, "region": ["A", "B"] * 20, "age": [np.nan] * 40,
                      "frequency": range(40)}, index=[f"C{i}" for i in range(40)])
    segs = pd.DataFrame({"customer_id": f.index, "segment": [1, 2] * 20})
    out = segmentation.segment_tests(f, segs, numeric=("age", "frequency"), categorical=("csp", "region"))
    assert set(out["variable"]) == {"frequency", "region"}
    assert out.attrs["untestable"] == ["age", "csp"]


def test_concentration_of_nothing_is_not_measurable():
    c = regions.concentration(pd.Series([0.0, 0.0]))
    assert c["areas"] == 0 and np.isnan(c["top_share"])


# --------------------------------------------------------------------------- 6. two files


def test_two_files_for_one_table_is_an_error_naming_both(sample_dir, tmp_path):
    pd.read_parquet(Path(sample_dir) / "store_reviews.parquet").to_parquet(tmp_path / "store_reviews.parquet")
    (tmp_path / "store_reviews.csv").write_text("review_id;store_id\nR1;S1\n", encoding="utf-8")
    with pytest.raises(datasets.DataError) as err:
        datasets.read_table("store_reviews", tmp_path)
    assert "store_reviews.parquet and store_reviews.csv" in str(err.value)
    for reader in (datasets.read_available, lambda n, d: datasets.scan_available(n, d)[:2]):
        _, status = reader(["store_reviews"], tmp_path)
        assert status["status"].iloc[0] == "invalide" and "two files" in status["message"].iloc[0]


# --------------------------------------------------------------------------- 7. encodings


def _reviews_csv(sample_dir, n=400) -> tuple[str, pd.DataFrame]:
    df = pd.read_parquet(Path(sample_dir) / "store_reviews.parquet").head(n)
    return df.to_csv(sep=";", index=False), df


@pytest.mark.parametrize("encoding", ["cp850", "cp1252", "utf-16-le", "utf-16-be", "mac_roman", "utf-16"])
def test_encodings_are_detected_and_said(sample_dir, tmp_path, encoding):
    text, df = _reviews_csv(sample_dir)
    assert any(c in text for c in "éèàç")
    (tmp_path / "store_reviews.csv").write_bytes(text.encode(encoding))
    out = datasets.read_table("store_reviews", tmp_path)
    assert (out["text"].to_numpy() == df["text"].to_numpy()).all()  # nothing garbled
    assert out.attrs["encoding"] == encoding
    tables, status = datasets.read_available(["store_reviews"], tmp_path)
    assert encoding in status["message"].iloc[0]


def test_utf8_files_say_nothing(sample_dir, tmp_path):
    text, _ = _reviews_csv(sample_dir)
    (tmp_path / "store_reviews.csv").write_bytes(text.encode("utf-8"))
    assert "encoding" not in datasets.read_table("store_reviews", tmp_path).attrs


def test_doubtful_decoding_is_refused(tmp_path):
    # box-drawing bytes: no Western code page turns them into plausible French text
    raw = (TX_HEADER.replace(";", ",")).encode() + b"T1,C1,S1,store,2026-01-02 10:00,1.5,1\xb0\xb1\xb2\xdb\xdc\xdd\n"
    (tmp_path / "transactions.csv").write_bytes(raw)
    with pytest.raises(datasets.DataError, match="does not guess"):
        datasets.read_file(tmp_path / "transactions.csv", "transactions")


# --------------------------------------------------------------------------- 8. month outside the data


@pytest.mark.parametrize("month", ["1999-01", "2030-01"])
def test_month_outside_the_data_stops_before_any_notebook(sample_dir, tmp_path, month, capsys):
    with pytest.raises(ValueError, match=rf"month {month} is outside the data: the transactions run from"):
        datasets.report_month(sample_dir, month)
    code = cli.main(["run", "--month", month, "--data-dir", str(sample_dir),
                     "--processed-dir", str(tmp_path / "p"), "--reports-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "outside the data" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- 9, 10, 12. the run


def _tiny_project(tmp_path, body="print('ok')"):
    nbs, data = tmp_path / "notebooks", tmp_path / "data"
    nbs.mkdir()
    data.mkdir()
    shutil.copy(FIXTURES / "excel_utf8.csv", data / "transactions.csv")
    nb = new_notebook(cells=[new_markdown_cell("# T"), new_code_cell(
        "month = None\ndata_dir = None\nprocessed_dir = None\nreport_dir = None\nseed = 0\n",
        metadata={"tags": ["parameters"]}), new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "workbench", "language": "python"}
    nbformat.write(nb, nbs / "00_t.ipynb")
    return dict(month="2026-01", data_dir=data, notebooks_dir=nbs, reports_dir=tmp_path / "reports",
                processed_dir=tmp_path / "processed")


def test_a_second_run_on_the_same_month_is_refused(tmp_path):
    args = _tiny_project(tmp_path)
    folder = args["reports_dir"] / "2026-01"
    folder.mkdir(parents=True)
    with runner._RunLock(folder, "report month 2026-01"):
        with pytest.raises(runner.RunError, match="another run is in progress on the report month 2026-01"):
            runner.run(**args)
    assert runner.run(**args).ok  # the lock is gone with its holder


def test_processed_folder_under_a_file_is_one_clear_message(tmp_path, capsys):
    args = _tiny_project(tmp_path)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    code = cli.main(["run", "--month", "2026-01", "--data-dir", str(args["data_dir"]),
                     "--notebooks-dir", str(args["notebooks_dir"]), "--reports-dir", str(args["reports_dir"]),
                     "--processed-dir", str(blocker / "processed")])
    err = capsys.readouterr().err
    assert code == 2 and f"{blocker} is a file, not a folder" in err and "Traceback" not in err


def test_stale_temp_files_are_removed_at_start(tmp_path):
    args = _tiny_project(tmp_path)
    args["processed_dir"].mkdir()
    stale = args["processed_dir"] / ".mention_scores.abc123.tmp"
    stale.write_bytes(b"half a parquet")
    kept = args["processed_dir"] / "segments.parquet"
    kept.write_bytes(b"x")
    assert runner.run(**args).ok
    assert not stale.exists() and kept.exists()


def test_terminal_shows_every_problem_of_a_failing_notebook(tmp_path, capsys):
    args = _tiny_project(tmp_path, body=(
        "from workbench import datasets\n"
        "datasets.read_file(data_dir + '/bad.csv', 'transactions')\n"))
    (args["data_dir"] / "bad.csv").write_text(
        TX_HEADER + "T1;C1;S1;télé;31/02/2026;abc;1\n", encoding="utf-8")
    result = runner.run(**args)
    err = capsys.readouterr().err
    assert not result.ok
    for part in ("column 'channel'", "column 'timestamp'", "column 'amount'", "row 1", "expected"):
        assert part in err


# --------------------------------------------------------------------------- 11. unknown customers


def test_purchases_by_unknown_customers_name_file_ids_and_rows(sample_dir):
    tables = datasets.read_tables(["customers", "transactions"], sample_dir)
    tx = tables["transactions"].copy()
    month = datasets.report_month(sample_dir)
    recent = tx.index[tx["timestamp"] > month.end_time - pd.Timedelta(days=30)][:3]
    tx.loc[recent, "customer_id"] = ["GHOST1", "GHOST1", "GHOST2"]
    tables["transactions"] = tx
    with pytest.raises(datasets.DataError) as err:
        segmentation.customer_features(tables, month)
    msg = str(err.value)
    assert "transactions.parquet" in msg and "column 'customer_id'" in msg and "customers.parquet" in msg
    assert "GHOST1" in msg and f"row {recent[0] + 1}" in msg.replace("rows ", "row ")
    assert "in 3 rows" in msg and "2 customer_id(s)" in msg


# --------------------------------------------------------------------------- 13. ragged CSV


def test_unquoted_decimal_commas_are_named(tmp_path):
    head = TX_HEADER.replace(";", ",")
    (tmp_path / "t.csv").write_text(head + "T1,C1,S1,store,2026-01-02 10:00,12.5,1\n"
                                    "T2,C1,S1,store,2026-01-02 11:00,12,50,1\n", encoding="utf-8")
    with pytest.raises(datasets.DataError) as err:
        datasets.read_file(tmp_path / "t.csv", "transactions")
    msg = str(err.value)
    assert "row 2 has 8 fields" in msg and "header's 7 fields" in msg and "unquoted decimal comma?" in msg
    assert msg.count("  - ") == 1  # one problem, not three misleading ones


def test_short_rows_are_named_too(tmp_path):
    (tmp_path / "t.csv").write_text(TX_HEADER + "T1;C1;S1;store;2026-01-02 10:00;12,5;1\nT2;C1;S1\n",
                                    encoding="utf-8")
    with pytest.raises(datasets.DataError, match=r"row 2 has 3 fields"):
        datasets.read_file(tmp_path / "t.csv", "transactions")


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_monthly_run_on_hostile_data_shows_no_markup_and_no_personal_data(sample_dir, tmp_path):
    """The whole month on a copy of the sample with markup and personal data in every shown text
    column, a competitor named with markup, every optional customer column empty and two
    future-dated purchases: every notebook succeeds, no page or export leaks."""
    raw = make_hostile_copy(sample_dir, tmp_path / "raw")
    from workbench.schemas import TABLES

    empty_columns_copy(raw, raw, {"customers": [c.name for c in TABLES["customers"].columns if c.nullable]})
    tx = pd.read_parquet(raw / "transactions.parquet")
    tx.loc[[5, 6], "timestamp"] = [pd.Timestamp("2030-01-01"), pd.Timestamp("2062-03-01")]
    tx.to_parquet(raw / "transactions.parquet", index=False)
    result = runner.run(data_dir=raw, processed_dir=tmp_path / "processed", reports_dir=tmp_path / "reports")
    assert [nb.notebook for nb in result.notebooks if nb.status != "ok"] == []
    assert result.month == str(datasets.report_month(sample_dir))
    shown = [p for p in (tmp_path / "reports").rglob("*") if p.suffix in (".html", ".json", ".csv")
             and "executed" not in p.parts] + list((tmp_path / "processed").glob("*.csv"))
    for path in shown:
        text = path.read_text(encoding="utf-8")
        assert leaks(text, html=path.suffix == ".html") == {}, path.name
    page = (tmp_path / "reports" / result.month / "03_social_listening.html").read_text(encoding="utf-8")
    assert "Rival &lt;img src=x onerror=alert(1)&gt;" in page  # shown as text
