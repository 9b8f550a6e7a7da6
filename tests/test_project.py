"""Project conventions: environments agree, notebooks follow the runner's contract."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from workbench import runner

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def _name(requirement: str) -> str:
    """PEP 503 normalised distribution name of a requirement string."""
    name = re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        reqs += extra
    return {_name(r): r.replace(" ", "") for r in reqs}


def _environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {_name(r): r.replace(" ", "") for r in pip if not r.startswith("-")}


def test_environment_yml_matches_pyproject():
    py, env = _pyproject_requirements(), _environment_requirements()
    assert sorted(set(py) - set(env)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(env) - set(py)) == [], "in environment.yml but not in pyproject.toml"
    assert {k: env[k] for k in py} == py, "same packages, different version bounds"


def test_name_normalisation():
    assert _name("scikit-learn>=1.4") == "scikit-learn"
    assert _name("fr_core_news_sm >= 3.7") == "fr-core-news-sm"
    assert _name("Pandas[performance]>=2") == "pandas"


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"
    assert NOTEBOOKS[0].name == "00_data_overview.ipynb"


def _code(cell) -> str:
    """Cell source without IPython magics / shell escapes, parseable by ast."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines()
    )


def _parameters(cell) -> dict[str, ast.expr]:
    out = {}
    for node in ast.parse(_code(cell)).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node.value
        elif isinstance(node, ast.Assign):
            out.update({t.id: node.value for t in node.targets if isinstance(t, ast.Name)})
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_declares_runner_parameters(path):
    nb = nbformat.read(path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code_cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    assert tagged[0] is code_cells[0], (
        f"{path.name}: the parameters cell must be the first code cell"
    )
    params = _parameters(tagged[0])
    missing = [p for p in runner.RUN_PARAMETERS if p not in params]
    assert not missing, f"{path.name}: parameters cell lacks {missing} (the runner passes them)"
    defaults = {p: ast.literal_eval(params[p]) for p in runner.RUN_PARAMETERS}
    assert defaults == {
        "month": None,
        "data_dir": None,
        "processed_dir": None,
        "report_dir": None,
        "profile_path": None,
        "seed": 0,
    }, f"{path.name}: runner parameters must default to None (seed 0)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_lists_every_parameter_with_type_and_help(path):
    """`papermill --help-notebook` (papermill's own parser) sees every parameter of the cell,
    with a type and a help text: what `workbench run -p` checks names against."""
    import papermill as pm

    nb = nbformat.read(path, as_version=4)
    declared = _parameters(next(c for c in nb.cells if "parameters" in c.metadata.get("tags", [])))
    seen = pm.inspect_notebook(str(path))
    assert sorted(seen) == sorted(declared), f"{path.name}: papermill cannot read {set(declared) - set(seen)}"
    for name, p in seen.items():
        assert p["inferred_type_name"] not in ("None", ""), f"{path.name}: {name} has no type"
        assert p["help"], f"{path.name}: {name} has no help comment"


SAMPLE_VOCABULARY = ("Maison Lys", "MaisonLys", "Orbe", "Kaléo")  # the fashion sample's names


def test_no_sample_vocabulary_in_analysis_modules():
    """Brand, competitors, categories and loyalty tiers of the sample live in the generator's
    retailer (sample_retailers) and its profile, never in the analyses or the contracts."""
    words = (*SAMPLE_VOCABULARY, "high_tech", "beaute", "platinum")
    for path in sorted((ROOT / "src" / "workbench").rglob("*.py")):
        if path.name.startswith("sample"):
            continue
        text = path.read_text(encoding="utf-8")
        found = [w for w in words if re.search(rf"\b{re.escape(w)}\b", text)]
        assert not found, f"{path.relative_to(ROOT)} names the sample's {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_sample_brand_in_notebooks(path):
    """The brand and its competitors come from the retailer profile, never from a notebook."""
    text = path.read_text(encoding="utf-8")
    for name in SAMPLE_VOCABULARY:
        assert name not in text, f"{path.name} names the sample's brand or competitor {name!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin_and_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == runner.DEFAULT_KERNEL
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(_code(cell))
        defs = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        assert not defs, (
            f"{path.name} cell {i}: no def/class in notebooks (put it in src/workbench)"
        )
        if CHECK_MARK in cell.source:
            continue
        assert cell.outputs == [], f"{path.name} cell {i}: strip outputs (or mark {CHECK_MARK})"
        assert cell.execution_count is None, f"{path.name} cell {i}: strip execution counts"


def test_notebook_checker_catches_violations(tmp_path):
    bad = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("month = None\ndef f():\n    pass")]
    )
    params = _parameters(bad.cells[0])
    assert "data_dir" not in params and "month" in params
    tree = ast.parse(_code(bad.cells[0]))
    assert any(isinstance(n, ast.FunctionDef) for n in ast.walk(tree))


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci
    commands = [
        line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert commands[-1] == "make test" and "make test" in readme and "make report" in readme


def test_makefile_targets_are_documented():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("help", "setup", "sample", "report", "test", "lab", "lint", "clean", "bench"):
        assert re.search(rf"^{target}:.*## ", makefile, re.M), (
            f"make {target} missing or undocumented"
        )
    assert ".DEFAULT_GOAL := help" in makefile


def test_workbench_kernel_starts_with_the_jemalloc_pool():
    """The kernelspec `make setup` installs gives JupyterLab's kernels the memory pool that
    `workbench run` gives its own (`frames.kernel_memory_pool`)."""
    import json
    import sys

    spec = Path(sys.prefix) / "share" / "jupyter" / "kernels" / runner.DEFAULT_KERNEL / "kernel.json"
    if not spec.is_file():
        pytest.skip(f"no {runner.DEFAULT_KERNEL} kernel in {sys.prefix} (`make setup` installs it)")
    env = json.loads(spec.read_text(encoding="utf-8")).get("env", {})
    assert env.get("ARROW_DEFAULT_MEMORY_POOL") == "jemalloc", f"{spec}: env {env}"


def test_make_clean_removes_generated_outputs_but_keeps_tracked_files(tmp_path):
    """`make clean` once deleted reports/benchmarks.md, a tracked document: run it on a copy of
    the project's folders and check what survives."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    kept = ["reports/.gitkeep", "reports/README.md", "reports/benchmarks.md", "data/processed/.gitkeep",
            "data/processed/README.md", "data/raw/customers.parquet"]
    generated = ["reports/index.html", "reports/2026-10/01_segmentation.html", "data/processed/segments.parquet"]
    for rel in kept + generated:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    subprocess.run(["make", "-s", "-C", str(tmp_path), "clean"], check=True, capture_output=True)
    assert [rel for rel in kept if not (tmp_path / rel).exists()] == []
    assert [rel for rel in generated if (tmp_path / rel).exists()] == []
