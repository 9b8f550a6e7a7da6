"""The rule scorer's own French lexicon (`workbench.sentiment.EXTRA_LEXICON`): opinion words
textblob-fr lacks, retail vocabulary, neutralisers and review phrases. Data only, kept apart
so that `workbench.sentiment` stays readable."""

# Words textblob-fr lacks (it covers mostly adjectives): common French opinion nouns, verbs and
# interjections (some picked by reading the scorer's errors on xlmt train+val, never test), and
# retail vocabulary. Keys are accent-free normalised words or phrases; values are polarities in
# [-1, 1]; 0.0 marks a word that carries no opinion here. Phrases win over single words.
EXTRA_LEXICON: dict[str, float] = {
    # general opinion words
    "adore": 0.9, "adorer": 0.9, "j'adore": 0.9, "aime": 0.6, "aimer": 0.5, "kiffe": 0.8,
    "merci": 0.5, "bravo": 0.8, "felicitations": 0.8, "chapeau": 0.6, "genial": 0.9,
    "top": 0.7, "cool": 0.6, "parfait": 0.9, "parfaite": 0.9, "nickel": 0.8, "excellent": 0.9,
    "super": 0.6, "ravi": 0.8, "ravie": 0.8, "content": 0.6, "contente": 0.6, "satisfait": 0.6,
    "satisfaite": 0.6, "heureux": 0.7, "heureuse": 0.7, "espoir": 0.5, "succes": 0.6,
    "reussite": 0.6, "victoire": 0.6, "progres": 0.4, "solution": 0.3, "bonne nouvelle": 0.7,
    "enfin": 0.2, "recommande": 0.6, "conseille": 0.4, "efficace": 0.5, "rapide": 0.5,
    "pratique": 0.5, "sympa": 0.6, "agreable": 0.6, "avantageux": 0.5, "mdr": 0.3,
    "catastrophe": -0.8, "catastrophique": -0.9, "desastre": -0.8, "scandale": -0.8,
    "scandaleux": -0.8, "honte": -0.8, "honteux": -0.8, "arnaque": -0.9, "escroquerie": -0.9,
    "nul": -0.7, "nulle": -0.7, "naze": -0.7, "pourri": -0.8, "horrible": -0.9, "inadmissible": -0.9,
    "inacceptable": -0.9, "lamentable": -0.9, "pitoyable": -0.8, "deplorable": -0.8,
    "decu": -0.7, "decue": -0.7, "decus": -0.7, "decevant": -0.7, "deception": -0.7,
    "enerve": -0.7, "enervee": -0.7, "agace": -0.5, "marre": -0.7, "ras le bol": -0.8,
    "colere": -0.7, "furieux": -0.8, "furieuse": -0.8, "probleme": -0.4, "souci": -0.3,
    "danger": -0.5, "dangereux": -0.6, "menace": -0.5, "crise": -0.4, "pollution": -0.4,
    "polluer": -0.4, "detruire": -0.6, "destruction": -0.6, "mort": -0.5, "morts": -0.5,
    "tuer": -0.7, "tue": -0.5, "inquietant": -0.6, "inquiet": -0.5, "peur": -0.5,
    "triste": -0.6, "tristesse": -0.6, "alerte": -0.3, "victime": -0.5, "victimes": -0.5,
    "degat": -0.5, "degats": -0.5, "echec": -0.6, "rate": -0.5, "ratee": -0.5,
    "galere": -0.6, "galerer": -0.6, "attente": -0.3, "bazar": -0.5, "n'importe quoi": -0.7,
    "ne sert a rien": -0.8, "sert a rien": -0.8, "pas normal": -0.6,
    "mieux": 0.4, "grace a": 0.3, "honneur": 0.5, "fete": 0.4, "protection": 0.3,
    "proteger": 0.3, "investir": 0.3, "creation": 0.2, "creer": 0.2, "construire": 0.2,
    "developper": 0.2, "agir": 0.3, "inauguration": 0.4, "croissance": 0.3, "innovation": 0.4,
    "innovant": 0.5, "innovante": 0.5, "bienvenue": 0.5, "bienvenu": 0.5, "gagner": 0.4,
    "polemique": -0.5, "disparaitre": -0.5, "disparition": -0.5, "disparu": -0.4,
    "abattage": -0.5, "indifference": -0.5, "rejette": -0.4, "assassine": -0.7, "revolte": -0.5,
    "manque": -0.4, "risque": -0.4, "suspension": -0.3, "accuse": -0.4, "condamne": -0.5,
    "deplore": -0.5, "denonce": -0.5, "pire": -0.7, "mensonge": -0.6, "menteur": -0.7,
    "fake": -0.5, "rien a voir": -0.3, "dommage": -0.5, "helas": -0.5, "malheureusement": -0.5,
    "emopos": 0.7, "emoneg": -0.7,
    # retail: delivery, service, refunds, stores, quality
    "en retard": -0.6, "retard": -0.5, "retarde": -0.5, "jamais recu": -0.9,
    "pas recu": -0.7, "toujours pas recu": -0.9, "colis perdu": -0.8, "perdu": -0.4,
    "abime": -0.6, "abimee": -0.6, "abimes": -0.6, "casse": -0.6, "cassee": -0.6,
    "dechire": -0.7, "dechiree": -0.7, "defectueux": -0.8, "injoignable": -0.8,
    "aucune reponse": -0.7, "sans reponse": -0.7, "pas de reponse": -0.7,
    "toujours pas rembourse": -0.9, "toujours pas remboursee": -0.9, "pas rembourse": -0.8,
    "pas remboursee": -0.8, "rembourse": 0.3, "remboursee": 0.3, "remboursement": 0.0,
    "rupture": -0.4, "rupture de stock": -0.5, "rayons vides": -0.5, "vide": -0.2,
    "trop cher": -0.6, "hors de prix": -0.7, "pas donne": -0.5, "cher": -0.3, "chers": -0.3,
    "bon rapport qualite prix": 0.8, "petit prix": 0.4, "bonne affaire": 0.7, "super affaire": 0.8,
    "bon plan": 0.6, "pas cher": 0.5, "bug": -0.6,
    "bugue": -0.6, "plante": -0.5, "crash": -0.6, "lent": -0.4, "lente": -0.4,
    "compliquee": -0.4, "complique": -0.4, "jamais plus": -0.7, "plus jamais": -0.7,
    "livre en retard": -0.7, "en avance": 0.5, "recu le lendemain": 0.7, "dans les temps": 0.4,
    "bien recu": 0.6, "sans souci": 0.5, "pas de souci": 0.4, "pas de probleme": 0.4,
    "souriant": 0.6, "souriante": 0.6, "aimable": 0.6, "serviable": 0.6,
    "a l'ecoute": 0.6, "desagreable": -0.7, "impoli": -0.7, "impolie": -0.7, "mepris": -0.7,
    "a fuir": -0.9, "fuyez": -0.9, "je vais voir ailleurs": -0.6, "voir ailleurs": -0.5,
    "vraiment content": 0.8, "au top": 0.8, "enervant": -0.7, "enervante": -0.7,
    "ne marche pas": -0.6, "ne marche plus": -0.6, "ne fonctionne pas": -0.6,
    "ne fonctionne plus": -0.6, "pas de colis": -0.6, "toujours pas": -0.4, "pas serieux": -0.6,
    "agacant": -0.6, "agacante": -0.6, "decevante": -0.7,
    # neutralisers: frequent words textblob-fr scores but which carry no opinion in retail
    # posts ("sur" is also the accent-free "sûr"; "trop"/"super" are mostly intensifiers)
    "sur": 0.0, "autres": 0.0, "promo": 0.0, "promos": 0.0, "nouvelle": 0.0, "nouveau": 0.0,
    "nouveaux": 0.0, "nouvelles": 0.0, "qualite": 0.0, "disponible": 0.0, "ouvert": 0.0,
    "ouverte": 0.0, "basse": 0.0, "table basse": 0.0, "plus": 0.0, "enceinte": 0.0,
    "ajouter": 0.0, "normal": 0.0, "activer": 0.0, "apres": 0.0, "grandes": 0.0, "grand": 0.0,
    "tres": 0.0, "trop": 0.0, "beaucoup": 0.0, "premier": 0.0, "arrive": 0.0, "accueil": 0.0, "tous": 0.0,
    "tout": 0.0, "simple": 0.0, "seule": 0.0, "seul": 0.0, "donne": 0.0, "avance": 0.0,
    "rembourser": 0.0, "aimerais": 0.0, "j'aimerais": 0.0,
    "question": 0.0, "service": 0.0, "client": 0.0, "reduction": 0.0, "affaire": 0.0,
    # review phrases (products, films, series) that single words miss or get backwards
    "rien a redire": 0.6, "conforme": 0.4, "conforme a la description": 0.6, "pas mal": 0.5,
    "tient ses promesses": 0.6, "ne tient pas ses promesses": -0.6, "sans plus": -0.4,
    "en dessous": -0.4, "en deca": -0.4, "bacle": -0.7, "baclee": -0.7, "sans interet": -0.7,
    "aucun interet": -0.7, "perte de temps": -0.8, "a eviter": -0.8, "navet": -0.8,
    "je le renvoie": -0.4, "taille petit": -0.3, "taille grand": -0.3,
    # vaderSentiment-fr's lexicon (the model's fallback) translates English words whose French
    # form is neutral in retail: "prix" (prize -> price), "fidelite" (loyalty programme)
    "prix": 0.0, "soldes": 0.0, "solde": 0.0, "fidelite": 0.0, "attends": 0.0, "attendre": 0.0,
    "payer": 0.0, "garantie": 0.0,
}
