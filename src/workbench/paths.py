"""Where things live: every folder the workbench reads or writes, in one place.

The project root is the folder holding `pyproject.toml` (found from the installed package);
`WORKBENCH_ROOT` overrides it, `WORKBENCH_DATA_DIR` overrides the raw data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("WORKBENCH_ROOT", PACKAGE_DIR.parents[1])).resolve()

DATA_DIR = ROOT / "data"
RAW_DIR = Path(os.environ.get("WORKBENCH_DATA_DIR", DATA_DIR / "raw")).resolve()
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = ROOT / "reports"
NOTEBOOKS_DIR = ROOT / "notebooks"
SHARED_DATA_DIR = ROOT.parent / "shared" / "data"  # real evaluation data, absent in user clones

TRUTH_SUBDIR = "_truth"  # planted truth of the sample, beside the raw tables; analyses never read it


def truth_dir(data_dir: str | Path | None = None) -> Path:
    """Folder of the sample's planted truth (tests only)."""
    return Path(data_dir or RAW_DIR) / TRUTH_SUBDIR


def is_demo_sample(data_dir: str | Path | None = None) -> bool:
    """True when `data_dir` holds the generated demo sample (its planted truth's manifest):
    the pages and the index then say the figures are the demo's, not a retailer's."""
    return (truth_dir(data_dir) / "manifest.json").is_file()


def month_report_dir(month: str) -> Path:
    """`reports/<YYYY-MM>/`: the HTML reports of one monthly run."""
    return REPORTS_DIR / month
