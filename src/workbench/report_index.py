"""The French HTML indexes of the reports: `reports/<month>/index.html` (synthesis, with the
findings of pages that run after the synthesis page; key figures linked to the section that
shows them; then the executed notebooks with links to their sections) and
`reports/index.html` (every month). `reporting.write_month_index` / `write_reports_index` call
them; the monthly run writes both at its end.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from workbench.reporting import (
    FIGURES_DIR,
    RUN_FILE,
    SUMMARY_FILE,
    _atomic_write_text,
    _e,
    fmt_num,
    month_label,
)

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem auto;
max-width:980px;
color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;
text-align:left}th{background:#f4f4f4}.ok{color:#1a7f37;font-weight:bold}
.failed{color:#c62828;font-weight:bold}.summary{background:#f6f8fa;border-left:4px solid #3366cc;
padding:.5rem 1rem}.muted{color:#666;font-size:.9rem}td.num{text-align:right}
.sections{font-size:.85rem}.sections a{color:#555}
td a[title],h3 a{color:inherit;text-decoration:underline dotted #888}
.demo{background:#fdecea;border-left:4px solid #c62828;padding:.4rem .8rem;font-weight:bold}
"""

def _fmt_seconds(s) -> str:
    if s is None:
        return "–"
    s = float(s)
    return f"{fmt_num(s, 1)} s" if s < 60 else f"{int(s // 60)} min {int(s % 60):02d} s"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_month_index(month_dir) -> Path:
    """Write `<month_dir>/index.html` (French) from run.json, summary.json and figures/*.json."""
    month_dir = Path(month_dir)
    run = _read_json(month_dir / RUN_FILE) or {}
    month = run.get("month") or month_dir.name
    notebooks = run.get("notebooks", [])
    parts = [f"<h1>Rapport mensuel — {_e(month_label(month))}</h1>"]
    if _on_demo_sample(month_dir, notebooks):
        from workbench import page_chrome

        parts.insert(0, f'<p class="demo">{_e(page_chrome.DEMO_BANNER)}</p>')
    period = run.get("data_period")
    meta = []
    if period:
        meta.append(f"Données du {_e(_fr_date(period[0]))} au {_e(_fr_date(period[1]))}")
    if run.get("data_dir_label"):
        meta.append(f"source : {_e(run['data_dir_label'])}")
    n_failed = sum(nb.get("status") != "ok" for nb in notebooks)
    if notebooks:
        state = "tous les carnets ont abouti" if n_failed == 0 else f"{n_failed} carnet(s) en échec"
        meta.append(state)
    if meta:
        parts.append(f'<p class="muted">{" · ".join(meta)}</p>')

    summary = _read_json(month_dir / SUMMARY_FILE)
    items = list(summary.get("items") or []) if summary else []
    items += _page_findings(month_dir, items)
    if items:
        parts.append('<h2>Synthèse</h2><div class="summary">' + _summary_html(items) + "</div>")

    order = {nb["notebook"]: i for i, nb in enumerate(notebooks)}
    figs = []
    for f in sorted(
        (month_dir / FIGURES_DIR).glob("*.json"), key=lambda p: (order.get(p.stem, 1e9), p.stem)
    ):
        data = _read_json(f)
        if not data or not data.get("figures"):
            continue
        rows = "".join(
            f'<tr><td>{_figure_label(x["label"])}</td><td class="num">{_e(x["text"])}</td></tr>'
            for x in data["figures"]
        )
        titles = {nb["notebook"]: nb.get("title") for nb in notebooks}
        pages = {nb["notebook"]: nb.get("html") for nb in notebooks}
        heading = _e(titles.get(f.stem) or data.get("notebook", f.stem))
        if pages.get(f.stem):
            heading = f'<a href="{_e(pages[f.stem])}">{heading}</a>'
        figs.append(
            f"<h3>{heading}</h3>"
            "<table><tr><th>Indicateur</th>"
            f"<th>Valeur</th></tr>{rows}</table>"
        )
    if figs:
        parts.append("<h2>Chiffres clés</h2>" + "".join(figs))
    if notebooks:  # technical information: below the key figures, not in the management part
        rows = []
        for nb in notebooks:
            ok = nb.get("status") == "ok"
            status = '<span class="ok">réussi</span>' if ok else '<span class="failed">ÉCHEC</span>'
            name = nb.get("title") or nb["notebook"]
            link = f'<a href="{_e(nb["html"])}">{_e(name)}</a>' if nb.get("html") else _e(name)
            err = "" if ok else f'<br><span class="muted">{_e(nb.get("error") or "")}</span>'
            rows.append(
                f"<tr><td>{link}{_section_links(month_dir, nb.get('html'))}{err}</td><td>{status}</td>"
                f'<td class="num">{_e(_fmt_seconds(nb.get("seconds")))}</td></tr>'
            )
        parts.append(
            "<h2>Carnets exécutés</h2><table><tr><th>Carnet</th><th>Statut</th>"
            "<th>Durée</th></tr>" + "".join(rows) + "</table>"
        )

    parts.append(
        '<p class="muted"><a href="../index.html">Tous les mois</a> · données '
        "pseudonymisées : aucun nom, e-mail ni pseudo n'apparaît dans ces rapports.</p>"
    )
    out = month_dir / "index.html"
    _atomic_write_text(out, _page(f"Rapport {month}", "\n".join(parts)))
    return out


# key figures of pages that run after the synthesis page (05) and still belong in the month's
# synthesis: (registry name of the key figure, how the finding reads)
PAGE_FINDINGS = ("top_idea",)


def _page_findings(month_dir: Path, items: list[dict]) -> list[dict]:
    """Main findings the synthesis page could not write because their page runs after it: the
    ideas box's main idea (06's key figures 'Idée la plus fréquente' and the month's suggestions).
    Nothing when the page did not run or the synthesis already names it."""
    from workbench import indicators

    values = {}
    for f in (month_dir / FIGURES_DIR).glob("*.json"):
        data = _read_json(f) or {}
        for x in data.get("figures", []):
            values.setdefault(str(x.get("label")), x)
    out = []
    for name in PAGE_FINDINGS:
        ind = indicators.get(name)
        found = values.get(ind.label)
        if not found or found.get("value") in (None, "") or any(ind.label in str(it.get("title")) for it in items):
            continue
        text = f"« {found['text']} » est l'idée la plus citée par les clients sur la période"
        n = values.get(indicators.label("suggestions"))
        if n and n.get("value") is not None:
            # (the month's suggestions of every theme: the idea's own monthly count is on page 06)
            text += f" ; le mois compte {n['text']} suggestions de clients, toutes idées confondues"
        text += " : à transmettre aux équipes concernées (magasins, produit) avec les citations de la page."
        out.append({"title": f"Idées des clients — {ind.label}", "text": text, "link": ind.link,
                    "kind": "finding"})
    return out


def _on_demo_sample(month_dir: Path, notebooks: list[dict]) -> bool:
    """The month's pages carry the demo-sample banner (`page_chrome` adds it by the runner's
    rule): the index says it the same way."""
    for nb in notebooks:
        try:
            if nb.get("html") and 'class="wb-demo"' in (month_dir / nb["html"]).read_text(encoding="utf-8"):
                return True
        except OSError:
            continue
    return False


def _summary_html(items: list[dict]) -> str:
    """The synthesis of summary.json: main findings, recommended actions, then the other
    findings folded ("Autres constats"), each with a link to its section. Items without a kind
    (older files) are main findings."""
    def li(it):
        link = f' <a href="{_e(it["link"])}">détails</a>' if it.get("link") else ""
        return f"<li><strong>{_e(it['title'])}</strong> : {_e(it['text'])}{link}</li>"

    groups = {k: [li(it) for it in items if (it.get("kind") or "finding") == k]
              for k in ("finding", "action", "more")}
    out = []
    if groups["finding"]:
        out.append("<p><strong>Constats principaux</strong></p><ul>" + "".join(groups["finding"]) + "</ul>")
    if groups["action"]:
        out.append("<p><strong>Actions recommandées</strong></p><ul>" + "".join(groups["action"]) + "</ul>")
    if groups["more"]:
        out.append(f"<details><summary>Autres constats ({len(groups['more'])})</summary><ul>"
                   + "".join(groups["more"]) + "</ul></details>")
    return "".join(out)


def _figure_label(label: str) -> str:
    """A key figure's label in the month index: a link to the page section that shows it, with
    its definition as a tooltip, when the indicator registry knows it; else plain text."""
    from workbench import indicators

    known = {i.label: i for i in indicators.REGISTRY.values()}.get(str(label))
    if known is None:
        return _e(label)
    return f'<a href="{_e(known.link)}" title="{_e(known.definition)}">{_e(label)}</a>'


def _section_links(month_dir: Path, page: str | None) -> str:
    """Links to a page's sections (its h2 anchors), shown under the page in the month index."""
    if not page:
        return ""
    from workbench import page_chrome

    links = [f'<a href="{_e(page)}#{_e(anchor)}">{_e(label)}</a>'
             for anchor, label in page_chrome.page_sections(month_dir / page)]
    return f'<br><span class="sections">{" · ".join(links)}</span>' if links else ""


def _fr_date(iso: str) -> str:
    return pd.Timestamp(iso).strftime("%d/%m/%Y")


def write_reports_index(reports_dir) -> Path:
    """Write `<reports_dir>/index.html`: every month that has a report, newest first."""
    reports_dir = Path(reports_dir)
    months = (
        sorted(
            (
                d
                for d in reports_dir.iterdir()
                if d.is_dir()
                and re.fullmatch(r"\d{4}-\d{2}", d.name)
                and (d / "index.html").exists()
            ),
            key=lambda d: d.name,
            reverse=True,
        )
        if reports_dir.is_dir()
        else []
    )
    rows = []
    for d in months:
        run = _read_json(d / RUN_FILE) or {}
        nbs = run.get("notebooks", [])
        failed = sum(nb.get("status") != "ok" for nb in nbs)
        status = (
            '<span class="ok">réussi</span>'
            if failed == 0
            else f'<span class="failed">{failed} échec(s)</span>'
        )
        rows.append(
            f'<tr><td><a href="{_e(d.name)}/index.html">{_e(month_label(d.name))}</a></td>'
            f'<td>{status}</td><td class="num">{len(nbs)}</td></tr>'
        )
    body = ["<h1>Rapports mensuels</h1>"]
    if rows:
        body.append(
            "<table><tr><th>Mois</th><th>Statut</th><th>Carnets</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    else:
        body.append("<p>Aucun rapport pour l'instant : lancez <code>make report</code>.</p>")
    out = reports_dir / "index.html"
    _atomic_write_text(out, _page("Rapports mensuels", "\n".join(body)))
    return out
