"""Platform vocabularies: size bands (INSEE), organisation types, French regions."""

from __future__ import annotations

from typing import Literal

SizeBand = Literal["TPE", "PME", "ETI", "GE"]
OrganisationType = Literal["entreprise", "administration", "association"]

#: Lower headcount bound of each band (INSEE): TPE < 10, PME 10–249, ETI 250–4 999, GE ≥ 5 000.
SIZE_BAND_FLOORS: tuple[tuple[int, SizeBand], ...] = ((5000, "GE"), (250, "ETI"), (10, "PME"), (0, "TPE"))

#: Each size band in words, for a reader who does not know INSEE's acronyms.
SIZE_BAND_LABELS: dict[str, str] = {
    "TPE": "très petite entreprise (moins de 10 personnes)",
    "PME": "petite ou moyenne entreprise (10 à 249 personnes)",
    "ETI": "entreprise de taille intermédiaire (250 à 4 999 personnes)",
    "GE": "grande entreprise (5 000 personnes ou plus)",
}

ORGANISATION_TYPE_LABELS: dict[str, str] = {
    "entreprise": "entreprise",
    "administration": "administration publique",
    "association": "association",
}

REGIONS: dict[str, str] = {
    "auvergne-rhone-alpes": "Auvergne-Rhône-Alpes",
    "bourgogne-franche-comte": "Bourgogne-Franche-Comté",
    "bretagne": "Bretagne",
    "centre-val-de-loire": "Centre-Val de Loire",
    "corse": "Corse",
    "grand-est": "Grand Est",
    "hauts-de-france": "Hauts-de-France",
    "ile-de-france": "Île-de-France",
    "normandie": "Normandie",
    "nouvelle-aquitaine": "Nouvelle-Aquitaine",
    "occitanie": "Occitanie",
    "pays-de-la-loire": "Pays de la Loire",
    "provence-alpes-cote-d-azur": "Provence-Alpes-Côte d'Azur",
    "guadeloupe": "Guadeloupe",
    "martinique": "Martinique",
    "guyane": "Guyane",
    "la-reunion": "La Réunion",
    "mayotte": "Mayotte",
    "hors-france": "Hors France",
}


def size_band_for(headcount: int) -> SizeBand:
    """Return the INSEE size band of a headcount."""
    if headcount < 0:
        raise ValueError("a headcount cannot be negative")
    return next(band for floor, band in SIZE_BAND_FLOORS if headcount >= floor)
