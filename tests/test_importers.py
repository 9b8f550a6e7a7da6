"""Importers (`workbench import`): each format on its fixture (tests/fixtures/importers/, see
its README for the documentation each follows), wrong formats refused, appends without
duplicate keys, no personal values in the printed report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench import cli, datasets, importers, schemas
from workbench.importers import base, ga4, listening
from workbench.profile import RetailerProfile

FIX = Path(__file__).parent / "fixtures" / "importers"
TABLE_FILES = ("customers", "transactions", "transaction_lines", "touchpoints", "email_campaigns",
               "email_events", "social_accounts", "mentions", "brand_posts")


def _read(folder: Path, table: str) -> pd.DataFrame:
    """A written table read back through the contract (types parsed, everything validated)."""
    return datasets.read_file(folder / f"{table}.parquet", table)


def _ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


@pytest.fixture()
def shop_dir(tmp_path) -> Path:
    """A folder holding the Shopify fixture's customers (for e-mail matching)."""
    importers.import_files("shopify", [FIX / "shopify_orders_export.csv"], tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- shops


def test_shopify_orders_to_customers_transactions_lines(tmp_path):
    report = importers.import_files("shopify", [FIX / "shopify_orders_export.csv"], tmp_path)
    assert report.rows_read == 8
    assert dict(report.dropped) == {
        "order lines of orders not paid (Financial Status 'pending')": 1,
        "order lines of orders not paid (Financial Status 'refunded')": 1,
        "order lines of orders with an unknown sales channel (Source '580111')": 1,
    }
    tx = _read(tmp_path, "transactions").set_index("transaction_id")
    assert list(tx.index) == ["#1001", "#1002", "#1004", "#1005"]
    assert tx["channel"].tolist() == ["web", "store", "web", "app"]
    assert tx["amount"].tolist() == [89.9, 24.5, 100.0, 45.0]  # #1004: 120 paid - 20 refunded
    assert tx["n_items"].tolist() == [3, 1, 1, 3]
    assert tx["customer_id"].tolist()[0] == "SH0000001" and pd.isna(tx.loc["#1002", "customer_id"])
    assert tx.loc["#1004", "customer_id"] == "SH0000001"  # same e-mail, other case
    assert tx.loc["#1005", "customer_id"] == "SH0000002"
    assert tx.loc["#1002", "store_id"] == "lyon_part_dieu"
    assert tx.loc["#1001", "timestamp"] == _ts("2026-09-03 14:05:12")  # +0200 -> Paris time
    lines = _read(tmp_path, "transaction_lines")
    assert lines[["transaction_id", "line_no", "category", "quantity", "amount"]].values.tolist() == [
        ["#1001", 1, "mode", 1, 59.9], ["#1001", 2, "beaute", 2, 30.0], ["#1002", 1, "maison", 1, 24.5],
        ["#1004", 1, "mode", 1, 120.0], ["#1005", 1, "mode", 3, 45.0],
    ]
    cust = _read(tmp_path, "customers").set_index("customer_id")
    assert list(cust.index) == ["SH0000001", "SH0000002"]
    assert cust["postcode"].tolist() == ["75011", "06000"]  # the zero Excel dropped is back
    assert cust["department"].tolist() == ["75", "06"]
    assert cust["region"].tolist() == ["Île-de-France", "Provence-Alpes-Côte d'Azur"]
    assert cust["email_consent"].tolist() == [True, False]
    assert cust["signup_date"].tolist() == [_ts("2026-09-03"), _ts("2026-09-20")]
    assert cust["loyalty_tier"].tolist() == ["none", "none"] and cust["loyalty_points"].tolist() == [0, 0]
    assert cust.loc["SH0000001", "email"] == "camille.martin@example.com"  # personal column only
    assert "Lineitem sku" in report.unused_columns and "Name" not in report.unused_columns


def test_shopify_sales_channel_from_profile_labels():
    df = pd.read_csv(FIX / "shopify_orders_export.csv", dtype=str, keep_default_na=False)
    mapped = importers.shops.map_shopify(df, sales_labels={"580111": "web"})
    assert "#1006" in mapped.tables["transactions"]["transaction_id"].tolist()
    assert not any("580111" in r for r in mapped.report.dropped)


def test_prestashop_order_lines(tmp_path):
    report = importers.import_files("prestashop", [FIX / "prestashop_order_lines.csv"], tmp_path)
    assert dict(report.dropped) == {"order lines of orders not validated (valid = 0)": 1}
    tx = _read(tmp_path, "transactions")
    assert tx[["transaction_id", "customer_id", "channel", "amount", "n_items"]].values.tolist() == [
        ["PS-41", "PS7", "web", 64.8, 3], ["PS-43", "PS8", "web", 25.0, 1]]
    assert _read(tmp_path, "transaction_lines")["amount"].tolist() == [39.9, 24.9, 25.0]
    cust = _read(tmp_path, "customers").set_index("customer_id")
    assert cust.loc["PS7", "birth_year"] == 1980 and cust.loc["PS7", "sex"] == "M"
    assert pd.isna(cust.loc["PS8", "birth_year"]) and cust.loc["PS8", "sex"] == "F"  # 0000-00-00
    assert cust["region"].tolist() == ["Nouvelle-Aquitaine", "Auvergne-Rhône-Alpes"]


# --------------------------------------------------------------------------- GA4


def _ga4_expectations(out: Path, report):
    tp = _read(out, "touchpoints")
    assert tp[["channel", "platform", "customer_id", "transaction_id"]].astype(object).where(
        tp[["channel", "platform", "customer_id", "transaction_id"]].notna(), None).values.tolist() == [
        ["search", None, None, None],  # google / organic (event params)
        ["email", None, "C0000042", None],  # utm_medium=email in page_location
        ["purchase", None, "C0000042", "T-9001"],
        ["social", "instagram", None, None],  # first_open session: traffic_source
        ["app", None, None, None],  # later app session: direct, not the first acquisition
        ["search", None, None, None],  # gclid
    ]
    assert tp["timestamp"].tolist()[:3] == [_ts("2026-09-01 10:00:00"), _ts("2026-09-03 19:00:00"),
                                            _ts("2026-09-03 19:12:00")]
    assert tp["touchpoint_id"].tolist()[0] == "GA-1234567890.1788249000-1788249600"
    tx = _read(out, "transactions")
    assert tx[["transaction_id", "customer_id", "channel", "amount", "n_items"]].values.tolist() == [
        ["T-9001", "C0000042", "web", 59.9, 1]]
    assert _read(out, "transaction_lines")[["category", "amount"]].values.tolist() == [["mode", 59.9]]
    assert dict(report.dropped) == {
        "events of sessions with a medium without workbench channel (medium 'sms')": 1,
        "events without the ga_session_id parameter (not in a session)": 1,
        "purchase events repeating a transaction_id (GA4 duplicate purchases)": 1,
        "purchase events without ecommerce.transaction_id": 1,
    }
    assert "geo" in report.unused_columns and "event_name" not in report.unused_columns


def test_ga4_json_lines(tmp_path):
    report = importers.import_files("ga4", [FIX / "ga4_events_20260901.jsonl"], tmp_path)
    assert report.rows_read == 12
    _ga4_expectations(tmp_path, report)


def test_ga4_parquet_export_reads_the_same(tmp_path):
    rows = [json.loads(line) for line in (FIX / "ga4_events_20260901.jsonl").read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "events_20260901.parquet")
    out = tmp_path / "out"
    report = importers.import_files("ga4", [tmp_path / "events_20260901.parquet"], out)
    _ga4_expectations(out, report)


@pytest.mark.parametrize("source, medium, platform, expected", [
    ("google", "cpc", "WEB", ("search", None, None)),
    ("bing", "organic", "WEB", ("search", None, None)),
    ("brevo", "email", "WEB", ("email", None, None)),
    ("l.facebook.com", "referral", "WEB", ("social", "facebook", None)),
    ("pinterest", "paid_social", "WEB", ("social", "pinterest", None)),
    ("criteo", "display", "WEB", ("display", None, None)),
    ("lemonde.fr", "referral", "WEB", ("website", None, None)),
    (None, None, "IOS", ("app", None, None)),
    ("operateur", "sms", "WEB", (None, None, "sessions with a medium without workbench channel (medium 'sms')")),
])
def test_ga4_channel_rules(source, medium, platform, expected):
    assert ga4.channel_of(source, medium, platform) == expected


# --------------------------------------------------------------------------- e-mail


def test_brevo_events_matched_to_customers(shop_dir):
    report = importers.import_files("brevo", [FIX / "brevo_marketing_events.csv"], shop_dir)
    assert dict(report.dropped) == {
        "Apple Mail proxy opens (not a reader's open)": 1,
        "events of recipients not among the folder's customers (import the customers first)": 1,
        "events without a workbench e-mail event (event 'unsubscribe')": 1,
        "repeated events of the same recipient, campaign and type (the first is kept)": 1,
    }
    camp = _read(shop_dir, "email_campaigns")
    assert camp[["campaign_id", "subject"]].values.tolist() == [["BR-12", "Rentrée 2026"]]
    assert camp["sent_date"].tolist() == [_ts("2026-09-08")]
    ev = _read(shop_dir, "email_events")
    assert ev[["campaign_id", "customer_id", "event"]].values.tolist() == [
        ["BR-12", "SH0000001", "sent"], ["BR-12", "SH0000002", "sent"],
        ["BR-12", "SH0000001", "open"], ["BR-12", "SH0000001", "click"]]
    assert ev["timestamp"].tolist()[2] == _ts("2026-09-08 12:31:00")  # ts_event (UTC) -> Paris


def test_mailchimp_activity(shop_dir):
    report = importers.import_files("mailchimp", [FIX / "mailchimp_email_activity.csv"], shop_dir)
    assert dict(report.dropped) == {"activity without a workbench e-mail event (action 'bounce')": 1}
    ev = _read(shop_dir, "email_events")
    assert ev[["customer_id", "event"]].values.tolist() == [
        ["SH0000001", "sent"], ["SH0000002", "sent"], ["SH0000001", "open"], ["SH0000001", "click"],
        ["SH0000002", "open"]]
    assert ev["timestamp"].tolist() == [_ts("2026-09-10 10:00:00"), _ts("2026-09-10 10:00:00"),
                                        _ts("2026-09-10 11:15:00"), _ts("2026-09-10 11:16:30"),
                                        _ts("2026-09-11 20:00:00")]
    assert _read(shop_dir, "email_campaigns")["subject"].tolist() == ["Nos nouveautés de septembre"]


def test_email_events_without_customers_are_all_dropped(tmp_path):
    report = importers.import_files("mailchimp", [FIX / "mailchimp_email_activity.csv"], tmp_path)
    assert report.tables["email_events"].written == 0
    assert report.dropped["events of recipients not among the folder's customers (import the customers first)"] == 3


# --------------------------------------------------------------------------- listening


def test_talkwalker_mentions_accounts_and_brand_replies(tmp_path):
    report = importers.import_files("talkwalker", [FIX / "talkwalker_export.csv"], tmp_path, brand="Maison Lys")
    assert dict(report.dropped) == {"posts without a readable date ('published')": 1}
    m = _read(tmp_path, "mentions")
    assert m[["platform", "brand"]].values.tolist() == [
        ["twitter", "Maison Lys"], ["instagram", "Maison Lys"], ["facebook", "Maison Lys"]]
    assert m["timestamp"].tolist()[0] == _ts("2026-09-14 10:00:00")  # epoch ms UTC -> Paris
    assert m["mention_id"].tolist()[0] == base.stable_id(
        "M-", "https://twitter.com/julie_b/status/1830000000000000001")
    posts = _read(tmp_path, "brand_posts")
    assert len(posts) == 1 and posts["reply_to"].tolist() == [m["mention_id"].tolist()[0]]
    acc = _read(tmp_path, "social_accounts").set_index("handle")
    assert acc.loc["maisonlys", "account_type"] == "brand" and acc.loc["maisonlys", "brand"] == "Maison Lys"
    assert acc.loc["julie_b", "followers"] == 1200  # Talkwalker reach of a tweet = followers
    assert acc.loc["marc.t", "account_type"] == "person"
    assert "talkwalker's own sentiment (not written, no contract column): negative 1, positive 1, neutral 1" \
        in report.notes


def test_brandwatch_header_after_metadata_and_retweets(tmp_path):
    importers.import_files("brandwatch", [FIX / "brandwatch_mentions.csv"], tmp_path, brand="Orbe")
    m = _read(tmp_path, "mentions")
    assert len(m) == 3 and set(m["brand"]) == {"Orbe"}
    assert m["retweet_of"].tolist()[1] == m["mention_id"].tolist()[0]
    acc = _read(tmp_path, "social_accounts").set_index("handle")
    assert acc["followers"].to_dict() == {"claire.dlg": 2300, "nina_r": 150, "sam_k": 830}


def test_digimind_platforms_are_checked_against_the_profile(tmp_path):
    prof = RetailerProfile(brand="Kaléo", categories={"mode": "Mode"},
                           platforms={"twitter": "X", "instagram": "Instagram"},
                           loyalty_tiers=("none",), store_formats={"grand": {"label": "Grand", "recruiting": "crm"}},
                           source="retailer.yaml")
    report = importers.import_files("digimind", [FIX / "digimind_mentions.csv"], tmp_path, brand="Kaléo",
                                    profile=prof)
    m = _read(tmp_path, "mentions")  # open contract: written and valid
    assert m["platform"].tolist() == ["twitter", "youtube", "news"]
    text = "\n".join(report.lines())
    assert "youtube (1) *" in text and "news (1) *" in text and "twitter (1) *" not in text
    with pytest.raises(datasets.DataError, match="platform"):  # what `run --profile` would say
        datasets.read_file(tmp_path / "mentions.parquet", schemas.contracts(prof)["mentions"])


@pytest.mark.parametrize("raw, code", [
    ("X", "twitter"), ("twitter.com", "twitter"), ("SOCIALMEDIA_TWITTER", "twitter"),
    ("https://www.youtube.com/watch?v=1", "youtube"), ("Sites d'actualité", "news"), ("Pinterest", "pinterest"),
])
def test_platform_codes(raw, code):
    assert listening.platform_code(raw) == code


def test_listening_needs_the_brand(tmp_path):
    with pytest.raises(ValueError, match="--brand"):
        importers.import_files("brandwatch", [FIX / "brandwatch_mentions.csv"], tmp_path)


# --------------------------------------------------------------------------- refusals, appends


@pytest.mark.parametrize("fmt, fixture, expected", [
    ("shopify", "brevo_marketing_events.csv", ["'Name'", "'Created at'", "'Lineitem quantity'", "'Lineitem price'"]),
    ("ga4", "shopify_orders_export.csv", ["'event_name'", "'event_timestamp'", "'user_pseudo_id'", "'event_params'"]),
    ("brevo", "mailchimp_email_activity.csv", ["'camp_id'", "'event'", "'date_event'"]),
    ("talkwalker", "digimind_mentions.csv", ["'published'", "'source_type'"]),
])
def test_wrong_format_is_refused_with_the_expected_columns(tmp_path, fmt, fixture, expected):
    with pytest.raises(datasets.DataError) as exc:
        importers.import_files(fmt, [FIX / fixture], tmp_path, brand="X")
    msg = str(exc.value)
    assert f"this file is not a {fmt} export" in msg and fixture in msg
    for col in expected:
        assert col in msg
    assert not any((tmp_path / f"{t}.parquet").exists() for t in TABLE_FILES)


@pytest.mark.parametrize("fmt, fixture", [
    ("shopify", "shopify_orders_export.csv"), ("ga4", "ga4_events_20260901.jsonl"),
    ("talkwalker", "talkwalker_export.csv"),
])
def test_second_import_writes_nothing_new(tmp_path, fmt, fixture):
    first = importers.import_files(fmt, [FIX / fixture], tmp_path, brand="Maison Lys")
    sizes = {t: len(_read(tmp_path, t)) for t in first.tables if (tmp_path / f"{t}.parquet").exists()}
    assert sum(t.written for t in first.tables.values()) > 0
    second = importers.import_files(fmt, [FIX / fixture], tmp_path, brand="Maison Lys")
    assert all(t.written == 0 for t in second.tables.values())
    assert sum(t.already_present for t in second.tables.values()) == sum(
        t.written for t in first.tables.values() if t.written) - first.tables.get("customers", base.TableReport()).written
    assert "nothing new: every row of this export is already in the folder" in "\n".join(second.lines())
    assert {t: len(_read(tmp_path, t)) for t in sizes} == sizes


def test_append_keeps_existing_rows_and_adds_new_keys(shop_dir):
    importers.import_files("ga4", [FIX / "ga4_events_20260901.jsonl"], shop_dir)
    tx = _read(shop_dir, "transactions")
    assert tx["transaction_id"].tolist() == ["#1001", "#1002", "#1004", "#1005", "T-9001"]


def test_a_csv_table_in_the_folder_is_not_hidden_by_a_new_parquet(tmp_path):
    (tmp_path / "transactions.csv").write_text("transaction_id;customer_id\n", encoding="utf-8")
    with pytest.raises(datasets.DataError, match="as CSV"):
        importers.import_files("shopify", [FIX / "shopify_orders_export.csv"], tmp_path)


def test_cli_import_prints_counts_and_no_personal_values(tmp_path, capsys):
    assert cli.main(["import", "shopify", str(FIX / "shopify_orders_export.csv"), "--out", str(tmp_path)]) == 0
    assert cli.main(["import", "brevo", str(FIX / "brevo_marketing_events.csv"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "read: 8 order lines" in out and "customers: 2 new row(s) of 2" in out
    assert "email_events: 4 new row(s) of 4" in out and "source columns not used: id, tag, URL" in out
    for personal in ("@", "Camille", "Martin", "Dubois", "inconnu"):
        assert personal not in out


def test_cli_refuses_a_wrong_format(tmp_path, capsys):
    code = cli.main(["import", "mailchimp", str(FIX / "ga4_events_20260901.jsonl"), "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "not a mailchimp export" in err and "'email_address'" in err


@pytest.mark.parametrize("postcode, dept", [("75011", "75"), ("06000", "06"), ("20090", "2A"), ("20200", "2B"),
                                            ("97411", "974"), ("1000", None), ("99999", None)])
def test_department_of_postcode(postcode, dept):
    assert base.department_of(postcode) == dept
