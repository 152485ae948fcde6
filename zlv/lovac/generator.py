"""Synthetic LOVAC files in the raw Cerema format (LOVAC_FORMAT.md), for demos, tests and benchmarks.

Everything is drawn in bulk with numpy from one seed; names, streets and places come from pools built
once with Faker; polars assembles and writes the columns. A million lines take seconds, and the same
arguments always give the same bytes.
"""

from __future__ import annotations

import codecs
import io
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import shapely
from faker import Faker

OWNER_SLOTS = (1, 2, 3, 4, 5, 6)
OWNER_FIELDS = (
    "ff_idprodroit", "ff_idpersonne", "ff_jdatnss", "ff_ddenom", "ff_dsiren", "ff_ccogrm", "ff_catpro3",
    "ff_ccodro", "ff_locprop", "cer_ff_adresse",
)  # fmt: skip
DWELLING_COLUMNS = (
    "annee", "ff_millesime", "invariant", "ff_idlocal", "ff_idbat", "ff_idpar", "ff_idsec", "loc_num",
    "libvoie", "libcom", "commune", "ff_idcom", "ccodep", "ban_result_score", "ban_result_label",
    "ban_result_postcode", "ban_result_id", "ban_latitude", "ban_longitude", "ff_x_4326", "ff_y_4326",
    "nature", "ff_ctpdl", "ff_stoth", "ff_npiece_p2", "ff_jannath", "ff_dnbbai", "ff_dnbdou", "ff_dnbwc",
    "ff_dcapec2", "ff_ndroit", "ff_dcntpa", "vlcad", "aff", "potentiel_tlv_thlv", "ff_ccthp", "debutvacance",
    "anmutation", "dvf_datemut", "dvf_valeurfonc", "groupe", "ff_idprocpte",
)  # fmt: skip
OWNER_COLUMNS = tuple(f"{name}_{slot}" for slot in OWNER_SLOTS for name in OWNER_FIELDS)
COLUMNS = DWELLING_COLUMNS + OWNER_COLUMNS
REQUIRED_COLUMNS = ("ff_idlocal", "invariant", "ccodep", "commune", "aff", "nature", "groupe", "debutvacance")
PUBLIC_GROUPS = ("1", "2", "3", "4", "5", "6", "9")
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252")
DELIMITERS = (";", ",")

# Why a line is out of scope; the shares are of all lines (≈ 30 % out of scope).
IN_SCOPE, RECENT_VACANCY, PUBLIC_OWNER, OTHER_NATURE, OTHER_USE = range(5)
REASON_SHARES = (0.70, 0.13, 0.08, 0.06, 0.03)
NATURES = ("APPART", "MAISON", "DEPEND", "COMMERCE")
APPART, MAISON, DEPEND, COMMERCE = range(4)
USES = ("H", "C", "P")
CONDOMINIUMS = ("", "CL", "CLV", "CV", "co", "TF", "BND", "MP")
CONDOMINIUM_SHARES = {  # by nature, over CONDOMINIUMS
    APPART: (0.30, 0.45, 0.08, 0.05, 0.02, 0.05, 0.03, 0.02),
    MAISON: (0.88, 0.03, 0.0, 0.0, 0.0, 0.03, 0.04, 0.02),
    DEPEND: (0.70, 0.20, 0.0, 0.0, 0.0, 0.10, 0.0, 0.0),
}
OCCUPANCIES = (("V", "L", "P", "B", "R", "U", "X"), (0.86, 0.06, 0.03, 0.01, 0.01, 0.02, 0.01))
DUPLICATE_SHARE = 0.01
MESSY_SHARE = 0.005
LEAVING_SHARE = 0.125
OWNER_CHANGE_SHARE = 0.06
DEFAULT_POPULATION = 500
LINES_PER_INHABITANT = 0.025  # ≈ 1.7 M raw lines for France, ~70 % of them in scope
MAX_SAMPLING_ROUNDS = 40
STREET_STEP = 7919
WRITE_CHUNK = 200_000
LETTERS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)

# Owner kinds, with their FF category (ff_catpro3) and group (ff_ccogrm; the line's `groupe` is the
# primary owner's: empty for people, 1–6 and 9 for public and social owners).
PERSON, SCI, DEVELOPER, CO_OWNERSHIP, OTHER_LEGAL = range(5)
STATE, REGION, DEPARTMENT, COMMUNE, HLM_OFFICE, MIXED_COMPANY, PUBLIC_BODY = range(5, 12)
OWNER_CATPRO3 = tuple(
    tuple(codes.split())
    for codes in (
        "X1a", "G1a G1b G2a", "F6a F6b F7b F7d F7e F7f", "M1a M2a", "A1a R1a E1a S1a Z1a L1a",
        "P1a", "P2a", "P3a", "P4a", "F1a F1b", "F2a F4a F5a F7a F7c F7g", "P5a P6a",
    )
)  # fmt: skip
OWNER_CCOGRM = ("", "0", "0", "7", "0", "1", "2", "3", "4", "5", "6", "9")
PRIVATE_PRIMARY_KINDS = (
    (PERSON, SCI, DEVELOPER, CO_OWNERSHIP, OTHER_LEGAL),
    (0.89, 0.07, 0.015, 0.01, 0.015),
)
PRIVATE_POOL_KINDS = ((PERSON, SCI, DEVELOPER, OTHER_LEGAL), (0.72, 0.2, 0.05, 0.03))
PUBLIC_KINDS = (
    (STATE, REGION, DEPARTMENT, COMMUNE, HLM_OFFICE, MIXED_COMPANY, PUBLIC_BODY),
    (0.05, 0.02, 0.03, 0.15, 0.45, 0.25, 0.05),
)
# Where an owner lives, as FF `locprop`: 1 same commune, 2 département, 3 région, 4 another région,
# 5 overseas, 6 abroad, 9 unknown.
HOME_CLASSES = np.array([1, 2, 3, 4, 5, 6, 9])
HOME_SHARES_PRIMARY = (0.42, 0.25, 0.08, 0.17, 0.01, 0.04, 0.03)
HOME_SHARES_SECONDARY = (0.30, 0.25, 0.10, 0.27, 0.01, 0.05, 0.02)
HOME_SHARES_POOLED = (0.50, 0.30, 0.08, 0.10, 0.0, 0.02, 0.0)
HOME_SHARES_LEGAL = (0.45, 0.30, 0.10, 0.13, 0.0, 0.02, 0.0)
RIGHTS = ("", "P", "U", "N", "G", "S", "H")
P, U, N, G, S, H = range(1, 7)

STREET_KINDS = (
    ("Rue", "RUE", 0.55), ("Avenue", "AV", 0.08), ("Chemin", "CHE", 0.09), ("Impasse", "IMP", 0.07),
    ("Place", "PL", 0.03), ("Allée", "ALL", 0.05), ("Route", "RTE", 0.06), ("Boulevard", "BD", 0.03),
    ("Résidence", "RES", 0.02), ("Lotissement", "LOT", 0.02),
)  # fmt: skip
STREET_NAMES = tuple(
    """de la Gare|de l'Église|du Moulin|des Écoles|de la République|Victor Hugo|Jean Jaurès|Pasteur|
    du Général de Gaulle|des Lilas|de la Mairie|du Château|de la Fontaine|des Tilleuls|Gambetta|Jules Ferry|
    de Verdun|du 8 Mai 1945|du 11 Novembre|de Paris|des Acacias|du Stade|de la Forge|des Prés|du Calvaire|
    Saint-Martin|de la Poste|du Maréchal Foch|Émile Zola|Anatole France|Voltaire|des Peupliers|
    de la Libération|du Bourg|des Vignes|de la Croix|du Lavoir|des Jardins|de l'Abbaye|Jean Moulin|
    des Marronniers|du Port|de la Liberté|Sadi Carnot|Aristide Briand|de Lattre de Tassigny|du Puits|
    des Champs|de la Paix|Léon Blum|de Bretagne|Nationale|des Œillets|du Cœur Volant""".replace("\n", "")
    .replace("    ", "")
    .split("|")
)
SCI_WORDS = (
    "TILLEULS", "LILAS", "CHENES", "PEUPLIERS", "GLYCINES", "ROSES", "ACACIAS", "MARRONNIERS", "PINS",
    "BLEUETS", "VIGNES", "JARDINS", "REMPARTS", "HORTENSIAS", "MIMOSAS", "CERISIERS",
)  # fmt: skip
SCI_PLACES = ("MOULIN", "CHATEAU", "PARC", "CLOS", "PORT", "MARCHE", "BOIS", "LAC", "VAL", "BEFFROI", "CANAL")
FOREIGN_PLACES = (
    "1000 BRUXELLES BELGIQUE", "1201 GENEVE SUISSE", "L-1111 LUXEMBOURG LUXEMBOURG",
    "SW1A 1AA LONDRES ROYAUME-UNI", "08001 BARCELONE ESPAGNE", "10115 BERLIN ALLEMAGNE",
    "1000-001 LISBONNE PORTUGAL", "H2X 1Y4 MONTREAL CANADA", "20000 CASABLANCA MAROC", "16000 ALGER ALGERIE",
    "00184 ROME ITALIE", "1050 TUNIS TUNISIE",
)  # fmt: skip
OVERSEAS_PLACES = (
    "97400 SAINT DENIS", "97200 FORT DE FRANCE", "97100 BASSE TERRE", "97300 CAYENNE", "97600 MAMOUDZOU",
    "97410 SAINT PIERRE", "97110 POINTE A PITRE",
)  # fmt: skip
# Values the importer should take as "no value" or turn into warnings, never into rejections.
BAD_NUMBERS = ("abc", "n.c.", "12a", "#N/A")
BAD_DATES = ("31/02/1970", "00/00/0000", "32/13/1985", "30/02/1962")
LONE_SPACE_COLUMNS = ("libvoie", "ff_ctpdl", "ban_result_label", "ff_jannath", "vlcad", "cer_ff_adresse_1")
BAD_NUMBER_COLUMNS = ("ff_stoth", "ff_npiece_p2", "vlcad", "ff_dcntpa")


class GenerationError(ValueError):
    """The file cannot be generated as asked (the message is in French, for the user)."""


@dataclass(frozen=True)
class GenerationStats:
    path: Path
    millesime: int
    lines: int
    in_scope_lines: int
    out_of_scope_lines: int
    duplicate_lines: int
    messy_values: int  # written by this run; lines kept from an earlier file keep theirs
    rejected_lines: int
    dwellings: int  # distinct ff_idlocal on the lines the importer keeps
    expected_dwellings: int  # what an import should create: in scope, duplicates merged
    owners: int
    multi_owners: int  # primary owner of several dwellings
    communes: int
    kept_from_previous: int
    left_since_previous: int
    arrived: int
    owner_changes: int
    seconds: float

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


def generate_lovac(
    *,
    communes,
    millesime: int,
    out: str | Path,
    rows: int | None = None,
    seed: int = 0,
    previous: str | Path | None = None,
    rejects: int = 0,
    encoding: str = "utf-8",
    delimiter: str = ";",
) -> GenerationStats:
    """Write a synthetic raw LOVAC file for `communes` (Commune instances) and say what it holds."""
    started = time.perf_counter()
    if encoding not in ENCODINGS:
        raise GenerationError(f"Encodage « {encoding} » non pris en charge ({', '.join(ENCODINGS)}).")
    if delimiter not in DELIMITERS:
        raise GenerationError(f"Séparateur « {delimiter} » non pris en charge ({' '.join(DELIMITERS)}).")
    if not 2010 <= millesime <= 2100:
        raise GenerationError("Le millésime doit être compris entre 2010 et 2100.")
    if rows is not None and rows < 1:
        raise GenerationError("Le nombre de lignes doit être d'au moins 1.")
    if rejects < 0:
        raise GenerationError("Le nombre de lignes à rejeter ne peut pas être négatif.")
    territory = _Territory.build(communes)
    rng = np.random.default_rng(seed)
    pools = _Pools.build(seed, rng)
    territory.assign_streets(rng, len(pools.streets_dgfip))

    history = {"kept_from_previous": 0, "left_since_previous": 0, "arrived": 0, "owner_changes": 0}
    if previous is None:
        rows = rows if rows is not None else territory.default_rows()
        duplicates = int(rows * DUPLICATE_SHARE)
        counts = rng.multinomial(rows - duplicates, territory.weights)
        dwellings = _draw_dwellings(rng, territory, pools, counts=counts, millesime=millesime)
        owners = _draw_owners(
            rng,
            territory,
            pools,
            commune=dwellings["_commune"].to_numpy(),
            public=dwellings["_public"].to_numpy(),
            millesime=millesime,
        )
        # Already in ff_idlocal order.
        frame = pl.concat([dwellings, owners], how="horizontal").with_columns(_fresh=pl.lit(True))
    else:
        frame, rows, duplicates = _next_millesime(
            rng, territory, pools, previous=Path(previous), millesime=millesime, rows=rows, history=history
        )
    copies, copied = _duplicates(rng, frame, duplicates, millesime)
    frame, messy = _add_messy_values(rng, frame)
    frame, raw_lines = _add_rejected_lines(rng, frame, rejects, millesime, delimiter, avoid=copied)
    # Duplicates land a little after their original, as in files built by several extractions.
    block = max(1000, frame.height // 20)
    insertions = _block_insertions(copies, copied, block, frame.height) + raw_lines
    _write(frame.select(COLUMNS), Path(out), encoding=encoding, delimiter=delimiter, insertions=insertions)
    return _stats(
        frame,
        copies,
        Path(out),
        millesime=millesime,
        messy=messy,
        rejects=rejects,
        communes=territory.size,
        history=history,
        seconds=time.perf_counter() - started,
    )


# --- Reference data ------------------------------------------------------------------------------------


def _dgfip_text(text: str) -> str:
    """Upper case without accents nor apostrophes, as the DGFiP writes labels (`VILLENEUVE D ASCQ`)."""
    text = text.replace("Œ", "OE").replace("œ", "oe").replace("Æ", "AE").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    for char in "'’-":
        text = text.replace(char, " ")
    return " ".join(text.upper().split())


def _postcode(code: str) -> str:
    """A plausible postcode for an INSEE code (the reference geography has none)."""
    department, number = code[:2], int(code[2:]) if code[2:].isdigit() else 0
    if department == "97":
        return f"97{code[2]}{number % 100:02d}"
    if department in ("2A", "2B"):
        return f"20{1 if department == '2A' else 2}{number % 100:02d}"
    return f"{department}{(number % 90 + 10) * 10:03d}"


class _Territory:
    """The communes as arrays in INSEE code order, with what the draws need."""

    @classmethod
    def build(cls, communes) -> _Territory:
        from zlv.geo.models import Department

        communes = sorted({commune.code: commune for commune in communes}.values(), key=lambda c: c.code)
        if not communes:
            raise GenerationError("Aucune commune dans ce territoire : chargez d'abord la géographie.")
        self = cls()
        self.size = len(communes)
        self.codes = [commune.code for commune in communes]
        self.ccodep = pl.Series([code[:2] for code in self.codes], dtype=pl.String)
        self.commune3 = pl.Series([code[2:] for code in self.codes], dtype=pl.String)
        libcom = [_dgfip_text(commune.name) for commune in communes]
        self.libcom_list = libcom
        self.libcom = pl.Series(libcom, dtype=pl.String)
        self.city = pl.Series([commune.name for commune in communes], dtype=pl.String)
        postcodes = [_postcode(code) for code in self.codes]
        self.postcodes = pl.Series(postcodes, dtype=pl.String)
        self.places = pl.Series(
            [f"{p} {name}" for p, name in zip(postcodes, libcom, strict=True)], dtype=pl.String
        )
        population = [c.population if c.population is not None else DEFAULT_POPULATION for c in communes]
        self.population = np.maximum(np.array(population, dtype=float), 1.0)
        self.weights = self.population / self.population.sum()
        # Flats dominate in cities, houses in villages.
        self.appart_share = np.clip(0.15 + 0.17 * np.log10(self.population / 500), 0.05, 0.95)

        department_ids = [commune.department_id or commune.code[:2] for commune in communes]
        dep_codes = sorted(set(department_ids))
        self.departments = len(dep_codes)
        dep_index = {code: index for index, code in enumerate(dep_codes)}
        self.commune_dep = np.array([dep_index[code] for code in department_ids])
        known = {d.code: d for d in Department.objects.filter(code__in=dep_codes).select_related("region")}
        self.dep_names = [_dgfip_text(known[c].name) if c in known else c for c in dep_codes]
        regions = [known[c].region if c in known else None for c in dep_codes]
        self.region_names = [_dgfip_text(region.name) if region else "" for region in regions]
        region_codes = sorted({region.code if region else "" for region in regions})
        self.dep_region = np.array([region_codes.index(region.code if region else "") for region in regions])
        first_commune = np.unique(self.commune_dep, return_index=True)[1]
        self.dep_ccodep = self.ccodep.gather(first_commune)
        # Communes of each département, to draw an owner's home weighted by population.
        self.dep_order = np.argsort(self.commune_dep, kind="stable")
        self.dep_count = np.bincount(self.commune_dep, minlength=self.departments)
        self.dep_start = np.r_[0, np.cumsum(self.dep_count)[:-1]]
        self.dep_cumulative = np.cumsum(self.population[self.dep_order])
        self.dep_weight_start = np.r_[0.0, self.dep_cumulative][self.dep_start]
        self.dep_weight_total = np.add.reduceat(self.population[self.dep_order], self.dep_start)
        largest = [
            start + int(np.argmax(self.population[self.dep_order[start : start + count]]))
            for start, count in zip(self.dep_start, self.dep_count, strict=True)
        ]
        self.dep_main = self.dep_order[largest]

        self.contours = shapely.from_wkb([bytes(c.contour_wkb) if c.contour_wkb else None for c in communes])
        self.has_contour = ~(shapely.is_missing(self.contours) | shapely.is_empty(self.contours))
        shapely.prepare(self.contours[self.has_contour])
        self.bounds = shapely.bounds(self.contours)
        inner = shapely.point_on_surface(self.contours)
        self.center_lon = np.array(
            [np.nan if c.center_longitude is None else c.center_longitude for c in communes]
        )
        self.center_lat = np.array(
            [np.nan if c.center_latitude is None else c.center_latitude for c in communes]
        )
        no_center = np.isnan(self.center_lon) & self.has_contour
        self.center_lon[no_center] = shapely.get_x(inner[no_center])
        self.center_lat[no_center] = shapely.get_y(inner[no_center])
        return self

    def default_rows(self) -> int:
        return max(1, round(self.population.sum() * LINES_PER_INHABITANT))

    def assign_streets(self, rng, pool_size: int) -> None:
        """Each commune gets its own slice of the street pool, larger for larger communes."""
        self.street_pool_size = pool_size
        self.street_base = rng.integers(0, pool_size, self.size)
        self.street_count = np.clip(3 + np.sqrt(self.population) / 4, 3, pool_size).astype(np.int64)
        self.section_count = np.clip(self.population / 300, 2, 600).astype(np.int64)
        self.taxed = (rng.random(self.size) < 0.15) | (self.population > 20_000)

    def streets(self, rng, commune: np.ndarray) -> np.ndarray:
        picked = (rng.random(len(commune)) * self.street_count[commune]).astype(np.int64)
        return (self.street_base[commune] + STREET_STEP * picked) % self.street_pool_size

    def random_commune_in(self, rng, departments: np.ndarray) -> np.ndarray:
        target = (
            self.dep_weight_start[departments]
            + rng.random(len(departments)) * self.dep_weight_total[departments]
        )
        position = np.searchsorted(self.dep_cumulative, target, side="right")
        first = self.dep_start[departments]
        return self.dep_order[np.clip(position, first, first + self.dep_count[departments] - 1)]


class _Pools:
    """Names, streets and places drawn once with Faker, then sampled by index."""

    @classmethod
    def build(cls, seed: int, rng) -> _Pools:
        from faker.providers.person.fr_FR import Provider as PersonProvider

        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        self = cls()
        last_names = [_dgfip_text(name) for name in PersonProvider.last_names]
        self.last_names = pl.Series(last_names, dtype=pl.String)
        male = [_dgfip_text(name) for name in PersonProvider.first_names_male]
        female = [_dgfip_text(name) for name in PersonProvider.first_names_female]
        self.first_names = pl.Series(male + female, dtype=pl.String)
        self.male_count, self.female_count = len(male), len(female)

        names = list(STREET_NAMES) + [f"{fake.first_name()} {fake.last_name()}" for _ in range(500)]
        names += [f"de {name}" for name in (fake.last_name() for _ in range(150)) if " " not in name]
        kinds = rng.choice(len(STREET_KINDS), size=2000, p=[kind[2] for kind in STREET_KINDS])
        picked = rng.integers(0, len(names), 2000)
        streets = [
            (STREET_KINDS[k][0], STREET_KINDS[k][1], names[i]) for k, i in zip(kinds, picked, strict=True)
        ]
        self.streets_ban = pl.Series([f"{long} {name}" for long, _short, name in streets], dtype=pl.String)
        self.streets_dgfip = pl.Series([_dgfip_text(f"{short} {name}") for _long, short, name in streets])
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        self.sections = pl.Series([f"0{a}" for a in alphabet] + [a + b for a in alphabet for b in alphabet])
        self.metro_places = pl.Series([f"{fake.postcode()} {_dgfip_text(fake.city())}" for _ in range(600)])
        self.outside_cities = pl.Series([_dgfip_text(fake.city()) for _ in range(600)])
        self.overseas_places = pl.Series(OVERSEAS_PLACES)
        self.foreign_places = pl.Series(FOREIGN_PLACES)

        def last() -> str:
            return last_names[int(rng.integers(len(last_names)))]

        def sci(index: int) -> str:
            word, place = SCI_WORDS[index % len(SCI_WORDS)], SCI_PLACES[index % len(SCI_PLACES)]
            patterns = (
                f"SCI {last()}", f"SCI LES {word}", f"SCI DU {place}", f"SCI {last()} {last()}",
                f"SCI {last()} PATRIMOINE", f"SCI IMMO {last()}", f"SCI {last()} ET FILS",
                f'SCI "{word}"', f"SCI {last()}, {last()} ET ASSOCIES",  # quotes and commas exist in the FF
            )  # fmt: skip
            return patterns[index % len(patterns)]

        legal = {
            SCI: [sci(index) for index in range(1500)],
            DEVELOPER: [
                f"{_dgfip_text(fake.company())} {('SAS', 'SARL', 'SA', 'SNC')[i % 4]}"
                if i % 3
                else f"FONCIERE {last()}"
                for i in range(300)
            ],
            CO_OWNERSHIP: [f"SYNDICAT DES COPROPRIETAIRES RESIDENCE LES {word}" for word in SCI_WORDS],
            OTHER_LEGAL: [
                (f"ASSOCIATION {last()}", f"FONDATION {last()}", f"CONGREGATION SAINT {last()}")[i % 3]
                for i in range(150)
            ],
        }
        self.legal_names = pl.Series(
            [name for kind in sorted(legal) for name in legal[kind]], dtype=pl.String
        )
        self.legal_start = np.zeros(len(OWNER_CCOGRM), dtype=np.int64)
        self.legal_size = np.ones(len(OWNER_CCOGRM), dtype=np.int64)
        start = 0
        for kind in sorted(legal):
            self.legal_start[kind], self.legal_size[kind] = start, len(legal[kind])
            start += len(legal[kind])
        return self


# --- Column helpers --------------------------------------------------------------------------------------


def _choice(rng, values, shares, size: int) -> np.ndarray:
    return np.asarray(values)[rng.choice(len(values), size=size, p=shares)]


def _lookup(values, index) -> pl.Series:
    """values[index] as text; building text columns from small Series is much faster than from numpy."""
    series = values if isinstance(values, pl.Series) else pl.Series(values, dtype=pl.String)
    return series.gather(index)


def _keep(values, keep: np.ndarray) -> pl.Series:
    """The values as text, empty where `keep` is false."""
    frame = pl.DataFrame({"value": values, "keep": keep})
    return frame.select(pl.when("keep").then(pl.col("value").cast(pl.String))).to_series()


def _text(values: np.ndarray, width: int = 0) -> pl.Series:
    series = pl.Series(values).cast(pl.String)
    return series.str.zfill(width) if width else series


def _dates(rng, years: np.ndarray) -> pl.Series:
    """A random day of each year, written dd/mm/yyyy."""
    start = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    length = ((years - 1969).astype("datetime64[Y]").astype("datetime64[D]") - start).astype(np.int64)
    days = (rng.random(len(years)) * length).astype(np.int64)
    return pl.Series(start + days.astype("timedelta64[D]")).dt.strftime("%d/%m/%Y")


# --- Dwellings -------------------------------------------------------------------------------------------


def _points(rng, territory: _Territory, commune: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside each commune's contour, by rejection in its bounding box; else its centre."""
    lon, lat = territory.center_lon[commune].copy(), territory.center_lat[commune].copy()
    pending = np.flatnonzero(territory.has_contour[commune])
    for _round in range(MAX_SAMPLING_ROUNDS):
        if not pending.size:
            break
        bounds = territory.bounds[commune[pending]]
        x = bounds[:, 0] + rng.random(pending.size) * (bounds[:, 2] - bounds[:, 0])
        y = bounds[:, 1] + rng.random(pending.size) * (bounds[:, 3] - bounds[:, 1])
        inside = shapely.contains_xy(territory.contours[commune[pending]], x, y)
        lon[pending[inside]], lat[pending[inside]] = x[inside], y[inside]
        pending = pending[~inside]
    return lon, lat


def _invariant_keys(rng, counts: np.ndarray, key_floor=None) -> np.ndarray:
    """Increasing numbers with gaps in each commune (the invariant's 7 digits), above `key_floor`."""
    if not counts.sum():
        return np.zeros(0, dtype=np.int64)
    scale = np.minimum(40.0, 4e6 / np.maximum(counts, 1))
    gaps = 1 + np.floor(rng.exponential(np.repeat(scale, counts))).astype(np.int64)
    cumulative = np.cumsum(gaps)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    before = np.zeros(len(counts), dtype=np.int64)
    filled = counts > 0
    before[filled] = cumulative[starts[filled]] - gaps[starts[filled]]
    base = (
        rng.integers(0, 1_000_000, len(counts))
        if key_floor is None
        else key_floor + rng.integers(0, 1000, len(counts))
    )
    keys = cumulative - np.repeat(before, counts) + np.repeat(base, counts)
    if keys.max() >= 10_000_000:
        raise GenerationError("Trop de lignes pour une seule commune : réduisez --rows.")
    return keys


def _draw_dwellings(
    rng, territory: _Territory, pools: _Pools, *, counts, millesime, key_floor=None
) -> pl.DataFrame:
    """Dwelling columns (owners aside) of `counts[c]` lines in commune c, flats grouped in buildings."""
    n = int(counts.sum())
    commune = np.repeat(np.arange(territory.size), counts)
    reason = rng.choice(len(REASON_SHARES), size=n, p=REASON_SHARES)
    nature = np.where(rng.random(n) < territory.appart_share[commune], APPART, MAISON)
    other = reason == OTHER_NATURE
    nature[other] = np.where(rng.random(int(other.sum())) < 0.65, DEPEND, COMMERCE)

    # Consecutive flats of a commune share a building: address, plot, coordinates, year, condominium.
    new_commune = np.r_[True, commune[1:] != commune[:-1]][:n]
    after_other = np.r_[True, nature[:-1] != APPART][:n]
    building = np.cumsum((nature != APPART) | new_commune | after_other | (rng.random(n) < 0.4)) - 1
    first = np.flatnonzero(np.r_[True, building[1:] != building[:-1]][:n])
    b_commune, b_nature, nb = commune[first], nature[first], len(first)
    lon, lat = _points(rng, territory, b_commune)
    street = territory.streets(rng, b_commune)
    number = np.minimum(1 + np.floor(rng.exponential(28, nb)).astype(np.int64), 999)
    number[rng.random(nb) < 0.06] = 0
    section = (rng.random(nb) * territory.section_count[b_commune]).astype(np.int64)
    periods = np.array(
        [[0, 0], [1700, 1914], [1915, 1948], [1949, 1974], [1975, 2000], [2001, millesime - 2]]
    )
    period = periods[rng.choice(6, size=nb, p=(0.08, 0.2, 0.13, 0.25, 0.22, 0.12))]
    building_year = period[:, 0] + (rng.random(nb) * (period[:, 1] - period[:, 0] + 1)).astype(np.int64)
    condominium = np.zeros(nb, dtype=np.int64)
    for kind, shares in CONDOMINIUM_SHARES.items():
        matches = np.minimum(b_nature, DEPEND) == kind
        condominium[matches] = rng.choice(len(CONDOMINIUMS), size=int(matches.sum()), p=shares)
    plot_area = np.clip(rng.lognormal(np.log(np.where(b_nature == MAISON, 700, 450)), 0.8), 40, 60_000)
    ban_found = rng.random(nb) > 0.03
    ban_score = np.round(0.3 + 0.7 * rng.beta(6, 1.3, nb), 2)
    street_level = ban_score >= 0.45  # below, BAN only found the commune
    ban_lon = np.where(street_level, lon + rng.normal(0, 0.00015, nb), territory.center_lon[b_commune])
    ban_lat = np.where(street_level, lat + rng.normal(0, 0.00015, nb), territory.center_lat[b_commune])

    number_text = _keep(number, number > 0)
    ban_postcode = _lookup(territory.postcodes, b_commune)
    plot = (
        pl.DataFrame(
            {
                "ccodep": _lookup(territory.ccodep, b_commune),
                "commune": _lookup(territory.commune3, b_commune),
                "section": _lookup(pools.sections, section),
                "number": _text(rng.integers(1, 3000, nb), 4),
            }
        )
        .select(pl.concat_str("ccodep", "commune", pl.lit("000"), "section", "number"))
        .to_series()
    )
    labels = pl.DataFrame(
        {
            "number": number_text,
            "street": _lookup(pools.streets_ban, street),
            "postcode": ban_postcode,
            "city": _lookup(territory.city, b_commune),
            "code": _lookup(pl.Series(territory.codes), b_commune),
            "street_code": _text(street % 10_000, 4),
            "street_level": street_level,
        }
    ).select(
        label=pl.when("street_level")
        .then(pl.concat_str("number", "street", "postcode", "city", separator=" ", ignore_nulls=True))
        .otherwise(pl.concat_str("postcode", "city", separator=" ")),
        id=pl.concat_str("code", pl.lit("_"), "street_code", pl.lit("_"), pl.col("number").str.zfill(5)),
    )
    buildings = pl.DataFrame(
        {
            "ff_idpar": plot,
            "ff_idbat": plot + _lookup(("A", "A", "A", "A", "A", "A", "B", "B", "C"), rng.integers(0, 9, nb)),
            "ff_idsec": plot.str.slice(0, 10),
            "loc_num": number_text,
            "libvoie": _lookup(pools.streets_dgfip, street),
            "ban_result_score": _keep(ban_score, ban_found),
            "ban_result_label": _keep(labels["label"], ban_found),
            "ban_result_postcode": _keep(ban_postcode, ban_found),
            "ban_result_id": _keep(labels["id"], ban_found & street_level & (number > 0)),
            "ban_latitude": _keep(np.round(ban_lat, 6), ban_found & ~np.isnan(ban_lat)),
            "ban_longitude": _keep(np.round(ban_lon, 6), ban_found & ~np.isnan(ban_lon)),
            "ff_x_4326": _keep(np.round(lon, 6), ~np.isnan(lon)),
            "ff_y_4326": _keep(np.round(lat, 6), ~np.isnan(lat)),
            "ff_ctpdl": _keep(_lookup(CONDOMINIUMS, condominium), condominium > 0),
            "ff_jannath": _text(building_year),
            "ff_dcntpa": _text(plot_area.astype(np.int64)),
        }
    ).select(pl.all().gather(building))

    stoth = np.array([52.0, 95.0, 18.0, 80.0])[nature]
    stoth = np.clip(rng.lognormal(np.log(stoth), np.array([0.45, 0.35, 0.6, 0.7])[nature]), 2, 2000).astype(
        np.int64
    )
    housing = nature <= MAISON
    rooms = np.where(housing, np.clip(np.round(stoth / 21 + rng.normal(0, 0.7, n)), 1, 12), 0).astype(
        np.int64
    )
    washing = np.array([[1, 0], [0, 1], [1, 1], [2, 1], [0, 0]])[
        rng.choice(5, n, p=(0.38, 0.34, 0.21, 0.03, 0.04))
    ]
    washing[~housing] = 0
    wc = np.where(housing, rng.choice(4, size=n, p=(0.04, 0.82, 0.12, 0.02)), 0)
    # Vacancy start years lean to recent ones, with a tail of very old vacancies.
    vacancy_start = millesime - 3 - np.floor(rng.exponential(6, n)).astype(np.int64)
    very_old = rng.random(n) < 0.03
    vacancy_start[very_old] = rng.integers(1950, 1990, int(very_old.sum()))
    vacancy_start = np.maximum(vacancy_start, 1950)
    recent = reason == RECENT_VACANCY
    vacancy_start[recent] = millesime - rng.choice((1, 2), size=int(recent.sum()))
    mutation_year = np.maximum(millesime - 1 - np.floor(rng.exponential(12, n)).astype(np.int64), 1955)
    has_mutation = rng.random(n) < 0.65
    sold = has_mutation & (mutation_year >= 2014) & (rng.random(n) < 0.55)  # DVF starts in 2014
    price = np.round(stoth * rng.lognormal(np.log(1900), 0.5, n), -2).astype(np.int64)
    use = np.where(nature == COMMERCE, 1, 0)
    other_use = reason == OTHER_USE
    use[other_use] = rng.choice((1, 2), size=int(other_use.sum()), p=(0.3, 0.7))
    taxed = territory.taxed[commune] & housing & (rng.random(n) < 0.95)
    keys = _invariant_keys(rng, counts, key_floor)
    ccodep, commune3 = _lookup(territory.ccodep, commune), _lookup(territory.commune3, commune)
    invariant = commune3 + _text(keys, 7)
    lines = pl.DataFrame(
        {
            "annee": pl.repeat(str(millesime), n, eager=True, dtype=pl.String),
            "ff_millesime": pl.repeat(str(millesime - 1), n, eager=True, dtype=pl.String),
            "invariant": invariant,
            "ff_idlocal": ccodep + invariant,
            "libcom": _lookup(territory.libcom, commune),
            "commune": commune3,
            "ff_idcom": ccodep + commune3,
            "ccodep": ccodep,
            "nature": _lookup(NATURES, nature),
            "ff_stoth": _text(stoth),
            "ff_npiece_p2": _text(rooms),
            "ff_dnbbai": _text(washing[:, 0]),
            "ff_dnbdou": _text(washing[:, 1]),
            "ff_dnbwc": _text(wc),
            "ff_dcapec2": _text(
                rng.choice(np.arange(1, 9), n, p=(0.001, 0.004, 0.015, 0.08, 0.27, 0.42, 0.16, 0.05))
            ),
            "vlcad": _text(np.maximum(stoth * rng.lognormal(np.log(15), 0.5, n), 1).astype(np.int64)),
            "aff": _lookup(USES, use),
            "potentiel_tlv_thlv": _keep(pl.repeat("*", n, eager=True, dtype=pl.String), taxed),
            "ff_ccthp": _lookup(OCCUPANCIES[0], rng.choice(len(OCCUPANCIES[0]), size=n, p=OCCUPANCIES[1])),
            "debutvacance": _text(vacancy_start),
            "anmutation": _keep(mutation_year, has_mutation),
            "dvf_datemut": _keep(_dates(rng, mutation_year), sold),
            "dvf_valeurfonc": _keep(price, sold),
            "_commune": commune,
            "_public": reason == PUBLIC_OWNER,
        }
    )
    return pl.concat([lines, buildings], how="horizontal")


# --- Owners ----------------------------------------------------------------------------------------------


def _pool_sizes(counts: np.ndarray, share: float) -> np.ndarray:
    return np.where(counts > 0, np.maximum(1, np.round(counts * share)), 0).astype(np.int64)


def _draw_owners(rng, territory: _Territory, pools: _Pools, *, commune, public, millesime, taken_ids=None):
    """Owner slots 1..6, `groupe`, `ff_idprocpte` and `ff_ndroit` of each dwelling.

    Primary owners are fresh or come from per-département pools where a few owners hold many dwellings
    (public landlords most of all); co-owners are fresh people, often of the primary owner's family.
    """
    n = len(commune)
    dep = territory.commune_dep[commune]
    private_pool = _pool_sizes(np.bincount(dep[~public], minlength=territory.departments), 0.025)
    public_pool = _pool_sizes(np.bincount(dep[public], minlength=territory.departments), 0.01)
    private_start = np.r_[0, np.cumsum(private_pool)[:-1]]
    public_start = private_pool.sum() + np.r_[0, np.cumsum(public_pool)[:-1]]
    pooled = int(private_pool.sum() + public_pool.sum())
    # Skewed draws: a few landlords hold hundreds of dwellings, most pooled owners a handful.
    primary = np.where(
        public,
        public_start[dep] + (rng.random(n) ** 2 * public_pool[dep]).astype(np.int64),
        private_start[dep] + (rng.random(n) ** 1.5 * private_pool[dep]).astype(np.int64),
    )
    fresh = rng.random(n) >= np.where(public, 0.9, 0.2)
    fresh_count = int(fresh.sum())
    primary[fresh] = pooled + np.arange(fresh_count)
    pooled_kind = np.r_[
        _choice(rng, *PRIVATE_POOL_KINDS, int(private_pool.sum())),
        _choice(rng, *PUBLIC_KINDS, int(public_pool.sum())),
    ]
    fresh_kind = np.where(
        public[fresh],
        _choice(rng, *PUBLIC_KINDS, fresh_count),
        _choice(rng, *PRIVATE_PRIMARY_KINDS, fresh_count),
    )
    primary_kind = np.r_[pooled_kind, fresh_kind][primary]
    owner_count = np.select(
        [primary_kind == PERSON, primary_kind == SCI, primary_kind <= OTHER_LEGAL],
        [
            rng.choice(np.arange(1, 7), size=n, p=(0.55, 0.30, 0.08, 0.04, 0.02, 0.01)),
            rng.choice((1, 2, 3), size=n, p=(0.85, 0.1, 0.05)),
            rng.choice((1, 2), size=n, p=(0.95, 0.05)),
        ],
        1,
    )
    co_dwelling = np.repeat(np.arange(n), owner_count - 1)
    co_count = len(co_dwelling)
    co_rank = (
        np.arange(co_count) - np.repeat(np.cumsum(owner_count - 1) - (owner_count - 1), owner_count - 1) + 1
    )
    first_co = pooled + fresh_count
    slots = np.full((n, 6), -1, dtype=np.int64)
    slots[:, 0] = primary
    slots[co_dwelling, co_rank] = first_co + np.arange(co_count)

    # Rights: joint ownership, usufruct and bare ownership, partners of an SCI, administrators.
    rights = np.where(slots >= 0, P, 0)
    pattern = rng.choice(3, size=n, p=(0.72, 0.25, 0.03))
    several = owner_count >= 2
    split = several & (primary_kind == PERSON) & (pattern == 1)
    rights[split, 0] = U
    rights[split, 1:] = np.where(slots[split, 1:] >= 0, N, 0)
    managed = np.flatnonzero(several & (primary_kind == PERSON) & (pattern == 2))
    rights[managed, owner_count[managed] - 1] = G
    partners = several & (primary_kind == SCI)
    rights[partners, 1:] = np.where(slots[partners, 1:] >= 0, H, 0)
    rights[several & (primary_kind == CO_OWNERSHIP), 1] = S
    rights[several & np.isin(primary_kind, (DEVELOPER, OTHER_LEGAL)), 1] = G

    # The owners: pooled ones, fresh primary owners, then co-owners.
    owners = first_co + co_count
    kind = np.r_[pooled_kind, fresh_kind, np.full(co_count, PERSON)]
    departments = np.arange(territory.departments)
    owner_dep = np.r_[
        np.repeat(departments, private_pool),
        np.repeat(departments, public_pool),
        dep[fresh],
        dep[co_dwelling],
    ]
    anchor = np.r_[territory.random_commune_in(rng, owner_dep[:pooled]), commune[fresh], commune[co_dwelling]]
    origin = np.r_[np.zeros(pooled, np.int8), np.ones(fresh_count, np.int8), np.full(co_count, 2, np.int8)]
    home_class = np.select(
        [kind != PERSON, origin == 0, origin == 1],
        [
            _choice(rng, HOME_CLASSES, HOME_SHARES_LEGAL, owners),
            _choice(rng, HOME_CLASSES, HOME_SHARES_POOLED, owners),
            _choice(rng, HOME_CLASSES, HOME_SHARES_PRIMARY, owners),
        ],
        _choice(rng, HOME_CLASSES, HOME_SHARES_SECONDARY, owners),
    )
    seat = np.isin(kind, (DEPARTMENT, HLM_OFFICE, MIXED_COMPANY, PUBLIC_BODY))
    home_class = np.select([kind == COMMUNE, seat, kind == REGION, kind == STATE], [1, 2, 3, 4], home_class)
    home = np.full(owners, -1, dtype=np.int64)
    home[home_class == 1] = anchor[home_class == 1]
    in_department = (home_class == 2) & (territory.dep_count[owner_dep] > 1)
    home[in_department] = territory.random_commune_in(rng, owner_dep[in_department])
    home[seat] = territory.dep_main[owner_dep[seat]]

    names = _owner_names(rng, territory, pools, kind=kind, owner_dep=owner_dep, home=home, anchor=anchor)
    # Half the co-owners of a person share the primary owner's surname: a family.
    family = (primary_kind[co_dwelling] == PERSON) & (rng.random(co_count) < 0.55)
    names["last"][first_co + np.flatnonzero(family)] = names["last"][primary[co_dwelling[family]]]
    person = kind == PERSON
    age = np.clip(rng.normal(64, 14, owners), 22, 103)
    bare_owner = np.zeros(owners, dtype=bool)
    bare_owner[slots[rights == N]] = True
    age[bare_owner] = np.clip(rng.normal(42, 12, int(bare_owner.sum())), 18, 85)
    table = pl.DataFrame(
        {
            "ff_idpersonne": _person_ids(rng, territory.dep_ccodep, owner_dep, taken_ids),
            "ff_ddenom": _denominations(names, pools),
            "ff_jdatnss": _keep(
                _dates(rng, millesime - age.astype(np.int64)), person & (rng.random(owners) > 0.02)
            ),
            "ff_dsiren": _keep(_sirens(rng, owners), ~person),
            "ff_ccogrm": _keep(_lookup(OWNER_CCOGRM, kind), ~person),
            "ff_catpro3": _catpro3(rng, kind),
            "cer_ff_adresse": _addresses(
                rng, territory, pools, home=home, home_class=home_class, owner_dep=owner_dep
            ),
        }
    )
    table = pl.concat([table.clear(1), table])  # row 0: an empty slot

    single = np.where(owner_count == 1, primary, owners + np.arange(n))
    accounts = _accounts(rng, territory, commune, single, millesime)
    extra_rights = np.where(owner_count == 6, rng.choice(4, size=n, p=(0.7, 0.15, 0.1, 0.05)), 0)
    columns = {
        "groupe": _keep(_lookup(OWNER_CCOGRM, primary_kind), primary_kind != PERSON),
        "ff_idprocpte": accounts,
        "ff_ndroit": _text(owner_count + extra_rights),
    }
    for slot in OWNER_SLOTS:
        owner = slots[:, slot - 1]
        filled = owner >= 0
        rows = table.select(pl.all().gather(owner + 1))
        for name in OWNER_FIELDS:
            if name == "ff_idprodroit":
                value = _keep(accounts + f"{slot:02d}", filled)
            elif name == "ff_ccodro":
                value = _keep(_lookup(RIGHTS, rights[:, slot - 1]), filled)
            elif name == "ff_locprop":
                value = _keep(_relative_location(territory, home, home_class, owner, commune), filled)
            else:
                value = rows[name]
            columns[f"{name}_{slot}"] = value
    return pl.DataFrame(columns)


def _owner_names(rng, territory: _Territory, pools: _Pools, *, kind, owner_dep, home, anchor) -> dict:
    owners = len(kind)
    female = rng.random(owners) < 0.52
    first_size = np.where(female, pools.female_count, pools.male_count)
    first_offset = np.where(female, pools.male_count, 0)
    names = {
        "last": (rng.random(owners) ** 1.8 * len(pools.last_names)).astype(np.int64),
        "first": [first_offset + (rng.random(owners) ** 1.5 * first_size).astype(np.int64) for _ in range(3)],
        "given": 1 + (rng.random(owners) < 0.45) + (rng.random(owners) < 0.1),
    }
    legal = np.flatnonzero((kind > PERSON) & (kind <= OTHER_LEGAL))
    names["legal"] = legal
    picked = (rng.random(len(legal)) * pools.legal_size[kind[legal]]).astype(np.int64)
    names["legal_index"] = pools.legal_start[kind[legal]] + picked
    # Public owners are few: their names are written one by one.
    public = np.flatnonzero(kind >= STATE)
    town = np.where(home >= 0, home, anchor)
    public_names = []
    for owner in public:
        department, region = territory.dep_names[owner_dep[owner]], territory.region_names[owner_dep[owner]]
        place, variant = territory.libcom_list[town[owner]], owner % 3
        public_names.append(
            {
                STATE: (
                    "ETAT PAR FRANCE DOMAINE",
                    "ETAT MINISTERE DES ARMEES",
                    "ETAT MINISTERE DE LA JUSTICE",
                ),
                REGION: (f"REGION {region or department}",) * 3,
                DEPARTMENT: (f"DEPARTEMENT {department}",) * 3,
                COMMUNE: (f"COMMUNE DE {place}",) * 3,
                HLM_OFFICE: (
                    f"{department} HABITAT",
                    f"SA HLM {place}",
                    f"OFFICE PUBLIC DE L HABITAT DE {place}",
                ),
                MIXED_COMPANY: (
                    f"SEM {place} AMENAGEMENT",
                    f"SPL {department}",
                    f"SOCIETE D ECONOMIE MIXTE {place}",
                ),
                PUBLIC_BODY: (f"CENTRE HOSPITALIER DE {place}", f"EPF {department}", f"CCAS DE {place}"),
            }[kind[owner]][variant]
        )
    names["public"], names["public_names"] = public, public_names
    return names


def _denominations(names: dict, pools: _Pools) -> pl.Series:
    """`SURNAME/FIRST NAMES` for people, the company or body name otherwise."""
    given = names["given"]
    denomination = (
        pl.DataFrame(
            {
                "last": _lookup(pools.last_names, names["last"]),
                "first1": _lookup(pools.first_names, names["first"][0]),
                "first2": _keep(_lookup(pools.first_names, names["first"][1]), given >= 2),
                "first3": _keep(_lookup(pools.first_names, names["first"][2]), given >= 3),
            }
        )
        .select(
            pl.concat_str(
                "last",
                pl.lit("/"),
                pl.concat_str("first1", "first2", "first3", separator=" ", ignore_nulls=True),
            )
        )
        .to_series()
    )
    if len(names["legal"]):
        denomination.scatter(names["legal"], _lookup(pools.legal_names, names["legal_index"]))
    if len(names["public"]):
        denomination.scatter(names["public"], pl.Series(names["public_names"], dtype=pl.String))
    return denomination


def _person_ids(rng, dep_ccodep: pl.Series, owner_dep: np.ndarray, taken_ids) -> pl.Series:
    """FF person ids, the département then 6 letters: unique here and unseen in `taken_ids`."""
    count, space = len(owner_dep), 26**6
    prefix = _lookup(dep_ccodep, owner_dep)
    # Départements sharing a prefix (the overseas ones: 97) share one key space.
    first_of_prefix = {code: index for index, code in reversed(list(enumerate(dep_ccodep.to_list())))}
    space_of_dep = np.array([first_of_prefix[code] for code in dep_ccodep.to_list()], dtype=np.int64)
    keys = rng.integers(0, space, count)
    redraw = np.arange(count)
    for _attempt in range(20):
        keys[redraw] = rng.integers(0, space, len(redraw))
        letters = LETTERS[(keys[:, None] // 26 ** np.arange(5, -1, -1)) % 26]
        ids = prefix + pl.Series(letters.view("S6").ravel()).cast(pl.String)
        scoped = space_of_dep[owner_dep] * space + keys
        order = np.argsort(scoped, kind="stable")
        clash = np.zeros(count, dtype=bool)
        clash[order[1:][scoped[order][1:] == scoped[order][:-1]]] = True
        if taken_ids is not None:
            clash |= ids.is_in(taken_ids).to_numpy()
        redraw = np.flatnonzero(clash)
        if not redraw.size:
            return ids
    raise GenerationError("Impossible de tirer des identifiants de propriétaires uniques.")


def _sirens(rng, count: int) -> np.ndarray:
    """9-digit SIRENs with a valid Luhn key."""
    digits = rng.integers(0, 10, (count, 8))
    digits[:, 0] = rng.integers(3, 9, count)
    doubled = digits.copy()
    doubled[:, 1::2] *= 2
    doubled[doubled > 9] -= 9
    key = (10 - doubled.sum(axis=1) % 10) % 10
    return digits @ (10 ** np.arange(8, 0, -1)) + key


def _catpro3(rng, kind: np.ndarray) -> pl.Series:
    size = np.array([len(codes) for codes in OWNER_CATPRO3])
    start = np.r_[0, np.cumsum(size)[:-1]]
    flat = [code for codes in OWNER_CATPRO3 for code in codes]
    return _lookup(flat, start[kind] + (rng.random(len(kind)) * size[kind]).astype(np.int64))


def _addresses(rng, territory: _Territory, pools: _Pools, *, home, home_class, owner_dep) -> pl.Series:
    """One-line postal address as Cerema writes it: `0280 RTE DE DIEPPE 76250 DEVILLE LES ROUEN`."""
    owners = len(home)
    at_home = np.maximum(home, 0)
    frame = pl.DataFrame(
        {
            "number": _text(np.minimum(1 + np.floor(rng.exponential(30, owners)), 999).astype(np.int64), 4),
            "street": _lookup(pools.streets_dgfip, territory.streets(rng, at_home)),
            "home": _lookup(territory.places, at_home),
            "department": _lookup(territory.dep_ccodep, owner_dep),
            "postal": _text(rng.integers(0, 1000, owners), 3),
            "city": _lookup(pools.outside_cities, rng.integers(0, len(pools.outside_cities), owners)),
            "metro": _lookup(pools.metro_places, rng.integers(0, len(pools.metro_places), owners)),
            "overseas": _lookup(pools.overseas_places, rng.integers(0, len(pools.overseas_places), owners)),
            "abroad": _lookup(pools.foreign_places, rng.integers(0, len(pools.foreign_places), owners)),
            "found": home >= 0,
            "class": home_class,
        }
    )
    place = (
        pl.when("found")
        .then("home")
        .when(pl.col("class") == 2)
        .then(pl.concat_str("department", "postal", pl.lit(" "), "city"))
        .when(pl.col("class").is_in([3, 4]))
        .then("metro")
        .when(pl.col("class") == 5)
        .then("overseas")
        .when(pl.col("class") == 6)
        .then("abroad")
    )
    return frame.select(pl.concat_str("number", "street", place, separator=" ")).to_series()


def _relative_location(territory, home, home_class, owner, commune) -> np.ndarray:
    """FF `locprop` of an owner for a dwelling: 1 same commune … 4 another région; else the owner's class."""
    owner_home = home[np.maximum(owner, 0)]
    known = owner_home >= 0
    home_dep, dwelling_dep = territory.commune_dep[np.maximum(owner_home, 0)], territory.commune_dep[commune]
    return np.select(
        [
            known & (owner_home == commune),
            known & (home_dep == dwelling_dep),
            known & (territory.dep_region[home_dep] == territory.dep_region[dwelling_dep]),
            known,
        ],
        [1, 2, 3, 4],
        home_class[np.maximum(owner, 0)],
    )


def _accounts(rng, territory: _Territory, commune, account_key, millesime) -> pl.Series:
    """FF owner accounts (11 chars), one per owner group and commune; the letter follows the millésime."""
    ranks = pl.DataFrame({"commune": commune, "key": account_key}).select(
        pl.col("key").rank("dense").over("commune")
    )
    number = (
        ranks.to_series().to_numpy().astype(np.int64) - 1 + rng.integers(0, 30_000, territory.size)[commune]
    )
    letter = LETTERS[(millesime + number // 100_000) % 26]
    return (
        _lookup(territory.ccodep, commune)
        + _lookup(territory.commune3, commune)
        + pl.Series(letter.view("S1")).cast(pl.String)
        + _text(number % 100_000, 5)
    )


# --- Next millésime --------------------------------------------------------------------------------------


def _read_previous(path: Path) -> pl.DataFrame:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise GenerationError(f"Fichier précédent introuvable ou illisible : {path}.") from error
    content = content.removeprefix(b"\xef\xbb\xbf")
    checker = codecs.getincrementaldecoder("utf-8")()
    try:
        for offset in range(0, len(content), 1 << 24):  # by pieces: a whole copy as text would be large
            checker.decode(content[offset : offset + (1 << 24)])
        checker.decode(b"", final=True)
    except UnicodeDecodeError:
        content = content.decode("cp1252", errors="replace").encode("utf-8")
    header = content.split(b"\n", 1)[0]
    delimiter = ";" if header.count(b";") >= header.count(b",") else ","
    try:
        frame = pl.read_csv(
            io.BytesIO(content), separator=delimiter, infer_schema=False, truncate_ragged_lines=True
        )
    except (pl.exceptions.PolarsError, ValueError) as error:
        raise GenerationError(f"Le fichier précédent {path} n'est pas un CSV lisible : {error}") from error
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise GenerationError(f"Colonnes obligatoires absentes du fichier précédent : {', '.join(missing)}.")
    return frame.select(
        [pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c) for c in COLUMNS]
    )


def _next_millesime(rng, territory: _Territory, pools: _Pools, *, previous, millesime, rows, history):
    """The previous file's dwellings: most kept (some with new owners), ~12 % gone, newcomers added."""
    earlier = _read_previous(previous)
    years = earlier["annee"].str.strip_chars().cast(pl.Int32, strict=False).drop_nulls()
    earlier_millesime = years.max() if len(years) else millesime - 1
    if earlier_millesime >= millesime:
        raise GenerationError(
            f"Le fichier précédent est du millésime {earlier_millesime} : "
            "le nouveau millésime doit être postérieur."
        )
    code_index = {code: index for index, code in enumerate(territory.codes)}
    rows = rows if rows is not None else earlier.height
    duplicates = int(rows * DUPLICATE_SHARE)
    target = rows - duplicates
    idlocal = pl.col("ff_idlocal").fill_null("")
    valid = np.flatnonzero(
        earlier.select(
            (idlocal.str.len_chars() == 12)
            & idlocal.str.starts_with(pl.col("ccodep").fill_null("-"))
            & (pl.col("ccodep") + pl.col("commune")).is_in(territory.codes).fill_null(False)
            & pl.col("debutvacance").cast(pl.Int32, strict=False).is_between(1900, earlier_millesime)
            & idlocal.is_first_distinct()
        )
        .to_series()
        .to_numpy()
    )
    stays = valid[rng.random(len(valid)) >= LEAVING_SHARE]
    if len(stays) > target:
        stays = np.sort(rng.choice(stays, size=target, replace=False))
    kept = earlier.select(pl.all().gather(stays))
    taken = pl.concat([earlier[f"ff_idpersonne_{slot}"] for slot in OWNER_SLOTS]).drop_nulls().unique()
    arrived = target - kept.height
    history.update(
        kept_from_previous=kept.height, left_since_previous=len(valid) - kept.height, arrived=arrived
    )

    # New invariants come after every earlier one of their commune, as the DGFiP numbers new premises.
    insee = earlier.select(pl.col("ccodep") + pl.col("commune")).to_series().gather(valid).to_list()
    valid_commune = np.full(earlier.height, -1, dtype=np.int64)
    valid_commune[valid] = [code_index[code] for code in insee]
    number = (
        earlier["invariant"].gather(valid).str.slice(3).cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    )
    key_floor = np.zeros(territory.size, dtype=np.int64)
    np.maximum.at(key_floor, valid_commune[valid], number)
    del earlier
    counts = rng.multinomial(arrived, territory.weights)
    newcomers = _draw_dwellings(
        rng, territory, pools, counts=counts, millesime=millesime, key_floor=key_floor
    )

    kept_commune = valid_commune[stays]
    kept_public = kept["groupe"].str.strip_chars().is_in(PUBLIC_GROUPS).fill_null(False).to_numpy()
    change = np.flatnonzero(rng.random(kept.height) < OWNER_CHANGE_SHARE)
    history["owner_changes"] = len(change)
    owners = _draw_owners(
        rng,
        territory,
        pools,
        commune=np.r_[kept_commune[change], newcomers["_commune"].to_numpy()],
        public=np.r_[kept_public[change], newcomers["_public"].to_numpy()],
        millesime=millesime,
        taken_ids=taken,
    )
    kept = kept.with_columns(
        pl.lit(str(millesime)).alias("annee"),
        pl.lit(str(millesime - 1)).alias("ff_millesime"),
        _commune=pl.Series(kept_commune),
        _public=pl.Series(kept_public),
        _fresh=pl.lit(False),
    )
    if len(change):
        # New owners mean a transfer last year, most often a sale.
        sold = rng.random(len(change)) < 0.6
        price = np.round(rng.lognormal(np.log(150_000), 0.6, len(change)), -2).astype(np.int64)
        replacements = {
            **{name: owners[name][: len(change)] for name in owners.columns},
            "anmutation": pl.repeat(str(millesime - 1), len(change), eager=True, dtype=pl.String),
            "dvf_datemut": _keep(_dates(rng, np.full(len(change), millesime - 1)), sold),
            "dvf_valeurfonc": _keep(price, sold),
        }
        updated = {}
        for name, values in replacements.items():
            updated[name] = kept[name].clone()
            updated[name].scatter(change, values)
        kept = kept.with_columns(**updated)
    newcomers = pl.concat([newcomers, owners[len(change) :]], how="horizontal").with_columns(
        _fresh=pl.lit(True)
    )
    frame = pl.concat([kept.select(newcomers.columns), newcomers])
    return frame.sort("ff_idlocal", maintain_order=True), rows, duplicates


# --- Anomalies the importer must handle ------------------------------------------------------------------


def _in_scope(millesime: int) -> pl.Expr:
    year = pl.col("debutvacance").str.strip_chars().cast(pl.Int32, strict=False)
    groupe = pl.col("groupe").str.strip_chars().fill_null("")
    return (
        (pl.col("aff") == "H")
        & pl.col("nature").is_in(["APPART", "MAISON"])
        & ~groupe.is_in(PUBLIC_GROUPS)
        & (year < millesime - 2)
    ).fill_null(False)


def _duplicates(rng, frame: pl.DataFrame, count: int, millesime: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Copies of in-scope lines (same ff_idlocal) with an earlier vacancy start, and where they come from."""
    candidates = np.flatnonzero(frame.select(_in_scope(millesime)).to_series().to_numpy())
    picked = np.sort(rng.choice(candidates, size=min(count, len(candidates)), replace=False))
    copies = frame.select(pl.all().gather(picked))
    earlier = copies["debutvacance"].cast(pl.Int64).to_numpy() - 1 - np.floor(rng.exponential(2, len(picked)))
    return copies.with_columns(debutvacance=_text(np.maximum(earlier, 1950).astype(np.int64))), picked


def _add_messy_values(rng, frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """~0.5 % of new lines get a dubious optional value: lone space, bad number or date, swapped coordinates.

    Lines kept from an earlier file keep theirs, as sources rarely fix their errors.
    """
    fresh = np.flatnonzero(frame["_fresh"].to_numpy())
    count = round(len(fresh) * MESSY_SHARE)
    lines = np.sort(rng.choice(fresh, size=count, replace=False))
    kinds = rng.integers(0, 4, count)
    born = frame["ff_jdatnss_1"].is_not_null().to_numpy()
    located = frame["ff_x_4326"].is_not_null().to_numpy()
    changes: dict[str, tuple[list, list]] = {}
    for line, kind in zip(lines.tolist(), kinds.tolist(), strict=True):
        if kind == 0:
            edits = [(LONE_SPACE_COLUMNS[line % len(LONE_SPACE_COLUMNS)], " ")]
        elif kind == 1:
            edits = [
                (BAD_NUMBER_COLUMNS[line % len(BAD_NUMBER_COLUMNS)], BAD_NUMBERS[line % len(BAD_NUMBERS)])
            ]
        elif kind == 2:
            edits = [("ff_jdatnss_1" if born[line] else "dvf_datemut", BAD_DATES[line % len(BAD_DATES)])]
        elif located[line]:  # latitude and longitude swapped: outside France
            edits = [("ff_x_4326", frame["ff_y_4326"][line]), ("ff_y_4326", frame["ff_x_4326"][line])]
        else:
            edits = [("ff_stoth", "abc")]
        for column, value in edits:
            positions, values = changes.setdefault(column, ([], []))
            positions.append(line)
            values.append(value)
    return frame.with_columns(**_scattered(frame, changes)), count


def _scattered(frame: pl.DataFrame, changes: dict[str, tuple[list, list]]) -> dict[str, pl.Series]:
    updated = {}
    for column, (positions, values) in sorted(changes.items()):
        updated[column] = frame[column].clone()
        updated[column].scatter(positions, pl.Series(values, dtype=pl.String))
    return updated


def _add_rejected_lines(rng, frame, count, millesime, delimiter, avoid) -> tuple[pl.DataFrame, list]:
    """Lines the importer must reject: bad ff_idlocal, vacancy year or commune, too few fields.

    Lines with too few fields cannot go through the CSV writer: they are returned as text with the
    position of the frame line they replace.
    """
    rejected = np.zeros(frame.height, dtype=bool)
    if not count:
        return frame.with_columns(_rejected=pl.Series(rejected)), []
    eligible = frame.select(_in_scope(millesime)).to_series().to_numpy()
    eligible[avoid] = False
    candidates = np.flatnonzero(eligible)
    if count > len(candidates):
        raise GenerationError(f"Trop de lignes à rejeter : {len(candidates)} au plus pour ce fichier.")
    lines = np.sort(rng.choice(candidates, size=count, replace=False))
    kinds = rng.permutation(np.arange(count) % 7)
    changes: dict[str, tuple[list, list]] = {}
    for line, kind in zip(lines.tolist(), kinds.tolist(), strict=True):
        idlocal = frame["ff_idlocal"][line]
        column, value = (
            ("ff_idlocal", idlocal[:-1]),
            ("ff_idlocal", ("00" if idlocal[:2] != "00" else "99") + idlocal[2:]),
            ("ff_idlocal", None),
            ("debutvacance", "1850"),
            ("debutvacance", str(millesime + 1)),
            ("commune", "000"),
            (None, None),
        )[kind]
        if column:
            positions, values = changes.setdefault(column, ([], []))
            positions.append(line)
            values.append(value)
    rejected[lines] = True
    frame = frame.with_columns(**_scattered(frame, changes), _rejected=pl.Series(rejected))
    raw = [
        (line, frame.slice(line, 1).select(COLUMNS[:10]).write_csv(separator=delimiter, include_header=False))
        for line in lines[kinds == 6].tolist()
    ]
    return frame, raw


def _block_insertions(copies: pl.DataFrame, copied: np.ndarray, block: int, height: int) -> list:
    """Where duplicate lines go: after the block of lines holding their original."""
    if not len(copied):
        return []
    ends = np.minimum((copied // block + 1) * block, height)
    boundaries, starts = np.unique(ends, return_index=True)
    stops = np.r_[starts[1:], len(ends)]
    return [
        (int(end), copies.slice(int(a), int(b - a)))
        for end, a, b in zip(boundaries, starts, stops, strict=True)
    ]


# --- Writing ---------------------------------------------------------------------------------------------


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "latin-1":
        text = text.translate({ord("Œ"): "OE", ord("œ"): "oe", ord("’"): "'", ord("…"): "..."})
    return text.encode(encoding, errors="replace")


def _write(frame: pl.DataFrame, out: Path, *, encoding: str, delimiter: str, insertions: list) -> None:
    """The frame as CSV with `insertions`: frames written before a line, or raw text replacing a line.

    Writing slices in place of reordering the frame spares a full copy of it.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    utf8 = encoding in ("utf-8", "utf-8-sig")

    def write(handle, part: pl.DataFrame) -> None:
        for offset in range(0, part.height, WRITE_CHUNK):
            piece = part.slice(offset, WRITE_CHUNK).select(COLUMNS)
            if utf8:
                piece.write_csv(handle, separator=delimiter, include_header=False)
            else:
                handle.write(_encode(piece.write_csv(separator=delimiter, include_header=False), encoding))

    with out.open("wb") as handle:
        if encoding == "utf-8-sig":
            handle.write(b"\xef\xbb\xbf")
        handle.write(_encode(delimiter.join(COLUMNS) + "\n", encoding))
        start = 0
        for position, payload in sorted(insertions, key=lambda item: (item[0], isinstance(item[1], str))):
            write(handle, frame.slice(start, position - start))
            if isinstance(payload, str):
                handle.write(_encode(payload, encoding))
                start = position + 1
            else:
                write(handle, payload)
                start = position
        write(handle, frame.slice(start, frame.height - start))


def _stats(frame, copies, path, *, millesime, messy, rejects, communes, history, seconds):
    needed = [
        "ff_idlocal",
        "aff",
        "nature",
        "groupe",
        "debutvacance",
        *(f"ff_idpersonne_{s}" for s in OWNER_SLOTS),
    ]
    valid = pl.concat(
        [
            frame.select(*needed, "_rejected").filter(~pl.col("_rejected")).drop("_rejected"),
            copies.select(needed),
        ]
    )
    scope = valid.select(_in_scope(millesime)).to_series()
    in_scope = int(scope.sum())
    primary = valid.select("ff_idpersonne_1", "ff_idlocal").drop_nulls().unique()
    return GenerationStats(
        path=path,
        millesime=millesime,
        lines=frame.height + copies.height,
        in_scope_lines=in_scope,
        out_of_scope_lines=valid.height - in_scope,
        duplicate_lines=valid.height - valid["ff_idlocal"].n_unique(),
        messy_values=messy,
        rejected_lines=rejects,
        dwellings=valid["ff_idlocal"].n_unique(),
        expected_dwellings=valid.filter(scope)["ff_idlocal"].n_unique(),
        owners=pl.concat([valid[f"ff_idpersonne_{slot}"] for slot in OWNER_SLOTS]).drop_nulls().n_unique(),
        multi_owners=int((primary.group_by("ff_idpersonne_1").len()["len"] > 1).sum()),
        communes=communes,
        seconds=seconds,
        **history,
    )
