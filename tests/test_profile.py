"""The retailer profile: validation on load, round trip, inference from any retailer's data."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml

from workbench import datasets, profile, sample, schemas
from workbench.profile import ProfileError, RetailerProfile

MINIMAL = {
    "brand": "Épicerie Soleil",
    "categories": {"epicerie": "Épicerie", "frais": "Produits frais"},
    "platforms": {"youtube": "YouTube", "pinterest": "Pinterest"},
    "loyalty_tiers": ["essentiel", "plus", "premium"],
    "store_formats": {"hyper": {"label": "Hypermarché", "recruiting": "crm"},
                      "proxi": {"label": "Proximité", "recruiting": "staff"}},
}


def _write(tmp_path, data, name="retailer.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("profile_sample")
    sample.generate(out, customers=2_000, months=3, seed=3)
    return out


# --- loading and validation ---------------------------------------------------------------


def test_minimal_profile_loads_with_defaults(tmp_path):
    p = profile.load_profile(_write(tmp_path, MINIMAL))
    assert p.brand == "Épicerie Soleil" and p.competitors == () and p.currency == "EUR"
    assert p.loyalty_tiers == ("essentiel", "plus", "premium")
    assert len(p.regions) == 18 and {"La Réunion", "Guadeloupe", "Mayotte", "Corse"} <= set(p.regions)
    assert p.channel_labels["sales"]["click_collect"] == "click_collect"
    assert p.alert_departments and "logistique" in p.alert_departments
    assert p.taxonomy_path().name == "taxonomy.yaml" and p.care_rules_path().is_file()
    assert p.formats_recruiting("staff") == ("proxi",)
    assert p.source == str(tmp_path / "retailer.yaml")


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        ({"categories": None}, "categories", "missing"),
        ({"brand": None}, "brand", "missing"),
        ({"categories": "epicerie"}, "categories", "expected a mapping"),
        ({"competitors": {"a": 1}}, "competitors", "expected a list"),
        ({"loyalty_tiers": []}, "loyalty_tiers", "at least one"),
        ({"loyalty_tiers": ["plus", "plus"]}, "loyalty_tiers", "without repeats"),
        ({"store_formats": {"hyper": {"label": "Hyper", "recruiting": "magasin"}}},
         "store_formats.hyper.recruiting", "expected crm"),
        ({"store_formats": {"hyper": "crm"}}, "store_formats.hyper", "expected a mapping"),
        ({"channel_labels": {"sales": {"Drive": "drive"}}}, "channel_labels.sales.Drive", "click_collect"),
        ({"currency": "euros"}, "currency", "ISO 4217"),
        ({"alert_departments": ["compta"]}, "alert_departments", "logistique"),
        ({"taxonomy": "nowhere.yaml"}, "taxonomy", "does not exist"),
        ({"loyalty_labels": {"gold": "Or"}}, "loyalty_labels", "essentiel"),
        ({"platfroms": {"x": "X"}}, "platfroms", "unknown key"),
    ],
)
def test_a_bad_profile_is_refused_naming_file_and_key(tmp_path, change, key, expected):
    data = {**MINIMAL, **change}
    data = {k: v for k, v in data.items() if v is not None}
    path = _write(tmp_path, data)
    with pytest.raises(ProfileError) as err:
        profile.load_profile(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: key '{key}'"), msg
    assert expected in msg, msg
    assert err.value.key == key


def test_unreadable_files_are_refused_with_the_file_named(tmp_path):
    with pytest.raises(ProfileError, match="file not found"):
        profile.load_profile(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad.yaml: not valid YAML at line \d"):
        profile.load_profile(bad)
    not_mapping = tmp_path / "list.yaml"
    not_mapping.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="expected a mapping"):
        profile.load_profile(not_mapping)


def test_relative_taxonomy_resolves_against_the_profile_folder(tmp_path):
    (tmp_path / "conf").mkdir()
    tax = tmp_path / "conf" / "themes.yaml"
    tax.write_text("themes:\n  prix:\n    label: Prix\n    department: pricing\n    micro: {}\n", encoding="utf-8")
    p = profile.load_profile(_write(tmp_path / "conf", {**MINIMAL, "taxonomy": "themes.yaml"}))
    assert p.taxonomy_path() == tax
    assert p.alert_departments == ("pricing",)  # default: the departments of its taxonomy


def test_write_then_load_gives_the_same_profile(tmp_path):
    p = RetailerProfile(
        brand="Épicerie Soleil", competitors=("Marché Vert", "Casa Prix"), currency="EUR",
        categories={"epicerie": "Épicerie", "bebe": "Bébé", "bio": "Bio"},
        platforms={"youtube": "YouTube", "twitter": "X (Twitter)"},
        loyalty_tiers=("essentiel", "plus", "premium"), loyalty_labels={"plus": "Plus"},
        store_formats={"hyper": {"label": "Hypermarché", "recruiting": "crm"},
                       "proxi": {"label": "Proximité", "recruiting": "staff"}},
        regions=("La Réunion", "Bretagne"),
        channel_labels={"sales": {"Magasin": "store", "Drive": "click_collect"}, "touchpoints": {"SEO": "search"}},
        alert_departments=("logistique",), stop_words=("promo", "courses"),
        notes={"store_formats": "guessed"},
    )
    path = profile.write_profile(p, tmp_path / "out" / "retailer.yaml")
    text = path.read_text(encoding="utf-8")
    assert "# À vérifier / to review: guessed" in text
    assert "recruiting" in text and "crm" in text and "Épicerie" in text  # readable, not escaped
    back = profile.load_profile(path)
    assert back == p
    assert list(back.categories) == ["epicerie", "bebe", "bio"]  # order kept
    assert back.notes == {}  # notes are comments: not read back
    assert not list(path.parent.glob(".*tmp"))  # written atomically, nothing left behind


def test_contracts_close_the_vocabularies_from_the_profile(tmp_path):
    p = profile.profile_from_dict(MINIMAL)
    c = schemas.contracts(p)
    assert c["transaction_lines"].col("category").allowed == ("epicerie", "frais")
    assert c["audience"].col("platform").allowed == ("youtube", "pinterest")
    assert c["customers"].col("loyalty_tier").allowed == ("essentiel", "plus", "premium")
    assert c["stores"].col("format").allowed == ("hyper", "proxi")
    assert "La Réunion" in c["stores"].col("region").allowed
    # TABLES stay open and unchanged; fixed workbench codes stay closed
    assert schemas.TABLES["transaction_lines"].col("category").allowed is None
    assert schemas.TABLES["transactions"].col("channel").allowed == schemas.SALES_CHANNELS
    assert schemas.contracts(None)["stores"].col("format").allowed is None
    used = schemas.vocabulary_columns()
    assert ("mentions", "category") in used["categories"]
    assert {t for t, _ in used["platforms"]} == {"social_accounts", "brand_posts", "mentions", "touchpoints",
                                                 "audience"}


def test_a_value_outside_the_profile_is_refused_by_the_contract(tmp_path):
    p = profile.profile_from_dict(MINIMAL)
    f = tmp_path / "transaction_lines.csv"
    f.write_text("transaction_id;line_no;category;quantity;amount\nT1;1;epicerie;1;2,5\nT1;2;mode;1;30\n",
                 encoding="utf-8")
    assert len(datasets.read_file(f, schemas.TABLES["transaction_lines"])) == 2  # open without profile
    with pytest.raises(datasets.DataError, match="category"):
        datasets.read_file(f, schemas.contracts(p)["transaction_lines"])


# --- inference ----------------------------------------------------------------------------


def test_infer_on_the_sample_finds_what_was_generated(small):
    p = profile.infer_profile(small, sample.BRAND)
    gen = profile.load_profile(small / "retailer.yaml")  # the generator's own profile
    assert p.brand == sample.BRAND
    assert set(p.competitors) == set(sample.COMPETITORS)
    assert set(p.categories) == set(gen.categories)
    assert set(p.platforms) == set(gen.platforms)
    assert p.platforms["twitter"] == "X (Twitter)"
    assert p.loyalty_tiers == gen.loyalty_tiers  # ordered by mean loyalty points
    assert set(p.store_formats) == set(gen.store_formats)
    assert p.formats_recruiting("staff") == gen.formats_recruiting("staff")
    assert set(profile.FRENCH_REGIONS) <= set(p.regions)
    assert "store_formats" in p.notes  # the guessed roles are flagged for review
    # what it infers validates the data it was inferred from
    c = schemas.contracts(p)
    for name in ("transaction_lines", "mentions", "customers", "stores", "audience"):
        datasets.read_file(small / f"{name}.parquet", c[name])


def test_infer_refuses_a_brand_absent_from_the_data_naming_the_brands_found(small):
    with pytest.raises(ProfileError) as err:
        profile.infer_profile(small, "Zara")
    msg = str(err.value)
    assert "'Zara' is not in the data" in msg
    for b in (sample.BRAND, *sample.COMPETITORS):
        assert repr(b) in msg
    with pytest.raises(ProfileError, match="did you mean 'Maison Lys'"):
        profile.infer_profile(small, "maison lys")


RENAME = {
    "brand": {"Maison Lys": "Atelier Brume", "Orbe": "Vantaux", "Kaléo": "Pampille"},
    "category": {"mode": "pret_a_porter", "maison": "deco", "beaute": "soin", "sport": "plein_air",
                 "enfant": "junior", "high_tech": "multimedia"},
    "platform": {"twitter": "youtube", "instagram": "pinterest", "facebook": "linkedin", "tiktok": "snapchat"},
    "loyalty_tier": {"none": "aucun", "silver": "argent", "gold": "or", "platinum": "platine"},
    "format": {"large": "hyper", "small": "proxi"},
}


def _renamed_copy(src, dst):
    dst.mkdir()
    for f in src.glob("*.parquet"):
        df = pd.read_parquet(f)
        for col, mapping in RENAME.items():
            if col in df:
                df[col] = df[col].map(lambda v, m=mapping: m.get(v, v))
        df.to_parquet(dst / f.name, index=False)
    return dst


def test_infer_on_a_renamed_sample_shows_only_the_new_names(small, tmp_path):
    renamed = _renamed_copy(small, tmp_path / "renamed")
    with pytest.raises(ProfileError, match="Atelier Brume"):
        profile.infer_profile(renamed, "Maison Lys")
    p = profile.infer_profile(renamed, "Atelier Brume")
    assert set(p.competitors) == {"Vantaux", "Pampille"}
    assert set(p.categories) == set(RENAME["category"].values())
    assert set(p.platforms) == set(RENAME["platform"].values())
    assert p.platforms["youtube"] == "YouTube"
    assert p.loyalty_tiers == ("aucun", "argent", "or", "platine")
    assert set(p.store_formats) == {"hyper", "proxi"}
    old = {v for m in RENAME.values() for v in m}
    assert not old & _values(profile.profile_to_dict(p))
    written = profile.load_profile(profile.write_profile(p, tmp_path / "retailer.yaml"))
    assert not old & _values(profile.profile_to_dict(written))
    # the profile closes the renamed tables' contracts
    c = schemas.contracts(p)
    for name in ("transaction_lines", "mentions", "customers", "stores", "social_accounts"):
        datasets.read_file(renamed / f"{name}.parquet", c[name])


def _values(obj) -> set:
    if isinstance(obj, dict):
        return set(map(str, obj)) | set().union(*(_values(v) for v in obj.values()))
    if isinstance(obj, list):
        return set().union(*(_values(v) for v in obj)) if obj else set()
    return {str(obj)}


def test_find_profile_looks_for_retailer_yaml(small, tmp_path):
    assert profile.find_profile(small) == small / "retailer.yaml"
    assert profile.find_profile(tmp_path) is None


def test_cli_profile_writes_a_reviewable_profile_and_refuses_unknown_brands(small, tmp_path):
    out = tmp_path / "p" / "retailer.yaml"
    ok = subprocess.run([sys.executable, "-m", "workbench.cli", "profile", "--data-dir", str(small),
                         "--brand", sample.BRAND, "--out", str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert profile.load_profile(out).brand == sample.BRAND
    assert "À vérifier" in out.read_text(encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "workbench.cli", "profile", "--data-dir", str(small),
                          "--brand", "Zara", "--out", str(tmp_path / "x.yaml")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "Zara" in bad.stderr and "Orbe" in bad.stderr
    assert not (tmp_path / "x.yaml").exists()
