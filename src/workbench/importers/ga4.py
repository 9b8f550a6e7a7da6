"""Google Analytics 4 BigQuery export (`events_*` as Parquet or JSON lines) -> touchpoints,
online transactions and their lines.

What a touchpoint is here: one per GA4 session (user_pseudo_id + the `ga_session_id` event
parameter), at the session's first event, with the channel the session came from, plus one
`purchase` touchpoint per `purchase` event (linked to its transaction). That matches what the
workbench's journeys expect: a sequence of channel exposures per device (`visitor_id` =
user_pseudo_id) ending in purchases; `customer_id` is the export's `user_id` (the retailer's own
id, set when the visitor is logged in), so anonymous sessions are stitched by `journey`.

The session's source / medium, in this order (GA4 BigQuery export schema):
1. on the session's events: event parameters `source` / `medium`, else
   `collected_traffic_source.manual_source` / `manual_medium` (a `gclid` = google / cpc), else
   the `utm_source` / `utm_medium` (or `gclid`) of the `page_location` parameter;
2. `session_traffic_source_last_click.manual_campaign` source / medium, when exported;
3. `traffic_source` (the user's FIRST acquisition) only for the session holding `first_visit`
   / `first_open` (elsewhere it would give every later session the first one's channel);
4. none of these: a direct visit -> website (app for the iOS / Android streams).

Channel codes (GA4 default channel group rules, simplified to the workbench's codes): e-mail
mediums or sources -> email; search engines (organic or paid) -> search; social sites or social
mediums -> social (platform = the site's code); display / banner / cpm and other paid mediums
-> display; referral, affiliate, direct -> website / app. Mediums without a workbench channel
(sms, push...) are dropped and counted by medium.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from workbench.importers.base import (
    UNCLASSIFIED,
    Mapped,
    Report,
    Spec,
    epoch,
    frame,
    json_value,
    slug,
)

GA4 = Spec(
    "ga4",
    {
        "event_name": ("event_name",),
        "event_timestamp": ("event_timestamp",),
        "user_pseudo_id": ("user_pseudo_id",),
        "event_params": ("event_params",),
        "user_id": ("user_id",),
        "platform": ("platform",),
        "traffic_source": ("traffic_source",),
        "collected_traffic_source": ("collected_traffic_source",),
        "session_traffic_source_last_click": ("session_traffic_source_last_click",),
        "ecommerce": ("ecommerce",),
        "items": ("items",),
    },
    required=("event_name", "event_timestamp", "user_pseudo_id", "event_params"),
    documentation="GA4 BigQuery Export schema, table events_YYYYMMDD (support.google.com/analytics/answer/7029846)",
)

SEARCH_ENGINES = {"google", "bing", "yahoo", "qwant", "ecosia", "duckduckgo", "baidu", "yandex",
                  "lilo", "startpage", "search.brave.com", "brave", "msn", "aol"}
SOCIAL_SITES = {  # source (lower case) -> platform code
    "facebook": "facebook", "fb": "facebook", "m.facebook.com": "facebook", "l.facebook.com": "facebook",
    "lm.facebook.com": "facebook", "facebook.com": "facebook", "instagram": "instagram", "ig": "instagram",
    "l.instagram.com": "instagram", "instagram.com": "instagram", "twitter": "twitter", "t.co": "twitter",
    "x": "twitter", "x.com": "twitter", "twitter.com": "twitter", "tiktok": "tiktok", "tiktok.com": "tiktok",
    "youtube": "youtube", "youtube.com": "youtube", "m.youtube.com": "youtube", "pinterest": "pinterest",
    "pinterest.com": "pinterest", "pin.it": "pinterest", "linkedin": "linkedin", "lnkd.in": "linkedin",
    "linkedin.com": "linkedin", "snapchat": "snapchat", "snapchat.com": "snapchat",
}
EMAIL_WORDS = {"email", "e-mail", "e_mail", "e mail", "newsletter", "brevo", "sendinblue", "mailchimp"}
SOCIAL_MEDIUMS = {"social", "social-network", "social-media", "sm", "social network", "social media",
                  "paid_social", "paid-social", "paidsocial"}
DISPLAY_MEDIUMS = {"display", "banner", "expandable", "interstitial", "cpm", "cpv", "video", "retargeting"}
PAID_RE = re.compile(r"^(.*cp.*|ppc|paid.*)$")
WEBSITE_MEDIUMS = {"(none)", "(not set)", "referral", "organic", "affiliate", "affiliates", ""}
APP_PLATFORMS = {"ios", "android"}


def _params(v) -> dict:
    """event_params (repeated key / value record) as {key: python value}."""
    out = {}
    v = json_value(v)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return out
    for p in list(v):
        if not isinstance(p, dict):
            continue
        val = p.get("value") or {}
        val = json_value(val) if not isinstance(val, dict) else val
        x = None
        for k in ("string_value", "int_value", "double_value", "float_value"):
            if isinstance(val, dict) and val.get(k) is not None and not (isinstance(val.get(k), float) and np.isnan(val.get(k))):
                x = val[k]
                break
        out[p.get("key")] = x
    return out


def _rec(v) -> dict:
    v = json_value(v)
    return v if isinstance(v, dict) else {}


def _utm(url) -> tuple[str | None, str | None]:
    if not isinstance(url, str) or "?" not in url:
        return None, None
    q = parse_qs(urlsplit(url).query)
    if "gclid" in q and "utm_source" not in q:
        return "google", "cpc"
    return (q.get("utm_source", [None])[0], q.get("utm_medium", [None])[0])


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def channel_of(source, medium, platform, labels: dict | None = None):
    """(touchpoint channel, social platform, drop reason) of a session's source / medium.

    `labels`: the retailer profile's touchpoint channel labels (label -> workbench code),
    checked first on the medium, then on the source."""
    s = "(direct)" if _missing(source) else str(source).strip().lower()
    m = "(none)" if _missing(medium) else str(medium).strip().lower()
    host = s.removeprefix("www.")
    for label in (m, s):
        code = (labels or {}).get(label)
        if code:
            return code, (SOCIAL_SITES.get(host, slug(host)) if code == "social" else None), None
    engine = host.split(".")[0] if host.split(".")[0] in SEARCH_ENGINES else None
    if m in EMAIL_WORDS or s in EMAIL_WORDS:
        return "email", None, None
    if host in SOCIAL_SITES or m in SOCIAL_MEDIUMS:
        return "social", SOCIAL_SITES.get(host, slug(host)), None
    if engine and (m in ("organic", "(none)", "referral") or PAID_RE.match(m)):
        return "search", None, None
    if m in DISPLAY_MEDIUMS or PAID_RE.match(m):
        return "display", None, None
    if m in WEBSITE_MEDIUMS or s == "(direct)":
        return ("app" if str(platform or "").lower() in APP_PLATFORMS else "website"), None, None
    return None, None, f"sessions with a medium without workbench channel (medium '{m}')"


def _flatten(df: pd.DataFrame, cols: dict) -> pd.DataFrame:
    get = lambda k: df[cols[k]] if k in cols else pd.Series(None, index=df.index, dtype="object")  # noqa: E731
    params = get("event_params").map(_params)
    cts = get("collected_traffic_source").map(_rec)
    last = get("session_traffic_source_last_click").map(_rec).map(lambda r: _rec(r.get("manual_campaign")))
    ts = get("traffic_source").map(_rec)
    ecom = get("ecommerce").map(_rec)
    out = pd.DataFrame({
        "event": df[cols["event_name"]].astype("object"),
        "timestamp": epoch(df[cols["event_timestamp"]], "us"),
        "visitor": df[cols["user_pseudo_id"]].astype("object").where(df[cols["user_pseudo_id"]].notna(), None),
        "user": get("user_id").astype("object"),
        "platform": get("platform").astype("object"),
        "session": params.map(lambda p: p.get("ga_session_id")),
        "p_source": params.map(lambda p: p.get("source")),
        "p_medium": params.map(lambda p: p.get("medium")),
        "page": params.map(lambda p: p.get("page_location")),
        "value": params.map(lambda p: p.get("value")),
        "param_tid": params.map(lambda p: p.get("transaction_id")),
        "c_source": cts.map(lambda r: r.get("manual_source") or ("google" if r.get("gclid") else None)),
        "c_medium": cts.map(lambda r: r.get("manual_medium") or ("cpc" if r.get("gclid") else None)),
        "l_source": last.map(lambda r: r.get("source")),
        "l_medium": last.map(lambda r: r.get("medium")),
        "u_source": ts.map(lambda r: r.get("source")),
        "u_medium": ts.map(lambda r: r.get("medium")),
        "tid": ecom.map(lambda r: r.get("transaction_id")),
        "revenue": ecom.map(lambda r: r.get("purchase_revenue")),
        "qty": ecom.map(lambda r: r.get("total_item_quantity")),
        "items": get("items").map(json_value),
    })
    out["user"] = out["user"].where(out["user"].notna() & (out["user"].astype(str) != ""), None)
    out["tid"] = out["tid"].where(out["tid"].notna(), out["param_tid"])
    out["session"] = out["session"].map(_session_id).astype("object")
    out["_keys"] = params.map(lambda p: list(p))
    return out


def _session_id(v) -> str | None:
    if v is None or v == "" or (isinstance(v, float) and np.isnan(v)):
        return None
    try:
        return str(int(float(v)))
    except (TypeError, ValueError):
        return str(v)


def _first_valid(a: pd.Series, b: pd.Series):
    return a.where(a.notna() & (a.astype(str) != ""), b)


def map_ga4(df: pd.DataFrame, touchpoint_labels: dict | None = None, path="ga4") -> Mapped:
    """GA4 events -> touchpoints (sessions + purchases), transactions, transaction_lines.

    `touchpoint_labels`: the retailer profile's touchpoint channel labels (label -> code)."""
    cols = GA4.resolve(df.columns, path)
    report = Report("ga4", rows_read=len(df), unit="events")
    ev = _flatten(df.reset_index(drop=True), cols)
    bad_ts = ev["timestamp"].isna() | ev["visitor"].isna()
    report.drop("events without a readable event_timestamp or a user_pseudo_id", int(bad_ts.sum()))
    ev = ev[~bad_ts]
    purchases = ev[ev["event"] == "purchase"]
    sess = ev[ev["event"] != "purchase"]
    no_sess = sess["session"].isna()
    report.drop("events without the ga_session_id parameter (not in a session)", int(no_sess.sum()))
    sess = sess[~no_sess].copy()

    # --- sessions -> one touchpoint each
    u_src, u_med = zip(*sess["page"].map(_utm), strict=True) if len(sess) else ((), ())
    sess["e_source"] = _first_valid(_first_valid(sess["p_source"], sess["c_source"]), pd.Series(u_src, index=sess.index))
    sess["e_medium"] = _first_valid(_first_valid(sess["p_medium"], sess["c_medium"]), pd.Series(u_med, index=sess.index))
    sess["first"] = sess["event"].isin(["first_visit", "first_open"])
    sess = sess.sort_values(["visitor", "session", "timestamp"], kind="stable")
    key = ["visitor", "session"]
    grp = sess.groupby(key, sort=False)
    s = grp.agg(timestamp=("timestamp", "min"), user=("user", "first"), platform=("platform", "first"),
                e_source=("e_source", "first"), e_medium=("e_medium", "first"),
                l_source=("l_source", "first"), l_medium=("l_medium", "first"),
                u_source=("u_source", "first"), u_medium=("u_medium", "first"), first=("first", "any"),
                events=("event", "size")).reset_index()
    has_e = s["e_source"].notna() | s["e_medium"].notna()
    has_l = ~has_e & (s["l_source"].notna() | s["l_medium"].notna())
    has_u = ~has_e & ~has_l & s["first"] & (s["u_source"].notna() | s["u_medium"].notna())
    s["source"] = np.select([has_e, has_l, has_u], [s["e_source"], s["l_source"], s["u_source"]], None)
    s["medium"] = np.select([has_e, has_l, has_u], [s["e_medium"], s["l_medium"], s["u_medium"]], None)
    labels = {str(k).strip().lower(): v for k, v in (touchpoint_labels or {}).items()}
    mapped = [channel_of(a, b, c, labels) for a, b, c in zip(s["source"], s["medium"], s["platform"], strict=True)]
    s["channel"] = [m[0] for m in mapped]
    s["social"] = [m[1] for m in mapped]
    s["reason"] = [m[2] for m in mapped]
    for reason, part in s[s["reason"].notna()].groupby("reason"):
        report.drop(reason.replace("sessions", "events of sessions"), int(part["events"].sum()))
    report.notes.append(f"{int(s['events'].sum())} session events grouped into {len(s)} session(s): "
                        "one touchpoint per session")
    s = s[s["channel"].notna()]
    touch = pd.DataFrame({
        "touchpoint_id": "GA-" + s["visitor"].astype(str) + "-" + s["session"].astype(str),
        "visitor_id": s["visitor"].astype(str), "customer_id": s["user"],
        "timestamp": s["timestamp"], "channel": s["channel"], "platform": s["social"], "transaction_id": None,
    })

    # --- purchases -> purchase touchpoints, transactions, lines
    no_tid = purchases["tid"].isna() | (purchases["tid"].astype(str).isin(["", "(not set)"]))
    report.drop("purchase events without ecommerce.transaction_id", int(no_tid.sum()))
    purchases = purchases[~no_tid].copy()
    purchases["tid"] = purchases["tid"].astype(str)
    dup = purchases.duplicated("tid", keep="first")
    report.drop("purchase events repeating a transaction_id (GA4 duplicate purchases)", int(dup.sum()))
    purchases = purchases[~dup]
    purchases["amount"] = pd.to_numeric(_first_valid(purchases["revenue"], purchases["value"]), errors="coerce")
    no_amount = purchases["amount"].isna() | (purchases["amount"] < 0)
    report.drop("purchase events without ecommerce.purchase_revenue (nor a value parameter)", int(no_amount.sum()))
    purchases = purchases[~no_amount]
    lines = []
    n_items = []
    for p in purchases.itertuples(index=False):
        items = [i for i in (list(p.items) if p.items is not None and not isinstance(p.items, float) else [])
                 if isinstance(i, dict)]
        k = 0
        for it in items:
            q = pd.to_numeric(it.get("quantity"), errors="coerce")
            q = int(q) if pd.notna(q) and q >= 1 else 1
            rev = pd.to_numeric(it.get("item_revenue"), errors="coerce")
            price = pd.to_numeric(it.get("price"), errors="coerce")
            amt = rev if pd.notna(rev) else (price * q if pd.notna(price) else np.nan)
            if pd.isna(amt) or amt < 0:
                report.drop("purchase items without a price (line not written)")
                continue
            k += 1
            lines.append({"transaction_id": p.tid, "line_no": k, "quantity": q, "amount": round(float(amt), 2),
                          "category": slug(it.get("item_category")) or UNCLASSIFIED})
        qty = pd.to_numeric(p.qty, errors="coerce")
        n_items.append(int(qty) if pd.notna(qty) and qty >= 1 else max(1, sum(x["quantity"] for x in lines
                                                                              if x["transaction_id"] == p.tid)))
    transactions = frame("transactions", {
        "transaction_id": purchases["tid"], "customer_id": purchases["user"], "store_id": None,
        "channel": ["app" if str(v or "").lower() in APP_PLATFORMS else "web" for v in purchases["platform"]],
        "timestamp": purchases["timestamp"], "amount": purchases["amount"].round(2), "n_items": n_items,
    })
    buy = pd.DataFrame({
        "touchpoint_id": "GA-purchase-" + purchases["tid"], "visitor_id": purchases["visitor"].astype(str),
        "customer_id": purchases["user"], "timestamp": purchases["timestamp"], "channel": "purchase",
        "platform": None, "transaction_id": purchases["tid"],
    })
    touchpoints = frame("touchpoints", pd.concat([touch, buy], ignore_index=True).sort_values(
        ["timestamp", "touchpoint_id"], kind="stable").to_dict("series"))
    line_df = frame("transaction_lines", pd.DataFrame(lines, columns=["transaction_id", "line_no", "category",
                                                                      "quantity", "amount"]).to_dict("series"))
    report.vocabulary("touchpoints", "platform", touchpoints["platform"])
    report.vocabulary("transaction_lines", "category", line_df["category"])
    used_keys = {"ga_session_id", "source", "medium", "page_location", "value", "transaction_id"}
    seen_keys = sorted({k for ks in ev["_keys"] for k in ks if k} - used_keys)
    report.unused_columns = [c for c in map(str, df.columns) if c not in cols.values()]
    if seen_keys:
        report.unused_columns.append("event_params: " + ", ".join(seen_keys[:20]))
    return Mapped({"touchpoints": touchpoints, "transactions": transactions, "transaction_lines": line_df}, report)
