"""The retailer profile: who the retailer is and the words its data is written in.

One YAML file (by convention `<data folder>/retailer.yaml`) holds the brand as written in the
data, its competitors, and the retailer's vocabularies: product categories, social platforms,
loyalty tiers, store formats (with their role in ambassador recruiting), regions, the mapping of
its own channel labels to the workbench's fixed codes, the theme taxonomy and care rules, the
departments that receive alerts and a stop-list for the concept cloud.

* `load_profile(path)` reads and checks a profile; any problem raises ONE `ProfileError` naming
  the file, the key and what was expected.
* `infer_profile(data_dir, brand)` proposes a profile from the raw tables (observed values only,
  read without the contracts' closed lists); `write_profile(profile, path)` writes it as
  commented YAML for the analyst to review (`workbench profile --data-dir … --brand … --out …`).
* `workbench.schemas.contracts(profile)` turns a profile into closed contracts.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from workbench.care import RULES_FILE
from workbench.concepts import TAXONOMY_FILE
from workbench.schemas import VOCABULARIES

__all__ = [
    "PROFILE_FILE",
    "FRENCH_REGIONS",
    "ProfileError",
    "RetailerProfile",
    "load_profile",
    "profile_from_dict",
    "profile_to_dict",
    "dump_profile",
    "write_profile",
    "find_profile",
    "infer_profile",
    "default_alert_departments",
]

PROFILE_FILE = "retailer.yaml"  # a data folder holding this file uses it by default
DEFAULT_TAXONOMY = TAXONOMY_FILE  # the shipped files, where concepts and care define them
DEFAULT_CARE_RULES = RULES_FILE

METROPOLITAN_REGIONS = (
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur",
)
OVERSEAS_REGIONS = ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte")
FRENCH_REGIONS = METROPOLITAN_REGIONS + OVERSEAS_REGIONS  # the 18 regions (2016 map)

RECRUITING_ROLES = ("crm", "staff")
PLATFORM_NAMES = {  # display names of the usual platforms (inference; anything else: as written)
    "twitter": "X (Twitter)",
    "x": "X (Twitter)",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "pinterest": "Pinterest",
    "linkedin": "LinkedIn",
    "snapchat": "Snapchat",
    "threads": "Threads",
    "bluesky": "Bluesky",
    "twitch": "Twitch",
}
_SALES_SYNONYMS = {  # retailer label (lower case, no accents) -> workbench sales channel
    "magasin": "store", "boutique": "store", "en magasin": "store", "point de vente": "store",
    "caisse": "store", "store": "store", "shop": "store", "retail": "store",
    "web": "web", "site": "web", "site web": "web", "internet": "web", "en ligne": "web",
    "e-commerce": "web", "ecommerce": "web", "online": "web",
    "app": "app", "appli": "app", "application": "app", "mobile": "app",
    "click_collect": "click_collect", "click & collect": "click_collect",
    "click and collect": "click_collect", "click&collect": "click_collect", "c&c": "click_collect",
    "drive": "click_collect", "retrait magasin": "click_collect", "retrait en magasin": "click_collect",
}
_TOUCHPOINT_SYNONYMS = {  # retailer label (lower case, no accents) -> workbench touchpoint channel
    "search": "search", "seo": "search", "sea": "search", "recherche": "search",
    "moteur de recherche": "search", "organic search": "search", "paid search": "search",
    "social": "social", "reseaux sociaux": "social", "social media": "social", "organic social": "social",
    "paid social": "social",
    "email": "email", "e-mail": "email", "emailing": "email", "newsletter": "email", "crm": "email",
    "display": "display", "banniere": "display", "retargeting": "display",
    "website": "website", "site": "website", "site web": "website", "web": "website",
    "direct": "website", "referral": "website",
    "app": "app", "appli": "app", "application": "app",
    "store_visit": "store_visit", "visite magasin": "store_visit", "magasin": "store_visit",
    "purchase": "purchase", "achat": "purchase", "commande": "purchase", "transaction": "purchase",
}

# Keys of the YAML file, in the order they are written, with what they are (French, then English).
_DOC = {
    "brand": (
        "Marque telle qu'écrite dans les données (mentions.brand, brand_posts.brand, audience.brand) :"
        " les analyses séparent la marque de ses concurrents avec ce nom exact.",
        "The brand as written in the data; analyses tell it from its competitors by this exact name.",
    ),
    "competitors": (
        "Concurrents suivis (mêmes colonnes) : parts de voix, comparaisons d'audience et de sentiment.",
        "Competitors followed (same columns): share of voice, audience and sentiment benchmarks.",
    ),
    "currency": (
        "Devise des montants (code ISO 4217) : affichée dans les rapports.",
        "Currency of amounts (ISO 4217 code), shown in the reports.",
    ),
    "categories": (
        "Catégories de produits : code (transaction_lines.category, mentions.category,"
        " email_campaigns.category) -> libellé français. Liste fermée : une autre valeur est refusée ;"
        " la segmentation crée une part d'achats par catégorie.",
        "Product categories: code -> French label. Closed list (other values are refused); the"
        " segmentation builds one purchase-share feature per category.",
    ),
    "platforms": (
        "Réseaux sociaux : code (colonnes platform) -> nom affiché dans les rapports. Liste fermée.",
        "Social platforms: code (platform columns) -> display name in the reports. Closed list.",
    ),
    "loyalty_tiers": (
        "Niveaux de fidélité (customers.loyalty_tier), DU PLUS BAS AU PLUS HAUT : l'ordre sert de rang"
        " dans la segmentation et les tableaux. Liste fermée.",
        "Loyalty tiers, LOWEST FIRST: the order is their rank in segmentation and tables. Closed list.",
    ),
    "loyalty_labels": (
        "Libellés français des niveaux de fidélité (facultatif ; sinon le code).",
        "French labels of the loyalty tiers (optional; the code otherwise).",
    ),
    "store_formats": (
        "Formats de magasin (stores.format) : libellé et rôle dans le recrutement des ambassadeurs :"
        " recruiting: crm (grands magasins, peu de contact avec le personnel : candidats repérés"
        " dans le CRM) ou staff (petits magasins, contact proche : candidats proposés par le personnel).",
        "Store formats: label and role in ambassador recruiting: crm (large stores, little staff"
        " contact: candidates found in the CRM) or staff (small stores: staff nominations).",
    ),
    "regions": (
        "Régions (stores.region, customers.region). Par défaut les 18 régions françaises,"
        " outre-mer compris. Liste fermée.",
        "Regions; default: the 18 French regions, overseas included. Closed list.",
    ),
    "channel_labels": (
        "Libellés de canaux propres à l'enseigne -> codes du workbench. sales (transactions.channel) :"
        " store, web, app, click_collect ; touchpoints (touchpoints.channel) : search, social, email,"
        " display, website, app, store_visit, purchase. Les codes du workbench sont fixes.",
        "The retailer's own channel labels -> the workbench's fixed codes (sales and touchpoints).",
    ),
    "taxonomy": (
        "Taxonomie des thèmes (fichier YAML) ; null = celle livrée (src/workbench/taxonomy.yaml)."
        " Chemin relatif = relatif au dossier de ce fichier.",
        "Theme taxonomy file; null = the shipped one. Relative paths are relative to this file's folder.",
    ),
    "care_rules": (
        "Règles de la file de réponse (questions, réclamations, suggestions) ; null = celles livrées"
        " (src/workbench/care_rules.yaml).",
        "Care-queue rules file; null = the shipped ones.",
    ),
    "alert_departments": (
        "Services qui reçoivent des alertes (parmi les services de la taxonomie) : les alertes des"
        " thèmes des autres services ne sont pas envoyées.",
        "Departments that receive alerts (among the taxonomy's departments).",
    ),
    "stop_words": (
        "Mots à ignorer dans le nuage de concepts, en plus des mots vides du français et de la"
        " liste livrée pour le commerce (bonjour, merci, jour, semaine, euro, trouver…).",
        "Words left out of the concept cloud, on top of French stop words and the shipped retail"
        " stop-list (profile.RETAIL_STOP_WORDS).",
    ),
    "spark_master": (
        "Moteur Spark de `workbench run --engine spark` : local[*] (cette machine), spark://hôte:7077,"
        " yarn, k8s://… ; null = local[*]. La variable WORKBENCH_SPARK_MASTER l'emporte.",
        "Spark master of `workbench run --engine spark` (local[*], spark://host:7077, yarn,"
        " k8s://...); null = local[*]. The WORKBENCH_SPARK_MASTER environment variable wins.",
    ),
}
KEYS = tuple(_DOC)
# Words of any retailer's social talk that name no concept (greetings, time words, the most
# generic verbs): left out of concept clouds and topics with the profile's own `stop_words`.
RETAIL_STOP_WORDS = (
    "bonjour", "bonsoir", "merci", "svp", "stp", "salut", "coucou", "hello", "bon", "jour",
    "semaine", "mois", "année", "an", "fois", "heure", "euro", "truc", "chose", "gens", "savoir",
    "trouver", "voir", "prendre", "mettre", "venir", "passer", "falloir", "pouvoir", "vouloir",
    "devoir", "rester", "sembler", "croire", "penser", "donner",
)
REQUIRED = ("brand", "categories", "platforms", "loyalty_tiers", "store_formats")


class ProfileError(ValueError):
    """A profile that cannot be used: names the file, the key and what was expected."""

    def __init__(self, path, key: str | None, message: str):
        self.path = str(path) if path is not None else None
        self.key = key
        where = f"{self.path}: " if self.path else ""
        what = f"key '{key}': " if key else ""
        super().__init__(f"{where}{what}{message}")


def _default_channel_labels() -> dict:
    from workbench.schemas import SALES_CHANNELS, TOUCHPOINT_CHANNELS

    return {"sales": {c: c for c in SALES_CHANNELS}, "touchpoints": {c: c for c in TOUCHPOINT_CHANNELS}}


@dataclass(frozen=True)
class RetailerProfile:
    """One retailer: brand, competitors and vocabularies (see the module docstring).

    Dict fields keep the file's order. `source` (the file it was loaded from) and `notes`
    (review notes of an inferred profile, written as comments) do not take part in equality.
    """

    brand: str
    categories: dict[str, str]
    platforms: dict[str, str]
    loyalty_tiers: tuple[str, ...]
    store_formats: dict[str, dict]
    competitors: tuple[str, ...] = ()
    currency: str = "EUR"
    loyalty_labels: dict[str, str] = field(default_factory=dict)
    regions: tuple[str, ...] = FRENCH_REGIONS
    channel_labels: dict[str, dict[str, str]] = field(default_factory=_default_channel_labels)
    taxonomy: str | None = None
    care_rules: str | None = None
    alert_departments: tuple[str, ...] = ()
    stop_words: tuple[str, ...] = ()
    spark_master: str | None = None
    source: str | None = field(default=None, compare=False)
    notes: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def concept_stop_words(self) -> tuple[str, ...]:
        """Words left out of concept clouds: the shipped retail stop-list, then the profile's
        own `stop_words`."""
        return tuple(dict.fromkeys(RETAIL_STOP_WORDS + self.stop_words))

    # --- vocabularies --------------------------------------------------------------------
    def vocabulary(self, key: str) -> tuple[str, ...]:
        """The allowed codes of vocabulary `key` (categories, platforms, loyalty_tiers,
        store_formats, regions), in the profile's order."""
        if key not in VOCABULARIES:
            raise KeyError(f"unknown vocabulary '{key}'; known: {', '.join(VOCABULARIES)}")
        return tuple(getattr(self, key))

    @property
    def brands(self) -> tuple[str, ...]:
        """The brand then its competitors."""
        return (self.brand, *self.competitors)

    def category_label(self, code: str) -> str:
        return self.categories.get(code, code)

    def platform_label(self, code: str) -> str:
        return self.platforms.get(code, code)

    def loyalty_label(self, tier: str) -> str:
        return self.loyalty_labels.get(tier, tier)

    def store_format_label(self, code: str) -> str:
        return self.store_formats.get(code, {}).get("label", code)

    def formats_recruiting(self, role: str) -> tuple[str, ...]:
        """Store formats whose ambassadors are recruited through `role` ('crm' or 'staff')."""
        return tuple(f for f, v in self.store_formats.items() if v["recruiting"] == role)

    # --- files ---------------------------------------------------------------------------
    def taxonomy_path(self) -> Path:
        """The theme taxonomy file (the shipped one when `taxonomy` is None)."""
        return _resolve(self.taxonomy, self.source) if self.taxonomy else DEFAULT_TAXONOMY

    def care_rules_path(self) -> Path:
        """The care rules file (the shipped ones when `care_rules` is None)."""
        return _resolve(self.care_rules, self.source) if self.care_rules else DEFAULT_CARE_RULES


def _resolve(p: str, source: str | None) -> Path:
    path = Path(p).expanduser()
    if not path.is_absolute() and source:
        path = Path(source).parent / path
    return path


# ------------------------------------------------------------------------------ validation


def default_alert_departments(taxonomy: str | Path | None = None) -> tuple[str, ...]:
    """The departments named in a taxonomy file (default: the shipped one), in file order.
    Read leniently (not `concepts.load_taxonomy`, which checks every rule): a profile names its
    departments even while its taxonomy is being written."""
    p = Path(taxonomy) if taxonomy else DEFAULT_TAXONOMY
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return ()
    themes = data.get("themes") if isinstance(data, dict) else None
    out: list[str] = []
    for spec in (themes or {}).values():
        d = spec.get("department") if isinstance(spec, dict) else None
        if isinstance(d, str) and d not in out:
            out.append(d)
    return tuple(out)


def _type_name(v) -> str:
    return {dict: "a mapping", list: "a list", str: "a text", bool: "true/false", int: "a number",
            float: "a number", type(None): "nothing (null)"}.get(type(v), type(v).__name__)


class _Checker:
    def __init__(self, path):
        self.path = path

    def fail(self, key, message):
        raise ProfileError(self.path, key, message)

    def text(self, key, v, what="a non-empty text"):
        if isinstance(v, bool):  # YAML reads yes/no/on/off/true/false unquoted as booleans
            self.fail(key, f"expected {what}, got true/false ({v!r}): write the value between quotes")
        if not isinstance(v, (str, int, float)) or not str(v).strip():
            self.fail(key, f"expected {what}, got {_type_name(v)} ({v!r})")
        return str(v).strip()

    def texts(self, key, v, *, allow_empty=True, what="a list of texts"):
        if v is None:
            v = []
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, (list, tuple)):
            self.fail(key, f"expected {what}, got {_type_name(v)} ({v!r})")
        out = tuple(self.text(f"{key}[{i}]", x) for i, x in enumerate(v))
        dup = [x for x, n in Counter(out).items() if n > 1]
        if dup:
            self.fail(key, f"expected {what} without repeats, got {', '.join(map(repr, dup))} twice")
        if not allow_empty and not out:
            self.fail(key, f"expected {what} with at least one value, got an empty list")
        return out

    def labels(self, key, v, *, what):
        """code -> label mapping; a list of codes is accepted (label = code)."""
        if isinstance(v, (list, tuple)):
            codes = self.texts(key, v, allow_empty=False, what=what)
            return {c: c for c in codes}
        if not isinstance(v, dict):
            self.fail(key, f"expected {what}, got {_type_name(v)} ({v!r})")
        if not v:
            self.fail(key, f"expected {what} with at least one entry, got an empty mapping")
        out = {}
        for code, label in v.items():
            c = self.text(f"{key}", code, "codes that are non-empty texts")
            out[c] = c if label is None else self.text(f"{key}.{c}", label, "a label (text)")
        return out


def profile_from_dict(data, source: str | Path | None = None) -> RetailerProfile:
    """A checked profile from a mapping shaped like the YAML file (`source`: for messages and
    for resolving relative taxonomy / care_rules paths)."""
    from workbench.schemas import SALES_CHANNELS, TOUCHPOINT_CHANNELS

    path = str(source) if source is not None else "<profile>"
    ck = _Checker(path)
    if not isinstance(data, dict):
        ck.fail(None, f"expected a mapping of keys ({', '.join(KEYS)}), got {_type_name(data)}")
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        ck.fail(str(unknown[0]), f"unknown key; expected one of: {', '.join(KEYS)}")
    missing = [k for k in REQUIRED if data.get(k) is None]
    if missing:
        ck.fail(missing[0], f"missing; a profile needs {', '.join(REQUIRED)} "
                f"(write one with `workbench profile --data-dir DIR --brand NAME --out FILE`)")
    brand = ck.text("brand", data["brand"], "the brand as written in the data (a text)")
    competitors = ck.texts("competitors", data.get("competitors"), what="a list of brand names")
    if brand in competitors:
        ck.fail("competitors", f"expected the other brands, got the brand itself ({brand!r})")
    currency = ck.text("currency", data.get("currency", "EUR"), "a currency code such as EUR")
    if len(currency) != 3 or not currency.isalpha():
        ck.fail("currency", f"expected a 3-letter ISO 4217 code such as EUR, got {currency!r}")
    categories = ck.labels("categories", data["categories"], what="a mapping category code -> French label")
    platforms = ck.labels("platforms", data["platforms"], what="a mapping platform code -> display name")
    tiers = ck.texts("loyalty_tiers", data["loyalty_tiers"], allow_empty=False,
                     what="a list of loyalty tiers, lowest first")
    raw_labels = data.get("loyalty_labels") or {}
    if not isinstance(raw_labels, dict):
        ck.fail("loyalty_labels", f"expected a mapping tier -> label, got {_type_name(raw_labels)}")
    loyalty_labels = {}
    for t, lab in raw_labels.items():
        t = ck.text("loyalty_labels", t)
        if t not in tiers:
            ck.fail("loyalty_labels", f"expected tiers of loyalty_tiers ({', '.join(tiers)}), got {t!r}")
        loyalty_labels[t] = ck.text(f"loyalty_labels.{t}", lab, "a label (text)")
    sf = data["store_formats"]
    if not isinstance(sf, dict) or not sf:
        ck.fail("store_formats", "expected a mapping format code -> {label: ..., recruiting: crm|staff}, "
                f"got {_type_name(sf)} ({sf!r})")
    store_formats = {}
    for code, spec in sf.items():
        code = ck.text("store_formats", code, "format codes that are non-empty texts")
        key = f"store_formats.{code}"
        if not isinstance(spec, dict):
            ck.fail(key, f"expected a mapping {{label: ..., recruiting: crm|staff}}, got {_type_name(spec)} ({spec!r})")
        extra = [k for k in spec if k not in ("label", "recruiting")]
        if extra:
            ck.fail(f"{key}.{extra[0]}", "unknown key; expected label and recruiting")
        role = spec.get("recruiting")
        if role not in RECRUITING_ROLES:
            ck.fail(f"{key}.recruiting",
                    "expected crm (large stores, little staff contact: CRM path) or staff (small stores, "
                    f"close contact: staff nominations), got {role!r}")
        label = code if spec.get("label") is None else ck.text(f"{key}.label", spec["label"], "a label (text)")
        store_formats[code] = {"label": label, "recruiting": role}
    regions = FRENCH_REGIONS if data.get("regions") is None else ck.texts(
        "regions", data["regions"], allow_empty=False, what="a list of regions")
    cl = data.get("channel_labels")
    channel_labels = _default_channel_labels()
    if cl is not None:
        if not isinstance(cl, dict):
            ck.fail("channel_labels", f"expected a mapping with sales and touchpoints, got {_type_name(cl)}")
        for part, codes in (("sales", SALES_CHANNELS), ("touchpoints", TOUCHPOINT_CHANNELS)):
            m = cl.get(part)
            if m is None:
                continue
            if not isinstance(m, dict):
                ck.fail(f"channel_labels.{part}", f"expected a mapping label -> workbench code, got {_type_name(m)}")
            out = {}
            for label, code in m.items():
                label = ck.text(f"channel_labels.{part}", label, "labels that are non-empty texts")
                if code not in codes:
                    ck.fail(f"channel_labels.{part}.{label}",
                            f"expected a workbench code ({', '.join(codes)}), got {code!r}")
                out[label] = code
            channel_labels[part] = out
        extra = [k for k in cl if k not in ("sales", "touchpoints")]
        if extra:
            ck.fail(f"channel_labels.{extra[0]}", "unknown key; expected sales and touchpoints")
    files = {}
    for key in ("taxonomy", "care_rules"):
        v = data.get(key)
        if v is None:
            files[key] = None
            continue
        v = ck.text(key, v, "a file path (text) or null for the shipped default")
        p = _resolve(v, None if source is None else str(source))
        if not p.is_file():
            ck.fail(key, f"expected an existing YAML file, {p} does not exist")
        files[key] = v
    known_deps = default_alert_departments(
        _resolve(files["taxonomy"], None if source is None else str(source)) if files["taxonomy"] else None)
    if data.get("alert_departments") is None:
        alert = known_deps
    else:
        alert = ck.texts("alert_departments", data["alert_departments"], what="a list of departments")
        bad = [d for d in alert if known_deps and d not in known_deps]
        if bad:
            ck.fail("alert_departments",
                    f"expected departments of the taxonomy ({', '.join(known_deps)}), got {bad[0]!r}")
    stop_words = ck.texts("stop_words", data.get("stop_words"), what="a list of words")
    spark_master = data.get("spark_master")
    if spark_master is not None:
        what = "a Spark master URL (text) such as local[*], spark://host:7077 or yarn, or null"
        if not isinstance(spark_master, str):
            ck.fail("spark_master", f"expected {what}, got {_type_name(spark_master)} ({spark_master!r})")
        spark_master = ck.text("spark_master", spark_master, what)
    return RetailerProfile(
        brand=brand, categories=categories, platforms=platforms, loyalty_tiers=tiers,
        store_formats=store_formats, competitors=competitors, currency=currency.upper(),
        loyalty_labels=loyalty_labels, regions=regions, channel_labels=channel_labels,
        taxonomy=files["taxonomy"], care_rules=files["care_rules"], alert_departments=alert,
        stop_words=stop_words, spark_master=spark_master, source=None if source is None else str(source),
    )


def load_profile(path: str | Path) -> RetailerProfile:
    """Read and check a retailer profile (YAML). Raises ProfileError naming file, key, expectation."""
    p = Path(path)
    if not p.is_file():
        raise ProfileError(p, None, "file not found (write one with "
                           "`workbench profile --data-dir DIR --brand NAME --out FILE`)")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ProfileError(p, None, f"not UTF-8 text ({exc})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProfileError(p, None, f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    return profile_from_dict(data, source=p)


def find_profile(data_dir) -> Path | None:
    """`<data_dir>/retailer.yaml` when it exists, else None."""
    p = Path(data_dir) / PROFILE_FILE
    return p if p.is_file() else None


def profile_for(data_dir=None, path=None) -> RetailerProfile:
    """The retailer profile a notebook or a run uses: `path` when given (`workbench run
    --profile`), else `<data_dir>/retailer.yaml` (the project's data/raw by default). Without
    one, the error says how to write it from the data."""
    if path:
        return load_profile(path)
    from workbench import paths

    folder = Path(data_dir) if data_dir else paths.RAW_DIR
    found = find_profile(folder)
    if found is None:
        raise ProfileError(
            folder / PROFILE_FILE, None,
            f"no retailer profile for this data folder; write one with `workbench profile "
            f"--data-dir {folder} --brand \"<your brand>\" --out {folder / PROFILE_FILE}` "
            "(then review it), or pass --profile FILE",
        )
    return load_profile(found)


# ------------------------------------------------------------------------------ writing


def profile_to_dict(profile: RetailerProfile) -> dict:
    """The profile as plain YAML-able data, keys in file order (what `write_profile` writes)."""
    return {
        "brand": profile.brand,
        "competitors": list(profile.competitors),
        "currency": profile.currency,
        "categories": dict(profile.categories),
        "platforms": dict(profile.platforms),
        "loyalty_tiers": list(profile.loyalty_tiers),
        "loyalty_labels": dict(profile.loyalty_labels),
        "store_formats": {k: {"label": v["label"], "recruiting": v["recruiting"]}
                          for k, v in profile.store_formats.items()},
        "regions": list(profile.regions),
        "channel_labels": {k: dict(v) for k, v in profile.channel_labels.items()},
        "taxonomy": profile.taxonomy,
        "care_rules": profile.care_rules,
        "alert_departments": list(profile.alert_departments),
        "stop_words": list(profile.stop_words),
        "spark_master": profile.spark_master,
    }


def _yaml_block(key: str, value) -> str:
    if isinstance(value, (list, dict)) and not value:
        return f"{key}: {'[]' if isinstance(value, list) else '{}'}\n"
    return yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, default_flow_style=False,
                          width=100)


def _wrap(text: str, width: int = 96) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width - 2)


def dump_profile(profile: RetailerProfile) -> str:
    """The profile as commented YAML text (each key with what it is and what the workbench does
    with it); `profile_from_dict(yaml.safe_load(text))` gives the profile back."""
    lines = [
        "# Profil de l'enseigne pour le workbench / retailer profile for the workbench.",
        "# Relu par l'analyste : chaque clé est expliquée au-dessus de sa valeur.",
        "# Reviewed by the analyst: each key is explained above its value.",
        "# Utilisé par : workbench run --profile FICHIER (ou ce fichier nommé retailer.yaml dans le"
        " dossier des données).",
    ]
    if profile.notes:
        lines += ["#", "# PROFIL DÉDUIT DES DONNÉES : À VÉRIFIER AVANT USAGE (voir les notes « À vérifier »)."]
        lines += ["# INFERRED FROM THE DATA: REVIEW BEFORE USE (see the 'To review' notes)."]
    out = "\n".join(lines) + "\n"
    for key, value in profile_to_dict(profile).items():
        fr, en = _DOC[key]
        block = ["", *("# " + s for s in _wrap(fr)), *("# (en) " + s for s in _wrap(en, 90))]
        if key in profile.notes:
            block += ["# À vérifier / to review: " + s if i == 0 else "#   " + s
                      for i, s in enumerate(_wrap(profile.notes[key], 72))]
        out += "\n".join(block) + "\n" + _yaml_block(key, value)
    return out


def write_profile(profile: RetailerProfile, path: str | Path) -> Path:
    """Write the profile as commented YAML, atomically (temporary file renamed); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = dump_profile(profile)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


# ------------------------------------------------------------------------------ inference


def _open_table(name: str):
    """The contract of `name` with no closed list: inference reads any retailer's values."""
    from workbench.schemas import TABLES

    t = TABLES[name]
    return dataclasses.replace(t, columns=tuple(dataclasses.replace(c, allowed=None) for c in t.columns))


def _table_file(data_dir: Path, name: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        p = data_dir / f"{name}{ext}"
        if p.is_file():
            return p
    return None


def _columns(data_dir: Path, name: str, columns: list[str]):
    """Columns of raw table `name` as a DataFrame (None when the table or a column is absent).

    Parquet: read with pyarrow batch by batch of only these columns (no validation); CSV: through
    `datasets.read_file` with an open contract (types parsed, no closed lists)."""
    import pandas as pd

    path = _table_file(data_dir, name)
    if path is None:
        return None
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        names = {n.lower(): n for n in pq.read_schema(path).names}
        if any(c.lower() not in names for c in columns):
            return None
        pf = pq.ParquetFile(path)
        parts = [b.to_pandas() for b in pf.iter_batches(columns=[names[c.lower()] for c in columns],
                                                        batch_size=1_000_000)]
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
        df.columns = columns
        return df
    from workbench import datasets

    try:
        return datasets.read_file(path, _open_table(name), columns=columns)
    except (datasets.DataError, KeyError):
        return None


def _count(counter: Counter, series) -> None:
    if series is None:
        return
    s = series.dropna().astype(str).str.strip()
    s = s[s != ""]
    counter.update(s.value_counts().to_dict())


def _strip(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).lower().strip()


def _label(code: str) -> str:
    return code.replace("_", " ").strip().capitalize() or code


def infer_profile(data_dir, brand: str) -> RetailerProfile:
    """A profile proposed from the raw tables of `data_dir`, for the analyst to review.

    Observed values only (read without the contracts' closed lists): categories (transaction
    lines, mentions, campaigns; most sold first), platforms (social accounts, mentions, audience,
    brand posts, touchpoints), loyalty tiers (ordered by mean loyalty points), store formats (role
    guessed from the data, to review), regions (the 18 French regions plus any other observed),
    channel labels, competitors (the other brands of mentions, brand posts, audience and brand
    accounts). Raises ProfileError naming the brands found when `brand` is not among them.
    """
    import pandas as pd

    d = Path(data_dir)
    if not d.is_dir():
        raise ProfileError(d, None, "data folder not found")
    notes: dict[str, str] = {}
    # brands
    brands: Counter = Counter()
    for table in ("mentions", "brand_posts", "audience", "social_accounts"):
        df = _columns(d, table, ["brand"])
        _count(brands, None if df is None else df["brand"])
    if not brands:
        raise ProfileError(d, "brand", "no brand found in the data (mentions.brand, brand_posts.brand, "
                           "audience.brand, social_accounts.brand are absent or empty)")
    if brand not in brands:
        found = ", ".join(repr(b) for b, _ in brands.most_common())
        close = [b for b in brands if _strip(b) == _strip(brand)]
        hint = f" (did you mean {close[0]!r}? the name must be written exactly as in the data)" if close else ""
        raise ProfileError(d, "brand", f"{brand!r} is not in the data; brands found (most mentioned "
                           f"first): {found}{hint}")
    competitors = tuple(b for b, _ in brands.most_common() if b != brand)
    # categories, most sold first, then the ones only seen elsewhere
    cats: Counter = Counter()
    lines = _columns(d, "transaction_lines", ["category", "amount"])
    if lines is not None:
        sold = lines.dropna(subset=["category"]).astype({"category": str}).groupby("category")["amount"].sum()
        cats.update({k.strip(): float(v) + 1e-9 for k, v in sold.items() if k.strip()})
    other: Counter = Counter()
    for table in ("mentions", "email_campaigns"):
        df = _columns(d, table, ["category"])
        _count(other, None if df is None else df["category"])
    categories = [c for c, _ in cats.most_common()] + [c for c, _ in other.most_common() if c not in cats]
    if not categories:
        notes["categories"] = "no category found in the data: list the retailer's product categories."
    # platforms
    plats: Counter = Counter()
    for table in ("social_accounts", "mentions", "audience", "brand_posts", "touchpoints"):
        df = _columns(d, table, ["platform"])
        _count(plats, None if df is None else df["platform"])
    platforms = [p for p, _ in plats.most_common()]
    if not platforms:
        notes["platforms"] = "no platform found in the data: list the social platforms followed."
    # loyalty tiers, lowest mean points first
    tiers: list[str] = []
    cust = _columns(d, "customers", ["loyalty_tier", "loyalty_points"])
    if cust is None:
        cust = _columns(d, "customers", ["loyalty_tier"])
    if cust is not None:
        c = cust.dropna(subset=["loyalty_tier"]).astype({"loyalty_tier": str})
        if "loyalty_points" in c:
            pts = pd.to_numeric(c["loyalty_points"], errors="coerce")
            order = pts.groupby(c["loyalty_tier"]).mean().fillna(-1).sort_values(kind="stable")
            tiers = [t for t in order.index if t.strip()]
            notes["loyalty_tiers"] = ("ordered by mean loyalty points (" + ", ".join(
                f"{t}: {order[t]:.0f}" for t in tiers) + "); check the order, lowest first.")
        else:
            tiers = sorted(set(c["loyalty_tier"]))
            notes["loyalty_tiers"] = "no loyalty_points to order the tiers: put them in order, lowest first."
    if not tiers:
        tiers = ["standard"]
        notes["loyalty_tiers"] = "no loyalty tier found in the data: list the tiers, lowest first."
    # store formats: role guessed
    store_formats, note = _infer_formats(d)
    notes["store_formats"] = note
    # regions: the 18 plus any observed
    seen: list[str] = []
    for table in ("stores", "customers"):
        df = _columns(d, table, ["region"])
        if df is not None:
            for v in df["region"].dropna().astype(str).str.strip().unique():
                if v and v not in FRENCH_REGIONS and v not in seen:
                    seen.append(v)
    regions = FRENCH_REGIONS + tuple(sorted(seen))
    if seen:
        notes["regions"] = ("values seen in the data that are not French regions: " + ", ".join(sorted(seen))
                            + "; keep them only if they are right.")
    channel_labels, unmapped = _infer_channel_labels(d)
    if unmapped:
        notes["channel_labels"] = ("labels found in the data with no workbench code: " + "; ".join(unmapped)
                                   + ". Map each one to a code by hand.")
    notes["competitors"] = "the other brands found in the data, most mentioned first: keep the real competitors."
    return RetailerProfile(
        brand=brand,
        categories={c: _label(c) for c in categories},
        platforms={p: PLATFORM_NAMES.get(p.lower(), _label(p)) for p in platforms},
        loyalty_tiers=tuple(tiers),
        store_formats=store_formats,
        competitors=competitors,
        regions=regions,
        channel_labels=channel_labels,
        alert_departments=default_alert_departments(),
        source=None,
        notes={k: notes[k] for k in KEYS if k in notes},
    )


def _infer_formats(d: Path) -> tuple[dict, str]:
    """Store formats with a guessed recruiting role and the note explaining the guess."""
    stores = _columns(d, "stores", ["store_id", "format"])
    if stores is None or stores["format"].dropna().empty:
        return ({"standard": {"label": "Standard", "recruiting": "crm"}},
                "no store format found in the data: list the formats and their recruiting role.")
    stores = stores.dropna(subset=["format"]).astype({"format": str, "store_id": str})
    formats = list(stores["format"].value_counts().index)
    nominated = _columns(d, "staff_nominations", ["store_id"])
    if nominated is not None and len(nominated):
        fmt_of = stores.set_index("store_id")["format"]
        with_nom = set(fmt_of.reindex(nominated["store_id"].astype(str).unique()).dropna())
        if with_nom and with_nom != set(formats):
            roles = {f: "staff" if f in with_nom else "crm" for f in formats}
            return ({f: {"label": _label(f), "recruiting": roles[f]} for f in formats},
                    "recruiting roles GUESSED: formats whose stores already send staff nominations ("
                    + ", ".join(sorted(with_nom)) + ") -> staff, the others -> crm. Review them.")
    cust = _columns(d, "customers", ["home_store_id"])
    per_store = {}
    if cust is not None:
        counts = cust["home_store_id"].dropna().astype(str).value_counts()
        for f in formats:
            ids = stores.loc[stores["format"] == f, "store_id"]
            per_store[f] = float(counts.reindex(ids).fillna(0).mean())
    crm = max(formats, key=lambda f: per_store.get(f, 0.0))
    detail = ", ".join(f"{f}: {per_store.get(f, 0.0):.0f}" for f in formats)
    return ({f: {"label": _label(f), "recruiting": "crm" if f == crm else "staff"} for f in formats},
            f"recruiting roles GUESSED from customers per store ({detail}): the format with the most "
            f"customers per store -> crm, the others -> staff. Large stores with little staff contact "
            f"should be crm, small stores with close contact staff: review them.")


def _infer_channel_labels(d: Path) -> tuple[dict, list[str]]:
    from workbench.schemas import SALES_CHANNELS, TOUCHPOINT_CHANNELS

    out = _default_channel_labels()
    unmapped = []
    for part, table, codes, synonyms in (("sales", "transactions", SALES_CHANNELS, _SALES_SYNONYMS),
                                         ("touchpoints", "touchpoints", TOUCHPOINT_CHANNELS, _TOUCHPOINT_SYNONYMS)):
        df = _columns(d, table, ["channel"])
        if df is None:
            continue
        bad = []
        for v in sorted(df["channel"].dropna().astype(str).unique()):
            if v in codes:
                continue
            code = synonyms.get(_strip(v))
            if code:
                out[part][v] = code
            else:
                bad.append(repr(v))
        if bad:
            unmapped.append(f"{table}.channel: {', '.join(bad)}")
    return out, unmapped
