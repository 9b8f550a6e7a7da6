"""Shared fixtures: the default sample (generated once) and the real evaluation data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbench import paths

# nbval kernels inherit this: notebooks build no live widgets in tests (see reporting.interactive)
os.environ.setdefault("WORKBENCH_STATIC", "1")

DEFAULT_SAMPLE = {"customers": 20_000, "months": 12, "seed": 0}


def _is_default_sample(folder: Path) -> bool:
    manifest = paths.truth_dir(folder) / "manifest.json"
    if not manifest.exists():
        return False
    args = json.loads(manifest.read_text(encoding="utf-8")).get("arguments", {})
    return all(args.get(k) == v for k, v in DEFAULT_SAMPLE.items())


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """Folder with the default sample (data/raw when it holds it, else generated once)."""
    if _is_default_sample(paths.RAW_DIR):
        return paths.RAW_DIR
    from workbench import sample

    out = tmp_path_factory.mktemp("sample")
    sample.generate(out, **DEFAULT_SAMPLE)
    return out


@pytest.fixture(scope="session")
def truth(sample_dir):
    """The planted truth of the default sample."""
    from workbench import sample

    return sample.load_truth(sample_dir)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real evaluation data); skips when this clone has none."""
    if not paths.SHARED_DATA_DIR.is_dir():
        pytest.skip(f"real evaluation data not found at {paths.SHARED_DATA_DIR} (absent in user clones)")
    return paths.SHARED_DATA_DIR
