"""The rights of the file's existing dwellings: a three-way merge over the agents' edits.

Part of the merge of a LOVAC millésime (zlv/lovac/merge.py), in its transaction, reading its
temporary tables (`lovac_rights`) and filling those it reads afterwards (`lovac_touched_housing`,
`lovac_touched_owners`). The rules are those of docs/import-lovac.md.
"""

# SQL is assembled from table names and column lists defined in this module, never from input.
# ruff: noqa: S608

from __future__ import annotations

from typing import TYPE_CHECKING

from zlv.housing.event_sql import EVENT_COLUMNS
from zlv.housing.models import Event, HousingOwner, Owner

if TYPE_CHECKING:
    from zlv.lovac.merge import MergeCounts

LINK = HousingOwner._meta.db_table
OWNER = Owner._meta.db_table
EVENT = Event._meta.db_table

# Ranks only an agent sets (incorrect, awaiting, deceased): no file overrides them.
AGENT_VERDICT_RANKS = (-1, -2, -3)
# Fiscal fields of a right, refreshed from the file: (plan column, link column, event key).
RIGHT_FISCAL_FIELDS = [
    ("idprocpte", "idprocpte", "ownerAccount"),
    ("idprodroit", "idprodroit", "rightId"),
    ("property_right", "property_right", "propertyRight"),
    ("locprop", "locprop_source", "ownerLocation"),
]


def merge_rights(cursor, run, counts: MergeCounts) -> None:
    """Merge the file's rights of existing dwellings as a three-way merge (docs/import-lovac.md).

    Base: what the previous file said (`source_rank`); theirs: this file; ours: the current ranks,
    which agents edit. A right changes only where this file differs from the previous one, and
    never from a verdict of an agent (incorrect, awaiting, deceased); rights entered by hand keep
    their rank. Then one primary owner per dwelling, as the owner services keep it: a primary
    owner brought by the file makes the current one secondary, and a dwelling left without one
    promotes its next current owner. Every visible change gets an event and is counted.
    """
    run(
        """
        CREATE TEMP TABLE lovac_l AS
        SELECT housing_id, owner_id, rank, idprocpte, idprodroit, property_right, locprop, full_name
          FROM lovac_rights
         WHERE NOT is_new
        """
    )
    # Existing dwellings whose rights change below: their copies are refreshed at the end.
    run("CREATE TEMP TABLE lovac_touched_housing (housing_id bigint)")
    run("CREATE INDEX ON lovac_l (housing_id, owner_id)")
    run("ANALYZE lovac_l")
    run(
        f"""
        CREATE TEMP TABLE lovac_cur AS
        SELECT ho.id, ho.housing_id, ho.owner_id, ho.rank, ho.source_rank, ho.idprocpte, ho.idprodroit,
               ho.property_right, ho.locprop_source, o.full_name
          FROM {LINK} ho
          JOIN {OWNER} o ON o.id = ho.owner_id
         WHERE ho.housing_id IN (SELECT housing_id FROM lovac_l)
        """
    )
    run("ANALYZE lovac_cur")
    in_file = "l.owner_id IS NOT NULL"
    fiscal_new = ", ".join(
        f"CASE WHEN {in_file} THEN l.{plan} ELSE c.{link} END AS {plan}"
        for plan, link, _key in RIGHT_FISCAL_FIELDS
    )
    fiscal_old = ", ".join(f"c.{link} AS old_{plan}" for plan, link, _key in RIGHT_FISCAL_FIELDS)
    # One row per right of the dwellings in the file (link id NULL: a right to insert).
    run(
        f"""
        CREATE TEMP TABLE lovac_link_plan AS
        SELECT c.id, c.housing_id, c.owner_id, c.full_name, c.rank AS old_rank,
               CASE WHEN c.rank IN {AGENT_VERDICT_RANKS} OR c.source_rank IS NULL
                         OR c.source_rank = COALESCE(l.rank, 0) THEN c.rank
                    WHEN {in_file} THEN l.rank
                    ELSE 0
               END AS new_rank,
               c.source_rank AS old_source_rank,
               CASE WHEN {in_file} THEN l.rank WHEN c.source_rank IS NOT NULL THEN 0 END AS source_rank,
               {fiscal_new}, {fiscal_old}
          FROM lovac_cur c
          LEFT JOIN lovac_l l ON l.housing_id = c.housing_id AND l.owner_id = c.owner_id
        UNION ALL
        SELECT NULL, l.housing_id, l.owner_id, l.full_name, NULL, l.rank, NULL, l.rank,
               {", ".join(f"l.{plan}" for plan, _link, _key in RIGHT_FISCAL_FIELDS)},
               {", ".join("NULL" for _field in RIGHT_FISCAL_FIELDS)}
          FROM lovac_l l
         WHERE NOT EXISTS (SELECT 1 FROM lovac_cur c
                            WHERE c.housing_id = l.housing_id AND c.owner_id = l.owner_id)
        """
    )
    # Dwellings whose ranks change: the only ones where the single-primary rule has work to do.
    run(
        """
        CREATE TEMP TABLE lovac_rank_changes AS
        SELECT DISTINCT housing_id FROM lovac_link_plan WHERE new_rank IS DISTINCT FROM old_rank
        """
    )
    # A primary owner the file brings (new in the file's first slot) makes the current one secondary.
    run(
        """
        WITH changed AS (
            SELECT p.housing_id, p.new_rank, p.old_rank
              FROM lovac_link_plan p JOIN lovac_rank_changes c ON c.housing_id = p.housing_id
        ), dwelling AS (
            SELECT housing_id, max(new_rank) FILTER (WHERE new_rank >= 2) AS last_secondary
              FROM changed
             GROUP BY housing_id
            HAVING bool_or(new_rank = 1 AND old_rank IS DISTINCT FROM 1)
        )
        UPDATE lovac_link_plan p SET new_rank = LEAST(6, COALESCE(d.last_secondary, 1) + 1)
          FROM dwelling d
         WHERE d.housing_id = p.housing_id AND p.new_rank = 1 AND p.old_rank = 1
        """
    )
    # A dwelling whose rights change and are left without a primary owner promotes the next one
    # (lowest secondary rank, then name), as the owner services do.
    run(
        """
        WITH changed AS (
            SELECT p.housing_id, p.owner_id, p.id, p.new_rank, p.full_name
              FROM lovac_link_plan p JOIN lovac_rank_changes c ON c.housing_id = p.housing_id
        ), chosen AS (
            SELECT DISTINCT ON (housing_id) housing_id, owner_id
              FROM changed
             WHERE new_rank >= 2
               AND housing_id NOT IN (SELECT housing_id FROM changed WHERE new_rank = 1)
             ORDER BY housing_id, new_rank, full_name COLLATE "C", id NULLS LAST
        )
        UPDATE lovac_link_plan p SET new_rank = 1
          FROM chosen c WHERE c.housing_id = p.housing_id AND c.owner_id = p.owner_id
        """
    )
    # Only the rights to write from here on (none when the file is the same).
    fiscal_changed = " OR ".join(
        f"{plan} IS DISTINCT FROM old_{plan}" for plan, _link, _key in RIGHT_FISCAL_FIELDS
    )
    run(
        f"""
        CREATE TEMP TABLE lovac_link_changes AS
        SELECT *, id IS NULL OR new_rank IS DISTINCT FROM old_rank OR fiscal_changed AS visible
          FROM (SELECT *, id IS NOT NULL AND ({fiscal_changed}) AS fiscal_changed FROM lovac_link_plan) p
         WHERE id IS NULL OR new_rank IS DISTINCT FROM old_rank
            OR source_rank IS DISTINCT FROM old_source_rank OR fiscal_changed
        """
    )
    # Leaving rank 1 before anyone takes it: one primary owner at a time.
    for target in ("new_rank <> 1", "new_rank = 1"):
        run(
            f"""
            UPDATE {LINK} ho
               SET rank = p.new_rank, source_rank = p.source_rank,
                   {", ".join(f"{link} = p.{plan}" for plan, link, _key in RIGHT_FISCAL_FIELDS)},
                   end_date = CASE WHEN p.new_rank >= 1 THEN NULL
                                   WHEN p.old_rank >= 1 THEN now() ELSE ho.end_date END
              FROM lovac_link_changes p
             WHERE ho.id = p.id AND p.{target}
            """
        )
    run(
        f"""
        INSERT INTO {LINK} (housing_id, owner_id, rank, source_rank, idprocpte, idprodroit, property_right,
                            locprop_source, start_date, end_date)
        SELECT housing_id, owner_id, new_rank, source_rank, idprocpte, idprodroit, property_right, locprop,
               now(), CASE WHEN new_rank >= 1 THEN NULL ELSE now() END
          FROM lovac_link_changes
         WHERE id IS NULL
         ORDER BY housing_id
        """
    )
    link_event = "jsonb_build_object('name', full_name, 'rank', {rank})"
    fiscal_event = " || ".join(
        f"CASE WHEN {plan} IS DISTINCT FROM old_{plan} THEN jsonb_build_object('{key}', {{side}}{plan}) "
        "ELSE '{{}}'::jsonb END"
        for plan, _link, key in RIGHT_FISCAL_FIELDS
    )
    detached = "old_rank >= 1 AND new_rank = 0"
    run(
        f"""
        INSERT INTO {EVENT} {EVENT_COLUMNS}
        SELECT CASE WHEN id IS NULL THEN 'housing:owner-attached'
                    WHEN {detached} THEN 'housing:owner-detached'
                    ELSE 'housing:owner-updated' END,
               housing_id, owner_id,
               CASE WHEN id IS NOT NULL
                    THEN {link_event.format(rank="old_rank")} || {fiscal_event.format(side="old_")} END,
               {link_event.format(rank="new_rank")} || CASE WHEN id IS NOT NULL
                    THEN {fiscal_event.format(side="")} ELSE '{{}}'::jsonb END,
               now(), %(author)s, %(run)s
          FROM lovac_link_changes
         WHERE visible
         ORDER BY housing_id, owner_id
        """
    )
    cursor.execute(
        f"""
        SELECT count(*) FILTER (WHERE id IS NULL),
               count(*) FILTER (WHERE id IS NOT NULL AND {detached}),
               count(*) FILTER (WHERE id IS NOT NULL AND visible AND NOT ({detached}))
          FROM lovac_link_changes
        """
    )
    counts.owner_links_attached, counts.owner_links_detached, counts.owner_links_updated = cursor.fetchone()
    run("INSERT INTO lovac_touched_housing (housing_id) SELECT housing_id FROM lovac_link_changes")
    run(
        """
        INSERT INTO lovac_touched_owners (owner_id)
        SELECT owner_id FROM lovac_link_changes WHERE new_rank IS DISTINCT FROM old_rank
        """
    )
