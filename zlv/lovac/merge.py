"""Staging tables and the set-based SQL merge of a LOVAC millésime (DOMAIN.md §4.3).

Rows are `COPY`'d into TEMP tables, then merged with a handful of statements (INSERT … SELECT,
UPDATE … FROM, INSERT … WHERE NOT EXISTS); every automatic change gets an event attributed to the
system user and the import run. Everything runs inside the caller's transaction, and imports
are serialised by an advisory lock: plain inserts after an anti-join need no ON CONFLICT (whose
speculative insertion costs a second index probe per row).
"""

# SQL is assembled from table names and column lists defined in this module, never from input.
# ruff: noqa: S608

from __future__ import annotations

import io
import json
import logging
import queue
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl

from zlv.accounts.models import User
from zlv.geo.perimeter_services import perimeters_refresh_dwellings
from zlv.housing.enums import EXIT_SUB_STATUS, HousingStatus, Occupancy
from zlv.housing.event_sql import EVENT_COLUMNS
from zlv.housing.models import Building, Event, Housing, HousingOwner, Owner
from zlv.housing.primary_owner import rights_summary_refresh
from zlv.lovac.rights import merge_rights

logger = logging.getLogger(__name__)

HOUSING = Housing._meta.db_table
OWNER = Owner._meta.db_table
LINK = HousingOwner._meta.db_table
BUILDING = Building._meta.db_table
EVENT = Event._meta.db_table
USER = User._meta.db_table

STAGING_HOUSING = "lovac_stg_housing"
STAGING_LINKS = "lovac_stg_link"
STAGING_OWNERS = "lovac_o"
STAGING_BUILDINGS = "lovac_stg_building"
STAGING_BUILDING_ROWS = "lovac_stg_building_row"
TEMP_TABLES = [
    STAGING_HOUSING,
    STAGING_LINKS,
    STAGING_OWNERS,
    STAGING_BUILDINGS,
    STAGING_BUILDING_ROWS,
    "lovac_duplicates",
    "lovac_h",
    "lovac_l",
    "lovac_cur",
    "lovac_departed",
    "lovac_communes",
    "lovac_rejected_ids",
    "lovac_exit",
    "lovac_touched_owners",
    "lovac_rights",
    "lovac_touched_housing",
    "lovac_changed_owners",
    "lovac_link_plan",
    "lovac_rank_changes",
    "lovac_link_changes",
]

STAGING_HOUSING_COLUMNS = {
    "line": "integer",
    "local_id": "text",
    "invariant": "text",
    "geo_code": "text",
    "housing_kind": "text",
    "address_dgfip": "text",
    "ban_address": "text",
    "ban_id": "text",
    "ban_score": "double precision",
    "latitude": "double precision",
    "longitude": "double precision",
    "living_area": "integer",
    "rooms_count": "smallint",
    "cadastral_classification": "smallint",
    "uncomfortable": "boolean",
    "building_year": "smallint",
    "condominium": "text",
    "beneficiary_count": "smallint",
    "rental_value": "integer",
    "taxed": "boolean",
    "occupancy_source": "text",
    "building_id": "text",
    "plot_id": "text",
    "plot_area": "integer",
    "cadastral_reference": "text",
    "last_mutation_year": "smallint",
    "last_transaction_date": "date",
    "last_transaction_value": "bigint",
    "vacancy_start_year": "smallint",
    "idprocpte": "text",
}
# One row per owner slot of a kept line: the right, and the owner as this line describes it
# (the owners' table is drawn from these once the file is read, see Staging.finish).
STAGING_LINK_COLUMNS = {
    "line": "integer",
    "rank": "smallint",
    "idpersonne": "text",
    "property_right": "text",
    "locprop": "smallint",
    "idprodroit": "text",
    "full_name": "text",
    "birth_date": "date",
    "kind": "text",
    "siren": "text",
    "address": "text",
}
STAGING_OWNER_COLUMNS = {
    "idpersonne": "text",
    "full_name": "text",
    "birth_date": "date",
    "kind": "text",
    "siren": "text",
    "address": "text",
    "primary_count": "integer",
}

# Physical and fiscal fields refreshed from the file: (column, key in event payloads, NOT NULL text).
REFRESHED_FIELDS = [
    ("invariant", "invariant", True),
    ("housing_kind", "housingKind", True),
    ("address_dgfip", "rawAddress", True),
    ("ban_address", "banAddress", True),
    ("ban_id", "banId", True),
    ("ban_score", "banScore", False),
    ("latitude", "latitude", False),
    ("longitude", "longitude", False),
    ("living_area", "livingArea", False),
    ("rooms_count", "roomsCount", False),
    ("cadastral_classification", "cadastralClassification", False),
    ("uncomfortable", "uncomfortable", False),
    ("building_year", "buildingYear", False),
    ("condominium", "ownershipKind", True),
    ("beneficiary_count", "beneficiaryCount", False),
    ("rental_value", "rentalValue", False),
    ("taxed", "taxed", False),
    ("occupancy_source", "occupancySource", True),
    ("building_id", "buildingId", False),
    ("plot_id", "plotId", True),
    ("plot_area", "plotArea", False),
    ("cadastral_reference", "cadastralReference", True),
    ("last_mutation_year", "lastMutationYear", False),
    ("last_transaction_date", "lastTransactionDate", False),
    ("last_transaction_value", "lastTransactionValue", False),
    ("vacancy_start_year", "vacancyStartYear", False),
]

# Below this many incoming rows, indexes are always maintained row by row (see bulk_load).
BULK_LOAD_MIN_ROWS = 100_000
# Locking the empty tables of a first load: attempts, and how long each waits for a reader (less
# than PostgreSQL's default deadlock_timeout of 1 s, so that the import always gives way first).
BULK_LOCK_ATTEMPTS = 20
BULK_LOCK_TIMEOUT = "200ms"

# Occupancy/status changes count as "by a user" when an event of these kinds has a non-system author.
FOLLOW_UP_EVENT_KINDS = ("housing:status-updated", "housing:occupancy-updated")


def _source(column: str, text: bool, alias: str = "s") -> str:
    return f"COALESCE({alias}.{column}, '')" if text else f"{alias}.{column}"


def _label_case(expression: str, choices) -> str:
    whens = " ".join(f"WHEN {_literal(value)} THEN {_literal(label)}" for value, label in choices)
    return f"(CASE {expression} {whens} ELSE {expression}::text END)"


def _literal(value) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


OCCUPANCY_LABEL = Occupancy.choices
STATUS_LABEL = HousingStatus.choices


@dataclass
class MergeCounts:
    housing_created: int = 0
    housing_updated: int = 0
    housing_exited: int = 0
    owners_created: int = 0
    owners_updated: int = 0
    owner_links_attached: int = 0
    owner_links_detached: int = 0
    owner_links_updated: int = 0
    housing_moved: int = 0


class Staging:
    """TEMP staging tables filled by `COPY` (the reader's sink).

    Frames are serialised and COPY'd on a writer thread so that PostgreSQL ingests one chunk
    while polars parses the next; only that thread touches the connection until `flush()` returns.
    Nothing the file holds is kept in memory between chunks: duplicates, distinct owners and
    buildings are resolved by SQL once the file is read (`finish`), so that the import's memory
    depends on the chunk size, not on the file's.
    """

    def __init__(self, cursor):
        self.cursor = cursor
        self.raw_cursor = getattr(cursor, "cursor", cursor)
        self.housing_rows = 0
        self.owner_rows = 0
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def create(self) -> None:
        self.drop()
        self._create(STAGING_HOUSING, STAGING_HOUSING_COLUMNS)
        self._create(STAGING_LINKS, STAGING_LINK_COLUMNS)
        self._create(STAGING_OWNERS, STAGING_OWNER_COLUMNS)
        self._create(
            STAGING_BUILDINGS,
            {"building_id": "text", "housing_count": "integer", "vacant_housing_count": "integer"},
        )
        self._create(STAGING_BUILDING_ROWS, {"building_id": "text", "local_id": "text", "vacant": "boolean"})
        self._create("lovac_rejected_ids", {"local_id": "text"})

    def _create(self, name: str, columns: dict[str, str]) -> None:
        definition = ", ".join(f"{column} {kind}" for column, kind in columns.items())
        self.cursor.execute(f"CREATE TEMP TABLE {name} ({definition})")

    def drop(self) -> None:
        self.cursor.execute("DROP TABLE IF EXISTS " + ", ".join(TEMP_TABLES))

    def housing(self, frame: pl.DataFrame) -> None:
        self.copy(STAGING_HOUSING, frame.select(list(STAGING_HOUSING_COLUMNS)))
        self.housing_rows += frame.height

    def links(self, frame: pl.DataFrame) -> None:
        self.copy(STAGING_LINKS, frame.select(list(STAGING_LINK_COLUMNS)))
        self.owner_rows += frame.height

    def buildings(self, frame: pl.DataFrame) -> None:
        """(building_id, local_id, vacant) of every dwelling line, in scope or not."""
        self.copy(STAGING_BUILDING_ROWS, frame.select(list(frame.columns)))

    def rejected_ids(self, local_ids: pl.Series) -> None:
        """National ids of rejected lines: those dwellings do not leave the vacancy (merge step 6)."""
        local_ids = local_ids.drop_nulls()
        if local_ids.len():
            self.copy("lovac_rejected_ids", local_ids.alias("local_id").to_frame())

    def finish(self) -> list[int]:
        """Once every chunk is staged: drop duplicate records, draw the distinct owners and count
        the buildings' dwellings. Returns the line numbers of the duplicates dropped."""
        self.flush()
        cursor = self.cursor
        # For one national id, the record kept is the latest vacancy start, then the latest
        # mutation, then the highest rental value, then the first line.
        cursor.execute(
            f"""
            CREATE TEMP TABLE lovac_duplicates AS
            SELECT line FROM (
                SELECT s.line, row_number() OVER (
                           PARTITION BY s.local_id
                           ORDER BY s.vacancy_start_year DESC NULLS LAST,
                                    s.last_mutation_year DESC NULLS LAST,
                                    s.rental_value DESC NULLS LAST, s.line) AS position
                  FROM {STAGING_HOUSING} s
                 WHERE s.local_id IN (SELECT local_id FROM {STAGING_HOUSING}
                                       GROUP BY local_id HAVING count(*) > 1)
            ) ranked
             WHERE position > 1
            """
        )
        cursor.execute("SELECT line FROM lovac_duplicates ORDER BY line")
        duplicate_lines = [line for (line,) in cursor.fetchall()]
        if duplicate_lines:
            cursor.execute(f"DELETE FROM {STAGING_HOUSING} t USING lovac_duplicates d WHERE t.line = d.line")
            self.housing_rows -= cursor.rowcount
            cursor.execute(f"DELETE FROM {STAGING_LINKS} t USING lovac_duplicates d WHERE t.line = d.line")
            self.owner_rows -= cursor.rowcount
        # An owner's fields come from its first slot in the file; it is a multi-owner when it is
        # the primary owner (rank 1) of more than one kept line.
        cursor.execute(
            f"""
            INSERT INTO {STAGING_OWNERS} ({", ".join(STAGING_OWNER_COLUMNS)})
            SELECT idpersonne, full_name, birth_date, kind, siren, address, primary_count
              FROM (SELECT l.*,
                           row_number() OVER (PARTITION BY l.idpersonne COLLATE "C"
                                              ORDER BY l.line, l.rank) AS position,
                           count(*) FILTER (WHERE l.rank = 1)
                               OVER (PARTITION BY l.idpersonne COLLATE "C") AS primary_count
                      FROM {STAGING_LINKS} l) ranked
             WHERE position = 1
            """
        )
        cursor.execute(
            f"""
            INSERT INTO {STAGING_BUILDINGS} (building_id, housing_count, vacant_housing_count)
            SELECT building_id, count(*), count(*) FILTER (WHERE vacant)
              FROM (SELECT building_id, local_id, bool_or(vacant) AS vacant
                      FROM {STAGING_BUILDING_ROWS} GROUP BY building_id, local_id) dwellings
             GROUP BY building_id
            """
        )
        cursor.execute(f"TRUNCATE {STAGING_BUILDING_ROWS}")
        return duplicate_lines

    def copy(self, table: str, frame: pl.DataFrame) -> None:
        """Queue `frame` for COPY into `table` (CSV: unquoted empty field = NULL)."""
        self._raise_pending()
        if self._thread is None:
            self._thread = threading.Thread(target=self._write, name="lovac-copy", daemon=True)
            self._thread.start()
        self._queue.put((table, frame))

    def flush(self) -> None:
        """Wait for every queued COPY; re-raise the writer's error if any."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise_pending()

    def _raise_pending(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _write(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the main thread will raise
            table, frame = item
            try:
                buffer = io.BytesIO()
                frame.write_csv(buffer, include_header=False, null_value="", quote_style="necessary")
                columns = ", ".join(frame.columns)
                with self.raw_cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getbuffer())
            except BaseException as error:  # noqa: BLE001 - handed over to the main thread
                self._error = error


def merge(
    cursor,
    *,
    staging: Staging,
    millesime: int,
    run_id: int,
    author_id: int,
    communes: set[str],
    progress=None,
) -> MergeCounts:
    """Merge the staged rows into dwellings, owners, rights and buildings; returns the counts.

    New dwellings take their ids in (commune, national id) order and are inserted in id order,
    buildings by id, owners by idpersonne, rights by dwelling: the indexes then grow at their
    right edge instead of being updated at random pages.
    """
    progress = progress or (lambda phase, count=None: None)
    tag = f"lovac-{millesime}"
    counts = MergeCounts()
    params = {"tag": tag, "run": run_id, "author": author_id}
    # Foreign keys are checked at the end of each statement rather than all at commit: no
    # pending check events when a bulk load rebuilds an index, and no queue of millions of them.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def run(sql: str, extra: dict | None = None) -> int:
        cursor.execute(sql, {**params, **(extra or {})})
        return cursor.rowcount

    def scalar(sql: str, extra: dict | None = None):
        cursor.execute(sql, {**params, **(extra or {})})
        return cursor.fetchone()[0]

    # ---- 1. Keep one record per dwelling, resolve dwelling ids -------------------------------
    progress("préparation")
    staging.flush()
    _lock_empty_tables_for_bulk_load(
        cursor,
        {
            OWNER: staging.owner_rows,
            HOUSING: staging.housing_rows,
            EVENT: staging.housing_rows,
            LINK: staging.owner_rows,
        },
    )
    # Resolved once: pg_get_serial_sequence() in the SELECT would run for every row.
    sequence = scalar(f"SELECT pg_get_serial_sequence('{HOUSING}', 'id')")
    run("CREATE TEMP TABLE lovac_communes (code text PRIMARY KEY)")
    if communes:
        staging.copy("lovac_communes", pl.DataFrame({"code": sorted(communes)}))
    run("CREATE TEMP TABLE lovac_touched_owners (owner_id bigint)")
    staging.flush()
    run(f"ANALYZE {STAGING_HOUSING}")
    run(f"ANALYZE {STAGING_LINKS}")
    counts.housing_moved = _follow_commune_merges(run)
    # Narrow: the wide staged values are read from the staging table where needed. New
    # dwellings take their ids in (commune, national id) order, the order they are inserted in.
    run(
        f"""
        CREATE TEMP TABLE lovac_h AS
        SELECT line, COALESCE(existing_id, nextval(%(sequence)s::regclass)) AS housing_id,
               existing_id IS NULL AS is_new, idprocpte
          FROM (SELECT s.line, s.idprocpte, h.id AS existing_id
                  FROM {STAGING_HOUSING} s
                  LEFT JOIN {HOUSING} h ON h.geo_code = s.geo_code AND h.local_id = s.local_id
                 ORDER BY s.geo_code, s.local_id) AS found
        """,
        {"sequence": sequence},
    )
    run("ANALYZE lovac_h")

    # ---- 2. Buildings -------------------------------------------------------------------------
    progress("bâtiments")
    run(
        f"""
        UPDATE {BUILDING} b
           SET housing_count = s.housing_count, vacant_housing_count = s.vacant_housing_count
          FROM {STAGING_BUILDINGS} s
         WHERE b.id = s.building_id
           AND (b.housing_count, b.vacant_housing_count)
               IS DISTINCT FROM (s.housing_count, s.vacant_housing_count)
        """
    )
    run(
        f"""
        INSERT INTO {BUILDING} (id, housing_count, vacant_housing_count)
        SELECT building_id, housing_count, vacant_housing_count FROM {STAGING_BUILDINGS} s
         WHERE NOT EXISTS (SELECT 1 FROM {BUILDING} b WHERE b.id = s.building_id)
         ORDER BY building_id COLLATE "C"
        """
    )

    # ---- 3. Owners (matched on idpersonne) ---------------------------------------------------
    progress("propriétaires")
    run(f"ANALYZE {STAGING_OWNERS}")
    # Existing owners whose fields change: the copies on their dwellings are refreshed at the end.
    run("CREATE TEMP TABLE lovac_changed_owners (owner_id bigint)")
    owner_old = "jsonb_build_object('name', old.full_name, 'birthdate', old.birth_date, 'address', old.address_dgfip, 'siren', old.siren, 'kind', old.kind)"  # noqa: E501
    owner_new = "jsonb_build_object('name', o.full_name, 'birthdate', o.birth_date, 'address', o.address_dgfip, 'siren', o.siren, 'kind', o.kind)"  # noqa: E501
    counts.owners_updated = scalar(
        f"""
        WITH updated AS (
            UPDATE {OWNER} o
               SET full_name = s.full_name, kind = COALESCE(s.kind, ''),
                   address_dgfip = COALESCE(s.address, ''),
                   birth_date = COALESCE(s.birth_date, o.birth_date),
                   siren = COALESCE(s.siren, o.siren), updated_at = now()
              FROM {STAGING_OWNERS} s, {OWNER} old
             WHERE o.idpersonne = s.idpersonne AND old.id = o.id
               AND (o.full_name, o.kind, o.address_dgfip, o.birth_date, o.siren)
                   IS DISTINCT FROM
                   (s.full_name, COALESCE(s.kind, ''), COALESCE(s.address, ''),
                    COALESCE(s.birth_date, o.birth_date), COALESCE(s.siren, o.siren))
            RETURNING o.id, {owner_old} AS old_value, {owner_new} AS new_value
        ), events AS (
            INSERT INTO {EVENT} {EVENT_COLUMNS}
            SELECT 'owner:updated', NULL, id, old_value, new_value, now(), %(author)s, %(run)s FROM updated
        ), remember AS (
            INSERT INTO lovac_changed_owners (owner_id) SELECT id FROM updated
        )
        SELECT count(*) FROM updated
        """
    )
    # New owners: no other right anywhere yet, so the file alone tells whether they are multi-owners.
    # (No owner:created event: the dwelling's housing:created and owner-attached events cover it.)
    # Owner ids come from a sequence: every owner created below has a greater id than this.
    last_existing_owner = scalar(f"SELECT COALESCE(max(id), 0) FROM {OWNER}")
    with bulk_load(cursor, OWNER, scalar(f"SELECT count(*) FROM {STAGING_OWNERS}")):
        counts.owners_created = run(
            f"""
            INSERT INTO {OWNER} (idpersonne, full_name, birth_date, address_dgfip, additional_address,
                                 email, phone, siren, kind, data_source, is_multi_owner, do_not_contact,
                                 created_at, updated_at)
            SELECT s.idpersonne, s.full_name, s.birth_date, COALESCE(s.address, ''), '', '', '',
                   COALESCE(s.siren, ''), COALESCE(s.kind, ''), %(tag)s, s.primary_count > 1, false,
                   now(), now()
              FROM {STAGING_OWNERS} s
             WHERE NOT EXISTS (SELECT 1 FROM {OWNER} o WHERE o.idpersonne = s.idpersonne)
             ORDER BY s.idpersonne
            """
        )

    # The file's rights with dwelling and owner ids resolved, read by the new dwellings' copies
    # of their rights (step 5) and by the rights merge (step 7).
    run(
        f"""
        CREATE TEMP TABLE lovac_rights AS
        SELECT h.housing_id, h.is_new, o.id AS owner_id, l.rank,
               COALESCE(h.idprocpte, '') AS idprocpte, COALESCE(l.idprodroit, '') AS idprodroit,
               COALESCE(l.property_right, '') AS property_right, l.locprop, o.full_name,
               o.kind AS owner_kind, o.birth_date AS owner_birth_date, o.is_multi_owner AS owner_multi
          FROM {STAGING_LINKS} l
          JOIN lovac_h h ON h.line = l.line
          JOIN {OWNER} o ON o.idpersonne = l.idpersonne
        """
    )
    run("ANALYZE lovac_rights")

    # ---- 4. Existing dwellings: refresh physical/fiscal fields, add the millésime ------------
    progress("logements")
    new_values = ", ".join(_source(column, text) for column, _key, text in REFRESHED_FIELDS)
    current_values = ", ".join(f"h.{column}" for column, _key, _text in REFRESHED_FIELDS)
    assignments = ", ".join(f"{column} = {_source(column, text)}" for column, _key, text in REFRESHED_FIELDS)
    unchanged_keys = ", ".join(
        f"CASE WHEN old.{column} IS NOT DISTINCT FROM {_source(column, text)} THEN '{key}' END"
        for column, key, text in REFRESHED_FIELDS
    )
    old_object = ", ".join(f"'{key}', old.{column}" for column, key, _text in REFRESHED_FIELDS)
    new_object = ", ".join(f"'{key}', {_source(column, text)}" for column, key, text in REFRESHED_FIELDS)
    counts.housing_updated = scalar(
        f"""
        WITH updated AS (
            UPDATE {HOUSING} h
               SET {assignments},
                   data_file_years = ARRAY(
                       SELECT DISTINCT t FROM unnest(h.data_file_years || %(tag)s::varchar) t ORDER BY t
                   ),
                   updated_at = now()
              FROM lovac_h k, {STAGING_HOUSING} s, {HOUSING} old
             WHERE NOT k.is_new AND s.line = k.line AND h.id = k.housing_id AND old.id = h.id
               AND (({current_values}) IS DISTINCT FROM ({new_values})
                    OR NOT (%(tag)s = ANY(h.data_file_years)))
            RETURNING h.id,
                (jsonb_build_object({old_object}) || jsonb_build_object('dataFileYears', old.data_file_years))
                    - array_remove(ARRAY[{unchanged_keys}], NULL) AS old_value,
                (jsonb_build_object({new_object}) || jsonb_build_object('dataFileYears', h.data_file_years))
                    - array_remove(ARRAY[{unchanged_keys}], NULL) AS new_value
        ), events AS (
            INSERT INTO {EVENT} {EVENT_COLUMNS}
            SELECT 'housing:lovac-refreshed', id, NULL, old_value, new_value, now(), %(author)s, %(run)s
              FROM updated
        )
        SELECT count(*) FROM updated
        """  # noqa: S608
    )

    # Back in the file while not vacant: vacant again unless a user changed its follow-up.
    user_touched = f"""
        EXISTS (SELECT 1 FROM {EVENT} e JOIN {USER} u ON u.id = e.created_by_id
                 WHERE e.housing_id = h.id AND e.kind IN {FOLLOW_UP_EVENT_KINDS!r} AND NOT u.is_system)
    """
    run(
        f"""
        WITH reset AS (
            UPDATE {HOUSING} h
               SET occupancy = 'V', status = 0, sub_status = '', updated_at = now()
              FROM lovac_h s, {HOUSING} old
             WHERE h.id = s.housing_id AND NOT s.is_new AND old.id = h.id
               AND h.occupancy <> 'V' AND NOT {user_touched}
            RETURNING h.id, old.occupancy AS old_occupancy, old.status AS old_status,
                      old.sub_status AS old_sub_status
        ), occupancy_events AS (
            INSERT INTO {EVENT} {EVENT_COLUMNS}
            SELECT 'housing:occupancy-updated', id, NULL::bigint,
                   jsonb_build_object('occupancy', {_label_case("old_occupancy", OCCUPANCY_LABEL)}),
                   jsonb_build_object('occupancy', {_literal(Occupancy.VACANT.label)}),
                   now(), %(author)s, %(run)s
              FROM reset
        )
        INSERT INTO {EVENT} {EVENT_COLUMNS}
        SELECT 'housing:status-updated', id, NULL::bigint,
               jsonb_build_object('status', {_label_case("old_status", STATUS_LABEL)},
                                  'subStatus', NULLIF(old_sub_status, '')),
               jsonb_build_object('status', {_literal(HousingStatus.NEVER_CONTACTED.label)}),
               now(), %(author)s, %(run)s
          FROM reset WHERE old_status <> 0 OR old_sub_status <> ''
        """
    )

    # ---- 5. New dwellings, with the copies of their rights, and their housing:created events ---
    inserted_columns = ", ".join(column for column, _key, _text in REFRESHED_FIELDS)
    new_dwellings = scalar("SELECT count(*) FROM lovac_h WHERE is_new")
    with bulk_load(cursor, HOUSING, new_dwellings):
        counts.housing_created = run(
            f"""
            INSERT INTO {HOUSING} (id, local_id, geo_code, {inserted_columns}, data_file_years, data_source,
                                   status, sub_status, occupancy, occupancy_intended, actual_dpe,
                                   primary_owner_id, primary_owner_kind, primary_owner_birth_date,
                                   primary_owner_multi, primary_owner_location, owner_count,
                                   primary_owner_search_name,
                                   created_at, updated_at)
            SELECT k.housing_id, s.local_id, s.geo_code, {new_values}, ARRAY[%(tag)s], 'lovac',
                   0, '', 'V', '', '', r.owner_id, COALESCE(r.owner_kind, ''), r.owner_birth_date,
                   COALESCE(r.owner_multi, false), r.location, COALESCE(r.active, 0),
                   COALESCE(upper(zlv_unaccent(r.owner_name)), ''), now(), now()
              FROM {STAGING_HOUSING} s
              JOIN lovac_h k ON k.line = s.line
              LEFT JOIN (SELECT housing_id,
                                max(owner_id) FILTER (WHERE rank = 1) AS owner_id,
                                max(owner_kind) FILTER (WHERE rank = 1) AS owner_kind,
                                max(owner_birth_date) FILTER (WHERE rank = 1) AS owner_birth_date,
                                bool_or(owner_multi) FILTER (WHERE rank = 1) AS owner_multi,
                                max(full_name) FILTER (WHERE rank = 1) AS owner_name,
                                max(locprop) FILTER (WHERE rank = 1) AS location,
                                count(*) FILTER (WHERE rank >= 1) AS active
                           FROM lovac_rights WHERE is_new GROUP BY housing_id) r
                    ON r.housing_id = k.housing_id
             WHERE k.is_new
             ORDER BY k.housing_id
            """  # noqa: S608
        )
    with bulk_load(cursor, EVENT, new_dwellings):
        run(
            f"""
            INSERT INTO {EVENT} {EVENT_COLUMNS}
            SELECT 'housing:created', housing_id, NULL, NULL, %(created)s::jsonb, now(), %(author)s, %(run)s
              FROM lovac_h WHERE is_new ORDER BY housing_id
            """,
            {"created": json.dumps({"source": tag, "occupancy": Occupancy.VACANT.label}, ensure_ascii=False)},
        )
    # ---- 6. Dwellings of the file's communes that left the file --------------------------------
    progress("sorties de vacance")
    run(
        f"""
        CREATE TEMP TABLE lovac_exit AS
        SELECT h.id, h.status AS old_status, h.sub_status AS old_sub_status
          FROM {HOUSING} h JOIN lovac_communes c ON c.code = h.geo_code
         WHERE h.occupancy = 'V' AND h.status IN (0, 1)
           AND NOT (%(tag)s = ANY(h.data_file_years))
           AND NOT EXISTS (SELECT 1 FROM lovac_rejected_ids r WHERE r.local_id = h.local_id)
           AND NOT {user_touched}
        """
    )
    counts.housing_exited = run(
        f"""
        UPDATE {HOUSING} h
           SET occupancy = 'inconnu', status = {HousingStatus.COMPLETED.value},
               sub_status = {_literal(EXIT_SUB_STATUS)}, updated_at = now()
          FROM lovac_exit x WHERE x.id = h.id
        """
    )
    if counts.housing_exited:
        run(
            f"""
            INSERT INTO {EVENT} {EVENT_COLUMNS}
            SELECT 'housing:occupancy-updated', id, NULL::bigint,
                   jsonb_build_object('occupancy', {_literal(Occupancy.VACANT.label)}),
                   jsonb_build_object('occupancy', {_literal(Occupancy.UNKNOWN.label)}),
                   now(), %(author)s, %(run)s
              FROM lovac_exit
            UNION ALL
            SELECT 'housing:status-updated', id, NULL::bigint,
                   jsonb_build_object('status', {_label_case("old_status", STATUS_LABEL)}),
                   jsonb_build_object('status', {_literal(HousingStatus.COMPLETED.label)},
                                      'subStatus', {_literal(EXIT_SUB_STATUS)}),
                   now(), %(author)s, %(run)s
              FROM lovac_exit
            """
        )

    # ---- 6b. Perimeters: the file's dwellings, new or moved, join the perimeters they lie in ----
    progress("périmètres")
    perimeters_refresh_dwellings(cursor, "SELECT housing_id FROM lovac_h")

    # ---- 7. Rights: the file's changes since the last import, over the agents' edits ----------
    progress("droits de propriété")
    with bulk_load(cursor, LINK, scalar("SELECT count(*) FROM lovac_rights WHERE is_new")):
        run(
            f"""
            INSERT INTO {LINK} (housing_id, owner_id, rank, source_rank, idprocpte, idprodroit,
                                property_right, locprop_source, start_date, end_date)
            SELECT housing_id, owner_id, rank, rank, idprocpte, idprodroit, property_right, locprop,
                   now(), NULL
              FROM lovac_rights
             WHERE is_new
             ORDER BY housing_id
            """
        )
    merge_rights(cursor, run, counts)

    # ---- 8. Multi-owner flag of every owner whose rights may have changed ----------------------
    progress("multi-propriétaires")
    # Owners created by this run already carry the right flag. An existing owner's count of
    # primary rights changes only through the rights written above: those of the new dwellings
    # (here) and the departed, re-ranked and attached ones (remembered as they were written).
    run(
        """
        INSERT INTO lovac_touched_owners (owner_id)
        SELECT owner_id FROM lovac_rights
         WHERE is_new AND rank = 1 AND owner_id <= %(last_existing_owner)s
        """,
        {"last_existing_owner": last_existing_owner},
    )
    run(
        f"""
        WITH touched AS (SELECT DISTINCT owner_id FROM lovac_touched_owners),
        primaries AS (
            SELECT ho.owner_id, count(*) AS n
              FROM {LINK} ho JOIN touched t ON t.owner_id = ho.owner_id
             WHERE ho.rank = 1
             GROUP BY ho.owner_id
        ), changed AS (
            UPDATE {OWNER} o SET is_multi_owner = COALESCE(p.n, 0) > 1
              FROM touched t LEFT JOIN primaries p ON p.owner_id = t.owner_id
             WHERE o.id = t.owner_id AND o.is_multi_owner IS DISTINCT FROM (COALESCE(p.n, 0) > 1)
            RETURNING o.id
        )
        INSERT INTO lovac_changed_owners (owner_id) SELECT id FROM changed
        """
    )
    progress("propriétaires principaux")
    rights_summary_refresh(
        cursor,
        f"""h2.id IN (SELECT housing_id FROM lovac_touched_housing
                      UNION
                      SELECT ho.housing_id
                        FROM {LINK} ho JOIN lovac_changed_owners c ON c.owner_id = ho.owner_id
                       WHERE ho.rank = 1)""",
        [],
    )
    return counts


def analyze_changed_tables(cursor) -> list[str]:
    """ANALYZE the tables this transaction wrote to (their statistics commit with the import);
    returns their names, for the VACUUM after commit."""
    cursor.execute(
        """
        SELECT relname FROM pg_stat_xact_user_tables
         WHERE schemaname = current_schema() AND n_tup_ins + n_tup_upd + n_tup_del > 0
         ORDER BY relname
        """
    )
    tables = [name for (name,) in cursor.fetchall()]
    for table in tables:
        cursor.execute(f'ANALYZE "{table}"')
    return tables


def vacuum_after_commit(tables: list[str]) -> None:
    """VACUUM (ANALYZE) `tables` once the import is committed: visibility map (index-only scans),
    hint bits, the trigram index's pending list. Deferred to the outer transaction's commit when
    the import runs inside one (VACUUM cannot run in a transaction block)."""
    from django.db import DatabaseError, connection, transaction

    if not tables:
        return

    def vacuum() -> None:
        started = time.monotonic()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                cursor.execute("SET statement_timeout = 0")
                try:
                    cursor.execute("VACUUM (ANALYZE) " + ", ".join(f'"{table}"' for table in tables))
                finally:
                    cursor.execute("RESET maintenance_work_mem")
                    cursor.execute("RESET statement_timeout")
        except DatabaseError as error:
            logger.warning("VACUUM après import impossible (%s) : %s", ", ".join(tables), error)
            return
        logger.info(
            "VACUUM (ANALYZE) après import : %s en %.1f s", ", ".join(tables), time.monotonic() - started
        )

    if connection.in_atomic_block:
        transaction.on_commit(vacuum)
    else:
        vacuum()


def _follow_commune_merges(run) -> int:
    """Move dwellings whose national id now comes under another commune code (commune merges).

    The national fiscal id keeps the former commune's code while the file gives the new one: the
    existing dwelling (with its follow-up) takes the new code, with an event, instead of a second
    dwelling being created. Returns the number of dwellings moved.
    """
    return run(
        f"""
        WITH moves AS (
            SELECT DISTINCT ON (s.local_id) h.id, h.geo_code AS old_code, s.geo_code AS new_code
              FROM {STAGING_HOUSING} s JOIN {HOUSING} h ON h.local_id = s.local_id
             WHERE h.geo_code <> s.geo_code
               AND NOT EXISTS (SELECT 1 FROM {HOUSING} x
                                WHERE x.geo_code = s.geo_code AND x.local_id = s.local_id)
             ORDER BY s.local_id, h.id
        ), moved AS (
            UPDATE {HOUSING} h SET geo_code = m.new_code, updated_at = now()
              FROM moves m WHERE h.id = m.id
            RETURNING h.id, m.old_code, m.new_code
        )
        INSERT INTO {EVENT} {EVENT_COLUMNS}
        SELECT 'housing:lovac-refreshed', id, NULL, jsonb_build_object('geoCode', old_code),
               jsonb_build_object('geoCode', new_code), now(), %(author)s, %(run)s
          FROM moved
        """
    )


def _lock_empty_tables_for_bulk_load(cursor, incoming: dict[str, int]) -> list[str]:
    """Lock, before the merge reads them, the empty tables about to receive at least
    BULK_LOAD_MIN_ROWS rows: `bulk_load` drops their secondary indexes and the foreign keys
    between them, which needs an ACCESS EXCLUSIVE lock until commit.

    Taken in one statement, in a fixed order, with a lock timeout shorter than the deadlock
    timeout and in a savepoint: when a reader holds one of them, the savepoint gives back what it
    got (no reader ever waits on the import while the import waits on it, so no deadlock) and
    tries again a little later; after a few attempts the import keeps the indexes. Populated
    tables are never locked: their readers are served all along. Returns the locked tables.
    """
    from django.db import OperationalError, transaction

    wanted = sorted(table for table, rows in incoming.items() if rows >= BULK_LOAD_MIN_ROWS)
    if not wanted:
        return []
    cursor.execute("SELECT current_setting('lock_timeout')")
    lock_timeout = cursor.fetchone()[0]
    for attempt in range(BULK_LOCK_ATTEMPTS):
        try:
            with transaction.atomic():
                empty = [table for table in wanted if _is_empty(cursor, table)]
                if empty:
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [BULK_LOCK_TIMEOUT])
                    cursor.execute("LOCK TABLE " + ", ".join(empty) + " IN ACCESS EXCLUSIVE MODE")
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
            if empty:
                logger.info("Premier chargement : tables %s chargées sans leurs index secondaires", empty)
            return empty
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) not in ("55P03", "40P01"):
                raise
            time.sleep(0.1 * (attempt + 1))
    logger.warning("Tables %s occupées : premier chargement avec leurs index", wanted)
    return []


def _is_empty(cursor, table: str) -> bool:
    cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")
    return cursor.fetchone()[0]


# This transaction holds the table alone (ACCESS EXCLUSIVE): `relation` is a regclass expression.
_LOCKED_ALONE = """
    EXISTS (SELECT 1 FROM pg_locks
             WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
               AND relation = {relation} AND mode = 'AccessExclusiveLock')
"""


@contextmanager
def bulk_load(cursor, table: str, incoming_rows: int):
    """Load `table` in bulk when it was empty and locked for it (see
    `_lock_empty_tables_for_bulk_load`), as PostgreSQL's documentation advises for populating a
    table: its non-unique indexes are dropped then rebuilt once (sorted, in parallel), and its
    foreign keys towards tables also locked for the load are dropped then added back, which
    checks every row in one join instead of one query per row.

    The added foreign keys are the same constraints (names and definitions) and are validated
    when added: a row without its referenced row fails the import. Unique indexes stay, so unique
    constraints hold throughout; foreign keys towards other tables (the user, the import run) are
    checked row by row as usual; a failure rolls everything back. Other tables, populated ones in
    particular, keep their indexes, their constraints and their readers.
    """
    cursor.execute("SELECT " + _LOCKED_ALONE.format(relation="%s::regclass"), [table])
    if incoming_rows < BULK_LOAD_MIN_ROWS or not cursor.fetchone()[0]:
        yield
        return
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(x.indexrelid)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = %s::regclass AND NOT x.indisunique
        """,
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        f"""
        SELECT conname, pg_get_constraintdef(oid)
          FROM pg_constraint
         WHERE conrelid = %s::regclass AND contype = 'f' AND {_LOCKED_ALONE.format(relation="confrelid")}
         ORDER BY conname
        """,
        [table],
    )
    foreign_keys = cursor.fetchall()
    for name, _definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
