"""Monthly run: execute the notebooks with papermill and publish French HTML reports.

`run(month=...)` executes every `notebooks/NN_*.ipynb` (in the order of `RUN_STAGES`, two at
once where their inputs and memory allow) in the `workbench` kernel with the
parameters month, data_dir, processed_dir, report_dir and seed; it keeps each executed
notebook under `reports/<month>/executed/`, exports it to HTML without code
(`reports/<month>/<stem>.html`, figures embedded) and writes `reports/<month>/index.html`
and `reports/index.html`. A failing notebook still gets its HTML with the error visible, the
others still run, the index marks the failure and the run returns a non-zero exit code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from workbench import datasets, frames, paths, reporting
from workbench.schemas import TABLES

__all__ = ["RUN_PARAMETERS", "NotebookRun", "RunResult", "discover_notebooks", "run", "export_html"]

# Parameters every notebook receives (each notebook's `parameters` cell must declare them).
RUN_PARAMETERS = ("month", "data_dir", "processed_dir", "report_dir", "profile_path", "seed")
DEFAULT_KERNEL = "workbench"
# The monthly run's order: a stage's lanes run at once (two kernels, one per core), a lane's
# notebooks one after the other; a stage starts when the one before has finished; notebooks in
# no stage run alone afterwards, in the order selected. Why this order: 03's mention scores are
# read by 01, 04, 05 and 06; 01's segments, identity links and value moves by 02, 04 and 05; 05's
# care flags by 06. 01 and 02 run alone: each holds 5-7 GB for most of its run at 1M customers,
# where the other notebooks stay under 5 GB (05 under 3.1 GB): 00 beside 03 peaked at 4.8 GB, 04
# beside 05 then 06 at 7.0 GB (reports/benchmarks.md, "Lanes").
RUN_STAGES = (
    (("00_data_overview",), ("03_social_listening",)),
    (("01_segmentation",),),
    (("02_customer_journey",),),
    (("04_ambassadors",), ("05_monthly_kpis", "06_care_and_ideas")),
)


@dataclass
class NotebookRun:
    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    title: str | None = None
    html: str | None = None
    executed: str | None = None
    error: str | None = None


@dataclass
class RunResult:
    month: str
    report_dir: Path
    notebooks: list[NotebookRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(nb.status == "ok" for nb in self.notebooks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def _log(msg: str) -> None:
    # one write per line: two notebooks of a stage log from two threads
    sys.stderr.write(f"[workbench] {msg}\n")
    sys.stderr.flush()


def discover_notebooks(notebooks_dir=None, select=None) -> list[Path]:
    """`NN_*.ipynb` notebooks in order; `select` keeps those whose stem, file name or number prefix
    is listed (e.g. ['00', '03_journeys'])."""
    folder = Path(notebooks_dir) if notebooks_dir is not None else paths.NOTEBOOKS_DIR
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if not p.name.startswith("."))
    if select:
        chosen = []
        for s in select:
            s = str(s)
            hits = [p for p in found if s in (p.stem, p.name) or p.stem.split("_", 1)[0] == s]
            if not hits:
                raise ValueError(
                    f"no notebook matches {s!r} in {folder}; "
                    f"available: {', '.join(p.stem for p in found)}"
                )
            chosen += [h for h in hits if h not in chosen]
        found = sorted(chosen)
    if not found:
        raise ValueError(f"no notebook NN_*.ipynb found in {folder}")
    return found


def run_stages(nb_paths, parallel: bool = True) -> list[list[list[Path]]]:
    """The selected notebooks as they run: stages of lanes (`RUN_STAGES`), each lane a list of
    notebooks run in order; `parallel=False`: the same order, one notebook at a time."""
    by_stem = {Path(p).stem: Path(p) for p in nb_paths}
    stages = [[[by_stem[s] for s in lane if s in by_stem] for lane in stage] for stage in RUN_STAGES]
    staged = {s for stage in RUN_STAGES for lane in stage for s in lane}
    stages += [[[Path(p)]] for p in nb_paths if Path(p).stem not in staged]
    stages = [[lane for lane in stage if lane] for stage in stages]
    if not parallel:
        stages = [[[p]] for stage in stages for lane in stage for p in lane]
    return [stage for stage in stages if stage]


def _has_tables(folder: Path) -> bool:
    return folder.is_dir() and any(
        (folder / f"{name}{ext}").is_file() for name in TABLES for ext in (".parquet", ".csv")
    )


def ensure_data(data_dir=None) -> Path:
    """The raw data folder; the default one gets the sample data when it holds no table."""
    folder = Path(data_dir) if data_dir is not None else paths.RAW_DIR
    if _has_tables(folder):
        return folder
    if folder.resolve() != paths.RAW_DIR.resolve():
        raise FileNotFoundError(f"no raw table (.parquet or .csv) found in {folder}")
    from workbench import sample  # the lead's generator

    _log(f"no data in {folder}: generating the sample data (a few seconds)...")
    t0 = time.perf_counter()
    sample.generate(folder)
    _log(f"sample data generated in {time.perf_counter() - t0:.1f} s")
    return folder


def notebook_title(nb_or_path) -> str:
    """The first markdown heading of a notebook (its title for readers), else its file stem."""
    import nbformat

    nb = (
        nbformat.read(nb_or_path, as_version=4)
        if isinstance(nb_or_path, (str, Path))
        else nb_or_path
    )
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            return cell.source.lstrip().splitlines()[0].lstrip("#").strip()
    return Path(nb.metadata.get("papermill", {}).get("input_path", "notebook")).stem


def export_html(executed: Path, out_html: Path) -> None:
    """HTML without code cells (figures embedded, errors visible) of an executed notebook, in
    French page chrome (`page_chrome`: lang="fr", figures' alt text, table of contents, link
    back to the month index; no stderr warnings or logs)."""
    import nbformat
    from nbconvert import HTMLExporter

    from workbench import page_chrome

    nb = nbformat.read(executed, as_version=4)
    title = notebook_title(nb)
    alts = page_chrome.prepare_notebook(nb)
    # Data values are escaped where notebooks show them (`reporting.esc` in Markdown, pandas
    # tables, styled tables with escape="html"). nbconvert's sanitize_html is not used: it shows
    # the pages' own markup as text.
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    out_html.write_text(page_chrome.finish_page(body, alts), encoding="utf-8")


def _error_page(stem: str, message: str) -> str:
    from workbench import page_chrome

    return page_chrome.error_page(stem, message)


def _error_text(exc: BaseException, full: bool = False) -> str:
    """A notebook's error: its first line (for the month index), or `full` (for the terminal:
    every problem of a DataError, with file, column, rows and what was expected)."""
    name = getattr(exc, "ename", None) or type(exc).__name__
    value = str(getattr(exc, "evalue", None) or str(exc)).strip()
    if full:
        return f"{name}: {value}"
    first = value.splitlines()[0] if value else ""
    return f"{name}: {first}"[:500]


class RunError(RuntimeError):
    """The monthly run cannot start (a folder it needs, another run in progress): nothing ran."""


def _make_dir(folder: Path, what: str) -> None:
    """Create `folder`, or say in one sentence why it cannot be (a parent is a file...)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker else (exc.strerror or str(exc))
        raise RunError(f"cannot create the {what} {folder}: {why}") from None


class _RunLock:
    """An exclusive lock on a folder for the length of a run (released when the process ends,
    even when it is killed): two runs on the same report month or the same processed folder
    would overwrite each other's notebooks and tables."""

    def __init__(self, folder: Path, what: str):
        self.path, self.what, self.handle = folder / ".workbench-run.lock", what, None

    def __enter__(self):
        import fcntl

        self.handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "unknown process"
            self.handle.close()
            raise RunError(
                f"another run is in progress on the {self.what} ({holder}); "
                "wait for it to finish, or use other --reports-dir / --processed-dir folders"
            ) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"pid {os.getpid()}, started {dt.datetime.now():%Y-%m-%d %H:%M:%S}")
        self.handle.flush()
        return self

    def __exit__(self, *exc):
        self.handle.close()
        return False


def _clean_stale_temp_files(*folders: Path) -> int:
    """Remove the temp files a killed write left behind (`.<name>.*.tmp`, see
    `datasets.write_table`); safe because this run holds the folders' locks."""
    n = 0
    for folder in folders:
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
            n += 1
    return n


def run(
    month: str | None = None,
    notebooks=None,
    data_dir=None,
    processed_dir=None,
    reports_dir=None,
    notebooks_dir=None,
    seed: int = 0,
    kernel: str = DEFAULT_KERNEL,
    timeout: int | None = 600,
    profile=None,
    parameters: dict | None = None,
    engine: str | None = None,
    parallel: bool = True,
) -> RunResult:
    """Execute the notebooks for one month and write the reports; see the module docstring.

    `profile`: the retailer profile (YAML) every notebook uses; None = `retailer.yaml` in the
    data folder. `parameters`: {name: value} for the notebooks that declare `name` (as
    papermill's `-p`); a name no selected notebook declares stops the run before anything runs.
    `parallel=False`: one notebook at a time (a machine short of memory), else `RUN_STAGES`.
    """
    import papermill as pm

    os.environ[reporting.STATIC_ENV] = "1"  # kernels inherit it: no live widgets in batch
    os.environ.update(frames.kernel_memory_pool())  # and pyarrow's pool (large months)
    if engine is not None:  # the notebooks' event layer (datasets.customer_activity, ...)
        _set_engine(engine)
    data = ensure_data(data_dir)
    period = datasets.report_month(data, month)  # a month outside the data stops here
    month_s = str(period)
    processed = Path(processed_dir) if processed_dir is not None else paths.PROCESSED_DIR
    reports = Path(reports_dir) if reports_dir is not None else paths.REPORTS_DIR
    report_dir = reports / month_s
    nb_paths = discover_notebooks(notebooks_dir, notebooks)
    extra = notebook_parameters(nb_paths, parameters or {})
    profile_file = _check_profile(data, profile)
    if datasets.engine_name() == "spark":
        _set_spark_master(profile_file)
        if timeout is not None:  # a cell may wait for executors, or link identities on Spark
            timeout = max(timeout, SPARK_CELL_TIMEOUT)
    _make_dir(processed, "processed-data folder")
    _make_dir(report_dir, "report folder")
    with _RunLock(report_dir, f"report month {month_s} ({report_dir})"), \
            _RunLock(processed, f"processed-data folder {processed}"):
        return _run_locked(month_s, nb_paths, notebooks, data, processed, reports, report_dir,
                           seed, kernel, timeout, pm, profile_file, extra, parallel)


def _set_engine(engine: str) -> None:
    """Run the notebooks' event layer on `engine` ("duckdb" or "spark"): kernels inherit
    `WORKBENCH_ENGINE`; Spark needs pyspark (`pip install 'workbench[spark]'`) and Java 17."""
    datasets.engine_name(engine)  # an unknown engine stops the run here
    if engine == "spark":
        import importlib.util

        if importlib.util.find_spec("pyspark") is None:
            raise RunError("--engine spark needs pyspark: pip install -e '.[spark]' "
                           "(and Java 17: apt-get install openjdk-17-jre-headless)")
    os.environ[datasets.ENGINE_ENV] = engine


SPARK_CELL_TIMEOUT = 3600  # seconds a notebook cell may take under --engine spark


def _set_spark_master(profile_file: str | None) -> None:
    """The Spark master of the notebooks' kernels (they inherit `WORKBENCH_SPARK_MASTER`):
    the environment's when set, else the profile's `spark_master`, else local[*]."""
    from workbench import events
    from workbench import profile as profiles

    own = profiles.load_profile(profile_file).spark_master if profile_file else None
    os.environ[events.SPARK_MASTER_ENV] = events.spark_master(own)


def _check_profile(data: Path, profile) -> str | None:
    """The profile file every notebook gets (validated now, so a bad profile stops the run
    before any notebook): `profile`, else the data folder's retailer.yaml, else None."""
    from workbench import profile as profiles

    path = Path(profile) if profile else profiles.find_profile(data)
    if path is None:
        return None
    try:
        profiles.load_profile(path)
    except (profiles.ProfileError, OSError) as exc:
        raise RunError(f"retailer profile: {exc}") from None
    return str(path.resolve())


def notebook_parameters(nb_paths, parameters: dict) -> dict[str, dict]:
    """{notebook stem: the `parameters` it declares}, read from each parameters cell as
    papermill reads it. A name that no notebook declares, or one the run sets itself, is an
    error naming the parameters the notebooks do declare (nothing has run yet)."""
    import papermill as pm

    reserved = sorted(set(parameters) & set(RUN_PARAMETERS))
    if reserved:
        raise RunError(f"parameter(s) {', '.join(reserved)} are set by the run itself: use "
                       "--month, --data-dir, --processed-dir, --reports-dir, --profile, --seed")
    declared = {p.stem: set(pm.inspect_notebook(str(p))) for p in nb_paths}
    known = set().union(*declared.values()) if declared else set()
    unknown = sorted(set(parameters) - known)
    if unknown:
        listing = "; ".join(f"{stem}: {', '.join(sorted(names - set(RUN_PARAMETERS)))}"
                            for stem, names in declared.items())
        raise RunError(f"unknown notebook parameter(s) {', '.join(unknown)}; the notebooks "
                       f"declare: {listing}")
    return {stem: {k: v for k, v in parameters.items() if k in names}
            for stem, names in declared.items()}


def _run_locked(month_s, nb_paths, notebooks, data, processed, reports, report_dir, seed, kernel,
                timeout, pm, profile_file, extra, parallel) -> RunResult:
    """The run itself, once its folders are locked."""
    executed_dir = report_dir / "executed"
    figures_dir = report_dir / reporting.FIGURES_DIR
    for d in (executed_dir, figures_dir):
        _make_dir(d, "report folder")
    n_stale = _clean_stale_temp_files(processed, report_dir, figures_dir)
    if n_stale:
        _log(f"removed {n_stale} temporary file(s) left by an interrupted run")
    if notebooks is None:  # full run: nothing stale from a previous run
        (report_dir / reporting.SUMMARY_FILE).unlink(missing_ok=True)
    try:
        first, last = datasets.data_period(data)
        data_period = [first.isoformat(), last.isoformat()]
    except datasets.DataError:
        data_period = None
    # the month's checks read the transactions' dates: hand that memory back, this process
    # stays alive beside every notebook's kernel (about 250 MB at 1M customers)
    frames.release_memory()

    result = RunResult(month_s, report_dir)
    _log(f"report month {month_s}: {len(nb_paths)} notebook(s), data {data}, reports {report_dir}")
    params = {
        "month": month_s,
        "data_dir": str(data.resolve()),
        "processed_dir": str(processed.resolve()),
        "report_dir": str(report_dir.resolve()),
        "profile_path": profile_file,
        "seed": int(seed),
    }
    assert tuple(params) == RUN_PARAMETERS
    run_one = functools.partial(_run_notebook, n=len(nb_paths), executed_dir=executed_dir, figures_dir=figures_dir,
                                report_dir=report_dir, params=params, extra=extra, kernel=kernel,
                                timeout=timeout, pm=pm)
    first = 1  # the number of the stage's first notebook in the log
    for stage in run_stages(nb_paths, parallel):
        lanes = []  # [(notebook, its number in the log)] per lane
        for lane in stage:
            lanes.append(list(zip(lane, range(first, first + len(lane)), strict=True)))
            first += len(lane)
        # the kernels start in the notebooks' folder (papermill's own `cwd` changes the
        # process's folder per notebook, which two notebooks at once would race on)
        with contextlib.chdir(stage[0][0].parent):
            if len(lanes) == 1:  # in this thread: Ctrl-C stops its kernel at once
                runs = [run_one(nb, i) for nb, i in lanes[0]]
            else:
                with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
                    done = pool.map(lambda lane: [run_one(nb, i) for nb, i in lane], lanes)
                    runs = [r for lane_runs in done for r in lane_runs]
        result.notebooks.extend(runs)

    run_info = {
        "month": month_s,
        "data_period": data_period,
        "data_dir_label": "échantillon de démonstration" if paths.is_demo_sample(data) else data.name,
        "seed": int(seed),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "notebooks": _merge_runs(report_dir, result.notebooks, partial=notebooks is not None),
    }
    (report_dir / reporting.RUN_FILE).write_text(
        json.dumps(run_info, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    index = reporting.write_month_index(report_dir)
    reporting.write_reports_index(reports)
    n_failed = sum(nb.status != "ok" for nb in result.notebooks)
    _log(f"done: {len(result.notebooks) - n_failed} ok, {n_failed} failed -> {index}")
    return result


def _run_notebook(nb_path: Path, i: int, n: int, executed_dir: Path, figures_dir: Path, report_dir: Path,
                  params: dict, extra: dict, kernel: str, timeout, pm) -> NotebookRun:
    """Execute one notebook (number `i` of `n`) and export its HTML; a failure is recorded, not raised."""
    stem = nb_path.stem
    out_nb = executed_dir / nb_path.name
    out_html = report_dir / f"{stem}.html"
    (figures_dir / f"{stem}.json").unlink(missing_ok=True)
    _log(f"[{i}/{n}] {stem} ...")
    t0 = time.perf_counter()
    error = full_error = None
    try:
        pm.execute_notebook(
            str(nb_path),
            str(out_nb),
            parameters={**params, **extra.get(stem, {})},
            kernel_name=kernel,
            progress_bar=False,
            execution_timeout=timeout,
        )
    except Exception as exc:  # noqa: BLE001 - one notebook's failure must not stop the run
        error = _error_text(exc)
        full_error = _error_text(exc, full=True)
    seconds = time.perf_counter() - t0
    try:
        if out_nb.is_file():
            export_html(out_nb, out_html)
        else:
            out_html.write_text(
                _error_page(stem, error or "notebook not executed"), encoding="utf-8"
            )
    except Exception as exc:  # noqa: BLE001
        out_html.write_text(
            _error_page(stem, f"{error or ''}\nHTML export failed: {exc}"), encoding="utf-8"
        )
        error = error or f"HTML export failed: {_error_text(exc)}"
        full_error = full_error or error
    status = "ok" if error is None else "failed"
    try:
        title = notebook_title(nb_path)
    except Exception:  # noqa: BLE001 - an unreadable notebook already failed above
        title = stem
    run = NotebookRun(stem, status, round(seconds, 2), title, out_html.name, f"executed/{out_nb.name}", error)
    _log(
        f"[{i}/{n}] {stem}: "
        f"{'ok' if error is None else 'FAILED - ' + full_error} ({seconds:.1f} s)"
    )
    return run


def _merge_runs(report_dir: Path, runs: list[NotebookRun], partial: bool) -> list[dict]:
    """This run's notebooks; a partial run (--notebooks) keeps the month's other notebooks from
    the previous run.json so the index stays complete."""
    new = {nb.notebook: asdict(nb) for nb in runs}
    if not partial:
        return [new[k] for k in sorted(new)]  # in page order, whatever order they ran in
    try:
        old = json.loads((report_dir / reporting.RUN_FILE).read_text(encoding="utf-8"))["notebooks"]
    except (OSError, ValueError, KeyError):
        old = []
    merged = {nb["notebook"]: nb for nb in old if (report_dir / str(nb.get("html"))).is_file()}
    merged.update(new)
    return [merged[k] for k in sorted(merged)]


# --------------------------------------------------------------------------- committing notebooks

CHECK_OUTPUT_MARK = "# NBVAL_CHECK_OUTPUT"


def strip_outputs(nb):
    """The notebook as it should be committed: no outputs or execution counts, except in cells
    marked `# NBVAL_CHECK_OUTPUT`, whose outputs nbval checks (nbval needs them to look run:
    their execution count is set to 1). Returns a new notebook."""
    import copy

    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type != "code":
            continue
        keep = CHECK_OUTPUT_MARK in cell.source and bool(cell.outputs)
        cell.execution_count = 1 if keep else None
        if keep:
            for o in cell.outputs:
                if "execution_count" in o:
                    o["execution_count"] = 1
        else:
            cell.outputs = []
        for key in ("execution", "papermill"):
            cell.metadata.pop(key, None)
    for key in ("papermill", "widgets"):  # widget state is noise in git
        out.metadata.pop(key, None)
    return out


def prepare_for_commit(
    path, execute: bool = True, kernel: str = DEFAULT_KERNEL, timeout: int = 600
) -> Path:
    """Execute a notebook with its default parameters (the default sample) in its own folder and
    save it back with only the NBVAL_CHECK_OUTPUT outputs kept; `execute=False` only strips."""
    import nbformat

    os.environ[reporting.STATIC_ENV] = "1"  # as in `workbench run` and the tests

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if execute:
        from nbclient import NotebookClient

        NotebookClient(
            nb,
            kernel_name=kernel,
            timeout=timeout,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    nbformat.write(strip_outputs(nb), path)
    return path
