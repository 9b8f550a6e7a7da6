"""runner: failure isolation, HTML with the visible error, French indexes, non-zero exit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pyarrow as pa
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from workbench import cli, frames, reporting, runner

FIXTURES = Path(__file__).parent / "fixtures"
PARAMS = """month: str | None = None
data_dir: str | None = None
processed_dir: str | None = None
report_dir: str | None = None
seed: int = 0
"""


def _notebook(path: Path, title: str, body: str) -> None:
    nb = new_notebook(
        cells=[
            new_markdown_cell(f"# {title}"),
            new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
            new_code_cell(body),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "workbench",
        "display_name": "workbench",
        "language": "python",
    }
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    nbs, data = root / "notebooks", root / "data"
    nbs.mkdir()
    data.mkdir()
    shutil.copy(FIXTURES / "excel_utf8.csv", data / "transactions.csv")
    _notebook(
        nbs / "00_ok.ipynb",
        "Carnet qui marche",
        "from workbench import reporting\n"
        "print('mois', month, 'graine', seed)\n"
        "import pyarrow\n"
        "print('pool', pyarrow.default_memory_pool().backend_name)\n"
        "reporting.key_figures('00_ok', {'Réponse': 42, 'Mois': month}, report_dir)\n",
    )
    _notebook(
        nbs / "01_boom.ipynb",
        "Carnet qui casse",
        "raise RuntimeError('colonne introuvable: montant_ttc')\n",
    )
    _notebook(
        nbs / "02_after.ipynb",
        "Carnet suivant",
        "from workbench import reporting\n"
        "reporting.key_figures('02_after', {'Encore': 1}, report_dir)\n",
    )
    (nbs / "notes.ipynb").write_text("not a numbered notebook: ignored", encoding="utf-8")
    result = runner.run(
        month="2026-01",
        data_dir=data,
        notebooks_dir=nbs,
        reports_dir=root / "reports",
        processed_dir=root / "processed",
        seed=7,
    )
    return root, result


def test_failure_is_isolated_and_exit_code_nonzero(project):
    root, result = project
    assert [(nb.notebook, nb.status) for nb in result.notebooks] == [
        ("00_ok", "ok"),
        ("01_boom", "failed"),
        ("02_after", "ok"),
    ]
    assert result.exit_code == 1 and not result.ok
    assert (
        "RuntimeError" in result.notebooks[1].error and "montant_ttc" in result.notebooks[1].error
    )


def test_every_notebook_gets_html_and_executed_copy(project):
    root, _ = project
    month_dir = root / "reports" / "2026-01"
    for stem in ("00_ok", "01_boom", "02_after"):
        assert (month_dir / f"{stem}.html").is_file()
        assert (month_dir / "executed" / f"{stem}.ipynb").is_file()
    ok_html = (month_dir / "00_ok.html").read_text(encoding="utf-8")
    assert "mois 2026-01 graine 7" in ok_html  # parameters reached the notebook
    assert "print(" not in ok_html  # code cells are hidden
    boom_html = (month_dir / "01_boom.html").read_text(encoding="utf-8")
    assert "RuntimeError" in boom_html and "montant_ttc" in boom_html


def test_kernels_get_the_jemalloc_pool_unless_the_user_chose_one(project, monkeypatch):
    root, _ = project
    ok_html = (root / "reports" / "2026-01" / "00_ok.html").read_text(encoding="utf-8")
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow has no jemalloc pool")
    assert "pool jemalloc" in ok_html  # the kernel's pyarrow started with it
    monkeypatch.delenv(frames.ARROW_POOL_ENV, raising=False)
    assert frames.kernel_memory_pool() == {frames.ARROW_POOL_ENV: "jemalloc"}
    monkeypatch.setenv(frames.ARROW_POOL_ENV, "system")  # the user's choice is kept
    assert frames.kernel_memory_pool() == {}


def test_month_index_marks_failure_and_shows_figures(project):
    root, _ = project
    index = (root / "reports" / "2026-01" / "index.html").read_text(encoding="utf-8")
    assert "janvier 2026" in index
    assert "ÉCHEC" in index and "Carnet qui casse" in index and "montant_ttc" in index
    assert index.count("réussi") == 2
    assert "Réponse" in index and "42" in index and "Encore" in index
    assert "Données du 31/01/2026 au 01/02/2026" in index
    top = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert "2026-01/index.html" in top and "1 échec(s)" in top
    run = json.loads(
        (root / "reports" / "2026-01" / reporting.RUN_FILE).read_text(encoding="utf-8")
    )
    assert [nb["status"] for nb in run["notebooks"]] == ["ok", "failed", "ok"]


def test_summary_shown_first(tmp_path):
    month_dir = tmp_path / "2026-02"
    reporting.key_figures("00_x", {"Clients": 12345}, month_dir)
    reporting.executive_summary(
        [{"title": "Crise", "text": "Pic d'avis négatifs sur la livraison", "link": "07_kpi.html"}],
        month_dir,
    )
    html = reporting.write_month_index(month_dir).read_text(encoding="utf-8")
    assert html.index("Synthèse") < html.index("Chiffres clés")
    assert "Pic d&#x27;avis négatifs" in html and 'href="07_kpi.html"' in html
    assert "12\u202f345" in html
    with pytest.raises(ValueError, match="title"):
        reporting.executive_summary([{"text": "x"}], month_dir)


def test_index_links_registered_key_figures_to_their_section(tmp_path):
    from workbench import indicators

    sales = indicators.get("sales")
    month_dir = tmp_path / "2026-02"
    reporting.key_figures("05_kpis", {sales.label: 1000, "Libellé libre <b>": 3}, month_dir)
    html = reporting.write_month_index(month_dir).read_text(encoding="utf-8")
    assert f'<a href="{sales.link}" title=' in html and "Libellé libre &lt;b&gt;</td>" in html


def test_cli_select_and_exit_codes(project, capsys):
    root, _ = project
    args = [
        "run",
        "--month",
        "2026-01",
        "--data-dir",
        str(root / "data"),
        "--notebooks-dir",
        str(root / "notebooks"),
        "--reports-dir",
        str(root / "reports2"),
        "--processed-dir",
        str(root / "processed"),
    ]
    assert cli.main(args + ["--notebooks", "00"]) == 0
    assert (root / "reports2" / "2026-01" / "00_ok.html").is_file()
    assert not (root / "reports2" / "2026-01" / "01_boom.html").exists()
    assert cli.main(args + ["--notebooks", "01_boom.ipynb"]) == 1  # partial runs accumulate
    run = json.loads(
        (root / "reports2" / "2026-01" / reporting.RUN_FILE).read_text(encoding="utf-8")
    )
    assert [(nb["notebook"], nb["status"]) for nb in run["notebooks"]] == [
        ("00_ok", "ok"),
        ("01_boom", "failed"),
    ]
    assert cli.main(args + ["--notebooks", "99_nope"]) == 2
    assert "no notebook matches '99_nope'" in capsys.readouterr().err
    assert cli.main(args[:2] + ["13-2026"] + args[3:]) == 2


def test_french_formats():
    assert reporting.fmt_int(1234567) == "1\u202f234\u202f567"
    assert reporting.fmt_eur(1234.5) == "1\u202f234\u00a0€"
    assert reporting.fmt_pct(0.1234) == "12,3\u00a0%"
    assert reporting.fmt_num(-0.5, 2) == "\u22120,50"  # the typographic minus, as on every page
    assert reporting.fmt_value(None) == "–"


def test_strip_outputs_keeps_only_checked_cells(tmp_path):
    nb = new_notebook(
        cells=[
            new_code_cell("x = 1\nx", execution_count=3),
            new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(2)", execution_count=4),
        ]
    )
    nb.cells[0].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=3)
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.cells[0].metadata["papermill"] = {"duration": 0.1}
    path = tmp_path / "00_x.ipynb"
    nbformat.write(nb, path)
    runner.prepare_for_commit(path, execute=False)
    got = nbformat.read(path, as_version=4)
    assert got.cells[0].outputs == [] and got.cells[0].execution_count is None
    assert "papermill" not in got.cells[0].metadata
    assert got.cells[1].outputs[0]["text"] == "2\n" and got.cells[1].execution_count == 1
    assert nb.cells[0].outputs  # the input notebook object is not modified


def _param_project(tmp_path):
    nbs, data = tmp_path / "notebooks", tmp_path / "data"
    nbs.mkdir()
    data.mkdir()
    shutil.copy(FIXTURES / "excel_utf8.csv", data / "transactions.csv")
    params = ('month: "Optional[str]" = None  # month\ndata_dir: "Optional[str]" = None  # data\n'
              'processed_dir: "Optional[str]" = None  # out\nreport_dir: "Optional[str]" = None  # rep\n'
              'profile_path: "Optional[str]" = None  # profile\nseed: int = 0  # seed\n')
    for stem, extra in (("00_a", "lookback_days: int = 365  # days\n"), ("01_b", "")):
        nb = new_notebook(cells=[new_markdown_cell("# T"),
                                 new_code_cell(params + extra, metadata={"tags": ["parameters"]}),
                                 new_code_cell("print('VALUE', globals().get('lookback_days'), profile_path)")])
        nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "workbench", "language": "python"}
        nbformat.write(nb, nbs / f"{stem}.ipynb")
    return ["run", "--month", "2026-01", "--data-dir", str(data), "--notebooks-dir", str(nbs),
            "--reports-dir", str(tmp_path / "r"), "--processed-dir", str(tmp_path / "p")]


def test_unknown_parameter_stops_the_run_before_anything_runs(tmp_path, capsys):
    args = _param_project(tmp_path)
    assert cli.main(args + ["-p", "lookback_dayz", "30"]) == 2
    err = capsys.readouterr().err
    assert "unknown notebook parameter(s) lookback_dayz" in err and "00_a: lookback_days" in err
    assert not (tmp_path / "r").exists()
    assert cli.main(args + ["-p", "month", "2026-02"]) == 2
    assert "set by the run itself" in capsys.readouterr().err


def test_parameters_go_to_the_notebooks_that_declare_them(tmp_path):
    args = _param_project(tmp_path)
    pfile = tmp_path / "params.yaml"
    pfile.write_text("lookback_days: 90\n", encoding="utf-8")
    assert cli.main(args + ["-f", str(pfile), "-p", "lookback_days", "30"]) == 0  # -p wins
    executed = tmp_path / "r" / "2026-01" / "executed"
    assert "VALUE 30 None" in (executed / "00_a.ipynb").read_text(encoding="utf-8")
    assert "VALUE None None" in (executed / "01_b.ipynb").read_text(encoding="utf-8")


def test_profile_is_validated_and_passed_to_every_notebook(tmp_path, capsys):
    from workbench import profile, sample_retailers

    args = _param_project(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand: X\n", encoding="utf-8")
    assert cli.main(args + ["--profile", str(bad)]) == 2
    assert "retailer profile:" in capsys.readouterr().err
    good = profile.write_profile(sample_retailers.get_retailer("grocery").profile, tmp_path / "g.yaml")
    assert cli.main(args + ["--profile", str(good)]) == 0
    executed = tmp_path / "r" / "2026-01" / "executed"
    assert str(good.resolve()) in (executed / "01_b.ipynb").read_text(encoding="utf-8")


def test_exported_page_is_french_navigable_and_describes_its_figures(tmp_path):
    """The page chrome: lang="fr", a link back to the month index, a table of contents with
    anchors, each figure's French alt text from its title (recorded in the kernel by
    `reporting.setup_plots`), no stderr warnings; the month index links to the sections."""
    from nbclient import NotebookClient

    from workbench import page_chrome

    nb = new_notebook(cells=[
        new_markdown_cell("# Ventes du mois"),
        new_markdown_cell("## Chiffre d'affaires"),
        new_code_cell(
            "import sys\nimport matplotlib.pyplot as plt\nfrom workbench import reporting\n"
            "reporting.setup_plots()\nfig, ax = plt.subplots()\nax.plot([1, 2], [3, 4])\n"
            "ax.set_title('Ventes mensuelles')\nprint('avertissement interne', file=sys.stderr)\n"
            "plt.show()"),
        new_code_cell("from pathlib import Path\nPath('/tmp/table_ecrite.parquet')"),
        new_markdown_cell("### Détail par magasin"),
        new_code_cell("fig, ax = plt.subplots()\nax.plot([1, 2], [1, 1])\nplt.show()"),
        new_markdown_cell("## Trafic"),
    ])
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "workbench",
                                 "language": "python"}
    NotebookClient(nb, kernel_name="workbench", timeout=120).execute()
    path = tmp_path / "2026-10" / "executed" / "01_ventes.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    out = tmp_path / "2026-10" / "01_ventes.html"
    runner.export_html(path, out)
    page = out.read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "No description" not in page
    assert 'alt="Graphique : Ventes mensuelles"' in page  # from the figure's title
    assert 'alt="Graphique — Détail par magasin"' in page  # untitled: its section's heading
    assert f'<a href="index.html">{page_chrome.BACK_LINK_TEXT}</a>' in page
    toc = page[page.index('class="wb-nav"'):page.index("</nav>")]
    assert "#Chiffre-d'affaires" in toc and "#D%C3%A9tail-par-magasin" in toc and "#Trafic" in toc
    assert "avertissement interne" not in page and "PosixPath" not in page
    assert page_chrome.page_sections(out) == [("Chiffre-d'affaires", "Chiffre d'affaires"),
                                              ("Trafic", "Trafic")]
    error = runner._error_page("02_casse", "ValueError: <b>x</b>")
    assert 'lang="fr"' in error and 'href="index.html"' in error and "&lt;b&gt;" in error


def test_screenshots_say_how_to_get_chromium_and_capture_every_page(tmp_path, monkeypatch, capsys):
    import shutil as _shutil

    from workbench import screenshots

    month = tmp_path / "reports" / "2026-10"
    month.mkdir(parents=True)
    (month / "index.html").write_text('<html lang="fr"><body><h1>Index</h1></body></html>')
    (month / "01_ventes.html").write_text(
        '<html lang="fr"><body><h1>Ventes</h1>' + "<p>ligne</p>" * 400 + "</body></html>")
    browser = _shutil.which("chromium") or _shutil.which("chromium-browser")
    monkeypatch.setattr(screenshots.shutil, "which", lambda name: None)
    assert cli.main(["screenshots", "--month", "2026-10", "--reports-dir", str(tmp_path / "reports")]) == 2
    assert "apt-get install -y chromium" in capsys.readouterr().err
    assert cli.main(["screenshots", "--month", "2026-11", "--reports-dir", str(tmp_path / "reports")]) == 2
    assert "2026-11 does not exist" in capsys.readouterr().err
    if browser is None:
        pytest.skip("chromium not installed: the capture itself is not checked")
    from PIL import Image

    shots = screenshots.screenshot_month(month, browser=browser, log=lambda _m: None)
    assert [p.name for p in shots] == ["index.png", "01_ventes.png"]
    width, height = Image.open(shots[1]).size
    assert width == screenshots.WIDTH and height > 4000  # the full page, not one screen


def _timed_project(tmp_path, notebooks=(("00_data_overview", 3, ""),
                                         ("03_social_listening", 3, "raise RuntimeError('boom 03')\n"),
                                         ("01_segmentation", 3, ""))):
    """Notebooks named as some of the monthly run's (stem, seconds, extra code), each logging
    when it ran (and where)."""
    nbs, data, log = tmp_path / "notebooks", tmp_path / "data", tmp_path / "times"
    for d in (nbs, data, log):
        d.mkdir()
    shutil.copy(FIXTURES / "excel_utf8.csv", data / "transactions.csv")
    for stem, seconds, extra in notebooks:
        _notebook(nbs / f"{stem}.ipynb", stem,
                  "import os, time\n"
                  "t0 = time.time()\n"
                  f"time.sleep({seconds})\n"
                  f"open({str(log / stem)!r}, 'w').write(f'{{t0}} {{time.time()}} {{os.getcwd()}}')\n" + extra)
    return nbs, data, log


def _intervals(log):
    out = {}
    for f in log.iterdir():
        start, end, cwd = f.read_text().split(" ", 2)
        out[f.name] = (float(start), float(end), cwd)
    return out


def test_run_stages_follow_the_notebooks_inputs():
    stems = [p.stem for p in runner.discover_notebooks()]
    stages = [[[p.stem for p in lane] for lane in stage] for stage in runner.run_stages(runner.discover_notebooks())]
    where = {s: (i, j, k) for i, stage in enumerate(stages) for j, lane in enumerate(stage) for k, s in enumerate(lane)}
    assert sorted(where) == sorted(stems) and len(where) == len(stems)  # every notebook, once

    def runs_before(writer, reader):  # an earlier stage, or earlier in the same lane
        (wi, wj, wk), (ri, rj, rk) = where[writer], where[reader]
        return wi < ri or (wi == ri and wj == rj and wk < rk)

    # what each notebook reads from another's processed tables runs before it
    for reader, writers in {"01_segmentation": ["03_social_listening"],
                            "02_customer_journey": ["01_segmentation"],
                            "04_ambassadors": ["01_segmentation", "03_social_listening"],
                            "05_monthly_kpis": ["01_segmentation", "03_social_listening"],
                            "06_care_and_ideas": ["03_social_listening", "05_monthly_kpis"]}.items():
        assert all(runs_before(w, reader) for w in writers), (reader, stages)
    for heavy in ("01_segmentation", "02_customer_journey"):  # the two that need most memory run alone
        assert stages[where[heavy][0]] == [[heavy]]
    assert all(len(stage) == 1 and len(stage[0]) == 1
               for stage in runner.run_stages(runner.discover_notebooks(), parallel=False))
    other = [Path("07_mine.ipynb"), Path("00_data_overview.ipynb")]  # an analyst's own notebook runs last, alone
    assert [[[p.name for p in lane] for lane in stage] for stage in runner.run_stages(other)] == [
        [["00_data_overview.ipynb"]], [["07_mine.ipynb"]]]


def test_a_stage_runs_its_notebooks_at_once_and_one_failure_stops_neither(tmp_path):
    nbs, data, log = _timed_project(tmp_path)
    cwd = Path.cwd()
    result = runner.run(month="2026-01", data_dir=data, notebooks_dir=nbs, reports_dir=tmp_path / "r",
                        processed_dir=tmp_path / "p")
    assert Path.cwd() == cwd  # the caller's folder is given back
    assert [(nb.notebook, nb.status) for nb in result.notebooks] == [
        ("00_data_overview", "ok"), ("03_social_listening", "failed"), ("01_segmentation", "ok")]
    assert "boom 03" in result.notebooks[1].error
    t = _intervals(log)
    assert t["00_data_overview"][0] < t["03_social_listening"][1]  # 00 and 03 overlap
    assert t["03_social_listening"][0] < t["00_data_overview"][1]
    assert t["01_segmentation"][0] > max(t["00_data_overview"][1], t["03_social_listening"][1])
    assert {c for _, _, c in t.values()} == {str(nbs.resolve())}  # every kernel in the notebooks' folder
    run_json = json.loads((tmp_path / "r" / "2026-01" / reporting.RUN_FILE).read_text(encoding="utf-8"))
    assert [nb["notebook"] for nb in run_json["notebooks"]] == [
        "00_data_overview", "01_segmentation", "03_social_listening"]  # page order in the index
    for stem in ("00_data_overview", "01_segmentation", "03_social_listening"):
        assert (tmp_path / "r" / "2026-01" / f"{stem}.html").is_file()


def test_a_lane_runs_its_notebooks_in_order_beside_the_other_lane(tmp_path):
    nbs, data, log = _timed_project(tmp_path, (("04_ambassadors", 10, ""), ("05_monthly_kpis", 1, ""),
                                               ("06_care_and_ideas", 1, "")))
    result = runner.run(month="2026-01", data_dir=data, notebooks_dir=nbs, reports_dir=tmp_path / "r",
                        processed_dir=tmp_path / "p")
    assert [nb.status for nb in result.notebooks] == ["ok"] * 3
    t = _intervals(log)
    assert t["05_monthly_kpis"][1] <= t["06_care_and_ideas"][0]  # 06 reads 05's care flags: after it
    for stem in ("05_monthly_kpis", "06_care_and_ideas"):  # 04 beside both
        assert t["04_ambassadors"][0] < t[stem][1] and t[stem][0] < t["04_ambassadors"][1]


def test_one_at_a_time_runs_no_two_notebooks_together(tmp_path):
    nbs, data, log = _timed_project(tmp_path)
    assert cli.main(["run", "--month", "2026-01", "--data-dir", str(data), "--notebooks-dir", str(nbs),
                     "--reports-dir", str(tmp_path / "r"), "--processed-dir", str(tmp_path / "p"),
                     "--one-at-a-time"]) == 1  # 03 fails
    t = sorted(_intervals(log).values())
    assert all(a[1] <= b[0] for a, b in zip(t, t[1:], strict=False))
