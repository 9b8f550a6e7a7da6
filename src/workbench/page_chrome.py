"""The chrome of the exported report pages: French `lang`, alt text on every figure, a table of
contents and a link back to the month index at the top, the styles of the workbench's own blocks
(tables, "À retenir" paragraphs), and nothing of the machinery (stderr warnings, logs).

`runner.export_html` calls `prepare_notebook` before nbconvert and `finish_page` after it;
`reporting.write_month_index` calls `page_sections` to link the index to each page's sections.
Data text is never touched here: it is escaped where notebooks show it (see `reporting.esc`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from workbench import paths

INDEX_HREF = "index.html"  # the month index, beside every page
EXPLORER_TAG = "explorer"  # cells tagged so (interactive explorers) work in JupyterLab, are left out of the HTML page
DEMO_BANNER = ("Données fictives de démonstration : cette page est calculée sur l'échantillon généré par le "
               "projet ; enseigne, clients, messages et chiffres sont inventés.")
BACK_LINK_TEXT = "← Retour au rapport du mois"
TOC_TITLE = "Sommaire"
# nbconvert's choice among an output's representations (first present wins)
_PRIORITY = ("text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png",
             "image/jpeg", "text/markdown", "text/plain")

CSS = """
.wb-nav{background:#f6f8fa;border-left:4px solid #3366cc;padding:.6rem 1rem;margin:1rem 0 1.5rem}
.wb-nav p{margin:.2rem 0}.wb-nav ul{margin:.3rem 0 .2rem 0;padding:0;list-style:none}
.wb-nav ul ul{margin:.1rem 0 .1rem 1.4rem;list-style:circle}
.wb-nav li{margin:.1rem 0}.wb-nav a{text-decoration:none}.wb-nav a:hover{text-decoration:underline}
.jp-RenderedHTMLCommon p.wb-takeaway,.wb-takeaway{background:#fff8e1;border-left:4px solid #f0a500;
padding:.5rem .8rem;margin:.6rem 0 1.2rem}
table.wb-table{border-collapse:collapse;margin:.4rem 0;font-size:.92em}
table.wb-table caption{caption-side:top;text-align:left;font-weight:bold;padding:.2rem 0}
.jp-RenderedHTMLCommon table.wb-table th,.jp-RenderedHTMLCommon table.wb-table td{
border:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top;max-width:42em}
.jp-RenderedHTMLCommon table.wb-table th{background:#f4f4f4}
.jp-RenderedHTMLCommon table.wb-table .num{text-align:right;white-space:nowrap}
.jp-RenderedHTMLCommon table.dataTable td,.jp-RenderedHTMLCommon table.dataTable th{
text-align:left;vertical-align:top;max-width:42em}
.jp-RenderedHTMLCommon table.dataTable .dt-right{text-align:right;white-space:nowrap}
.wb-demo{background:#fdecea;border-left:4px solid #c62828;padding:.4rem .8rem;margin:.5rem 0;font-weight:bold}
"""


def _heading_before(cells, i: int) -> str | None:
    for cell in reversed(cells[:i]):
        if cell.cell_type == "markdown":
            for line in reversed(cell.source.splitlines()):
                if line.lstrip().startswith("#"):
                    return line.lstrip("# ").strip()
    return None


def _machinery(output) -> bool:
    """An output meant for the programmer, not the reader: stderr (warnings, logs) and a cell's
    bare value shown as a Python repr (e.g. `PosixPath('…/table.parquet')` returned by a
    write), i.e. an execute_result with nothing but text/plain."""
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("name") == "stderr"
    return kind == "execute_result" and set(output.get("data") or {}) <= {"text/plain"}


def _on_demo_sample(nb) -> bool:
    """True when the run's data folder (papermill's `data_dir` parameter) is the generated
    demo sample, by the runner's own rule (the one behind the index's « source : échantillon de
    démonstration »)."""
    data_dir = (nb.metadata.get("papermill", {}).get("parameters") or {}).get("data_dir")
    if not data_dir:
        return False
    return paths.is_demo_sample(Path(data_dir))


def prepare_notebook(nb) -> list[str]:
    """Drop what readers must not see (stderr streams, bare Python reprs, cells tagged
    `EXPLORER_TAG`: widgets that only work in JupyterLab) and give every figure output a French
    alt text (the one `reporting.figure_alt` recorded, else "Graphique — <the section's
    heading>"); on the demo sample, a one-line banner opens the page (`DEMO_BANNER`). Returns
    the alt texts of the PNG figures, in page order."""
    import nbformat

    nb.cells = [c for c in nb.cells if EXPLORER_TAG not in (c.get("metadata", {}).get("tags") or [])]
    if _on_demo_sample(nb):
        banner = nbformat.v4.new_markdown_cell(f'<p class="wb-demo">{html.escape(DEMO_BANNER)}</p>')
        banner["id"] = "wb-demo-banner"
        nb.cells.insert(0, banner)
    alts = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.get("outputs", []) if not _machinery(o)]
        for out in cell.outputs:
            data = out.get("data") or {}
            shown = next((m for m in _PRIORITY if m in data), None)
            if shown != "image/png":
                continue
            md = out.setdefault("metadata", {})
            png_md = md.get("image/png") if isinstance(md.get("image/png"), dict) else {}
            alt = png_md.get("alt") or md.get("alt")  # `reporting.figure_alt`, via the kernel
            if not alt or alt == "Graphique":
                section = _heading_before(nb.cells, i)
                alt = f"Graphique — {section}" if section else "Graphique"
            md["image/png"] = {**png_md, "alt": alt}
            alts.append(alt)
    return alts


def _heading_text(tag) -> str:
    return tag.get_text(" ", strip=True).replace("¶", "").strip()


def finish_page(page: str, alts: list[str], index_href: str = INDEX_HREF) -> str:
    """The exported page with `lang="fr"`, the figures' alt texts, the workbench styles, and
    a navigation block (back link to the month index, table of contents) under the title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    if soup.html is not None:
        soup.html["lang"] = "fr"
    figures = [img for img in soup.find_all("img") if str(img.get("src", "")).startswith(
        "data:image/png")]
    for k, img in enumerate(figures):
        img["alt"] = alts[k] if k < len(alts) else "Graphique"
    for img in soup.find_all("img"):  # any other picture (Markdown) keeps its own, else one
        if not img.get("alt") or img["alt"].startswith("No description"):
            img["alt"] = "Image"
    if soup.head is not None:
        style = soup.new_tag("style")
        style.string = CSS
        soup.head.append(style)

    headings = [h for h in soup.find_all(["h1", "h2", "h3"]) if h.get("id")]
    title = next((h for h in headings if h.name == "h1"), None)
    nav = soup.new_tag("nav", attrs={"class": "wb-nav", "aria-label": "Navigation"})
    back = soup.new_tag("p")
    link = soup.new_tag("a", href=index_href)
    link.string = BACK_LINK_TEXT
    back.append(link)
    nav.append(back)
    entries = [h for h in headings if h.name in ("h2", "h3")]
    if entries:
        head = soup.new_tag("p")
        strong = soup.new_tag("strong")
        strong.string = TOC_TITLE
        head.append(strong)
        nav.append(head)
        top = soup.new_tag("ul")
        nav.append(top)
        current = None
        for h in entries:
            li = soup.new_tag("li")
            a = soup.new_tag("a", href=f"#{h['id']}")
            a.string = _heading_text(h)
            li.append(a)
            if h.name == "h3" and current is not None:
                sub = current.find("ul")
                if sub is None:
                    sub = soup.new_tag("ul")
                    current.append(sub)
                sub.append(li)
            else:
                top.append(li)
                current = li
    if title is not None:
        title.insert_after(nav)
    else:
        host = soup.find("main") or soup.body
        if host is not None:
            host.insert(0, nav)
    return str(soup)


_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.S)
_TAGS = re.compile(r"<[^>]+>")


def page_sections(page_path) -> list[tuple[str, str]]:
    """[(anchor, heading text)] of a page's sections (its h2 headings), for the month index."""
    try:
        text = Path(page_path).read_text(encoding="utf-8")
    except OSError:
        return []
    out = []
    for anchor, inner in _H2.findall(text):
        label = html.unescape(_TAGS.sub("", inner)).replace("¶", "").strip()
        if label:
            out.append((anchor, label))
    return out


def error_page(title: str, message: str, index_href: str = INDEX_HREF) -> str:
    """The page of a notebook that failed: French, with the error and the back link."""
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} — échec</title></head><body>"
        f'<nav class="wb-nav"><p><a href="{html.escape(index_href)}">{BACK_LINK_TEXT}</a></p></nav>'
        f"<h1>{html.escape(title)} : échec de l'exécution</h1>"
        f"<pre>{html.escape(message)}</pre></body></html>"
    )
