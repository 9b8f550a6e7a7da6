"""Online shops: Shopify orders CSV and PrestaShop order lines -> customers, transactions, lines.

Both exports have one row per order line, with the order's fields (number, date, total,
customer e-mail, billing address) on the line rows. An order becomes one `transactions` row
(amount = the order total paid, VAT included, less what was refunded), its lines
`transaction_lines` rows (category = a code of the shop's own product classification), and
its buyer a `customers` row, matched by e-mail with the customers the folder already holds.

Why:
* Only paid, not cancelled orders are purchases; the others are dropped and counted by status.
* Sales channels are workbench codes: Shopify `Source` web -> web, pos -> store (store_id =
  code of the POS `Location`), iphone/android -> app, shopify_draft_order -> web; any other
  source is dropped with its name, never guessed.
* Categories are the retailer's vocabulary: the slug of the product type (Shopify
  `Lineitem product type` when the export has it, else `Vendor`; PrestaShop category name).
* New customers get ids of their own (Shopify: `SH` + a number continuing the folder's; the
  export has no customer id; PrestaShop: `PS` + id_customer). Names and e-mails go only to
  the personal columns of `customers` (identity matching); loyalty fields the shops do not
  know get the contract's neutral values (tier "none", 0 points, no ambassador consent).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from workbench.importers.base import (
    REGION_OF_DEPARTMENT,
    UNCLASSIFIED,
    Mapped,
    Report,
    Spec,
    boolean,
    department_of,
    frame,
    number,
    slug,
    text,
    timestamps,
    unused,
)

SHOPIFY = Spec(
    "shopify",
    {
        "order": ("Name",),
        "email": ("Email",),
        "financial_status": ("Financial Status",),
        "created_at": ("Created at",),
        "cancelled_at": ("Cancelled at",),
        "accepts_marketing": ("Accepts Marketing", "Accepts Email Marketing"),
        "total": ("Total",),
        "refunded": ("Refunded Amount",),
        "quantity": ("Lineitem quantity",),
        "price": ("Lineitem price",),
        "line_discount": ("Lineitem discount",),
        "product_type": ("Lineitem product type", "Product Type", "Lineitem type"),
        "vendor": ("Vendor",),
        "billing_name": ("Billing Name",),
        "billing_city": ("Billing City",),
        "billing_zip": ("Billing Zip",),
        "billing_country": ("Billing Country",),
        "source": ("Source",),
        "location": ("Location",),
    },
    required=("order", "created_at", "total", "quantity", "price"),
    documentation="Shopify admin > Orders > Export, 'Order export CSV format' in the Shopify Help Center",
)

PRESTASHOP = Spec(
    "prestashop",
    {
        "order": ("id_order", "ID commande", "Order ID"),
        "date": ("date_add", "Date commande", "Order date"),
        "valid": ("valid", "Validée", "Valid"),
        "total": ("total_paid_tax_incl", "total_paid", "Total TTC"),
        "customer": ("id_customer", "ID client"),
        "email": ("email", "E-mail"),
        "first_name": ("firstname", "Prénom"),
        "last_name": ("lastname", "Nom"),
        "gender": ("id_gender",),
        "birthday": ("birthday", "Date de naissance"),
        "newsletter": ("newsletter", "Newsletter"),
        "postcode": ("postcode", "Code postal"),
        "city": ("city", "Ville"),
        "country": ("country_iso", "iso_code", "Pays"),
        "quantity": ("product_quantity", "Quantité"),
        "line_total": ("total_price_tax_incl", "Total ligne TTC"),
        "unit_price": ("unit_price_tax_incl", "Prix unitaire TTC"),
        "category": ("category", "category_name", "Catégorie"),
    },
    required=("order", "date", "total", "quantity"),
    documentation=(
        "PrestaShop back office > Advanced parameters > Database > SQL manager, one row per "
        "order line with the ps_orders / ps_order_detail / ps_customer / ps_address column "
        "names (query in docs/importers.md)"
    ),
)

PAID_STATUSES = {"paid", "partially_paid", "partially_refunded"}
SHOPIFY_SOURCES = {
    "web": "web",
    "pos": "store",
    "iphone": "app",
    "android": "app",
    "shopify_draft_order": "web",
}
_FRANCE = {"fr", "fra", "france"}


def _first(df: pd.DataFrame, by: str, col: str | None) -> pd.Series:
    """Per order, the first non-empty value of an order-level column (Shopify leaves them
    empty on the second and later lines of an order)."""
    if col is None:
        return pd.Series(None, index=pd.Index(df[by].unique()), dtype="object")
    return text(df[col]).groupby(df[by], sort=False).first().reindex(pd.Index(df[by].unique()))


def _postcode(zip_code, country) -> str | None:
    if zip_code is None:
        return None
    z = re.sub(r"\s", "", str(zip_code))
    if (country is None or str(country).strip().lower() in _FRANCE) and re.fullmatch(r"\d{4}", z):
        z = "0" + z  # Excel drops the leading zero of 01000-09999
    return z or None


def _customers(buyers: pd.DataFrame, known_emails: dict, new_id, report: Report):
    """customers rows for buyers not yet known; order e-mail -> customer_id for all."""
    buyers = buyers.dropna(subset=["email_key"]).sort_values(["first_order", "order"], kind="stable")
    buyers = buyers.drop_duplicates("email_key", keep="first")
    ids, rows = {}, []
    n_known = 0
    for b in buyers.itertuples(index=False):
        if b.email_key in known_emails:
            ids[b.email_key] = known_emails[b.email_key]
            n_known += 1
            continue
        cid = new_id(b)
        ids[b.email_key] = cid
        rows.append(b._replace(customer_id=cid))
    if n_known:
        report.notes.append(f"{n_known} buyer(s) matched by e-mail with customers already in the folder")
    new = pd.DataFrame(rows, columns=buyers.columns)
    dept = new["postcode"].map(department_of) if len(new) else pd.Series(dtype="object")
    france = new["country"].map(lambda c: c is None or str(c).strip().lower() in _FRANCE) if len(new) else dept
    dept = dept.where(france.astype(bool), None) if len(new) else dept
    customers = frame(
        "customers",
        {
            "customer_id": new["customer_id"],
            "first_name": new["first_name"],
            "last_name": new["last_name"],
            "email": new["email"],
            "birth_year": new.get("birth_year"),
            "sex": new.get("sex"),
            "postcode": new["postcode"],
            "city": new["city"],
            "department": dept,
            "region": dept.map(REGION_OF_DEPARTMENT) if len(new) else dept,
            "loyalty_tier": ["none"] * len(new),
            "loyalty_points": [0] * len(new),
            "email_consent": new["consent"],
            "ambassador_consent": [False] * len(new),
            "signup_date": pd.to_datetime(new["first_order"]).dt.normalize(),
        },
    )
    report.vocabulary("customers", "region", customers["region"])
    return customers, ids


def _lines(df: pd.DataFrame, order_col: str, qty: pd.Series, amount: pd.Series, category: pd.Series):
    ln = pd.DataFrame({"transaction_id": df[order_col].to_numpy(), "quantity": qty.to_numpy(),
                       "amount": amount.to_numpy(), "category": category.to_numpy()})
    ln["line_no"] = ln.groupby("transaction_id", sort=False).cumcount() + 1
    return ln


def map_shopify(df: pd.DataFrame, known_emails: dict | None = None, next_customer: int = 1,
                sales_labels: dict | None = None, path="shopify") -> Mapped:
    """Shopify orders export (one row per line item) -> customers, transactions, transaction_lines.

    `known_emails`: lower-cased e-mail -> customer_id of customers already in the folder;
    `next_customer`: the number of the first new `SH` customer id; `sales_labels`: the retailer
    profile's sales channel labels (label -> workbench code), checked before the built-in
    Source codes (so a sales-channel app id can be mapped in the profile).
    """
    cols = SHOPIFY.resolve(df.columns, path)
    report = Report("shopify", rows_read=len(df), unit="order lines")
    g = lambda k: cols.get(k)  # noqa: E731
    df = df.reset_index(drop=True)
    order = text(df[cols["order"]])
    df = df.assign(_order=order)
    report.drop("order lines without an order Name", int(order.isna().sum()))
    df = df[order.notna()].reset_index(drop=True)

    o = pd.DataFrame(index=pd.Index(df["_order"].unique()))
    for k in ("email", "financial_status", "created_at", "cancelled_at", "accepts_marketing", "total",
              "refunded", "billing_name", "billing_city", "billing_zip", "billing_country", "source",
              "location"):
        o[k] = _first(df, "_order", g(k))
    o["ts"] = timestamps(o["created_at"])
    o["total_n"] = number(o["total"])
    o["refunded_n"] = number(o["refunded"]).fillna(0.0)
    src = o["source"].fillna("web").str.lower()
    labels = {str(k).strip().lower(): v for k, v in (sales_labels or {}).items()}
    o["channel"] = src.map(lambda v: labels.get(v.strip()) or SHOPIFY_SOURCES.get(v.strip()))
    status = o["financial_status"].fillna("").str.lower()

    lines_per_order = df.groupby("_order", sort=False).size().reindex(o.index)
    reasons = pd.Series(None, index=o.index, dtype="object")
    reasons[o["cancelled_at"].notna()] = "order lines of cancelled orders (Cancelled at)"
    not_paid = reasons.isna() & ~status.isin(PAID_STATUSES)
    reasons[not_paid] = "order lines of orders not paid (Financial Status '" + status[not_paid].replace("", "?") + "')"
    reasons[reasons.isna() & o["ts"].isna()] = "order lines of orders without a readable 'Created at'"
    reasons[reasons.isna() & o["total_n"].isna()] = "order lines of orders without a readable 'Total'"
    bad_src = reasons.isna() & o["channel"].isna()
    reasons[bad_src] = "order lines of orders with an unknown sales channel (Source '" + src[bad_src] + "')"
    for reason, n in lines_per_order.groupby(reasons).sum().items():
        report.drop(reason, n)
    o = o[reasons.isna()]
    df = df[df["_order"].isin(o.index)].reset_index(drop=True)

    qty = pd.to_numeric(text(df[cols["quantity"]]), errors="coerce")
    price = number(df[cols["price"]])
    disc = number(df[g("line_discount")]).fillna(0.0) if g("line_discount") else 0.0
    ok = qty.notna() & (qty >= 1) & (qty == np.floor(qty)) & price.notna() & (price >= 0)
    report.drop("order lines without a whole 'Lineitem quantity' >= 1 or a readable 'Lineitem price'",
                int((~ok).sum()))
    df, qty, price = df[ok].reset_index(drop=True), qty[ok].reset_index(drop=True), price[ok].reset_index(drop=True)
    disc = disc[ok].reset_index(drop=True) if isinstance(disc, pd.Series) else disc
    type_col = g("product_type") or g("vendor")
    if type_col:
        category = text(df[type_col]).map(slug).fillna(UNCLASSIFIED)
        report.notes.append(f"transaction_lines.category = code of the column '{type_col}'")
    else:
        category = pd.Series(UNCLASSIFIED, index=df.index)
        report.notes.append(f"no product type nor Vendor column: every line is '{UNCLASSIFIED}'")
    lines = _lines(df, "_order", qty.astype(int), (price * qty - disc).clip(lower=0).round(2), category)
    o = o[o.index.isin(lines["transaction_id"])]

    buyers = pd.DataFrame({
        "order": o.index, "email": o["email"].to_numpy(), "first_order": o["ts"].to_numpy(),
        "postcode": [_postcode(z, c) for z, c in zip(o["billing_zip"], o["billing_country"], strict=True)],
        "city": o["billing_city"].to_numpy(), "country": o["billing_country"].to_numpy(),
        "consent": boolean(o["accepts_marketing"]).to_numpy(),
    })
    names = o["billing_name"].fillna("").str.split(n=1)
    buyers["first_name"] = names.map(lambda p: p[0] if len(p) > 0 else None).to_numpy()
    buyers["last_name"] = names.map(lambda p: p[1] if len(p) > 1 else None).to_numpy()
    buyers["email_key"] = buyers["email"].str.lower()
    buyers["first_order"] = buyers.groupby("email_key")["first_order"].transform("min").fillna(buyers["first_order"])
    buyers["customer_id"] = None
    counter = iter(range(next_customer, next_customer + len(buyers) + 1))
    customers, ids = _customers(buyers, known_emails or {}, lambda b: f"SH{next(counter):07d}", report)

    n_items = lines.groupby("transaction_id", sort=False)["quantity"].sum().reindex(o.index)
    transactions = frame("transactions", {
        "transaction_id": pd.Series(o.index),
        "customer_id": buyers["email_key"].map(ids),
        "store_id": np.where(o["channel"] == "store", o["location"].map(slug), None),
        "channel": o["channel"].to_numpy(),
        "timestamp": o["ts"].to_numpy(),
        "amount": (o["total_n"] - o["refunded_n"]).clip(lower=0).round(2).to_numpy(),
        "n_items": n_items.to_numpy(),
    })
    report.vocabulary("transaction_lines", "category", lines["category"])
    report.unused_columns = unused(df.columns.drop("_order"), cols.values())
    return Mapped({"customers": customers, "transactions": transactions,
                   "transaction_lines": frame("transaction_lines", lines)}, report)


def map_prestashop(df: pd.DataFrame, known_emails: dict | None = None, path="prestashop") -> Mapped:
    """PrestaShop order lines (SQL manager export) -> customers, transactions, transaction_lines."""
    cols = PRESTASHOP.resolve(df.columns, path)
    report = Report("prestashop", rows_read=len(df), unit="order lines")
    g = lambda k: cols.get(k)  # noqa: E731
    df = df.reset_index(drop=True)
    df = df.assign(_order=text(df[cols["order"]]))
    report.drop("order lines without an id_order", int(df["_order"].isna().sum()))
    df = df[df["_order"].notna()].reset_index(drop=True)
    o = pd.DataFrame(index=pd.Index(df["_order"].unique()))
    for k in ("date", "valid", "total", "customer", "email", "first_name", "last_name", "gender",
              "birthday", "newsletter", "postcode", "city", "country"):
        o[k] = _first(df, "_order", g(k))
    o["ts"] = timestamps(o["date"])
    o["total_n"] = number(o["total"])
    per_order = df.groupby("_order", sort=False).size().reindex(o.index)
    reasons = pd.Series(None, index=o.index, dtype="object")
    if g("valid"):
        reasons[~boolean(o["valid"], default=True).to_numpy()] = "order lines of orders not validated (valid = 0)"
    reasons[reasons.isna() & o["ts"].isna()] = "order lines of orders without a readable date_add"
    reasons[reasons.isna() & o["total_n"].isna()] = "order lines of orders without a readable total_paid_tax_incl"
    for reason, n in per_order.groupby(reasons).sum().items():
        report.drop(reason, n)
    o = o[reasons.isna()]
    df = df[df["_order"].isin(o.index)].reset_index(drop=True)

    qty = pd.to_numeric(text(df[cols["quantity"]]), errors="coerce")
    if g("line_total"):
        amount = number(df[cols["line_total"]])
    elif g("unit_price"):
        amount = number(df[cols["unit_price"]]) * qty
    else:
        amount = pd.Series(np.nan, index=df.index)
    ok = qty.notna() & (qty >= 1) & (qty == np.floor(qty)) & amount.notna() & (amount >= 0)
    report.drop("order lines without a whole product_quantity >= 1 or a readable line total", int((~ok).sum()))
    df, qty, amount = df[ok].reset_index(drop=True), qty[ok].reset_index(drop=True), amount[ok].reset_index(drop=True)
    category = text(df[g("category")]).map(slug).fillna(UNCLASSIFIED) if g("category") else \
        pd.Series(UNCLASSIFIED, index=df.index)
    lines = _lines(df, "_order", qty.astype(int), amount.round(2), category)
    o = o[o.index.isin(lines["transaction_id"])]

    birth = timestamps(o["birthday"]).dt.year if g("birthday") else pd.Series(np.nan, index=o.index)
    birth = birth.where((birth >= 1900) & (birth <= 2015))
    buyers = pd.DataFrame({
        "order": o.index, "email": o["email"].to_numpy(), "first_order": o["ts"].to_numpy(),
        "postcode": [_postcode(z, c) for z, c in zip(o["postcode"], o["country"], strict=True)],
        "city": o["city"].to_numpy(), "country": o["country"].to_numpy(),
        "consent": boolean(o["newsletter"]).to_numpy(),
        "first_name": o["first_name"].to_numpy(), "last_name": o["last_name"].to_numpy(),
        "birth_year": birth.astype("Int64").to_numpy(),
        "sex": o["gender"].map({"1": "M", "2": "F"}).to_numpy(),
        "ps_customer": o["customer"].to_numpy(),
    })
    buyers["email_key"] = buyers["email"].str.lower()
    buyers["first_order"] = buyers.groupby("email_key")["first_order"].transform("min").fillna(buyers["first_order"])
    buyers["customer_id"] = None
    customers, ids = _customers(
        buyers, known_emails or {},
        lambda b: f"PS{b.ps_customer}" if b.ps_customer else f"PS-{b.order}", report,
    )
    n_items = lines.groupby("transaction_id", sort=False)["quantity"].sum().reindex(o.index)
    transactions = frame("transactions", {
        "transaction_id": pd.Series("PS-" + o.index.astype(str)),
        "customer_id": buyers["email_key"].map(ids),
        "store_id": None,
        "channel": ["web"] * len(o),
        "timestamp": o["ts"].to_numpy(),
        "amount": o["total_n"].round(2).to_numpy(),
        "n_items": n_items.to_numpy(),
    })
    lines["transaction_id"] = "PS-" + lines["transaction_id"].astype(str)
    report.vocabulary("transaction_lines", "category", lines["category"])
    report.unused_columns = unused(df.columns.drop("_order"), cols.values())
    return Mapped({"customers": customers, "transactions": transactions,
                   "transaction_lines": frame("transaction_lines", lines)}, report)
