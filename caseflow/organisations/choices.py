"""The fixed lists of the public form and the organisation register (DESIGN.md §5)."""

from __future__ import annotations

import enum

from caseflow.translating import lazy_gettext as _l


class Sector(enum.StrEnum):
    BUERGERDIENST = "buergerdienst"
    KINDER_FAMILIE = "kinder_familie"
    GESUNDHEIT = "gesundheit"
    SONSTIGE = "sonstige"

    @property
    def label(self) -> str:
        return str(SECTOR_LABELS[self])


SECTOR_LABELS = {
    Sector.BUERGERDIENST: _l("Bürger*innendienste"),
    Sector.KINDER_FAMILIE: _l("Soziale Dienste für Kinder und Familie"),
    Sector.GESUNDHEIT: _l("Gesundheitsversorgung"),
    Sector.SONSTIGE: _l("Sonstige"),
}

# Sub-types per sector, in the order the form offers them.
SUBTYPES: dict[Sector, dict[str, object]] = {
    Sector.BUERGERDIENST: {
        "jugendamt": _l("Jugendamt"),
        "sozialamt": _l("Sozialamt"),
        "gesundheitsamt": _l("Gesundheitsamt"),
        "buergeramt": _l("Bürgeramt"),
        "einwanderungsbehoerde": _l("Einwanderungsbehörde"),
        "jobcenter": _l("Jobcenter"),
        "sonstige_behoerde": _l("Sonstige Behörde"),
    },
    Sector.KINDER_FAMILIE: {
        "familienzentrum": _l("Familienzentrum"),
        "erziehungsberatung": _l("Erziehungs- und Familienberatung"),
        "kita_traeger": _l("Kita-Träger"),
        "jugendhilfe_traeger": _l("Träger der Jugendhilfe"),
        "sonstiger_dienst": _l("Sonstiger sozialer Dienst"),
    },
    Sector.GESUNDHEIT: {
        "krankenhaus": _l("Krankenhaus"),
        "pflegeeinrichtung": _l("Pflegeeinrichtung"),
        "ambulanter_dienst": _l("Ambulanter Dienst"),
        "praxis_mvz": _l("Praxis / MVZ"),
        "sonstige_gesundheit": _l("Sonstige Gesundheitseinrichtung"),
    },
    Sector.SONSTIGE: {
        "sonstige": _l("Sonstige"),
    },
}


def subtype_label(subtype: str) -> str:
    for options in SUBTYPES.values():
        if subtype in options:
            return str(options[subtype])
    return subtype


def subtype_check_sql(sector_column: str = "sector", subtype_column: str = "subtype") -> str:
    """SQL for a CHECK constraint: the sub-type belongs to its sector."""
    clauses = []
    for sector, options in SUBTYPES.items():
        values = ", ".join(f"'{value}'" for value in options)
        clauses.append(f"({sector_column} = '{sector.value}' AND {subtype_column} IN ({values}))")
    return " OR ".join(clauses)


class District(enum.StrEnum):
    MITTE = "mitte"
    FRIEDRICHSHAIN_KREUZBERG = "friedrichshain-kreuzberg"
    PANKOW = "pankow"
    CHARLOTTENBURG_WILMERSDORF = "charlottenburg-wilmersdorf"
    SPANDAU = "spandau"
    STEGLITZ_ZEHLENDORF = "steglitz-zehlendorf"
    TEMPELHOF_SCHOENEBERG = "tempelhof-schoeneberg"
    NEUKOELLN = "neukoelln"
    TREPTOW_KOEPENICK = "treptow-koepenick"
    MARZAHN_HELLERSDORF = "marzahn-hellersdorf"
    LICHTENBERG = "lichtenberg"
    REINICKENDORF = "reinickendorf"
    BERLINWEIT = "berlinweit"

    @property
    def label(self) -> str:
        return str(DISTRICT_LABELS[self])


DISTRICT_LABELS = {
    District.MITTE: _l("Mitte"),
    District.FRIEDRICHSHAIN_KREUZBERG: _l("Friedrichshain-Kreuzberg"),
    District.PANKOW: _l("Pankow"),
    District.CHARLOTTENBURG_WILMERSDORF: _l("Charlottenburg-Wilmersdorf"),
    District.SPANDAU: _l("Spandau"),
    District.STEGLITZ_ZEHLENDORF: _l("Steglitz-Zehlendorf"),
    District.TEMPELHOF_SCHOENEBERG: _l("Tempelhof-Schöneberg"),
    District.NEUKOELLN: _l("Neukölln"),
    District.TREPTOW_KOEPENICK: _l("Treptow-Köpenick"),
    District.MARZAHN_HELLERSDORF: _l("Marzahn-Hellersdorf"),
    District.LICHTENBERG: _l("Lichtenberg"),
    District.REINICKENDORF: _l("Reinickendorf"),
    District.BERLINWEIT: _l("berlinweit"),
}
