"""The mechanical rules of the report pages (issue 17), checked on a monthly run of the sample:
French `lang`, no nan/None/NaT cell, no text cut with "…", a link back to the month index, a
table of contents, a French alt text on every figure, no Python repr or log line, and one value
per indicator label across the month's key figures, French numbers in cells.

Rules that a page still breaks because of its content (fixed notebook by notebook) are marked
xfail(strict=False) for that page only, with the reason: a fixed page turns them XPASS.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workbench import runner

pytestmark = pytest.mark.slow

PAGES = [p.stem for p in runner.discover_notebooks()]
MISSING_WORDS = {"nan", "none", "nat", "<na>", "null"}
CUT = ("…", "...")
REPRS = re.compile(r"PosixPath\(|WindowsPath\(|Timestamp\('|dtype: |<bound method|array\(\[|"
                   r"^\s*\w+ : [\d\u202f ]+ lignes écrites", re.M)


@pytest.fixture(scope="module")
def month_dir(sample_dir, tmp_path_factory) -> Path:
    """October 2026 of the default sample, every notebook, in a private folder."""
    root = tmp_path_factory.mktemp("pages")
    result = runner.run(month="2026-10", data_dir=sample_dir, processed_dir=root / "processed",
                        reports_dir=root / "reports")
    return result.report_dir


def _soup(month_dir: Path, stem: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup((month_dir / f"{stem}.html").read_text(encoding="utf-8"), "html.parser")


def _cells(soup) -> list[str]:
    """Text of every table cell a reader can see (static tables and the full-text fallback of
    interactive ones, whose data is the same)."""
    return [td.get_text(" ", strip=True) for td in soup.find_all(["td", "th"])
            if not td.find_parent("nav")]


# --------------------------------------------------------------------------- the rules
# each returns the problems found on one page (empty = rule kept)


def rule_lang(soup) -> list[str]:
    return [] if soup.html is not None and soup.html.get("lang") == "fr" else [
        f"lang={soup.html.get('lang') if soup.html else None!r}"]


def rule_no_missing_cells(soup) -> list[str]:
    return [c for c in _cells(soup) if c.strip().lower() in MISSING_WORDS]


def rule_no_cut_cells(soup) -> list[str]:
    return [c[-60:] for c in _cells(soup) if c.rstrip().endswith(CUT)]


ENGLISH_NUMBER = re.compile(r"^[−-]?\d+\.\d+\s*(%|€)?$")


def rule_french_numbers(soup) -> list[str]:
    """Numbers in cells have a decimal comma: '0,45', never '0.45'."""
    return [c for c in _cells(soup) if ENGLISH_NUMBER.match(c.strip())]


HYPHEN_NUMBER = re.compile(r"^-\d[\d\u202f ]*(?:,\d+)?\s*(?:%|€|pt|h|j|k€|M€)?$")
HYPHEN_MINUS = re.compile(r"(?:^|(?<=[\s(\[;:/=]))-\d[\d\u202f ]*(?:,\d+)?")


def rule_typographic_minus(soup) -> list[str]:
    """A negative number the report writes has the typographic minus '−' (U+2212) of
    `reporting.fmt_num` and the axes, never a hyphen: '−1,5 %', not '-1,5 %' — in number cells
    and in the "À retenir" sentences (customers' own posts quoted in tables are left as written;
    '18-24' or '2026-10' are not negatives)."""
    cells = [c for c in _cells(soup) if HYPHEN_NUMBER.match(c.strip())]
    sentences = [m.group(0) for p in soup.select("p.wb-takeaway")
                 for m in HYPHEN_MINUS.finditer(p.get_text(" ", strip=True))]
    return cells + sentences


def rule_back_link(soup) -> list[str]:
    return [] if soup.find("a", href="index.html") else ["no link to index.html"]


def rule_table_of_contents(soup) -> list[str]:
    nav = soup.find("nav", class_="wb-nav")
    links = [a["href"] for a in nav.find_all("a", href=True)] if nav else []
    anchors = [h[1:] for h in links if h.startswith("#")]
    ids = {t.get("id") for t in soup.find_all(["h2", "h3"])}
    if not anchors:
        return ["no table of contents"]
    return [f"dead anchor #{a}" for a in anchors if a not in ids]


def rule_alt_text(soup) -> list[str]:
    bad = []
    for img in soup.find_all("img"):
        alt = (img.get("alt") or "").strip()
        if not alt or alt.startswith("No description") or not re.search(r"[a-zéèà]", alt):
            bad.append(alt or "(none)")
    return bad


def rule_no_code_on_page(soup) -> list[str]:
    """No Python repr (PosixPath(…), dtype…) or log line ('x : 8 531 lignes écrites')."""
    text = soup.get_text("\n")
    return [m.group(0) for m in REPRS.finditer(text)]


def rule_no_printed_output(soup) -> list[str]:
    """Readers get sentences and tables, not a program's printed lines (monospace stdout or a
    cell's plain-text result)."""
    found = soup.select('[data-mime-type="application/vnd.jupyter.stdout"], '
                        '[data-mime-type="text/plain"]')
    return [d.get_text(" ", strip=True)[:80] for d in found]


RULES = {
    "lang": rule_lang,
    "no_missing_cells": rule_no_missing_cells,
    "no_cut_cells": rule_no_cut_cells,
    "french_numbers": rule_french_numbers,
    "typographic_minus": rule_typographic_minus,
    "back_link": rule_back_link,
    "table_of_contents": rule_table_of_contents,
    "alt_text": rule_alt_text,
    "no_code_on_page": rule_no_code_on_page,
    "no_printed_output": rule_no_printed_output,
}

# (page, rule) still broken by the page's content on the sample, October 2026 (issue 17):
# the notebooks' owners fix them; strict=False so a fixed page shows as XPASS.
KNOWN: dict = {}  # (page, rule) -> reason, for a rule a page is known to break


def _cases():
    for page in PAGES:
        for rule in RULES:
            reason = KNOWN.get((page, rule))
            marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
            yield pytest.param(page, rule, marks=marks, id=f"{page}-{rule}")


@pytest.mark.parametrize(("page", "rule"), list(_cases()))
def test_page_rule(month_dir, page, rule):
    assert (month_dir / f"{page}.html").is_file(), f"{page}.html was not written"
    assert RULES[rule](_soup(month_dir, page)) == []


def test_every_notebook_ran(month_dir):
    run = json.loads((month_dir / "run.json").read_text(encoding="utf-8"))
    assert {nb["notebook"]: nb["status"] for nb in run["notebooks"]} == dict.fromkeys(PAGES, "ok")


def test_month_index_links_to_every_page_and_its_sections(month_dir):
    soup = _soup(month_dir, "index")
    assert soup.html.get("lang") == "fr"
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    for page in PAGES:
        assert f"{page}.html" in hrefs, page
        assert any(h.startswith(f"{page}.html#") for h in hrefs), f"no section link to {page}"


def _conflicts(files):
    """Labels with two values among the month's key figures (the indicator registry's check)."""
    from workbench.indicators import conflicting_values

    df = conflicting_values(files)
    return sorted(zip(df["label"], df["notebook"], df["text"], strict=True))


def test_one_value_per_indicator_label(month_dir):
    files = sorted((month_dir / "figures").glob("*.json"))
    assert len(files) >= len(PAGES) - 1
    assert _conflicts(files) == []


def test_synthesis_reads_main_findings_then_actions_the_rest_folded(month_dir):
    """Issue 17: the synthesis listed 11 findings before its actions. On page 05 and in the month
    index, at most 6 findings come first, then the 3 to 5 actions; every other finding is still
    on the page, folded under "Autres constats"."""
    from workbench import synthesis

    items = json.loads((month_dir / "summary.json").read_text(encoding="utf-8"))["items"]
    kinds = [i["kind"] for i in items]
    assert 1 <= kinds.count("finding") <= synthesis.MAIN_FINDINGS and 3 <= kinds.count("action") <= 5
    assert kinds == sorted(kinds, key=["finding", "action", "more"].index)
    for page in ("05_monthly_kpis", "index"):
        soup = _soup(month_dir, page)
        folded = soup.find("details")
        shown = [li.get_text(" ", strip=True) for li in soup.find_all("li")
                 if not li.find_parent("nav") and not li.find_parent("details")]
        hidden = [li.get_text(" ", strip=True) for li in folded.find_all("li")] if folded else []
        for it in items:
            where = hidden if it["kind"] == "more" else shown
            assert any(t.startswith(it["title"]) for t in where), (page, it["kind"], it["title"])
