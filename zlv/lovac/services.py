"""Import of a LOVAC millésime: read and validate, stage, merge — in one transaction."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl
from django.db import DatabaseError, connection, transaction

from zlv.accounts.services import system_user
from zlv.geo.models import Commune
from zlv.lovac import merge as lovac_merge
from zlv.lovac.models import RUN_LOCK_CLASS, ImportRun, ImportRunStatus
from zlv.lovac.reader import FileRefused, LovacReader
from zlv.lovac.report import REPORT_SCHEMA, report_csv, write_report

# Serialises imports: two runs merging the same dwellings at once would race.
IMPORT_LOCK_ID = 0x10FAC
DEFAULT_MAX_REJECTED_SHARE = 0.01
IMPORT_TIMEOUTS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")

Progress = Callable[[str, int | None], None]


class PhaseClock:
    """Wraps a progress callback and times each phase: from its first report to the next phase's."""

    def __init__(self, progress: Progress | None):
        self.progress = progress or (lambda phase, count=None: None)
        self.timings: dict[str, float] = {}
        self._phase: str | None = None
        self._since = time.monotonic()

    def __call__(self, phase: str, count: int | None = None) -> None:
        if phase != self._phase:
            self.stop()
            self._phase = phase
        self.progress(phase, count)

    def stop(self) -> None:
        now = time.monotonic()
        if self._phase is not None:
            self.timings[self._phase] = self.timings.get(self._phase, 0.0) + now - self._since
        self._phase, self._since = None, now


@dataclass
class ImportResult:
    status: str
    lines: int = 0
    in_scope: int = 0
    duplicates: int = 0
    out_of_scope: int = 0
    rejected: int = 0
    warnings: int = 0
    housing_created: int = 0
    housing_updated: int = 0
    housing_exited: int = 0
    owners_created: int = 0
    owners_updated: int = 0
    owner_links_attached: int = 0
    owner_links_detached: int = 0
    owner_links_updated: int = 0
    seconds: float = 0.0
    refusal_reason: str = ""
    run_id: int | None = None
    # Earlier runs found dead when this one started, now marked interrupted.
    interrupted_runs: list[ImportRun] = field(default_factory=list, repr=False)
    report: pl.DataFrame | None = field(default=None, repr=False)
    # Seconds spent in each phase (reading, each merge step, commit…), in order.
    timings: dict[str, float] = field(default_factory=dict, repr=False)

    def as_json(self) -> dict:
        """The summary printed by `import_lovac --json` (exactly these keys)."""
        data = asdict(self)
        for key in ("refusal_reason", "run_id", "report", "timings"):
            data.pop(key)
        data.pop("interrupted_runs")
        data["seconds"] = round(self.seconds, 3)
        return data


class _DryRunRollback(Exception):
    pass


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def lovac_import(
    *,
    path: str | Path,
    millesime: int,
    dry_run: bool = False,
    max_rejected: int | None = None,
    report_path: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one LOVAC file; nothing is written unless the whole file is accepted and merged."""
    started = time.monotonic()
    path = Path(path)
    progress = PhaseClock(progress)
    progress("ouverture")
    author = system_user()
    interrupted = import_runs_mark_interrupted()
    checksum = file_checksum(path) if path.exists() else ""
    # The run's lock is taken before its row can be seen: a "running" row without it is dead.
    with transaction.atomic(), connection.cursor() as cursor:
        run = ImportRun.objects.create(
            file_name=path.name,
            checksum=checksum,
            millesime=millesime,
            status=ImportRunStatus.RUNNING,
            created_by=author,
        )
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [RUN_LOCK_CLASS, run.pk])
    try:
        return _import(
            run=run,
            path=path,
            dry_run=dry_run,
            max_rejected=max_rejected,
            report_path=report_path,
            progress=progress,
            started=started,
            interrupted=interrupted,
        )
    finally:
        # A broken connection has released the lock already.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK_CLASS, run.pk])


def import_runs_mark_interrupted() -> list[ImportRun]:
    """Mark as interrupted the runs that died while running; returns them, oldest first."""
    with transaction.atomic():
        dead = list(ImportRun.objects.dead().select_for_update(of=("self",)).order_by("started_at"))
        ImportRun.objects.filter(pk__in=[run.pk for run in dead]).update(status=ImportRunStatus.INTERRUPTED)
    for run in dead:
        run.status = ImportRunStatus.INTERRUPTED
    return dead


def _import(
    *,
    run: ImportRun,
    path: Path,
    dry_run: bool,
    max_rejected: int | None,
    report_path: str | Path | None,
    progress: Progress,
    started: float,
    interrupted: list[ImportRun],
) -> ImportResult:
    author, millesime = run.created_by, run.millesime
    result = ImportResult(status=ImportRunStatus.IMPORTED, run_id=run.pk, interrupted_runs=interrupted)
    reader = None
    changed_tables: list[str] = []
    try:
        if not path.is_file():
            raise FileRefused(f"Fichier introuvable : {path}")
        commune_codes = pl.Series(
            "code", list(Commune.objects.values_list("code", flat=True)), dtype=pl.String
        )
        with transaction.atomic(), connection.cursor() as cursor:
            # Timeouts a managed database may set for the role (meant for web requests) would
            # abort a national import midway: none for this transaction. The advisory lock
            # waits for an import already running.
            for timeout in IMPORT_TIMEOUTS:
                cursor.execute(f"SET LOCAL {timeout} = 0")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # Index rebuilds of a first national load (zlv/lovac/merge.py bulk_load).
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            # New owner names go to the trigram index's pending list, merged in bulk by the
            # VACUUM after the import instead of entry by entry during it.
            cursor.execute("SET LOCAL gin_pending_list_limit = '2GB'")
            _enlarge_temp_buffers(cursor)
            staging = lovac_merge.Staging(cursor)
            staging.create()
            reader = LovacReader(
                path=path,
                millesime=millesime,
                commune_codes=commune_codes,
                sink=staging,
                progress=progress,
            )
            try:
                read = reader.read()
            finally:
                staging.flush()
            _fill_read_counts(result, read)
            limit = max_rejected if max_rejected is not None else read.lines * DEFAULT_MAX_REJECTED_SHARE
            if read.rejected > limit:
                raise FileRefused(
                    f"Trop de lignes rejetées : {read.rejected} sur {read.lines} "
                    f"(au plus {_format_limit(limit)} admises)."
                )
            counts = lovac_merge.merge(
                cursor,
                staging=staging,
                millesime=millesime,
                run_id=run.pk,
                author_id=author.pk,
                communes=read.communes,
                progress=progress,
            )
            result.housing_created = counts.housing_created
            result.housing_updated = counts.housing_updated
            result.housing_exited = counts.housing_exited
            result.owners_created = counts.owners_created
            result.owners_updated = counts.owners_updated
            result.owner_links_attached = counts.owner_links_attached
            result.owner_links_detached = counts.owner_links_detached
            result.owner_links_updated = counts.owner_links_updated
            staging.drop()
            if dry_run:
                raise _DryRunRollback
            progress("statistiques")
            changed_tables = lovac_merge.analyze_changed_tables(cursor)
            progress("validation")
    except FileRefused as refusal:
        result.status = ImportRunStatus.REFUSED
        result.refusal_reason = str(refusal)
        result.housing_created = result.housing_updated = result.housing_exited = 0
        result.owners_created = result.owners_updated = 0
        result.owner_links_attached = result.owner_links_detached = result.owner_links_updated = 0
        if reader is not None:
            if reader.result.report is None:
                reader.result.report = reader.report_so_far()
            _fill_read_counts(result, reader.result)
    except _DryRunRollback:
        result.status = ImportRunStatus.DRY_RUN
    except BaseException:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRunStatus.FAILED, duration_seconds=time.monotonic() - started
        )
        raise

    if result.status == ImportRunStatus.IMPORTED:
        progress("entretien")
        lovac_merge.vacuum_after_commit(changed_tables)
    progress("rapport", None)
    report = result.report if result.report is not None else _empty_report()
    report_text = report_csv(report)
    if report_path:
        with open(report_path, "w", encoding="utf-8", newline="") as destination:
            write_report(report, destination)
    result.seconds = time.monotonic() - started
    run.status = result.status
    run.counts = {key: value for key, value in result.as_json().items() if key not in ("status", "seconds")}
    run.refusal_reason = result.refusal_reason
    run.report = report_text
    run.duration_seconds = result.seconds
    run.save(update_fields=["status", "counts", "refusal_reason", "report", "duration_seconds"])
    progress.stop()
    result.timings = progress.timings
    return result


def _enlarge_temp_buffers(cursor) -> None:
    """Keep the staging tables in memory; only possible before the session's first temp table."""
    from django.db import DatabaseError

    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL temp_buffers = '512MB'")
    except DatabaseError:
        pass


def _fill_read_counts(result: ImportResult, read) -> None:
    result.lines = read.lines
    result.in_scope = read.in_scope
    result.duplicates = read.duplicates
    result.out_of_scope = read.out_of_scope
    result.rejected = read.rejected
    if read.report is not None:
        result.warnings = read.warnings
        result.report = read.report


def _empty_report() -> pl.DataFrame:
    return pl.DataFrame(schema=REPORT_SCHEMA)


def _format_limit(limit: float) -> str:
    return str(int(limit)) if float(limit).is_integer() else f"{limit:.2f}".replace(".", ",")
