"""Background work of the housing app, run by the django-tasks worker (`manage.py db_worker`)."""

from django_tasks import task

from zlv.housing import services


@task()
def bulk_update_run(job_id: int) -> int:
    """Run a bulk edit too large for a request; returns the number of dwellings processed."""
    return services.bulk_update_job_run(job_id=job_id).done
