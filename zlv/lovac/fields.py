"""What the raw LOVAC file contains (LOVAC_FORMAT.md): the columns we read, the codes we map.

Shared by the reader (zlv.lovac.reader) and the typing of its rows (zlv.lovac.typed_rows).
"""

from __future__ import annotations

REQUIRED_COLUMNS = ["ff_idlocal", "invariant", "ccodep", "commune", "aff", "nature", "groupe", "debutvacance"]
OWNER_SLOTS = range(1, 7)
OWNER_FIELDS = [
    "ff_ddenom",
    "ff_idpersonne",
    "ff_idprodroit",
    "ff_jdatnss",
    "ff_ccodro",
    "ff_catpro3",
    "ff_dsiren",
    "ff_locprop",
    "cer_ff_adresse",
]
OPTIONAL_COLUMNS = [
    "annee",
    "loc_num",
    "libvoie",
    "libcom",
    "ff_x_4326",
    "ff_y_4326",
    "ff_x",
    "ff_y",
    "ban_result_label",
    "ban_result_score",
    "ban_result_id",
    "ban_latitude",
    "ban_longitude",
    "ff_stoth",
    "ff_npiece_p2",
    "ff_dcapec2",
    "ff_dnbwc",
    "ff_dnbbai",
    "ff_dnbdou",
    "ff_jannath",
    "ff_ctpdl",
    "ff_ndroit",
    "vlcad",
    "potentiel_tlv_thlv",
    "ff_ccthp",
    "ff_idbat",
    "ff_idpar",
    "ff_idsec",
    "ff_dcntpa",
    "anmutation",
    "dvf_datemut",
    "dvf_valeurfonc",
    "ff_idprocpte",
] + [f"{name}_{slot}" for slot in OWNER_SLOTS for name in OWNER_FIELDS]
USED_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
TRIMMED_COLUMNS = {*REQUIRED_COLUMNS, "annee"} | {f"ff_idpersonne_{slot}" for slot in OWNER_SLOTS}

PUBLIC_OWNER_GROUPS = [1, 2, 3, 4, 5, 6, 9]
IN_SCOPE_NATURES = ["APPART", "MAISON"]

# (min longitude, max longitude, min latitude, max latitude), per territory.
METROPOLITAN_BOX = (-5.8, 10.0, 41.0, 51.6)
OVERSEAS_BOXES = {
    "971": (-62.0, -60.8, 15.7, 18.2),  # Guadeloupe (and its dependencies)
    "972": (-61.3, -60.7, 14.3, 15.0),  # Martinique
    "973": (-54.7, -51.5, 2.0, 6.0),  # Guyane
    "974": (55.1, 56.0, -21.5, -20.8),  # La Réunion
    "975": (-56.6, -56.0, 46.7, 47.2),  # Saint-Pierre-et-Miquelon
    "976": (44.9, 45.4, -13.1, -12.5),  # Mayotte
    "977": (-63.0, -62.7, 17.8, 18.0),  # Saint-Barthélemy
    "978": (-63.2, -62.9, 18.0, 18.2),  # Saint-Martin
}

OWNER_KIND_EXACT = {
    "F7B": "promoteur",
    "F7D": "promoteur",
    "F7E": "promoteur",
    "F7F": "promoteur",
    "F7A": "bailleur-social",
    "F7C": "bailleur-social",
    "F7G": "bailleur-social",
}
OWNER_KIND_PREFIX = [
    ("X", "particulier"),
    ("G", "sci-copro"),
    ("M", "sci-copro"),
    ("F6", "promoteur"),
    ("F1", "bailleur-social"),
    ("F2", "bailleur-social"),
    ("F4", "bailleur-social"),
    ("F5", "bailleur-social"),
    ("P", "etat-collectivite"),
]
PROPERTY_RIGHTS = {
    "P": "proprietaire-entier",
    "U": "usufruitier",
    "N": "nu-proprietaire",
    "G": "administrateur",
    "S": "syndic",
    "H": "associe-sci-ir",
}

# Storage limits of the target columns (smallint / integer / bigint).
SMALLINT = (-32768, 32767)
INTEGER = (-2147483648, 2147483647)
BIGINT = (-(2**63), 2**63 - 1)
