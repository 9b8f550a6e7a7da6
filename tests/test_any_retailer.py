"""Any retailer's data (issue 15): the monthly run on another retailer made from the sample
(every name and vocabulary renamed, profile inferred) and on the generator's second retailer.
The planted crisis must be found and no name of the sample retailer may reach a page."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from hostile_data import RENAMES, old_names, renamed_retailer_copy
from workbench import cli, profile, sample

pytestmark = pytest.mark.slow


def _figures(report_month_dir, stem) -> dict:
    data = json.loads((report_month_dir / "figures" / f"{stem}.json").read_text(encoding="utf-8"))
    return {f["label"]: f["text"] for f in data["figures"]}


def _pages(report_month_dir) -> dict[str, str]:
    pages = {}
    for p in sorted(report_month_dir.glob("*.html")):
        pages[p.name] = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", p.read_text(encoding="utf-8"))
    return pages


def _crisis_label(truth_dir) -> str:
    crisis = json.loads((truth_dir / "crisis.json").read_text(encoding="utf-8"))
    return f"({pd.Timestamp(crisis['date']):%d/%m})"


def test_renamed_retailer_runs_with_an_inferred_profile(sample_dir, tmp_path, capsys):
    raw = renamed_retailer_copy(sample_dir, tmp_path / "raw")
    brand = RENAMES["brands"]["Maison Lys"]
    assert cli.main(["profile", "--data-dir", str(raw), "--brand", "Marque Absente",
                     "--out", str(tmp_path / "x.yaml")]) == 2
    assert brand in capsys.readouterr().err  # the refusal names the brands found
    assert cli.main(["profile", "--data-dir", str(raw), "--brand", brand,
                     "--out", str(raw / "retailer.yaml")]) == 0
    inferred = profile.load_profile(raw / "retailer.yaml")
    assert set(inferred.categories) == set(RENAMES["category"].values())
    assert inferred.loyalty_tiers == tuple(RENAMES["loyalty_tier"].values())
    code = cli.main(["run", "--profile", str(raw / "retailer.yaml"), "--data-dir", str(raw),
                     "--processed-dir", str(tmp_path / "processed"),
                     "--reports-dir", str(tmp_path / "reports")])
    assert code == 0
    month_dir = next((tmp_path / "reports").glob("20*-*"))
    for name, page in _pages(month_dir).items():
        assert old_names(page) == [], name
        for old in ("beaute", "high_tech", "tiktok", "platinum"):
            assert not re.search(rf"\b{old}\b", page), (name, old)
    assert brand in _pages(month_dir)["03_social_listening.html"]
    alert = _figures(month_dir, "03_social_listening")["Principale alerte"]
    assert alert.startswith("Livraison → logistique") and alert.endswith(_crisis_label(raw / "_truth"))


@pytest.fixture(scope="module")
def grocery_dir(tmp_path_factory):
    return sample.generate(tmp_path_factory.mktemp("grocery"), customers=5000, retailer="grocery")


def test_second_retailer_planted_segments_web_to_store_and_identities(grocery_dir):
    """The analyses recover the grocery retailer's own planted truth, with its vocabularies."""
    from sklearn.metrics import adjusted_rand_score

    from workbench import datasets, identity
    from workbench import segmentation as seg

    truth = sample.load_truth(grocery_dir)
    grocery = profile.profile_for(grocery_dir)
    tables = datasets.read_tables(["customers", "transactions", "transaction_lines", "touchpoints",
                                   "email_events", "social_accounts"], grocery_dir)
    month = datasets.report_month(grocery_dir)
    features = seg.customer_features(tables, month, categories=list(grocery.categories),
                                     loyalty_tiers=grocery.loyalty_tiers)
    assert {f"cat_{c}" for c in grocery.categories} <= set(features.columns)
    typ = seg.channel_typology(features)
    pred = set(typ.loc[typ["channel_type"] == "web_to_store", "customer_id"])
    planted = set(truth["web_to_store"]["customer_id"])
    tp = len(pred & planted)
    assert tp / len(pred) >= 0.9 and tp / len(planted) >= 0.9
    segs = seg.segment_customers(features, seed=0).set_index("customer_id")
    planted_seg = truth["segments"].set_index("customer_id")["segment"].reindex(segs.index)
    assert adjusted_rand_score(planted_seg, segs["segment"]) >= 0.8
    links = identity.link_identities(tables["customers"], tables["social_accounts"], seed=0)
    got = set(zip(links["customer_id"], links["account_id"], strict=True))
    pairs = set(zip(truth["identity_pairs"]["customer_id"], truth["identity_pairs"]["account_id"],
                    strict=True))
    assert len(got & pairs) / len(got) >= 0.95 and len(got & pairs) / len(pairs) >= 0.9


def test_second_retailer_monthly_run(grocery_dir, tmp_path):
    raw = grocery_dir
    grocery = profile.profile_for(raw)
    assert "youtube" in grocery.platforms and "La Réunion" in grocery.regions
    code = cli.main(["run", "--data-dir", str(raw), "--processed-dir", str(tmp_path / "processed"),
                     "--reports-dir", str(tmp_path / "reports")])
    assert code == 0
    month_dir = next((tmp_path / "reports").glob("20*-*"))
    alert = _figures(month_dir, "03_social_listening")["Principale alerte"]
    assert alert.startswith("Livraison → logistique") and alert.endswith(_crisis_label(raw / "_truth"))
    assert _figures(month_dir, "01_segmentation")["Plateforme à la plus forte croissance"] == \
        grocery.platform_label("youtube")
    for name, page in _pages(month_dir).items():
        assert old_names(page) == [], name
