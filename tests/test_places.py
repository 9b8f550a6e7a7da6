"""Department names for the pages (workbench.places)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from workbench import places


def test_every_department_of_the_sample_cities_has_a_name():
    path = resources.files("workbench").joinpath("resources", "cities.csv")
    with resources.as_file(path) as p:
        codes = set(pd.read_csv(p, dtype={"department": str})["department"])
    names = places.department_names()
    assert codes <= set(names), sorted(codes - set(names))
    assert len(names) == 101 and len(set(names.values())) == 101


def test_department_label():
    assert places.department_label("29") == "Finistère (29)"
    assert places.department_label("2A") == "Corse-du-Sud (2A)"
    assert places.department_label(1) == "Ain (01)"
    assert places.department_label("974") == "La Réunion (974)"
    assert places.department_label("99") == "99"  # no name: the code as it is
    assert places.department_label(None) == "inconnu"
