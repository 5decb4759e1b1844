"""What a name says about a room: the roles (bedroom, bathroom, kitchen, ...) whose words, in
several languages, a name holds after folding case and accents.

Area names are whatever the household typed, in its own language; so are entity and device
names, which name the room when an entity has no area ("Kitchen motion"). Entity ids are never
read for meaning.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

BEDROOM: Final = "bedroom"
BATHROOM: Final = "bathroom"
KITCHEN: Final = "kitchen"
LIVING: Final = "living"
DINING: Final = "dining"
OFFICE: Final = "office"
ENTRANCE: Final = "entrance"
LAUNDRY: Final = "laundry"
GARAGE: Final = "garage"
OUTDOOR: Final = "outdoor"

# Whole words or word prefixes (accents folded, lower case). Order matters only for names that
# contain two roles ("Kitchen-living room"): the first role listed here wins.
_KEYWORDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        BATHROOM,
        (
            "bathroom",
            "bath",
            "toilet",
            "wc",
            "restroom",
            "washroom",
            "lavatory",
            "shower",
            "ensuite",
            "en suite",
            "powder room",
            "bano",
            "aseo",
            "servicio",
            "lavabo",
            "ducha",
            "salle de bain",
            "salle d'eau",
            "toilettes",
            "badezimmer",
            "bad",
            "dusche",
            "gaste wc",
            "bagno",
            "servizi",
            "casa de banho",
            "banheiro",
            "badkamer",
            "wc",
            "lazienka",
            "kylpyhuone",
            "badrum",
            "bany",
            "vannaya",
            "koupelna",
        ),
    ),
    (
        BEDROOM,
        (
            "bedroom",
            "bed room",
            "master",
            "guest room",
            "nursery",
            "kids room",
            "dormitorio",
            "habitacion",
            "alcoba",
            "recamara",
            "cuarto",
            "chambre",
            "schlafzimmer",
            "kinderzimmer",
            "gastezimmer",
            "camera da letto",
            "camera matrimoniale",
            "camera degli ospiti",
            "cameretta",
            "quarto",
            "slaapkamer",
            "sypialnia",
            "makuuhuone",
            "sovrum",
            "soverom",
            "sovevaerelse",
            "dormitori",
            "loznice",
            "spalnya",
            "bed",
        ),
    ),
    (
        KITCHEN,
        (
            "kitchen",
            "kitchenette",
            "pantry",
            "cocina",
            "cuisine",
            "kuche",
            "cucina",
            "cozinha",
            "keuken",
            "kuchnia",
            "keittio",
            "kok",
            "kjokken",
            "kokken",
            "cuina",
            "kuchyne",
            "kukhnya",
        ),
    ),
    (
        DINING,
        (
            "dining",
            "comedor",
            "salle a manger",
            "esszimmer",
            "sala da pranzo",
            "sala de jantar",
            "eetkamer",
            "jadalnia",
            "menjador",
        ),
    ),
    (
        OFFICE,
        (
            "office",
            "study",
            "den",
            "workroom",
            "workspace",
            "despacho",
            "oficina",
            "estudio",
            "bureau",
            "arbeitszimmer",
            "buro",
            "ufficio",
            "studio",
            "escritorio",
            "kantoor",
            "werkkamer",
            "gabinet",
            "biuro",
            "tyohuone",
            "kontor",
            "pracovna",
        ),
    ),
    (
        LIVING,
        (
            "living",
            "lounge",
            "family room",
            "sitting room",
            "tv room",
            "salon",
            "sala",
            "estar",
            "sejour",
            "wohnzimmer",
            "soggiorno",
            "salotto",
            "woonkamer",
            "huiskamer",
            "pokoj dzienny",
            "olohuone",
            "vardagsrum",
            "stue",
            "dagligstue",
            "menjador",
            "obyvak",
            "gostinaya",
            "living room",
        ),
    ),
    (
        ENTRANCE,
        (
            "entrance",
            "entry",
            "entryway",
            "hall",
            "hallway",
            "foyer",
            "porch",
            "front door",
            "vestibule",
            "mudroom",
            "corridor",
            "entrada",
            "recibidor",
            "vestibulo",
            "pasillo",
            "zaguan",
            "entree",
            "couloir",
            "flur",
            "diele",
            "eingang",
            "ingresso",
            "corridoio",
            "hal",
            "gang",
            "przedpokoj",
            "eteinen",
            "hall",
            "rebedor",
            "predsin",
            "prikhozhaya",
        ),
    ),
    (
        LAUNDRY,
        (
            "laundry",
            "utility",
            "lavadero",
            "lavanderia",
            "buanderie",
            "waschkuche",
            "hauswirtschaftsraum",
            "bijkeuken",
            "pralnia",
        ),
    ),
    (GARAGE, ("garage", "garaje", "cochera", "garagem", "garaz", "autotalli", "carport")),
    (
        OUTDOOR,
        (
            "garden",
            "yard",
            "backyard",
            "driveway",
            "street",
            "patio",
            "terrace",
            "balcony",
            "deck",
            "jardin",
            "terraza",
            "balcon",
            "terrasse",
            "garten",
            "balkon",
            "giardino",
            "terrazzo",
            "balcone",
            "jardim",
            "varanda",
            "tuin",
            "ogrod",
            "outside",
            "outdoor",
            "exterior",
            "aussen",
            "aussenbereich",
            "hof",
            "einfahrt",
            "exterieur",
            "allee",
            "cour",
            "buiten",
            "oprit",
            "achtertuin",
            "voortuin",
            "veranda",
            "lawn",
            "hage",
        ),
    ),
)


def fold(text: str) -> str:
    """Lower case without accents, punctuation reduced to spaces (``Baño-1`` -> ``bano 1``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = plain.replace("ß", "ss").replace("ł", "l")
    return re.sub(r"[^a-z0-9']+", " ", plain).strip()


def _alternatives(words: tuple[str, ...], min_len: int = 0) -> str:
    folded = {fold(w) for w in words if len(fold(w)) >= min_len}
    return "|".join(sorted((re.escape(w) for w in folded), key=len, reverse=True))


# Whole-word matches first; then compounds ("Schlafzimmer", "bathrooms"), only for keywords of
# five letters or more so that "bad" never matches "badminton".
_EXACT: Final = [
    (role, re.compile(rf"(?:^|\s)(?:{_alternatives(words)})(?=\s|$)")) for role, words in _KEYWORDS
]
_COMPOUND: Final = [
    (role, re.compile(rf"(?:{_alternatives(words, 5)})")) for role, words in _KEYWORDS
]


def role_from_name(area: str | None) -> str | None:
    """Role an area name suggests, or None."""
    if not area:
        return None
    name = fold(area)
    if not name:
        return None
    for patterns in (_EXACT, _COMPOUND):
        for role, pattern in patterns:
            if pattern.search(name):
                return role
    return None


@functools.lru_cache(maxsize=4096)
def room_in_name(name: str | None) -> str | None:
    """The words of a name that name a room, as typed ("Kitchen" in "Kitchen motion",
    "Schlafzimmer" in "Schlafzimmer Fenster"); None when none do. For entities without an area:
    their own or their device's name usually says where they are."""
    if not name:
        return None
    words = [w for w in re.split(r"[\W_]+", name) if w and fold(w)]
    text = " ".join(fold(w) for w in words)  # one folded word per word typed
    for patterns in (_EXACT, _COMPOUND):
        for _role, pattern in patterns:
            match = pattern.search(text)
            if match is not None:
                a, b = match.span()
                if text[a] == " ":
                    a += 1  # a whole-word match starts with the space before it
                return " ".join(words[text[:a].count(" ") : text[:b].count(" ") + 1])
    return None
