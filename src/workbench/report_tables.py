"""The tables of the report pages (`reporting.show_table` builds them here): French formats,
no nan/None, escaped data, and long or wordy tables as interactive DataTables (itables, MIT)
whose JavaScript is embedded in the page so the exported HTML works offline (no CDN).
"""

from __future__ import annotations

import hashlib

import pandas as pd

from workbench.reporting import (
    _e,
    _is_missing,
    fmt_eur,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_value,
    month_label,
)

MISSING = "–"  # what a table shows for a missing value (never nan / None / NaT)
LONG_TEXT = 80  # characters: a column with longer text gets the interactive table
_FORMATS = {
    "int": fmt_int,
    "eur": fmt_eur,
    "eur2": lambda x: fmt_eur(x, 2),
    "pct": fmt_pct,
    "pct0": lambda x: fmt_pct(x, 0),
    "pct2": lambda x: fmt_pct(x, 2),
    "num": lambda x: fmt_num(x, 1),
    "num0": lambda x: fmt_num(x, 0),
    "num1": lambda x: fmt_num(x, 1),
    "num2": lambda x: fmt_num(x, 2),
    "date": lambda x: pd.Timestamp(x).strftime("%d/%m/%Y"),
    "datetime": lambda x: pd.Timestamp(x).strftime("%d/%m/%Y %H:%M"),
    "month": lambda x: month_label(str(pd.Period(x, "M"))),
    "text": str,
}


def _cell_text(x, fn) -> str:
    if _is_missing(x):
        return MISSING
    out = fn(x)
    return MISSING if out is None or (isinstance(out, str) and out.lower() in ("nan", "none", "nat")) \
        else str(out)


def _default_format(series: pd.Series):
    """The display function of a column from its dtype (French numbers, dates, oui/non)."""
    s = series.dropna()
    if pd.api.types.is_bool_dtype(series) or (len(s) and s.map(lambda v: isinstance(v, bool)).all()):
        return lambda x: "oui" if x else "non"
    if pd.api.types.is_integer_dtype(series):
        return fmt_int
    if pd.api.types.is_float_dtype(series):
        if len(s) and (s == s.round()).all() and s.abs().max() < 1e15:
            return fmt_int
        return fmt_value
    if pd.api.types.is_datetime64_any_dtype(series):
        return fmt_value
    if isinstance(series.dtype, pd.PeriodDtype):
        return lambda x: month_label(str(x)) if x.freqstr.startswith("M") else str(x)
    return fmt_value


def _sort_key(series: pd.Series) -> pd.Series | None:
    """Raw numeric values to sort a formatted column by (None for text columns)."""
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce")
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.map(lambda t: t.timestamp() if not _is_missing(t) else None).astype(float)
    if isinstance(series.dtype, pd.PeriodDtype):
        return series.map(lambda p: p.ordinal if not _is_missing(p) else None).astype(float)
    return None


def _table_frame(df, columns, formats, index):
    """(shown text frame, {shown column: raw sort values}, numeric shown columns)."""
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"show_table: expected a DataFrame, got {type(df).__name__}")
    if index is None:
        index = not isinstance(df.index, pd.RangeIndex)
    if index:
        df = df.reset_index()
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise KeyError(f"show_table: columns {missing} not in the table ({list(df.columns)})")
        df = df[list(columns)]
    by_header = {str(h): c for c, h in (columns or {}).items()}
    formats = {(k if k in df.columns else by_header.get(k, k)): v for k, v in (formats or {}).items()}
    unknown = [c for c in formats if c not in df.columns]
    if unknown:
        raise KeyError(f"show_table: formats for unknown columns {unknown}")
    shown, keys, numeric = {}, {}, []
    for col in df.columns:
        header = str((columns or {}).get(col, col))
        fn = formats.get(col)
        if isinstance(fn, str):
            if fn not in _FORMATS:
                raise ValueError(f"show_table: unknown format {fn!r}; known: {sorted(_FORMATS)}")
            fn = _FORMATS[fn]
        fn = fn or _default_format(df[col])
        shown[header] = [_cell_text(x, fn) for x in df[col]]
        key = _sort_key(df[col])
        if key is not None:
            keys[header] = key.tolist()
            numeric.append(header)
    if len(shown) != len(df.columns):
        raise ValueError("show_table: two columns would get the same French header")
    return pd.DataFrame(shown), keys, numeric


def _static_table_html(text: pd.DataFrame, numeric, caption) -> str:
    head = "".join(
        f'<th{" class=num" if c in numeric else ""}>{_e(c)}</th>' for c in text.columns
    )
    rows = "".join(
        "<tr>" + "".join(
            f'<td{" class=num" if c in numeric else ""}>{_e(v)}</td>' for c, v in zip(text.columns, r, strict=True)
        ) + "</tr>"
        for r in text.itertuples(index=False)
    )
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return (f'<table class="wb-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


_DT_FRENCH = {
    "search": "Rechercher :",
    "info": "Lignes _START_ à _END_ sur _TOTAL_",
    "infoEmpty": "Aucune ligne",
    "infoFiltered": "(filtrées parmi _MAX_)",
    "lengthMenu": "_MENU_ lignes par page",
    "zeroRecords": "Aucune ligne ne correspond",
    "emptyTable": "Tableau vide",
    "decimal": ",",
    "thousands": "\u202f",
}
_n_tables = 0
_itables_loaded = False  # the library is shown once per kernel (first long table)


def _itables_init_html() -> str:
    """The DataTables library (JavaScript and CSS, ~1 Mo) embedded in the page: the exported
    HTML works offline, no CDN."""
    from itables import javascript as itjs
    from itables import options as itopt

    return itjs.generate_init_offline_itables_html(itopt.dt_bundle)


def interactive_table_html(text: pd.DataFrame, keys: dict, numeric, caption, page_length: int) -> str:
    """An itables (DataTables) table of the already-formatted, already-escaped cells `text`:
    sortable (numbers and dates by their raw value, kept in hidden columns), searchable,
    paginated, French controls. Without JavaScript the full static table shows instead."""
    from itables import javascript as itjs

    data = text.copy()
    for c in data.columns:  # cells are HTML-escaped here; DataTables shows them as HTML
        data[c] = data[c].map(_e)
    data.columns = [_e(c) for c in data.columns]
    col_defs, n = [], len(data.columns)
    for i, c in enumerate(text.columns):
        if c in keys:
            j = n + len(col_defs) // 2
            data[f"__sort_{j}"] = [None if _is_missing(v) else float(v) for v in keys[c]]
            col_defs += [{"targets": [i], "orderData": [j], "className": "dt-right"},
                         {"targets": [j], "visible": False, "searchable": False}]
    global _n_tables
    _n_tables += 1  # ids stable from run to run (diff-friendly), unique within a kernel
    table_id = f"wb_{_n_tables}_" + hashlib.sha1(text.to_json().encode("utf-8")).hexdigest()[:8]
    kwargs = dict(
        connected=False, allow_html=True, maxBytes=0, maxRows=0, classes="display compact",
        layout={"topStart": "pageLength", "topEnd": "search", "bottomStart": "info",
                "bottomEnd": "paging"},
        pageLength=page_length, lengthMenu=[page_length, 50, 100, -1], order=[],
        language=_DT_FRENCH, columnDefs=col_defs, table_id=table_id,
        display_logo_when_loading=False, showIndex=False,
        style="table-layout:auto;width:100%;margin:0;caption-side:top",
    )
    dt_args = itjs.get_itable_arguments(data, _e(caption) if caption else None, **kwargs)
    dt_url = dt_args.pop("dt_url")
    dt_args.pop("connected")
    dt_args.pop("display_logo_when_loading", None)
    return itjs.html_table_from_template(
        table_id=table_id, dt_url=dt_url, connected=False, display_logo_when_loading=False,
        kwargs=dt_args, fallback_html=_static_table_html(text, numeric, caption),
    )


def static_table(df, caption: str | None = None) -> str:
    """A plain HTML table of `df` (one header row, no index, French cells, escaped), never the
    interactive kind: for small tables whose output is checked from run to run (the key
    figures), which must not depend on earlier tables of the kernel nor embed the library."""
    text, _keys, _numeric = _table_frame(df, None, None, False)
    return _static_table_html(text, [], caption)


def table_blocks(df, columns, formats, max_rows, caption, index) -> list[str]:
    """The HTML blocks `reporting.show_table` displays: the static table, or (long table, long
    text) the DataTables library once per kernel followed by the interactive table."""
    global _itables_loaded
    text, keys, numeric = _table_frame(df, columns, formats, index)
    long_text = bool(len(text)) and any(text[c].map(len).max() > LONG_TEXT for c in text.columns)
    if len(text) > max_rows or long_text:
        blocks = [] if _itables_loaded else [_itables_init_html()]
        _itables_loaded = True
        return blocks + [interactive_table_html(text, keys, numeric, caption, max(5, max_rows))]
    return [_static_table_html(text, numeric, caption)]
