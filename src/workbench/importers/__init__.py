"""Importers: the exports retailers have -> the workbench's raw tables (`workbench import`).

    from workbench import importers
    report = importers.import_files("shopify", ["orders_export.csv"], "data/raw")
    print("\\n".join(report.lines()))

One module per family, each a pure mapping (DataFrame in -> contract tables + report) apart
from file input / output (`base`):
* `ga4`        Google Analytics 4 BigQuery export -> touchpoints, transactions, transaction_lines
* `shops`      Shopify orders CSV, PrestaShop order lines -> customers, transactions, transaction_lines
* `emailing`   Brevo, Mailchimp activity -> email_campaigns, email_events
* `listening`  Talkwalker, Brandwatch, Digimind -> social_accounts, mentions, brand_posts
The fixtures in tests/fixtures/importers/ (and their README) show each format.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from workbench.importers import emailing, ga4, listening, shops
from workbench.importers.base import (
    Report,
    append_tables,
    customers_by_email,
    existing_file,
    read_export,
)

__all__ = ["FORMATS", "import_files", "map_files", "Report"]

# format -> (spec, mapping function, what it needs from the folder / command line)
FORMATS = {
    "ga4": (ga4.GA4, ga4.map_ga4, ("touchpoint_labels",)),
    "shopify": (shops.SHOPIFY, shops.map_shopify, ("known_emails", "next_customer", "sales_labels")),
    "prestashop": (shops.PRESTASHOP, shops.map_prestashop, ("known_emails",)),
    "brevo": (emailing.BREVO, emailing.map_brevo, ("known_emails",)),
    "mailchimp": (emailing.MAILCHIMP, emailing.map_mailchimp, ("known_emails",)),
    "talkwalker": (listening.TALKWALKER, listening.map_talkwalker, ("brand",)),
    "brandwatch": (listening.BRANDWATCH, listening.map_brandwatch, ("brand",)),
    "digimind": (listening.DIGIMIND, listening.map_digimind, ("brand",)),
}


def _next_customer_number(out_dir, prefix: str = "SH") -> int:
    p = existing_file(Path(out_dir), "customers") if out_dir is not None else None
    if p is None:
        return 1
    ids = pq.read_table(p, columns=["customer_id"]).column("customer_id").to_pylist()
    nums = [int(m.group(1)) for i in ids if i and (m := re.fullmatch(rf"{prefix}(\d+)", str(i)))]
    return max(nums, default=0) + 1


def _profile(out_dir, profile):
    """The retailer profile: the one given, else `<out_dir>/retailer.yaml`, else None."""
    from workbench import profile as profiles

    if profile is not None and not isinstance(profile, (str, Path)):
        return profile
    path = Path(profile) if profile is not None else (profiles.find_profile(out_dir) if out_dir else None)
    return profiles.load_profile(path) if path is not None else None


def map_files(fmt: str, files, out_dir=None, brand: str | None = None, profile=None):
    """Read `files` (one format) and map them; `out_dir` gives the customers to match;
    `profile` (RetailerProfile or YAML path; default `<out_dir>/retailer.yaml`) gives the
    retailer's channel labels and the vocabularies the written codes are checked against."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown import format {fmt!r}: use one of {', '.join(FORMATS)}")
    spec, fn, needs = FORMATS[fmt]
    files = [Path(f) for f in files]
    frames = [read_export(f, spec) for f in files]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    prof = _profile(out_dir, profile)
    labels = getattr(prof, "channel_labels", None) or {}
    kwargs = {}
    if "sales_labels" in needs:
        kwargs["sales_labels"] = labels.get("sales")
    if "touchpoint_labels" in needs:
        kwargs["touchpoint_labels"] = labels.get("touchpoints")
    if "known_emails" in needs:
        kwargs["known_emails"] = customers_by_email(out_dir)
    if "next_customer" in needs:
        kwargs["next_customer"] = _next_customer_number(out_dir)
    if "brand" in needs:
        kwargs["brand"] = brand
    mapped = fn(df, path=", ".join(map(str, files)), **kwargs)
    mapped.report.files = [str(f) for f in files]
    mapped.report.profile = prof
    return mapped


def import_files(fmt: str, files, out_dir, brand: str | None = None, profile=None) -> Report:
    """Import export `files` of format `fmt` into `out_dir`, appending without duplicate keys."""
    mapped = map_files(fmt, files, out_dir, brand=brand, profile=profile)
    return append_tables(mapped, out_dir, source=f"{fmt} import")
