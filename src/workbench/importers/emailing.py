"""E-mail campaign activity: Brevo and Mailchimp exports -> email_campaigns, email_events.

Both exports name the recipient by e-mail address; the workbench's `email_events` name a
customer. Recipients are therefore matched (lower-cased e-mail) with the `customers` the
folder already holds, so import the shop or CRM customers first; events of recipients not
found are dropped and counted (the e-mail address itself is never printed nor written).

Event codes are the workbench's (sent, open, click):
* Brevo (marketing events export / marketing webhooks: camp_id, campaign name, email, event,
  date_sent, date_event, ts_sent, ts_event, URL): delivered -> sent, opened / unique_opened ->
  open, click -> click; Apple Mail proxy opens and bounces, spam reports, unsubscriptions and
  contact events have no workbench code and are dropped, counted per event.
* Mailchimp (campaign email activity, as the Marketing API's /reports/{campaign_id}/email-activity
  lists it, one row per activity: campaign_id, email_address, action, timestamp, url, plus the
  report's subject_line, campaign_title and send_time when exported): open, click; `sent`
  rows (sent-to report) -> sent; bounce dropped.
* Every recipient with activity was sent the campaign: when the export gives the send time
  (Brevo date_sent / ts_sent, Mailchimp send_time) a `sent` event is written at that time for
  each recipient without one (counted in the notes).
* The contract keeps one row per campaign, customer and event: repeated opens and clicks of a
  recipient keep the first one (counted).
"""

from __future__ import annotations

import pandas as pd

from workbench.importers.base import (
    Mapped,
    Report,
    Spec,
    epoch,
    frame,
    norm,
    text,
    timestamps,
    unused,
)

BREVO = Spec(
    "brevo",
    {
        "campaign": ("camp_id", "campaign_id", "Campaign ID", "ID campagne"),
        "campaign_name": ("campaign name", "campaign_name", "Nom de la campagne"),
        "subject": ("subject", "Objet", "Subject"),
        "email": ("email", "E-mail", "Adresse e-mail", "Email address"),
        "event": ("event", "Événement", "Event type"),
        "date_event": ("date_event", "date", "Date de l'événement"),
        "ts_event": ("ts_event",),
        "date_sent": ("date_sent", "Date d'envoi"),
        "ts_sent": ("ts_sent",),
    },
    required=("campaign", "email", "event", "date_event"),
    documentation="Brevo marketing webhooks / weekly marketing event exports (developers.brevo.com)",
)

MAILCHIMP = Spec(
    "mailchimp",
    {
        "campaign": ("campaign_id", "Campaign ID"),
        "email": ("email_address", "Email Address", "Email"),
        "action": ("action", "Activity", "activity_action"),
        "timestamp": ("timestamp", "Timestamp", "activity_timestamp"),
        "subject": ("subject_line", "Subject", "Subject Line"),
        "title": ("campaign_title", "Campaign Title", "Title"),
        "send_time": ("send_time", "Send Time", "Send Date"),
    },
    required=("campaign", "email", "action", "timestamp"),
    documentation="Mailchimp Marketing API, reports/{campaign_id}/email-activity (mailchimp.com/developer)",
)

BREVO_EVENTS = {
    "delivered": "sent", "sent": "sent", "request": "sent", "requests": "sent", "delivre": "sent",
    "envoye": "sent", "opened": "open", "unique_opened": "open", "first_opening": "open", "ouvert": "open",
    "click": "click", "clicked": "click", "clicks": "click", "clique": "click",
}
BREVO_PROXY = {"proxy_open", "loadedbyproxy", "loaded_by_proxy"}
MAILCHIMP_ACTIONS = {"open": "open", "click": "click", "sent": "sent"}


def _map_events(ev: pd.DataFrame, prefix: str, known_emails: dict, report: Report) -> Mapped:
    """ev: campaign, email, kind (workbench code or None), reason, ts, sent_ts, subject."""
    for reason, n in ev.loc[ev["kind"].isna(), "reason"].value_counts().items():
        report.drop(reason, int(n))
    ev = ev[ev["kind"].notna()]
    bad = ev["campaign"].isna() | ev["email"].isna() | ev["ts"].isna()
    report.drop("events without a campaign id, a recipient e-mail or a readable date", int(bad.sum()))
    ev = ev[~bad].copy()
    ev["customer_id"] = ev["email"].str.strip().str.lower().map(known_emails)
    unknown = ev["customer_id"].isna()
    report.drop("events of recipients not among the folder's customers (import the customers first)",
                int(unknown.sum()))
    ev = ev[~unknown]
    ev["campaign_id"] = prefix + ev["campaign"].astype(str)

    sent = ev[ev["sent_ts"].notna()].sort_values("sent_ts").drop_duplicates(["campaign_id", "customer_id"])
    have_sent = set(zip(ev.loc[ev["kind"] == "sent", "campaign_id"], ev.loc[ev["kind"] == "sent", "customer_id"],
                        strict=True))
    missing = pd.Series([(c, k) not in have_sent for c, k in zip(sent["campaign_id"], sent["customer_id"],
                                                                 strict=True)], index=sent.index, dtype=bool)
    derived = sent.loc[missing]
    if len(derived):
        report.notes.append(f"{len(derived)} 'sent' event(s) written at the campaign's send time for "
                            "recipients with activity and no delivery row")
    derived = derived.assign(kind="sent", ts=derived["sent_ts"])
    events = pd.concat([ev, derived], ignore_index=True).sort_values(["ts", "campaign_id", "customer_id"],
                                                                      kind="stable")
    n_src = len(ev)
    events["_derived"] = events.index >= n_src  # concat kept the index: derived rows come last
    dup = events.duplicated(["campaign_id", "customer_id", "kind"], keep="first")
    report.drop("repeated events of the same recipient, campaign and type (the first is kept)",
                int((dup & ~events["_derived"]).sum()))
    events = events[~dup]

    camp = ev.assign(first=ev["sent_ts"].fillna(ev["ts"])).groupby("campaign_id", sort=True).agg(
        sent_date=("first", "min"), subject=("subject", "first"))
    no_subject = camp["subject"].isna()
    if no_subject.any():
        report.notes.append(f"{int(no_subject.sum())} campaign(s) without subject in the export: subject = campaign id")
    campaigns = frame("email_campaigns", {
        "campaign_id": pd.Series(camp.index),
        "sent_date": camp["sent_date"].dt.normalize().to_numpy(),
        "subject": camp["subject"].where(~no_subject, pd.Series(camp.index, index=camp.index)).to_numpy(),
        "category": None,
    })
    email_events = frame("email_events", {
        "campaign_id": events["campaign_id"], "customer_id": events["customer_id"],
        "event": events["kind"], "timestamp": events["ts"],
    })
    return Mapped({"email_campaigns": campaigns, "email_events": email_events}, report)


def map_brevo(df: pd.DataFrame, known_emails: dict | None = None, path="brevo") -> Mapped:
    """Brevo marketing events -> email_campaigns (id BR-<camp_id>), email_events."""
    cols = BREVO.resolve(df.columns, path)
    report = Report("brevo", rows_read=len(df), unit="events")
    g = lambda k: df[cols[k]] if k in cols else pd.Series(None, index=df.index, dtype="object")  # noqa: E731
    raw = text(g("event")).map(lambda v: None if v is None else norm(v))
    kind = raw.map(BREVO_EVENTS)
    reason = pd.Series(
        ["Apple Mail proxy opens (not a reader's open)" if r in BREVO_PROXY
         else f"events without a workbench e-mail event (event '{r}')" for r in raw], index=df.index)
    ts = epoch(g("ts_event"), "s") if "ts_event" in cols else timestamps(g("date_event"))
    ts = ts.fillna(timestamps(g("date_event")))
    sent_ts = epoch(g("ts_sent"), "s") if "ts_sent" in cols else timestamps(g("date_sent"))
    if "date_sent" in cols:
        sent_ts = sent_ts.fillna(timestamps(g("date_sent")))
    subject = text(g("subject")) if "subject" in cols else text(g("campaign_name"))
    if "subject" not in cols and "campaign_name" in cols:
        report.notes.append("the export has no subject: email_campaigns.subject = the campaign name")
    ev = pd.DataFrame({"campaign": text(g("campaign")), "email": text(g("email")), "kind": kind, "reason": reason,
                       "ts": ts, "sent_ts": sent_ts, "subject": subject})
    mapped = _map_events(ev, "BR-", known_emails or {}, report)
    report.unused_columns = unused(df.columns, cols.values())
    return mapped


def map_mailchimp(df: pd.DataFrame, known_emails: dict | None = None, path="mailchimp") -> Mapped:
    """Mailchimp campaign email activity -> email_campaigns (id MC-<campaign_id>), email_events."""
    cols = MAILCHIMP.resolve(df.columns, path)
    report = Report("mailchimp", rows_read=len(df), unit="activity rows")
    g = lambda k: df[cols[k]] if k in cols else pd.Series(None, index=df.index, dtype="object")  # noqa: E731
    raw = text(g("action")).map(lambda v: None if v is None else norm(v))
    kind = raw.map(MAILCHIMP_ACTIONS)
    reason = pd.Series([f"activity without a workbench e-mail event (action '{r}')" for r in raw], index=df.index)
    subject = text(g("subject"))
    if "subject" not in cols and "title" in cols:
        subject = text(g("title"))
        report.notes.append("the export has no subject_line: email_campaigns.subject = the campaign title")
    ev = pd.DataFrame({"campaign": text(g("campaign")), "email": text(g("email")), "kind": kind, "reason": reason,
                       "ts": timestamps(g("timestamp")), "sent_ts": timestamps(g("send_time")), "subject": subject})
    mapped = _map_events(ev, "MC-", known_emails or {}, report)
    report.unused_columns = unused(df.columns, cols.values())
    return mapped
