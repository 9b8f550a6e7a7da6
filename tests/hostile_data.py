"""Hostile copies of the sample for the bad-input tests: markup and personal data planted in
every text column a page or an export can show (test helper, not a test module)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

MARKUP = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert('x')</script>"
LINK = "[clic](javascript:alert(2))"
EMAIL = "jean.dupont@example.fr"
PHONES = ("06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+44 20 7946 0958",
          "01.23.45.67.89")
IBAN = "FR76 3000 6000 0112 3456 7890 189"
CARD = "4970 1012 3456 7890"
PERSONAL = (EMAIL, *PHONES, IBAN, CARD)
HOSTILE_COMPETITOR = f"Rival {MARKUP}"

# what must never appear in a page or an export (personal data; live markup is found by parsing)
LEAK_PATTERNS = {
    "email": re.compile(r"jean\.dupont@example\.fr"),
    "phone": re.compile(r"06 12 34 56 78|\+33 6 12 34 56 78|0033612345678|\+44 20 7946 0958|01\.23\.45\.67\.89"),
    "iban": re.compile(r"(?i)FR76 3000 6000 0112|\bfr76\b"),
    "card": re.compile(r"4970 1012 3456 7890"),
}


def hostile_text(i: int) -> str:
    """A text fragment with markup and personal data (varies with i)."""
    return (f" {MARKUP} {LINK} écrivez à {EMAIL} ou au {PHONES[i % len(PHONES)]} "
            f"IBAN {IBAN} carte {CARD} {SCRIPT} $x^2$")


def _every(df: pd.DataFrame, column: str, step: int) -> pd.DataFrame:
    df = df.copy()
    idx = df.index[::step]
    df.loc[idx, column] = [hostile_text(k) + " " + str(v) if k % 2 else str(v) + hostile_text(k)
                           for k, v in enumerate(df.loc[idx, column])]
    return df


def make_hostile_copy(src: Path, dst: Path) -> Path:
    """Copy the sample at `src` to `dst` with hostile text in every shown text column and one
    competitor renamed to a name carrying markup."""
    src, dst = Path(src), Path(dst)
    shutil.copytree(src, dst, dirs_exist_ok=True)
    t = {p.stem: pd.read_parquet(p) for p in src.glob("*.parquet")}
    competitor = sorted(set(t["mentions"]["brand"]) - set(t["brand_posts"]["brand"].head(1)))[0]
    for name in ("mentions", "brand_posts", "audience", "social_accounts"):
        if "brand" in t[name]:
            t[name]["brand"] = t[name]["brand"].replace(competitor, HOSTILE_COMPETITOR)
    t["mentions"] = _every(t["mentions"], "text", 5)
    t["brand_posts"] = _every(t["brand_posts"], "text", 7)
    t["store_reviews"] = _every(t["store_reviews"], "text", 3)
    t["staff_nominations"] = _every(t["staff_nominations"].assign(
        reason=t["staff_nominations"]["reason"].fillna("")), "reason", 2)
    t["stores"] = _every(t["stores"], "store_name", 2)
    t["stores"]["city"] = t["stores"]["city"].where(t["stores"].index % 3 != 0, t["stores"]["city"] + MARKUP)
    t["search_keywords"] = t["search_keywords"].assign(
        keyword=t["search_keywords"]["keyword"].where(t["search_keywords"].index % 4 != 0,
                                                      t["search_keywords"]["keyword"] + " " + MARKUP))
    t["email_campaigns"] = _every(t["email_campaigns"], "subject", 2)
    t["social_accounts"] = _every(_every(t["social_accounts"], "display_name", 3), "bio", 3)
    for name, df in t.items():
        df.to_parquet(dst / f"{name}.parquet", index=False)
    return dst


class _LiveMarkup(HTMLParser):
    """Elements of a page that the data planted and a browser would run: event handlers,
    scripts that call alert, javascript: links, the planted <img src=x>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.lower().startswith("on") and "alert" in value:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name.lower() in ("href", "src") and value.startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if tag == "img" and name == "src" and value == "x":
                self.found.append("<img src=x>")
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script and "alert('x')" in data:
            self.found.append(f"<script>{data[:40]}")

    def handle_endtag(self, tag):
        self._in_script = False


def live_markup(page: str) -> list[str]:
    """Planted markup that `page` (HTML) would run in a browser."""
    parser = _LiveMarkup()
    parser.feed(page)
    return parser.found


def leaks(text: str, html: bool = False) -> dict[str, list[str]]:
    """{kind: a few offending snippets} of what `text` (a page or an export) must never contain;
    `html`: also parse it for live markup."""
    found = {"markup": live_markup(text)[:3]} if html and live_markup(text) else {}
    for kind, rx in LEAK_PATTERNS.items():
        hits = [text[max(0, m.start() - 60): m.end() + 20] for m in rx.finditer(text)][:3]
        if hits:
            found[kind] = hits
    return found


def empty_columns_copy(src: Path, dst: Path, columns: dict[str, list[str]]) -> Path:
    """Copy the sample at `src` to `dst` with the given optional columns entirely empty
    ({table: [columns]}), typed as the contract's (all-null) column."""
    src, dst = Path(src), Path(dst)
    if src.resolve() != dst.resolve():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    for table, cols in columns.items():
        df = pd.read_parquet(src / f"{table}.parquet")
        for c in cols:
            df[c] = pd.Series([None] * len(df), dtype=df[c].dtype if df[c].dtype != object else object)
            if df[c].dtype == object:
                df[c] = df[c].astype("string")
        df.to_parquet(dst / f"{table}.parquet", index=False)
    return dst


# another retailer made from the sample: every brand and vocabulary renamed, in tables and texts
RENAMES = {
    "brands": {"Maison Lys": "Boutique Azur", "MaisonLys": "BoutiqueAzur", "maisonlys": "boutiqueazur",
               "Orbe": "Nordis", "orbe": "nordis", "Kaléo": "Ventoux", "kaleo": "ventoux",
               "Kaleo": "Ventoux", "kaléo": "ventoux"},
    "category": {"mode": "textile", "maison": "deco", "beaute": "soin", "sport": "plein_air",
                 "enfant": "junior", "high_tech": "multimedia"},
    "platform": {"tiktok": "youtube", "facebook": "pinterest"},
    "loyalty_tier": {"none": "decouverte", "silver": "essentiel", "gold": "privilege", "platinum": "prestige"},
    "format": {"large": "hyper", "small": "proxi"},
}


def renamed_retailer_copy(src: Path, dst: Path) -> Path:
    """The sample at `src` turned into another retailer at `dst`: brand, competitors,
    categories, platforms, loyalty tiers and store formats renamed in every table and text (no
    retailer.yaml: the profile is to be inferred)."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    brand_rx = re.compile("|".join(sorted(map(re.escape, RENAMES["brands"]), key=len, reverse=True)))
    for path in src.glob("*.parquet"):
        df = pd.read_parquet(path)
        for col in df.columns:
            if col in ("category", "platform", "loyalty_tier", "format"):
                df[col] = df[col].replace(RENAMES[col])
            elif col in ("brand", "text", "handle", "display_name", "bio", "keyword", "subject",
                         "store_name", "reason"):
                df[col] = df[col].map(lambda t: brand_rx.sub(lambda m: RENAMES["brands"][m.group(0)], t)
                                      if isinstance(t, str) else t)
        df.to_parquet(dst / path.name, index=False)
    if (src / "_truth").is_dir():
        shutil.copytree(src / "_truth", dst / "_truth", dirs_exist_ok=True)
    return dst


def old_names(text: str) -> list[str]:
    """Names of the sample retailer (brand, competitors) still present in `text`."""
    return [n for n in ("Maison Lys", "MaisonLys", "Orbe", "Kaléo") if n in text]
