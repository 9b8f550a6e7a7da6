"""Page chrome applied to every exported page: the JupyterLab-only explorer cells (tagged
`explorer`) are left out of the HTML page and of its table of contents, and a one-line banner
says when the page is computed on the demo sample (the runner's own rule)."""

from __future__ import annotations

import json

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from workbench import page_chrome, paths


def _notebook(data_dir) -> object:
    nb = new_notebook(cells=[
        new_markdown_cell("# Segmentation"),
        new_markdown_cell("## 1. Profils"),
        new_code_cell("x = 1", outputs=[{"output_type": "display_data", "metadata": {},
                                         "data": {"text/html": "<p>Tableau des profils</p>"}}]),
        new_markdown_cell("## 9. Explorateur\n\nChoisir un segment dans JupyterLab.",
                          metadata={"tags": ["explorer"]}),
        new_code_cell("widget", metadata={"tags": ["explorer"]},
                      outputs=[{"output_type": "display_data", "metadata": {},
                                "data": {"text/html": "<p>Note de l'explorateur</p>"}}]),
        new_markdown_cell("## 10. Sorties"),
    ])
    nb.metadata["papermill"] = {"parameters": {"data_dir": str(data_dir)}}
    return nb


def _page(nb) -> str:
    from nbconvert import HTMLExporter

    alts = page_chrome.prepare_notebook(nb)
    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(nb)
    return page_chrome.finish_page(body, alts)


def test_explorer_cells_left_out_of_the_page_and_its_contents(tmp_path):
    page = _page(_notebook(tmp_path))
    assert "Tableau des profils" in page and "10. Sorties" in page
    assert "Explorateur" not in page and "Note de l'explorateur" not in page and "Choisir un segment" not in page
    toc = page[page.index('class="wb-nav"'):page.index("</nav>")]
    assert "1. Profils" in toc and "9. Explorateur" not in toc


def test_demo_banner_only_on_the_sample(tmp_path):
    real = tmp_path / "enseigne"
    real.mkdir()
    assert page_chrome.DEMO_BANNER not in _page(_notebook(real))
    sample = tmp_path / "sample"
    (sample / paths.TRUTH_SUBDIR).mkdir(parents=True)
    (sample / paths.TRUTH_SUBDIR / "manifest.json").write_text(json.dumps({}), encoding="utf-8")
    page = _page(_notebook(sample))
    assert page.count(page_chrome.DEMO_BANNER) == 1
    assert page.index("wb-demo") < page.index("<h1")  # the first thing a reader sees
    assert page_chrome.DEMO_BANNER not in _page(new_notebook(cells=[new_markdown_cell("# Sans paramètres")]))
