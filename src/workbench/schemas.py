"""Data contracts: every raw table the workbench reads, in one place.

Each table lists its columns (type, allowed values, nullability) and its key. `datasets`
validates every read against these contracts (with pandera) and turns failures into one
clear error naming the file, the column, the rows and what was expected.

Two kinds of closed lists:
* the workbench's own codes (SEXES, CSP, SALES_CHANNELS, TOUCHPOINT_CHANNELS, EMAIL_EVENTS,
  ACCOUNT_TYPES, INTERACTION_TYPES) are fixed here: analyses depend on them;
* the retailer's vocabularies (product categories, social platforms, loyalty tiers, store
  formats, regions) come from the retailer profile (`workbench.profile`): those columns carry
  `vocabulary=<profile key>` and `allowed=None` in `TABLES` (open when there is no profile);
  `contracts(profile)` returns the contracts with these lists closed by the profile.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

with warnings.catch_warnings():  # pandera imports pyspark.pandas when the 'spark' extra is
    # installed, which warns about pandas 3 on stderr of every notebook: not the reader's concern
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support",
                            category=FutureWarning)
    import pandera.pandas as pa

# Workbench-fixed codes, shared by the generator, the analyses and the contracts.
SEXES = ("F", "M")
CSP = (  # French socio-professional categories (INSEE PCS, level 1 + retired / inactive)
    "agriculteurs",
    "artisans_commercants",
    "cadres",
    "professions_intermediaires",
    "employes",
    "ouvriers",
    "retraites",
    "sans_activite",
)
SALES_CHANNELS = ("store", "web", "app", "click_collect")
EMAIL_EVENTS = ("sent", "open", "click")
ACCOUNT_TYPES = ("person", "brand")
INTERACTION_TYPES = ("like", "share", "retweet", "comment")
TOUCHPOINT_CHANNELS = (
    "search",
    "social",
    "email",
    "display",
    "website",
    "app",
    "store_visit",
    "purchase",
)

# Profile keys that hold a retailer vocabulary (`Col.vocabulary`).
VOCABULARIES = ("categories", "platforms", "loyalty_tiers", "store_formats", "regions")


@dataclass(frozen=True)
class Col:
    """One column of a table contract."""

    name: str
    dtype: str  # "str", "int", "float", "bool", "date", "datetime"
    nullable: bool = False
    allowed: tuple | None = None
    ge: float | None = None
    le: float | None = None
    description: str = ""
    vocabulary: str | None = None  # profile key holding the allowed values (see VOCABULARIES)


@dataclass(frozen=True)
class Table:
    """One raw table: its columns, its key and what it is."""

    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    personal: tuple[str, ...] = field(default=())  # columns never shown in reports

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {}


def _table(name, columns, key=(), description="", personal=()):
    TABLES[name] = Table(name, tuple(columns), tuple(key), description, tuple(personal))


_table(
    "stores",
    [
        Col("store_id", "str"),
        Col("store_name", "str"),
        Col("format", "str", vocabulary="store_formats",
            description="store format, e.g. hypermarché or proximité (profile: store_formats)"),
        Col("city", "str"),
        Col("postcode", "str"),
        Col("department", "str", description="French department code, e.g. '75', '2A'"),
        Col("region", "str", vocabulary="regions"),
    ],
    key=["store_id"],
    description="The brand's physical stores.",
)

_table(
    "customers",
    [
        Col("customer_id", "str"),
        Col("first_name", "str", nullable=True, description="for identity matching only"),
        Col("last_name", "str", nullable=True, description="for identity matching only"),
        Col("email", "str", nullable=True, description="for identity matching only"),
        Col("birth_year", "int", nullable=True, ge=1900, le=2015),
        Col("sex", "str", nullable=True, allowed=SEXES),
        Col("csp", "str", nullable=True, allowed=CSP, description="socio-professional category"),
        Col("postcode", "str", nullable=True),
        Col("city", "str", nullable=True),
        Col("department", "str", nullable=True),
        Col("region", "str", nullable=True, vocabulary="regions"),
        Col("home_store_id", "str", nullable=True),
        Col("loyalty_tier", "str", vocabulary="loyalty_tiers"),
        Col("loyalty_points", "int", ge=0),
        Col("email_consent", "bool"),
        Col("ambassador_consent", "bool", description="consented to the ambassador programme"),
        Col("signup_date", "date"),
    ],
    key=["customer_id"],
    description="CRM: one row per known customer (loyalty card or web account).",
    personal=["first_name", "last_name", "email"],
)

_table(
    "transactions",
    [
        Col("transaction_id", "str"),
        Col("customer_id", "str", nullable=True, description="null for anonymous purchases"),
        Col("store_id", "str", nullable=True, description="store for store and click & collect"),
        Col("channel", "str", allowed=SALES_CHANNELS),
        Col("timestamp", "datetime"),
        Col("amount", "float", ge=0, description="basket total in euros, VAT included"),
        Col("n_items", "int", ge=1),
    ],
    key=["transaction_id"],
    description="Purchases (tickets and orders).",
)

_table(
    "transaction_lines",
    [
        Col("transaction_id", "str"),
        Col("line_no", "int", ge=1),
        Col("category", "str", vocabulary="categories", description="product category (product line)"),
        Col("quantity", "int", ge=1),
        Col("amount", "float", ge=0),
    ],
    key=["transaction_id", "line_no"],
    description="Lines of each purchase, by product category.",
)

_table(
    "email_campaigns",
    [
        Col("campaign_id", "str"),
        Col("sent_date", "date"),
        Col("subject", "str"),
        Col("category", "str", nullable=True, vocabulary="categories"),
    ],
    key=["campaign_id"],
    description="E-mail and newsletter campaigns.",
)

_table(
    "email_events",
    [
        Col("campaign_id", "str"),
        Col("customer_id", "str"),
        Col("event", "str", allowed=EMAIL_EVENTS),
        Col("timestamp", "datetime"),
    ],
    key=["campaign_id", "customer_id", "event"],
    description="One row per campaign, customer and event (sent, open, click).",
)

_table(
    "social_accounts",
    [
        Col("account_id", "str"),
        Col("platform", "str", vocabulary="platforms"),
        Col("handle", "str"),
        Col("display_name", "str", nullable=True),
        Col("followers", "int", ge=0),
        Col("bio", "str", nullable=True, description="free text, sometimes a city or an e-mail"),
        Col("account_type", "str", allowed=ACCOUNT_TYPES),
        Col("brand", "str", nullable=True, description="for brand accounts: the brand they speak for"),
    ],
    key=["account_id"],
    description="Social accounts seen by listening: people and brands (ours and competitors').",
    personal=["handle", "display_name", "bio"],
)

_table(
    "brand_posts",
    [
        Col("post_id", "str"),
        Col("account_id", "str", description="the brand account that posted"),
        Col("platform", "str", vocabulary="platforms"),
        Col("brand", "str"),
        Col("timestamp", "datetime"),
        Col("text", "str"),
        Col("reply_to", "str", nullable=True, description="mention_id this post answers, if a reply"),
    ],
    key=["post_id"],
    description="Brands' own posts, including their public replies to customers.",
)

_table(
    "interactions",
    [
        Col("interaction_id", "str"),
        Col("post_id", "str", description="a brand post_id or a mention_id"),
        Col("account_id", "str", description="who interacted"),
        Col("type", "str", allowed=INTERACTION_TYPES),
        Col("timestamp", "datetime"),
    ],
    key=["interaction_id"],
    description="Likes, shares, retweets and comments on posts and mentions.",
)

_table(
    "mentions",
    [
        Col("mention_id", "str"),
        Col("platform", "str", vocabulary="platforms"),
        Col("account_id", "str", description="author"),
        Col("timestamp", "datetime"),
        Col("text", "str", description="French text as posted"),
        Col("brand", "str", description="brand mentioned: ours or a competitor"),
        Col("reply_to", "str", nullable=True, description="mention_id or post_id answered"),
        Col("retweet_of", "str", nullable=True, description="mention_id reshared"),
        Col("category", "str", nullable=True, vocabulary="categories",
            description="product line, when known"),
    ],
    key=["mention_id"],
    description="Public posts about a brand (ours or competitors').",
)

_table(
    "touchpoints",
    [
        Col("touchpoint_id", "str"),
        Col("visitor_id", "str", description="device / cookie id, for anonymous-to-known stitching"),
        Col("customer_id", "str", nullable=True, description="null until the visitor is identified"),
        Col("timestamp", "datetime"),
        Col("channel", "str", allowed=TOUCHPOINT_CHANNELS),
        Col("platform", "str", nullable=True, vocabulary="platforms", description="for social touchpoints"),
        Col("transaction_id", "str", nullable=True, description="for purchase touchpoints"),
    ],
    key=["touchpoint_id"],
    description="Customer-journey events across channels, online and offline.",
)

_table(
    "staff_nominations",
    [
        Col("nomination_id", "str"),
        Col("store_id", "str"),
        Col("staff_id", "str"),
        Col("customer_id", "str"),
        Col("date", "date"),
        Col("reason", "str", nullable=True),
    ],
    key=["nomination_id"],
    description="Customers nominated as possible ambassadors by store staff.",
)

_table(
    "audience",
    [
        Col("date", "date"),
        Col("platform", "str", vocabulary="platforms"),
        Col("brand", "str"),
        Col("followers", "int", ge=0),
    ],
    key=["date", "platform", "brand"],
    description="Followers of each brand account per platform per day.",
)

_table(
    "search_keywords",
    [
        Col("month", "date", description="first day of the month"),
        Col("keyword", "str"),
        Col("searches", "int", ge=0),
    ],
    key=["month", "keyword"],
    description="Monthly search volume of keywords around the brand.",
)

_table(
    "daily_kpis",
    [
        Col("date", "date"),
        Col("store_traffic", "int", ge=0, description="visitors counted at store entrances"),
        Col("web_sessions", "int", ge=0),
        Col("app_sessions", "int", ge=0),
        Col("customer_service_calls", "int", ge=0),
    ],
    key=["date"],
    description="Daily operational counters for the whole brand.",
)

_table(
    "store_reviews",
    [
        Col("review_id", "str"),
        Col("store_id", "str"),
        Col("customer_id", "str", nullable=True),
        Col("date", "date"),
        Col("rating", "int", ge=1, le=5),
        Col("text", "str", description="French free text left in store"),
    ],
    key=["review_id"],
    description="Customer reviews collected in store (cards, tablets).",
)

RAW_TABLES = tuple(TABLES)

# French description of every column, for readers of the reports (the data-quality page names
# columns this way, never by their code): "what it is" in a marketer's words, "(id)" for an
# identifier. One place, beside the contracts; a test checks every contract column has one.
COLUMN_LABELS_FR: dict[str, dict[str, str]] = {
    "stores": {
        "store_id": "magasin (id)", "store_name": "nom du magasin", "format": "format du magasin",
        "city": "ville", "postcode": "code postal", "department": "département", "region": "région",
    },
    "customers": {
        "customer_id": "client (id)", "first_name": "prénom", "last_name": "nom",
        "email": "adresse e-mail", "birth_year": "année de naissance", "sex": "sexe",
        "csp": "catégorie socio-professionnelle", "postcode": "code postal", "city": "ville",
        "department": "département", "region": "région", "home_store_id": "magasin habituel (id)",
        "loyalty_tier": "niveau de fidélité", "loyalty_points": "points de fidélité",
        "email_consent": "consentement e-mail", "ambassador_consent": "consentement ambassadeur",
        "signup_date": "date d'inscription",
    },
    "transactions": {
        "transaction_id": "achat (id)", "customer_id": "client (id) — vide pour un achat anonyme",
        "store_id": "magasin (id) — vide pour un achat en ligne livré", "channel": "canal de vente",
        "timestamp": "date et heure", "amount": "montant TTC", "n_items": "nombre d'articles",
    },
    "transaction_lines": {
        "transaction_id": "achat (id)", "line_no": "numéro de ligne", "category": "catégorie de produits",
        "quantity": "quantité", "amount": "montant TTC de la ligne",
    },
    "email_campaigns": {
        "campaign_id": "campagne (id)", "sent_date": "date d'envoi", "subject": "objet de l'e-mail",
        "category": "catégorie de produits mise en avant",
    },
    "email_events": {
        "campaign_id": "campagne (id)", "customer_id": "client (id)",
        "event": "événement (envoi, ouverture, clic)", "timestamp": "date et heure",
    },
    "social_accounts": {
        "account_id": "compte (id)", "platform": "réseau social", "handle": "pseudo",
        "display_name": "nom affiché", "followers": "abonnés", "bio": "bio du compte",
        "account_type": "type de compte (personne ou marque)",
        "brand": "marque représentée (comptes de marque seulement)",
    },
    "brand_posts": {
        "post_id": "publication (id)", "account_id": "compte de la marque (id)", "platform": "réseau social",
        "brand": "marque", "timestamp": "date et heure", "text": "texte",
        "reply_to": "message auquel la marque répond (id) — vide pour une publication",
    },
    "interactions": {
        "interaction_id": "interaction (id)", "post_id": "publication ou mention (id)",
        "account_id": "compte qui réagit (id)", "type": "type d'interaction", "timestamp": "date et heure",
    },
    "mentions": {
        "mention_id": "mention (id)", "platform": "réseau social", "account_id": "auteur (id)",
        "timestamp": "date et heure", "text": "texte", "brand": "marque citée",
        "reply_to": "message auquel la mention répond (id) — vide hors réponses",
        "retweet_of": "message retweeté (id) — vide hors retweets",
        "category": "catégorie de produits citée",
    },
    "touchpoints": {
        "touchpoint_id": "point de contact (id)", "visitor_id": "appareil ou navigateur (id)",
        "customer_id": "client (id) — vide tant que le visiteur n'est pas identifié",
        "timestamp": "date et heure", "channel": "canal",
        "platform": "réseau social — seulement pour les contacts sur les réseaux",
        "transaction_id": "achat (id) — seulement pour les contacts d'achat",
    },
    "staff_nominations": {
        "nomination_id": "recommandation (id)", "store_id": "magasin (id)", "staff_id": "membre du personnel (id)",
        "customer_id": "client (id)", "date": "date", "reason": "motif de la recommandation",
    },
    "audience": {"date": "date", "platform": "réseau social", "brand": "marque", "followers": "abonnés"},
    "search_keywords": {"month": "mois", "keyword": "mot-clé", "searches": "recherches"},
    "daily_kpis": {
        "date": "date", "store_traffic": "fréquentation des magasins", "web_sessions": "sessions du site web",
        "app_sessions": "sessions de l'application", "customer_service_calls": "appels au service client",
    },
    "store_reviews": {
        "review_id": "avis (id)", "store_id": "magasin (id)", "customer_id": "client (id) — vide si anonyme",
        "date": "date", "rating": "note (1 à 5)", "text": "texte de l'avis",
    },
}


def column_label(table: str, column: str, short: bool = False) -> str:
    """The French description of a contract column ("message retweeté (id) — vide hors
    retweets"; with `short`, what comes before the " — " note: "message retweeté (id)"); the
    column's own name when the contract does not know it (an extra column)."""
    text = COLUMN_LABELS_FR.get(table, {}).get(column, column)
    return text.split(" — ")[0] if short else text


def vocabulary_columns() -> dict[str, list[tuple[str, str]]]:
    """{profile key: [(table, column), ...]}: where each retailer vocabulary is used."""
    out: dict[str, list[tuple[str, str]]] = {k: [] for k in VOCABULARIES}
    for t in TABLES.values():
        for c in t.columns:
            if c.vocabulary:
                out[c.vocabulary].append((t.name, c.name))
    return out


def contracts(profile=None) -> dict[str, Table]:
    """The contracts of every raw table with the retailer's vocabularies closed by `profile`
    (a `workbench.profile.RetailerProfile`): each column with a `vocabulary` gets
    `allowed` = the profile's codes for that key. `profile=None`: the open contracts (TABLES).
    New Table objects are returned; TABLES is never changed."""
    if profile is None:
        return dict(TABLES)
    out = {}
    for name, t in TABLES.items():
        cols = tuple(
            replace(c, allowed=tuple(profile.vocabulary(c.vocabulary))) if c.vocabulary else c
            for c in t.columns
        )
        out[name] = replace(t, columns=cols)
    return out

_PANDERA_DTYPES = {
    "str": str,
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
}


def pandera_schema(table: str | Table) -> pa.DataFrameSchema:
    """The pandera contract of a table (after `datasets` has parsed types)."""
    t = TABLES[table] if isinstance(table, str) else table
    cols = {}
    for c in t.columns:
        checks = []
        if c.allowed is not None:
            checks.append(pa.Check.isin(list(c.allowed)))
        if c.ge is not None:
            checks.append(pa.Check.ge(c.ge))
        if c.le is not None:
            checks.append(pa.Check.le(c.le))
        cols[c.name] = pa.Column(
            _PANDERA_DTYPES[c.dtype], checks=checks, nullable=c.nullable, coerce=False, required=True
        )
    return pa.DataFrameSchema(cols, strict=False, name=t.name)
