"""Background work of the teamwork app, run by the django-tasks worker (`manage.py db_worker`)."""

from django_tasks import task

from zlv.teamwork import export_jobs


@task()
def export_run(job_id: int) -> int:
    """Write an XLSX export too large for a request; returns the number of dwellings it covers."""
    return export_jobs.export_job_run(job_id=job_id).done
