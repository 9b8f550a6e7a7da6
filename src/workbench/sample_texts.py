"""French text material of the sample generator, shared by every fictional retailer.

Themes of the social listening and their probabilities, post templates per theme and sentiment
(`{b}` brand reference, `{p}` product, `{i}` intensifier), questions, emojis, replies, spelling
noise, brand replies, store reviews, bios and staff nomination reasons. What depends on the
retailer (products, suggestions, brand posts, e-mail subjects…) is in `workbench.sample_retailers`.
Changing anything here changes the generated sample: the default sample must stay byte-identical.
"""

from __future__ import annotations

MENTION_THEMES = (
    "livraison",
    "service client",
    "prix",
    "promotions",
    "qualité",
    "magasin",
    "retours",
    "appli",
    "fidélité",
    "offre",
)
THEME_GIVEN_SENTIMENT = {  # P(theme | sentiment), in MENTION_THEMES order
    "negative": [0.20, 0.20, 0.12, 0.04, 0.12, 0.10, 0.10, 0.07, 0.03, 0.02],
    "neutral": [0.14, 0.08, 0.12, 0.14, 0.06, 0.14, 0.08, 0.08, 0.08, 0.08],
    "positive": [0.06, 0.06, 0.08, 0.20, 0.16, 0.16, 0.03, 0.07, 0.09, 0.09],
}
COMPLAINT_THEMES = {"livraison", "service client", "retours", "appli", "magasin", "qualité", "promotions", "fidélité"}
CATEGORY_THEMES = {"prix", "promotions", "qualité", "offre", "retours"}
INTENS = ["vraiment", "trop", "super", "hyper", "tellement", "très"]
TEMPLATES = {
    ("livraison", "negative"): [
        "Commande passée il y a 10 jours chez {b} et toujours rien reçu, livraison en retard {i} inadmissible",
        "{b} mon colis n'est jamais arrivé et personne ne répond, c'est {i} nul",
        "Livraison annoncée hier, toujours pas de colis. {b} vous êtes pas sérieux",
        "Encore un retard de livraison avec {b}, je ne commanderai plus jamais",
        "Colis abîmé et livré en retard par {b}, {i} déçue",
    ],
    ("livraison", "neutral"): [
        "Commande {b} en cours de livraison, on verra bien",
        "Livraison {b} prévue jeudi pour mon {p}",
        "J'ai choisi la livraison express de {b}, à voir",
    ],
    ("livraison", "positive"): [
        "Livraison {i} rapide avec {b}, reçu le lendemain !",
        "Colis {b} arrivé en avance et bien emballé, top",
        "Rien à dire, livraison nickel chez {b}",
    ],
    ("service client", "negative"): [
        "Service client {b} injoignable depuis 3 jours, {i} agaçant",
        "{b} 45 minutes d'attente au téléphone pour rien, service client nul",
        "Aucune réponse du service client {b} à mes mails, c'est pas normal",
        "Le service client de {b} ne sert à rien, personne ne règle mon problème",
    ],
    ("service client", "neutral"): [
        "J'ai contacté le service client {b} pour une question sur ma commande",
        "Le service client {b} est ouvert le dimanche, bon à savoir",
    ],
    ("service client", "positive"): [
        "Merci au service client {b}, problème réglé en 5 minutes",
        "Conseillère {i} sympa au service client {b}, bravo",
        "Service client {b} au top, {i} réactif",
    ],
    ("prix", "negative"): [
        "Les prix chez {b} ont {i} augmenté, {p} hors de prix",
        "{b} {p} beaucoup trop cher pour la qualité",
        "C'est pas donné chez {b}, je vais voir ailleurs",
    ],
    ("prix", "neutral"): [
        "Je compare le prix du {p} chez {b} avec les autres",
        "Comparaison des prix entre {b} et les autres pour un {p}",
    ],
    ("prix", "positive"): [
        "Prix {i} corrects chez {b} pour ce {p}",
        "{b} pas cher et bien, j'adore mon nouveau {p}",
        "Bon rapport qualité prix chez {b}",
    ],
    ("promotions", "negative"): [
        "Les soi-disant promos de {b} c'est de l'arnaque, pas de vraie réduction",
        "Code promo {b} qui ne marche pas, {i} énervant",
    ],
    ("promotions", "neutral"): [
        "Les soldes {b} commencent mercredi",
        "Promo {b} sur les {p} cette semaine #soldes",
        "Vu une offre {b} pour le Black Friday",
    ],
    ("promotions", "positive"): [
        "Soldes {b} {i} bien, -50% sur mon {p} !",
        "Les promos {b} du Black Friday sont top",
        "Super affaire chez {b} pendant les soldes, ravie",
    ],
    ("qualité", "negative"): [
        "{p} {b} cassé au bout d'une semaine, qualité {i} décevante",
        "La qualité {b} n'est plus ce qu'elle était, {p} déjà abîmé",
        "Mon {p} {b} s'est déchiré au premier lavage, nul",
    ],
    ("qualité", "neutral"): [
        "J'attends de voir la qualité des {p} {b}",
        "Le {p} {b} est fabriqué en Europe",
    ],
    ("qualité", "positive"): [
        "{p} {b} de {i} bonne qualité, je recommande",
        "Très satisfaite de mon {p} {b}, solide et beau",
        "Qualité au rendez-vous chez {b}, mon {p} est parfait",
    ],
    ("magasin", "negative"): [
        "Magasin {b} en bazar, rayons vides et 20 min d'attente en caisse",
        "Accueil {i} désagréable au magasin {b} ce matin",
        "Une seule caisse ouverte un samedi chez {b}, n'importe quoi",
    ],
    ("magasin", "neutral"): [
        "Le magasin {b} est ouvert le dimanche matin",
        "Passage au magasin {b} cet après-midi",
        "Nouveau magasin {b} en centre-ville",
    ],
    ("magasin", "positive"): [
        "Vendeuse {i} agréable au magasin {b}, merci pour les conseils",
        "Magasin {b} {i} bien rangé, on trouve tout",
        "J'adore le nouveau magasin {b}, super ambiance",
    ],
    ("retours", "negative"): [
        "Retour de mon {p} chez {b} il y a un mois et toujours pas remboursé",
        "{b} refuse de me rembourser mon {p}, scandaleux",
        "Procédure de retour {b} {i} compliquée, jamais plus",
    ],
    ("retours", "neutral"): [
        "Je vais faire un retour chez {b} pour un {p}",
        "Retour {b} déposé en point relais",
    ],
    ("retours", "positive"): [
        "Retour {b} {i} simple, remboursé en 3 jours",
        "Échange de mon {p} sans souci chez {b}, merci",
    ],
    ("appli", "negative"): [
        "L'appli {b} plante encore au moment de payer",
        "Appli {b} {i} lente, impossible de valider mon panier",
        "Bug de l'appli {b}, mes points fidélité ont disparu",
    ],
    ("appli", "neutral"): [
        "Mise à jour de l'appli {b} disponible",
        "J'utilise l'appli {b} pour le click and collect",
    ],
    ("appli", "positive"): [
        "L'appli {b} est {i} pratique pour le click and collect",
        "Nouvelle appli {b} fluide et simple, bravo",
    ],
    ("fidélité", "negative"): [
        "Carte fidélité {b} qui ne sert à rien, points perdus",
        "Programme fidélité {b} {i} décevant",
    ],
    ("fidélité", "neutral"): [
        "Je viens de m'inscrire au programme fidélité {b}",
        "Mes points fidélité {b} expirent en décembre",
    ],
    ("fidélité", "positive"): [
        "Bon d'achat grâce à ma carte fidélité {b}, {i} content",
        "Le programme fidélité {b} est vraiment avantageux",
    ],
    ("offre", "negative"): [
        "Jamais de {p} en stock chez {b}, offre {i} limitée",
        "Choix {i} pauvre chez {b} en {p}",
    ],
    ("offre", "neutral"): [
        "{b} propose maintenant des {p}",
        "Nouvelle collection {b} de {p} en magasin",
    ],
    ("offre", "positive"): [
        "Super choix de {p} chez {b}, il y en a pour tous les goûts",
        "La nouvelle collection {b} est {i} belle",
    ],
}
QUESTIONS = {
    "livraison": ["{b} ma commande n'est toujours pas expédiée, vous pouvez vérifier ?", "{b} la livraison est offerte à partir de combien ?", "{b} vous livrez en Corse ?"],
    "service client": ["{b} comment joindre le service client ?", "{b} vous répondez par message privé ?"],
    "retours": ["{b} je peux retourner un {p} acheté en ligne en magasin ?", "{b} combien de temps pour être remboursé après un retour ?"],
    "appli": ["{b} l'appli ne m'affiche plus mes points, c'est normal ?", "{b} comment activer le click and collect sur l'appli ?"],
    "magasin": ["{b} le magasin de Lyon est ouvert le 1er mai ?", "{b} vous avez des {p} en stock au magasin ?"],
    "fidélité": ["{b} comment utiliser mes points fidélité en ligne ?"],
    "offre": ["{b} le {p} sera de nouveau disponible quand ?"],
}
EMOJI = {
    "negative": ["😡", "👎", "😤", ":(", "😠", "🤬"],
    "neutral": ["🤔", "", "", "👀"],
    "positive": ["😍", "👍", "❤️", ":)", "🥰", "👌"],
}
REPLIES_PERSON = {
    "negative": ["Pareil pour moi, {i} galère", "Moi aussi j'attends toujours", "Même problème chez moi"],
    "neutral": ["Bonne question", "Je me demandais aussi", "+1"],
    "positive": ["Carrément d'accord !", "Trop bien", "Je confirme, top"],
}
NOISE = [
    ("vraiment", "vrmt"), ("très", "tres"), ("c'est", "cest"), ("quand", "qd"), ("toujours", "tjrs"),
    ("trop", "trooop"), ("beaucoup", "bcp"), ("problème", "probleme"), ("déçue", "decue"), ("top", "toooop"),
]
BRAND_REPLY = {
    "question": "Bonjour, merci pour votre message ! Nous vous répondons en message privé 🙂",
    "complaint": "Bonjour, nous sommes désolés pour ce désagrément. Pouvez-vous nous écrire en message privé avec votre numéro de commande ?",
}
REVIEWS = {
    "positive": [
        "Personnel très accueillant et de bon conseil", "Magasin propre et bien rangé",
        "Passage en caisse rapide, merci", "Très bon accueil au rayon {p}",
    ],
    "neutral": ["Magasin correct", "RAS, j'ai trouvé mon {p}", "Un peu de monde mais ça va"],
    "negative": [
        "Attente interminable en caisse", "Rayon {p} vide, pas de stock", "Vendeur désagréable et pas disponible",
        "Magasin sale et mal rangé",
    ],
}
BIO_PLACE = ["📍 ", "", "Vit à ", ""]
BIO_ABOUT = ["Maman de 2 enfants", "Fan de déco", "Sport et nature", "Amoureuse de mode", "Geek assumé"]
BIO_INTEREST = ["Passion {c}", "Fan de {c}", "Toujours partant·e pour du {c}", "Accro : {c}"]  # planted interests
NOMINATION_REASONS = [
    "Cliente fidèle, toujours de bons conseils aux autres clients",
    "Vient chaque semaine, connaît bien les produits",
    "Très impliqué dans la vie du magasin",
    "Recommande souvent le magasin à ses proches",
    "A participé à l'atelier déco du magasin",
]
