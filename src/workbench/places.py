"""Names of French departments (INSEE codes -> names), so pages show "Finistère (29)", not "29".

The customer and store tables carry department codes (`customers.department`,
`stores.department`); the names come from `resources/departments.csv` (the 101 departments,
overseas included). A code without a name (another country, a typo) is shown as it is.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def department_names() -> dict[str, str]:
    """{department code: French name} of every French department (codes as text: "01", "2A", "974")."""
    text = resources.files("workbench").joinpath("resources", "departments.csv").read_text(encoding="utf-8")
    return {row["department"]: row["name"] for row in csv.DictReader(text.splitlines())}


def department_label(code) -> str:
    """ "Finistère (29)" for "29" (also 29 or "29.0" read as a number); the code itself when it
    has no name; "inconnu" when missing."""
    if code is None or (isinstance(code, float) and code != code):
        return "inconnu"
    c = str(code).strip()
    if c.endswith(".0"):
        c = c[:-2]
    if c.isdigit() and len(c) == 1:
        c = "0" + c
    name = department_names().get(c)
    return f"{name} ({c})" if name else c
