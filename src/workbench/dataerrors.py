"""The one error of bad input data (`DataError`): file, column, rows, values, expectation.

Shared by the readers (`workbench.readers`), the door to the files (`workbench.datasets`), the
whole-table scan (`workbench.scan`) and the event layer (`workbench.events`), so that every
problem with a file is reported the same way.
"""

from __future__ import annotations

MAX_SHOWN = 5  # rows / values shown per problem in error messages


class DataError(ValueError):
    """Bad input data: the message names the file, the column(s), the row(s) and the expectation.

    `problems` holds one dict per problem: column, problem, expected, rows (1-based data rows,
    1 = first row after the header), values (a few offending values) and n (rows affected).
    """

    def __init__(self, path, problems: list[dict], table: str | None = None):
        self.path = str(path)
        self.table = table
        self.problems = problems
        super().__init__(_format_problems(self.path, problems, table))


class MissingTableError(DataError):
    """A raw table has no file in the data folder (the data overview lists it as absent)."""


def _problem(column, problem, expected, rows=(), values=(), n=None) -> dict:
    rows = [int(r) for r in rows]
    return {
        "column": column,
        "problem": problem,
        "expected": expected,
        "rows": rows[:MAX_SHOWN],
        "values": [_short(v) for v in list(values)[:MAX_SHOWN]],
        "n": int(n if n is not None else len(rows)),
    }


def _short(v) -> str:
    s = repr(v) if isinstance(v, str) else str(v)
    return s if len(s) <= 40 else s[:37] + "..."


def _format_problems(path: str, problems: list[dict], table: str | None) -> str:
    what = f" (table '{table}')" if table else ""
    lines = [f"{path}{what}: {len(problems)} problem(s)"]
    for p in problems:
        where = f"column '{p['column']}'" if p["column"] else "file"
        line = f"  - {where}: {p['problem']}"
        rows, values = p["rows"], p["values"]
        if rows:
            plural = "s" if p["n"] > 1 else ""
            if len(values) == len(rows):
                shown = ", ".join(f"{r} ({v})" for r, v in zip(rows, values, strict=True))
            else:
                shown = ", ".join(map(str, rows)) + (
                    f" (values {', '.join(values)})" if values else ""
                )
            more = f" and {p['n'] - len(rows)} more" if p["n"] > len(rows) else ""
            line += f" in {p['n']} row{plural}: row{'s' if len(rows) > 1 else ''} {shown}{more}"
        elif values:
            line += f" (values {', '.join(values)})"
        if p["expected"]:
            line += f"; expected {p['expected']}"
        lines.append(line)
    if any(p["rows"] for p in problems):
        lines.append("  (rows are data rows: 1 = the first row after the header)")
    if table:
        lines.append(
            f"  (contract: workbench.schemas.TABLES['{table}'], see README 'Bring your own data')"
        )
    return "\n".join(lines)

def _problems_message(problems: list[dict]) -> str:
    """The problems of a DataError for reports: column, what, how many rows (no cell values)."""
    return "; ".join(
        f"{p['column'] or 'fichier'} : {p['problem']}" + (f" ({p['n']} lignes)" if p["n"] else "")
        for p in problems
    )
