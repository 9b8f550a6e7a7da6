"""The event rules, each written once in SQL (DuckDB dialect; transpiled for Spark by sqlglot).

Every rule is one named step: a SELECT over the raw tables (`touchpoints`, `transactions`,
`transaction_lines`, `email_events`, each with `_row`, its row order) or over earlier steps.
`workbench.events` runs the steps in order in a session (`engine.DuckDBSession` or
`engine.SparkSession`), each step becoming a table named after it. Parameters in braces are SQL
literals filled in by `step()`.

The rules, as an analyst states them:

* device linking: a device (`visitor_id`) seen logged in as exactly one customer is that
  customer's device; a device seen as several customers is shared and is linked to nobody;
* stitching: an anonymous touchpoint takes the customer of its device;
* research before a store purchase: a store purchase is "researched online" when the customer
  (stitched) had a research touchpoint (search, website, app) within the research window before
  it (same instant included) AND after the customer's previous purchase, any channel (browsing
  that ended in a web order belongs to that order, not to the next store visit);
* journeys: per person (the customer, else the device), touchpoints in time order; a journey
  ends at a purchase or after more than the journey window without activity; the touches of a
  session more than the window before its purchase form a journey of their own (not converted);
* per-customer aggregates: touchpoints per channel (after stitching), social platforms, store
  purchases and the researched ones, spend per category, e-mails sent / opened / clicked,
  store purchases and online orders.
"""

from __future__ import annotations

from workbench.schemas import EMAIL_EVENTS, TOUCHPOINT_CHANNELS

# the one definition of the channel groups the rules use (constants live here only)
RESEARCH_CHANNELS = ("search", "website", "app")  # touchpoints that are online research
PURCHASE = "purchase"  # the touchpoint channel of a purchase (ends a journey)
# touchpoint channels counted per customer (`tp_<channel>` / `<channel>_touchpoints`)
ACTIVITY_CHANNELS = tuple(c for c in TOUCHPOINT_CHANNELS if c != PURCHASE)
SOCIAL_CHANNEL = "social"
OFFLINE_SALES = ("store",)  # sales channels of store purchases
ONLINE_SALES = ("web", "app")  # sales channels of online orders
__all__ = ["EMAIL_EVENTS", "RESEARCH_CHANNELS", "PURCHASE", "ACTIVITY_CHANNELS", "SOCIAL_CHANNEL",
           "OFFLINE_SALES", "ONLINE_SALES", "STEPS", "step"]

STEPS: dict[str, str] = {}


def _step(name: str, sql: str) -> None:
    STEPS[name] = sql.strip()


def step(name: str, **params) -> str:
    """The SQL of step `name` with its parameters (SQL literals / identifiers) filled in."""
    return STEPS[name].format(**params)


# ----------------------------------------------------------------------------- device linking

_step("window_touchpoints", """
-- The touchpoints of the window [{start}, {end}).
SELECT CAST(visitor_id AS VARCHAR) AS visitor_id,
       CAST(customer_id AS VARCHAR) AS customer_id,
       "timestamp",
       CAST(channel AS VARCHAR) AS channel,
       CAST(platform AS VARCHAR) AS platform
FROM touchpoints
WHERE "timestamp" >= {start} AND "timestamp" < {end}
""")

_step("device_links", """
-- Device linking: a device seen logged in as exactly one customer is that customer's device;
-- a device seen as several customers is shared and linked to nobody.
SELECT visitor_id,
       CASE WHEN count(DISTINCT customer_id) = 1 THEN min(customer_id) END AS linked_customer,
       count(DISTINCT customer_id) > 1 AS shared_device
FROM {touchpoints}
WHERE customer_id IS NOT NULL
GROUP BY visitor_id
""")

_step("stitched_touchpoints", """
-- Stitching: an anonymous touchpoint takes the customer of its device (device_links); an
-- identified one keeps its customer (only the anonymous ones are looked up).
SELECT t.*, t.customer_id AS customer_key, false AS stitched, false AS shared_device
FROM {touchpoints} AS t
WHERE t.customer_id IS NOT NULL
UNION ALL
SELECT t.*,
       d.linked_customer AS customer_key,
       d.linked_customer IS NOT NULL AS stitched,
       coalesce(d.shared_device, false) AS shared_device
FROM {touchpoints} AS t
LEFT JOIN device_links AS d ON t.visitor_id = d.visitor_id
WHERE t.customer_id IS NULL
""")

_step("stitch_counts", """
-- What stitching did in the window: touchpoints, anonymous before and after, shared devices.
SELECT count(*) AS touchpoints,
       count(*) FILTER (WHERE customer_id IS NULL) AS anonymous_before,
       count(*) FILTER (WHERE stitched) AS stitched,
       count(*) FILTER (WHERE customer_key IS NULL) AS still_anonymous,
       (SELECT count(*) FROM device_links WHERE shared_device) AS ambiguous_visitors
FROM stitched_touchpoints
""")

# ----------------------------------------------------------------------------- purchases

_step("window_purchases", """
-- The identified purchases of the window, each with the customer's previous purchase in the
-- window (any channel; purchases at the same instant ordered by transaction_id).
SELECT transaction_id, customer_id, channel, "timestamp",
       lag("timestamp") OVER (PARTITION BY customer_id
                              ORDER BY "timestamp", transaction_id) AS previous_purchase
FROM (SELECT CAST(transaction_id AS VARCHAR) AS transaction_id,
             CAST(customer_id AS VARCHAR) AS customer_id,
             CAST(channel AS VARCHAR) AS channel, "timestamp"
      FROM transactions
      WHERE customer_id IS NOT NULL AND "timestamp" >= {start} AND "timestamp" < {end})
""")

_step("store_research", """
-- Research before a store purchase: the customer's last research touchpoint (stitched) at or
-- before the purchase; the purchase is researched when that research is within the research
-- window and after the customer's previous purchase.
WITH research AS (
    SELECT customer_key AS customer_id, "timestamp"
    FROM stitched_touchpoints
    WHERE customer_key IS NOT NULL AND channel IN ({research_channels})
),
store_purchases AS (
    SELECT transaction_id, customer_id, "timestamp", previous_purchase
    FROM window_purchases
    WHERE channel IN ({offline_sales})
),
timeline AS (  -- research and store purchases of each customer; research first at equal times
    SELECT customer_id, "timestamp", 0 AS is_purchase, "timestamp" AS research_time,
           CAST(NULL AS VARCHAR) AS transaction_id, CAST(NULL AS TIMESTAMP) AS previous_purchase
    FROM research
    UNION ALL
    SELECT customer_id, "timestamp", 1 AS is_purchase, CAST(NULL AS TIMESTAMP) AS research_time,
           transaction_id, previous_purchase
    FROM store_purchases
),
last_research AS (
    SELECT *, max(research_time) OVER (
                  PARTITION BY customer_id ORDER BY "timestamp", is_purchase
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_research
    FROM timeline
)
SELECT transaction_id, customer_id, "timestamp", last_research,
       date_diff('microsecond', last_research, "timestamp") / 86400e6 AS days_since_research,
       coalesce(date_diff('microsecond', last_research, "timestamp") <= {research_window_us}
                AND (previous_purchase IS NULL OR last_research > previous_purchase),
                false) AS researched
FROM last_research
WHERE is_purchase = 1
""")

# ----------------------------------------------------------------------------- per customer

_step("touchpoint_activity", """
-- Touchpoints per channel and distinct social platforms of each customer, after stitching.
SELECT customer_key AS customer_id,
       {channel_counts},
       count(DISTINCT platform) FILTER (WHERE channel = {social}) AS social_platforms
FROM stitched_touchpoints
WHERE customer_key IS NOT NULL
GROUP BY customer_key
""")

_step("research_activity", """
-- Store purchases of each customer and those researched online first.
SELECT customer_id, count(*) AS store_purchases,
       count(*) FILTER (WHERE researched) AS store_researched
FROM store_research
GROUP BY customer_id
""")

_step("category_spend", """
-- Spend per product category of each customer's purchases (an exact decimal sum: the same
-- figure whatever the order of the lines and the engine).
SELECT p.customer_id, {category_sums}
FROM (SELECT CAST(transaction_id AS VARCHAR) AS transaction_id,
             CAST(category AS VARCHAR) AS category, amount
      FROM transaction_lines) AS l
JOIN window_purchases AS p ON l.transaction_id = p.transaction_id
GROUP BY p.customer_id
""")

_step("email_activity", """
-- E-mail events of each customer in the window [{start}, {end}).
SELECT CAST(customer_id AS VARCHAR) AS customer_id, {event_counts}
FROM email_events
WHERE customer_id IS NOT NULL AND "timestamp" >= {start} AND "timestamp" < {end}
GROUP BY CAST(customer_id AS VARCHAR)
""")

_step("purchase_contacts", """
-- Store purchases and online orders of each customer id in the window.
SELECT customer_id,
       count(*) FILTER (WHERE channel IN ({offline_sales})) AS store_purchases,
       count(*) FILTER (WHERE channel IN ({online_sales})) AS online_orders
FROM window_purchases
GROUP BY customer_id
""")

# ----------------------------------------------------------------------------- journeys

_step("all_touchpoints", """
-- Every touchpoint (journeys are cut over the whole log given): what the journey rules read.
SELECT CAST(visitor_id AS VARCHAR) AS visitor_id,
       CAST(customer_id AS VARCHAR) AS customer_id,
       "timestamp", CAST(channel AS VARCHAR) AS channel, _row
FROM touchpoints
""")

_step("people", """
-- The person of each touchpoint: its customer (known or stitched), else its device.
SELECT *, coalesce(customer_key, 'anon:' || visitor_id) AS person_id
FROM stitched_touchpoints
""")

_step("persons", """
-- The persons (see people) in id order, numbered from 0, with their customer (null for a
-- device): journeys are numbered by person in this order, the journey steps partition and sort
-- by this small number rather than by the text id, and the outputs name a person by it.
SELECT person_id, customer_key, row_number() OVER (ORDER BY person_id) - 1 AS person_no
FROM (SELECT person_id, min(customer_key) AS customer_key FROM {people} GROUP BY person_id)
""")

_step("numbered_people", """
-- Each stitched touchpoint with its person's number (see persons) instead of its ids.
SELECT p.person_no, t._row, t."timestamp", t.channel
FROM {people} AS t
JOIN persons AS p ON t.person_id = p.person_id
""")

_step("person_timeline", """
-- Each touchpoint as the journey rules read it: its person's number, its row, time and
-- whether it is a purchase. `numbered`: touchpoints with person_no (numbered_people, or a log
-- numbered by person the same way).
SELECT person_no, _row, "timestamp", CAST(channel AS VARCHAR) = {purchase} AS is_purchase
FROM {numbered}
""")

_step("journey_sessions", """
-- Sessions: per person in time order (a purchase after the touches of the same instant), a new
-- session starts after a purchase or after more than the journey window without activity.
-- `timeline`: person_timeline (or a log already numbered by person the same way).
WITH ordered AS (  -- one sort per person, shared by the three functions
    SELECT *, lag("timestamp") OVER person_time AS previous_time,
              lag(is_purchase) OVER person_time AS after_purchase,
              row_number() OVER person_time AS person_row
    FROM {timeline}
    WINDOW person_time AS (PARTITION BY person_no ORDER BY "timestamp", is_purchase, _row)
),
starts AS (
    SELECT *, previous_time IS NULL OR after_purchase
              OR date_diff('microsecond', previous_time, "timestamp") > {window_us}
                  AS session_start
    FROM ordered
)
SELECT person_no, _row, "timestamp", is_purchase, CAST(person_row AS INTEGER) AS person_row,
       CAST(count(CASE WHEN session_start THEN 1 END)
                OVER (PARTITION BY person_no ORDER BY "timestamp", is_purchase, _row
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS INTEGER) AS session
FROM starts
""")

_step("journey_touches", """
-- Journeys: a session ending in a purchase converts; its touches more than the journey window
-- before the purchase form a journey of their own (first), the others lead to the purchase.
-- A journey is thus a session, or one of its two parts. Journeys are numbered by person (in
-- id order), then time; `position` is the row's rank in its journey (0 = first).
WITH conversions AS (  -- the purchase that ends each converted session (its last row)
    SELECT person_no, session, "timestamp" AS conversion_time
    FROM journey_sessions
    WHERE is_purchase
),
parts AS (  -- too early: a touch more than the window before its session's purchase
    SELECT s.person_no, s._row, s."timestamp", s.is_purchase, s.session, s.person_row,
           coalesce(NOT s.is_purchase
                    AND date_diff('microsecond', s."timestamp", c.conversion_time) > {window_us},
                    false) AS too_early
    FROM journey_sessions AS s
    LEFT JOIN conversions AS c ON s.person_no = c.person_no AND s.session = c.session
),
numbered AS (  -- the touches too early come first in their session (time order), so the
               -- person's journeys in time order are its (session, too early first) groups
    SELECT person_no, _row, "timestamp", is_purchase,
           dense_rank() OVER person_parts AS person_journey,
           person_row - rank() OVER person_parts AS position
    FROM parts
    WINDOW person_parts AS (PARTITION BY person_no ORDER BY session, too_early DESC)
),
people_before AS (  -- journeys of the persons before each person (one row per person)
    SELECT person_no,
           sum(journeys) OVER (ORDER BY person_no
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               - journeys AS journeys_before
    FROM (SELECT person_no, max(person_journey) AS journeys FROM numbered GROUP BY person_no)
)
SELECT n.person_no, n._row, n."timestamp", n.is_purchase,
       CAST(b.journeys_before + n.person_journey - 1 AS BIGINT) AS journey_id,
       CAST(n.position AS INTEGER) AS position
FROM numbered AS n
JOIN people_before AS b ON n.person_no = b.person_no
""")

_step("journeys", """
-- One row per journey: its person (`person_no`, see persons: the journey's customer is
-- the person's), first and last time, touches, purchase (the journey's last row) and the row
-- of its purchase.
SELECT journey_id, min(person_no) AS person_no,
       min("timestamp") AS "start", max("timestamp") AS "end",
       count(*) FILTER (WHERE NOT is_purchase) AS n_touches,
       bool_or(is_purchase) AS converted,
       max(CASE WHEN is_purchase THEN "timestamp" END) AS conversion_time,
       max(CASE WHEN is_purchase THEN _row END) AS purchase_row
FROM journey_touches
GROUP BY journey_id
""")

_step("touches", """
-- The journeys' touches (purchases left out): journey, position in the journey, and row of the
-- touchpoint (its time, channel, platform... are the row's).
SELECT journey_id, position, _row
FROM journey_touches
WHERE NOT is_purchase
""")
