"""The fictional retailers of the sample generator: their profiles and generation parameters.

* `fashion` (the default): **Maison Lys**, a fashion and home chain (large stores and small
  proximity shops), competitors Orbe and Kaléo; twitter, instagram, facebook, tiktok.
* `grocery`: **Épicerie Soleil**, a grocery chain (hypermarchés, supermarchés, proximité, stores
  in La Réunion and Guadeloupe), competitors Marché Vert and Casa Prix; facebook, instagram,
  youtube, pinterest, twitter; tiers essentiel / plus / premium.

Each retailer is one `SampleRetailer`: its `RetailerProfile` (written beside the data as
`retailer.yaml`; the generator takes every vocabulary from it) and the parameters that depend on
that vocabulary (probabilities per category, platform, tier and store format, products, e-mail
subjects, brand posts, search keywords, the recurring suggestion, the crisis day). Everything is
invented: no real company. Changing `FASHION` changes the default sample, whose files must stay
byte-identical (notebooks' checked outputs depend on them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.profile import RetailerProfile, default_alert_departments

__all__ = ["SampleRetailer", "FASHION", "GROCERY", "RETAILERS", "get_retailer"]


@dataclass(frozen=True, eq=False)
class SampleRetailer:
    """One fictional retailer: profile + generation parameters (arrays in the profile's order)."""

    name: str
    profile: RetailerProfile
    handles: dict[str, str]  # brand -> social handle
    # stores: probabilities of each store format (profile order) in big / other cities
    format_p_big: tuple[float, ...]
    format_p_small: tuple[float, ...]
    extra_cities: tuple[tuple, ...]  # (city, postcode, department, region, population), placed first
    # customers: P(tier | segment), 5 segments x tiers (profile order); lowest tier earns points?
    seg_tier: np.ndarray
    points_lowest: bool
    # purchases: P(category | segment), 5 x categories, and the mean unit price per category
    seg_category: np.ndarray
    category_price: np.ndarray
    products: dict[str, list[str]]  # category -> product words for texts
    post_products: dict[str, str] | None  # category -> plural for brand posts (None: first product + "s")
    post_categories: dict[str, str] | None  # category -> word in brand posts (None: the code)
    subjects: list[tuple[str, str | None]]  # e-mail subjects and their category
    # social: platform shares (profile order) of person accounts and social touchpoints
    account_platform_p: tuple[float, ...]
    touchpoint_platform_p: tuple[float, ...]
    brand_followers: tuple[int, ...]  # followers of the brand's account per platform (20k customers)
    brand_follower_scale: tuple[float, ...]  # per brand (brand first, then competitors)
    audience_growth: dict[str, dict[str, float]]  # brand -> platform -> monthly growth
    response_hours: dict[str, float]  # platform -> median answer delay of the brand
    mention_category_p: tuple[float, ...]  # category of mentions that name one
    quality_category: str  # planted product-line driver: quality complaints concentrate here
    brand_posts: list[str]
    suggestion: dict  # the recurring suggestion (truth): theme, keywords
    suggestions_recurring: list[str]
    suggestions_other: list[str]
    keywords: dict[str, tuple[float, float, bool]]  # search keyword -> (searches/20k, trend, sales-sensitive)
    template_overrides: dict = field(default_factory=dict)  # (theme, sentiment) -> templates
    crisis_theme: str = "livraison"
    crisis_department: str = "logistique"
    crisis_day_of_month: int = 14  # day of the last month when the crisis starts

    @property
    def brand(self) -> str:
        return self.profile.brand

    @property
    def competitors(self) -> tuple[str, ...]:
        return self.profile.competitors

    @property
    def brands(self) -> tuple[str, ...]:
        return self.profile.brands

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.profile.categories)

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(self.profile.platforms)

    @property
    def tiers(self) -> tuple[str, ...]:
        return self.profile.loyalty_tiers

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.profile.store_formats)

    @property
    def kpi_relation(self) -> dict:
        return {
            "soft": "positive_mentions",
            "hard": "sales",
            "frequency": "W",
            "lag": 1,
            "sign": "+",
            "description": f"weekly positive mentions of {self.brand} raise next week's sales",
        }

    def check(self) -> None:
        """The parameters agree with the profile (sizes, codes)."""
        n_cat, n_plat, n_tier, n_fmt = (len(self.categories), len(self.platforms), len(self.tiers),
                                        len(self.formats))
        assert self.seg_tier.shape == (5, n_tier) and self.seg_category.shape == (5, n_cat)
        assert len(self.category_price) == n_cat and len(self.mention_category_p) == n_cat
        assert len(self.format_p_big) == n_fmt == len(self.format_p_small)
        assert len(self.account_platform_p) == n_plat == len(self.touchpoint_platform_p)
        assert len(self.brand_followers) == n_plat and len(self.brand_follower_scale) == len(self.brands)
        assert set(self.products) == set(self.categories) and self.quality_category in self.categories
        assert set(self.handles) == set(self.brands) and set(self.audience_growth) == set(self.brands)
        assert all(set(g) == set(self.platforms) for g in self.audience_growth.values())
        assert set(self.response_hours) == set(self.platforms)
        assert all(c is None or c in self.categories for _, c in self.subjects)
        assert self.profile.formats_recruiting("staff"), "nominations need a staff-recruiting format"


_ALERTS = default_alert_departments()

# --------------------------------------------------------------------------------- fashion

FASHION = SampleRetailer(
    name="fashion",
    profile=RetailerProfile(
        brand="Maison Lys",
        competitors=("Orbe", "Kaléo"),
        currency="EUR",
        categories={"mode": "Mode", "maison": "Maison", "beaute": "Beauté", "sport": "Sport",
                    "enfant": "Enfant", "high_tech": "High-tech"},
        platforms={"twitter": "X (Twitter)", "instagram": "Instagram", "facebook": "Facebook",
                   "tiktok": "TikTok"},
        loyalty_tiers=("none", "silver", "gold", "platinum"),
        loyalty_labels={"none": "Sans carte", "silver": "Argent", "gold": "Or", "platinum": "Platine"},
        store_formats={"large": {"label": "Grand magasin", "recruiting": "crm"},
                       "small": {"label": "Proximité", "recruiting": "staff"}},
        alert_departments=_ALERTS,
    ),
    handles={"Maison Lys": "maisonlys", "Orbe": "orbe_officiel", "Kaléo": "kaleo_fr"},
    format_p_big=(0.55, 0.45),
    format_p_small=(0.15, 0.85),
    extra_cities=(),
    seg_tier=np.array(
        [  # none, silver, gold, platinum
            [0.45, 0.40, 0.13, 0.02],
            [0.25, 0.45, 0.25, 0.05],
            [0.10, 0.45, 0.35, 0.10],
            [0.05, 0.15, 0.45, 0.35],
            [0.70, 0.25, 0.05, 0.00],
        ]
    ),
    points_lowest=False,
    seg_category=np.array(
        [  # mode, maison, beaute, sport, enfant, high_tech
            [0.35, 0.08, 0.22, 0.15, 0.02, 0.18],
            [0.20, 0.28, 0.10, 0.12, 0.25, 0.05],
            [0.15, 0.40, 0.18, 0.05, 0.15, 0.07],
            [0.30, 0.30, 0.15, 0.10, 0.05, 0.10],
            [0.40, 0.15, 0.10, 0.15, 0.10, 0.10],
        ]
    ),
    category_price=np.array([32.0, 40.0, 16.0, 38.0, 20.0, 95.0]),
    products={
        "mode": ["robe", "jean", "pull", "veste", "chemise"],
        "maison": ["canapé", "lampe", "coussin", "table basse", "rideau"],
        "beaute": ["crème", "parfum", "mascara", "shampoing"],
        "sport": ["baskets", "tapis de yoga", "sac de sport", "legging"],
        "enfant": ["poussette", "pyjama", "jouet", "doudou"],
        "high_tech": ["casque", "enceinte", "tablette", "chargeur"],
    },
    post_products=None,
    post_categories=None,
    subjects=[
        ("Nouvelle collection : découvrez nos coups de cœur", "mode"),
        ("Votre maison se refait une beauté", "maison"),
        ("Soldes : jusqu'à -50 % sur une sélection", None),
        ("Black Friday : vos offres exclusives", None),
        ("Vos points fidélité vous attendent", None),
        ("Idées cadeaux de Noël pour toute la famille", "enfant"),
        ("Rentrée sportive : équipez-vous", "sport"),
        ("Les essentiels beauté du moment", "beaute"),
        ("High-tech : les nouveautés à prix doux", "high_tech"),
        ("Livraison offerte ce week-end", None),
    ],
    account_platform_p=(0.30, 0.35, 0.20, 0.15),
    touchpoint_platform_p=(0.2, 0.4, 0.25, 0.15),
    brand_followers=(30_000, 60_000, 90_000, 12_000),
    brand_follower_scale=(1.0, 0.7, 0.5),
    audience_growth={  # monthly growth of followers, per brand and platform
        "Maison Lys": {"twitter": 0.004, "instagram": 0.025, "facebook": 0.002, "tiktok": 0.09},
        "Orbe": {"twitter": 0.002, "instagram": 0.015, "facebook": -0.002, "tiktok": 0.05},
        "Kaléo": {"twitter": 0.001, "instagram": 0.02, "facebook": 0.0, "tiktok": 0.04},
    },
    response_hours={"twitter": 1.5, "facebook": 4.0, "instagram": 6.0, "tiktok": 12.0},
    mention_category_p=(0.3, 0.25, 0.12, 0.12, 0.08, 0.13),
    quality_category="maison",
    brand_posts=[
        "Découvrez notre nouvelle collection {c} ✨ savoir-faire et qualité #{h}",
        "Soldes : jusqu'à -50 % en magasin et sur l'appli ! #{h}",
        "Livraison offerte dès 49 € ce week-end 🚚 #{h}",
        "Programme fidélité : doublez vos points cette semaine 💳 #{h}",
        "Nos {p} sont conçus en France, qualité et élégance #{h}",
        "Click & collect : commandez en ligne, retirez en 2 h dans votre magasin #{h}",
        "Black Friday : offres exclusives sur toute la collection #{h}",
        "Idées cadeaux : notre sélection {c} pour Noël 🎁 #{h}",
    ],
    suggestion={"theme": "cabines d'essayage", "keywords": ["cabine", "cabines", "essayage"]},
    suggestions_recurring=[
        "{b} il faudrait plus de cabines d'essayage, toujours la queue le samedi",
        "Ce serait bien d'avoir des cabines d'essayage plus grandes chez {b}",
        "{b} pourquoi pas ajouter des cabines d'essayage au rayon {p} ?",
        "J'aimerais que {b} ouvre plus de cabines d'essayage, on attend trop",
    ],
    suggestions_other=[
        "{b} il faudrait des caisses automatiques, ça irait plus vite",
        "Ce serait bien que {b} ouvre le dimanche matin",
        "J'aimerais une liste de courses dans l'appli {b}",
        "{b} pourquoi pas des emballages recyclables pour les colis ?",
        "Il faudrait un rayon seconde main chez {b}",
    ],
    keywords={  # keyword: (monthly searches per 20k customers, yearly trend, sales-sensitive)
        "maison lys": (9000, 0.05, True),
        "maison lys soldes": (2500, 0.0, True),
        "maison lys livraison": (1400, 0.10, False),
        "maison lys avis": (900, 0.05, False),
        "maison lys click and collect": (700, 0.30, False),
        "maison lys carte fidélité": (500, 0.0, False),
        "maison lys magasin horaires": (1100, 0.0, False),
        "maison lys retour": (600, 0.05, False),
        "canapé convertible": (3000, 0.0, True),
        "robe d'été": (2500, 0.0, True),
        "idée cadeau noël": (4000, 0.0, True),
        "seconde main vêtements": (1500, 0.9, False),
        "location robe soirée": (400, 0.7, False),
        "orbe soldes": (1800, 0.0, True),
        "kaléo promo": (1200, 0.0, True),
    },
)

# --------------------------------------------------------------------------------- grocery

GROCERY = SampleRetailer(
    name="grocery",
    profile=RetailerProfile(
        brand="Épicerie Soleil",
        competitors=("Marché Vert", "Casa Prix"),
        currency="EUR",
        categories={"epicerie": "Épicerie", "frais": "Produits frais", "boissons": "Boissons",
                    "droguerie": "Droguerie-hygiène", "bebe": "Bébé", "bio": "Bio"},
        platforms={"facebook": "Facebook", "instagram": "Instagram", "youtube": "YouTube",
                   "pinterest": "Pinterest", "twitter": "X (Twitter)"},
        loyalty_tiers=("essentiel", "plus", "premium"),
        loyalty_labels={"essentiel": "Essentiel", "plus": "Plus", "premium": "Premium"},
        store_formats={"hyper": {"label": "Hypermarché", "recruiting": "crm"},
                       "super": {"label": "Supermarché", "recruiting": "crm"},
                       "proxi": {"label": "Proximité", "recruiting": "staff"}},
        alert_departments=_ALERTS,
        stop_words=("courses",),
    ),
    handles={"Épicerie Soleil": "epiceriesoleil", "Marché Vert": "marchevert_fr", "Casa Prix": "casaprix"},
    format_p_big=(0.35, 0.40, 0.25),
    format_p_small=(0.05, 0.35, 0.60),
    extra_cities=(  # overseas stores and customers (placed first: small samples get stores there)
        ("Saint-Pierre", "97410", "974", "La Réunion", 85),
        ("Le Tampon", "97430", "974", "La Réunion", 80),
        ("Saint-Paul", "97460", "974", "La Réunion", 105),
        ("Les Abymes", "97139", "971", "Guadeloupe", 53),
        ("Baie-Mahault", "97122", "971", "Guadeloupe", 32),
    ),
    seg_tier=np.array(
        [  # essentiel, plus, premium
            [0.55, 0.35, 0.10],
            [0.40, 0.45, 0.15],
            [0.25, 0.50, 0.25],
            [0.10, 0.35, 0.55],
            [0.80, 0.18, 0.02],
        ]
    ),
    points_lowest=True,
    seg_category=np.array(
        [  # epicerie, frais, boissons, droguerie, bebe, bio
            [0.25, 0.20, 0.20, 0.10, 0.05, 0.20],
            [0.25, 0.22, 0.12, 0.13, 0.20, 0.08],
            [0.30, 0.35, 0.15, 0.12, 0.02, 0.06],
            [0.20, 0.25, 0.20, 0.08, 0.05, 0.22],
            [0.35, 0.20, 0.20, 0.15, 0.05, 0.05],
        ]
    ),
    category_price=np.array([6.0, 8.0, 7.0, 9.0, 15.0, 10.0]),
    products={
        "epicerie": ["biscuit", "paquet de pâtes", "café", "chocolat", "confiture"],
        "frais": ["yaourt", "fromage", "jambon", "poulet", "salade"],
        "boissons": ["jus de fruit", "eau gazeuse", "bière", "vin rouge"],
        "droguerie": ["lessive", "liquide vaisselle", "shampoing", "dentifrice"],
        "bebe": ["paquet de couches", "petit pot", "lait infantile", "lingettes"],
        "bio": ["légumes bio", "œufs bio", "pain bio", "quinoa"],
    },
    post_products={"epicerie": "biscuits", "frais": "yaourts", "boissons": "jus de fruits",
                   "droguerie": "produits ménagers", "bebe": "petits pots", "bio": "légumes bio"},
    post_categories={"epicerie": "épicerie", "frais": "produits frais", "boissons": "boissons",
                     "droguerie": "droguerie", "bebe": "bébé", "bio": "bio"},
    subjects=[
        ("Vos courses de la semaine à petits prix", None),
        ("Le marché du frais : arrivages de saison", "frais"),
        ("Apéro : notre sélection de boissons", "boissons"),
        ("Bébé : -30 % sur les couches", "bebe"),
        ("Le bio pour tous, tous les jours", "bio"),
        ("Maison propre : promos droguerie", "droguerie"),
        ("Épicerie fine : nos nouveautés", "epicerie"),
        ("Vos points fidélité vous attendent", None),
        ("Livraison de courses offerte ce week-end", None),
        ("Black Friday : vos offres exclusives", None),
    ],
    account_platform_p=(0.35, 0.28, 0.14, 0.13, 0.10),
    touchpoint_platform_p=(0.35, 0.30, 0.15, 0.12, 0.08),
    brand_followers=(80_000, 45_000, 15_000, 20_000, 8_000),
    brand_follower_scale=(1.0, 0.8, 0.6),
    audience_growth={
        "Épicerie Soleil": {"facebook": 0.003, "instagram": 0.02, "youtube": 0.07, "pinterest": 0.035,
                            "twitter": -0.001},
        "Marché Vert": {"facebook": 0.001, "instagram": 0.015, "youtube": 0.03, "pinterest": 0.02,
                        "twitter": -0.002},
        "Casa Prix": {"facebook": 0.002, "instagram": 0.01, "youtube": 0.02, "pinterest": 0.01,
                      "twitter": 0.0},
    },
    response_hours={"facebook": 3.0, "instagram": 6.0, "youtube": 24.0, "pinterest": 36.0, "twitter": 2.0},
    mention_category_p=(0.22, 0.30, 0.15, 0.10, 0.10, 0.13),
    quality_category="frais",
    brand_posts=[
        "Arrivage de saison au rayon {c} ✨ fraîcheur et qualité #{h}",
        "Promos de la semaine : jusqu'à -30 % en magasin et sur l'appli ! #{h}",
        "Livraison de courses offerte dès 60 € ce week-end 🚚 #{h}",
        "Programme fidélité : doublez vos points cette semaine 💳 #{h}",
        "Nos {p} viennent de producteurs de la région #{h}",
        "Drive : commandez en ligne, retirez vos courses en 2 h dans votre magasin #{h}",
        "Black Friday : offres exclusives dans tout le magasin #{h}",
        "Recettes de fête : notre sélection {c} pour Noël 🎁 #{h}",
    ],
    suggestion={"theme": "rayon vrac", "keywords": ["vrac"]},
    suggestions_recurring=[
        "{b} il faudrait un rayon vrac plus grand, toujours vide le samedi",
        "Ce serait bien d'avoir plus de produits en vrac chez {b}",
        "{b} pourquoi pas ajouter du vrac au rayon {p} ?",
        "J'aimerais que {b} propose plus de vrac, on en manque trop",
    ],
    suggestions_other=[
        "{b} il faudrait des caisses automatiques, ça irait plus vite",
        "Ce serait bien que {b} ouvre le dimanche matin",
        "J'aimerais une liste de courses dans l'appli {b}",
        "{b} pourquoi pas des sacs en papier pour le drive ?",
        "Il faudrait un rayon de producteurs locaux chez {b}",
    ],
    keywords={
        "epicerie soleil": (9000, 0.05, True),
        "epicerie soleil promo": (2800, 0.0, True),
        "epicerie soleil drive": (2000, 0.20, False),
        "epicerie soleil livraison courses": (1300, 0.15, False),
        "epicerie soleil avis": (700, 0.05, False),
        "epicerie soleil carte fidélité": (600, 0.0, False),
        "epicerie soleil horaires": (1500, 0.0, False),
        "recette facile": (3500, 0.0, False),
        "idée repas noël": (3000, 0.0, True),
        "courses en vrac": (900, 0.8, False),
        "produits bio pas cher": (1200, 0.3, True),
        "marché vert promo": (1700, 0.0, True),
        "casa prix catalogue": (1300, 0.0, True),
    },
    template_overrides={  # texts that would sound like fashion with grocery products
        ("qualité", "negative"): [
            "{p} {b} abîmé dès l'achat, qualité {i} décevante",
            "La qualité {b} n'est plus ce qu'elle était, {p} déjà abîmé",
            "Mon {p} {b} était périmé au bout de 2 jours, mauvaise qualité",
        ],
        ("offre", "neutral"): [
            "{b} propose maintenant des {p}",
            "Nouvelle gamme {b} de {p} en magasin",
        ],
        ("offre", "positive"): [
            "Super choix de {p} chez {b}, il y en a pour tous les goûts",
            "La nouvelle gamme {b} est {i} réussie",
        ],
    },
    crisis_day_of_month=9,
)

RETAILERS = {r.name: r for r in (FASHION, GROCERY)}
for _r in RETAILERS.values():
    _r.check()


def get_retailer(name: str) -> SampleRetailer:
    """The fictional retailer `name` ('fashion' or 'grocery')."""
    try:
        return RETAILERS[name]
    except KeyError:
        raise ValueError(f"unknown retailer {name!r}; known: {', '.join(RETAILERS)}") from None
