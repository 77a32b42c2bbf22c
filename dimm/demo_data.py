"""Who the demo's organisations are, how mature each is, and the levels their respondents give."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

LEVERS = ("S", "OR", "PE", "OF", "TI", "E")
QUICK_PROFILE = "pme-10-priorites"
STUDY_SECTOR = "logement-social"
#: One fixed seed: every run draws the same organisations and the same answers.
SEED = 2026


@dataclass(frozen=True)
class DemoOrganisation:
    """An organisation of the demo, how mature it is, who answers for it and how it is assessed."""

    slug: str
    body: dict[str, Any]
    maturity: float
    respondents: tuple[tuple[str, str], ...]
    history: bool = False
    scope: str = "full"
    expert: bool = False

    @property
    def name(self) -> str:
        """Return the organisation's name, by which a later run finds it again."""
        return str(self.body["name"])


@dataclass(frozen=True)
class Seeded:
    """An organisation of the demo as it stands on the platform, with its latest submitted diagnostic."""

    demo: DemoOrganisation
    organisation_id: str
    diagnostic_id: str
    model_version: str
    created: bool


def _body(name: str, sector: str, headcount: int, region: str, kind: str = "entreprise") -> dict[str, Any]:
    return {
        "name": name,
        "sector": sector,
        "headcount": headcount,
        "region": region,
        "organisation_type": kind,
    }


SHOWCASE = DemoOrganisation(
    "boulangerie",
    _body("Boulangerie Martin", "commerce", 18, "bretagne"),
    1.6,
    (("Claire Martin", "direction"),),
    history=True,
)
FIRST_FOUR = (
    SHOWCASE,
    DemoOrganisation(
        "banque",
        _body("Banque du Littoral", "banque", 6200, "ile-de-france"),
        3.3,
        (("Sophie Laurent", "direction"), ("Karim Benali", "marketing"), ("Julie Morel", "DSI")),
    ),
    DemoOrganisation(
        "bailleur",
        _body("Habitat Sud Atlantique", STUDY_SECTOR, 420, "nouvelle-aquitaine"),
        2.2,
        (("Marc Petit", "direction"), ("Nadia Roux", "RH")),
    ),
    DemoOrganisation(
        "clinique",
        _body("Clinique des Tilleuls", "sante", 310, "occitanie", "association"),
        2.6,
        (("Paul Girard", "direction"),),
    ),
)

#: The sectors' typical maturity: the cohorts' medians differ visibly.
SECTOR_MATURITY = {
    "commerce": 1.8,
    STUDY_SECTOR: 2.4,
    "tourisme": 2.1,
    "services-professionnels": 2.8,
    "btp": 1.5,
    "agroalimentaire": 2.0,
    "sante": 2.3,
    "medias": 2.9,
    "transport-logistique": 1.9,
}
# name, sector, headcount, region, type; mostly TPE and PME, which have fewer indicators to answer.
# Sectors of 3 organisations or fewer (médias, transport) are withheld by the benchmark (k = 5).
_PEERS: tuple[tuple[str, str, int, str, str], ...] = (
    ("Fromagerie du Vieux Port", "commerce", 6, "provence-alpes-cote-d-azur", "entreprise"),
    ("Librairie Les Mots Passants", "commerce", 5, "bretagne", "entreprise"),
    ("Quincaillerie Lebrun", "commerce", 14, "pays-de-la-loire", "entreprise"),
    ("Cave Au Bon Cep", "commerce", 3, "nouvelle-aquitaine", "entreprise"),
    ("L'Atelier Vert, fleuriste", "commerce", 4, "bretagne", "entreprise"),
    ("Optique Rivage", "commerce", 8, "occitanie", "entreprise"),
    ("Jardinerie des Marais", "commerce", 32, "pays-de-la-loire", "entreprise"),
    ("Boucherie Roussel", "commerce", 7, "normandie", "entreprise"),
    ("Épicerie fine Terre et Mer", "commerce", 12, "bretagne", "entreprise"),
    ("Chaussures Delorme", "commerce", 24, "auvergne-rhone-alpes", "entreprise"),
    ("Cycles Armor", "commerce", 9, "bretagne", "entreprise"),
    ("Armor Habitat", STUDY_SECTOR, 180, "bretagne", "administration"),
    ("Logis Val de Loire", STUDY_SECTOR, 140, "centre-val-de-loire", "entreprise"),
    ("Toit Occitan", STUDY_SECTOR, 95, "occitanie", "entreprise"),
    ("Habitat Solidaire Normand", STUDY_SECTOR, 60, "normandie", "administration"),
    ("Les Foyers du Rhône", STUDY_SECTOR, 210, "auvergne-rhone-alpes", "entreprise"),
    ("Coopérative HLM Terres d'Ouest", STUDY_SECTOR, 35, "pays-de-la-loire", "entreprise"),
    ("Résidences de l'Estuaire", STUDY_SECTOR, 75, "nouvelle-aquitaine", "administration"),
    ("Camping Les Pins", "tourisme", 6, "nouvelle-aquitaine", "entreprise"),
    ("Hôtel du Port", "tourisme", 22, "bretagne", "entreprise"),
    ("Gîtes de la Vallée", "tourisme", 3, "occitanie", "entreprise"),
    ("Office de tourisme Côte d'Émeraude", "tourisme", 15, "bretagne", "administration"),
    ("Auberge du Lac", "tourisme", 9, "auvergne-rhone-alpes", "entreprise"),
    ("Hôtel Belle Rive", "tourisme", 40, "provence-alpes-cote-d-azur", "entreprise"),
    ("Villages Vacances Océane", "tourisme", 55, "pays-de-la-loire", "association"),
    ("Croisières de l'Erdre", "tourisme", 7, "pays-de-la-loire", "entreprise"),
    ("Leroy & Associés, expertise comptable", "services-professionnels", 26, "ile-de-france", "entreprise"),
    ("Agence Pixel Ouest", "services-professionnels", 8, "bretagne", "entreprise"),
    ("Marchand Avocats", "services-professionnels", 6, "ile-de-france", "entreprise"),
    ("Horizon Conseil RH", "services-professionnels", 4, "auvergne-rhone-alpes", "entreprise"),
    ("Géomètres Experts Réunis", "services-professionnels", 19, "occitanie", "entreprise"),
    ("Bureau d'études Thermia", "services-professionnels", 30, "pays-de-la-loire", "entreprise"),
    ("Traductions Babel", "services-professionnels", 3, "ile-de-france", "entreprise"),
    ("Cabinet Durand", "services-professionnels", 9, "nouvelle-aquitaine", "entreprise"),
    ("Maçonnerie Guillou", "btp", 7, "bretagne", "entreprise"),
    ("Charpentes du Bocage", "btp", 28, "normandie", "entreprise"),
    ("Électricité Fabre", "btp", 5, "occitanie", "entreprise"),
    ("Plomberie Chauffage Roux", "btp", 8, "auvergne-rhone-alpes", "entreprise"),
    ("Bâti-Rénov", "btp", 48, "pays-de-la-loire", "entreprise"),
    ("Couverture Le Goff", "btp", 4, "bretagne", "entreprise"),
    ("Biscuiterie des Abers", "agroalimentaire", 38, "bretagne", "entreprise"),
    ("Conserverie Océane", "agroalimentaire", 65, "pays-de-la-loire", "entreprise"),
    ("Brasserie Houblon d'Oc", "agroalimentaire", 6, "occitanie", "entreprise"),
    ("Confitures Mère Louise", "agroalimentaire", 9, "nouvelle-aquitaine", "entreprise"),
    ("Cidrerie du Pays d'Auge", "agroalimentaire", 5, "normandie", "entreprise"),
    ("Fromagerie du Haut-Jura", "agroalimentaire", 8, "bourgogne-franche-comte", "entreprise"),
    ("Pharmacie du Marché", "sante", 7, "bretagne", "entreprise"),
    ("Kinésithérapie Atlantique", "sante", 5, "pays-de-la-loire", "entreprise"),
    ("Laboratoire BioOuest", "sante", 34, "bretagne", "entreprise"),
    ("Centre dentaire Saint-Michel", "sante", 14, "occitanie", "entreprise"),
    ("Radio Côte Ouest", "medias", 8, "bretagne", "association"),
    ("Le Courrier du Bocage", "medias", 22, "normandie", "entreprise"),
    ("Studio Lumen", "medias", 4, "ile-de-france", "entreprise"),
    ("Transports Kerbrat", "transport-logistique", 60, "bretagne", "entreprise"),
    ("Ambulances de la Vallée", "transport-logistique", 6, "normandie", "entreprise"),
)
#: Quick diagnostics on the ten priorities, and the one whose every level an expert validated.
_QUICK = ("Cave Au Bon Cep", "L'Atelier Vert, fleuriste")
_EXPERT = "Toit Occitan"
_FIRST_NAMES = ("Anne", "Luc", "Inès", "Yann", "Léa", "Hugo", "Sarah", "Malo", "Chloé", "Samir", "Émilie")
_LAST_NAMES = ("Le Bihan", "Garnier", "Moreau", "Diallo", "Lefèvre", "Caron", "Nguyen", "Perrin", "Blanc")
_ROLES = ("direction", "gérance", "DSI", "qualité", "marketing")


def _peer(rng: random.Random, row: tuple[str, str, int, str, str]) -> DemoOrganisation:
    name, sector, headcount, region, kind = row
    maturity = min(4.4, max(0.4, rng.gauss(SECTOR_MATURITY[sector], 0.6)))
    respondent = (f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}", rng.choice(_ROLES))
    return DemoOrganisation(
        slug=name,
        body=_body(name, sector, headcount, region, kind),
        maturity=round(maturity, 2),
        respondents=(respondent,),
        scope=QUICK_PROFILE if name in _QUICK else "full",
        expert=name == _EXPERT,
    )


def _population() -> tuple[DemoOrganisation, ...]:
    rng = random.Random(SEED)
    return FIRST_FOUR + tuple(_peer(rng, row) for row in _PEERS)


ORGANISATIONS = _population()


def lever_offsets(rng: random.Random) -> dict[str, float]:
    """Draw how far each lever sits from the organisation's maturity (strong here, weak there)."""
    return {lever: rng.uniform(-0.8, 0.8) for lever in LEVERS}


def levels(
    rng: random.Random, maturity: float, offsets: dict[str, float], indicators: Iterable[dict[str, Any]]
) -> dict[str, int]:
    """Draw one respondent's level (0–5) of each indicator around the maturity of its lever."""
    return {
        item["code"]: max(0, min(5, round(rng.gauss(maturity + offsets[item["lever"]], 0.9))))
        for item in indicators
    }
