"""users_pipeline: produce N fake users into Kafka and check that the streaming job landed them.

check_sources >> produce >> verify_rows

1. check_sources: the topic exists (Kafka admin, ``kafka_default``), the Cassandra table exists
   and answers (``cassandra_default``); counts its rows and hands the count and N to XCom.
2. produce: the producer for N records, per ``AIRFLOW_VAR_PIPELINE_TARGET`` (docker, kubernetes
   or local; see users_pipeline_tasks/produce.py).
3. verify_rows: polls the table until it holds at least rows_before + N rows, failing the run
   after ``AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS``.

The schedule is ``USERS_PIPELINE_SCHEDULE`` (cron or preset, default ``@hourly``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from users_pipeline_tasks.produce import produce_task
from users_pipeline_tasks.settings import DAG_ID, load_settings
from users_pipeline_tasks.steps import CHECK_TASK_ID, check_sources, verify_rows

settings = load_settings()

with DAG(
    dag_id=DAG_ID,
    description="Faker users -> Kafka -> Spark -> Cassandra, checked end to end",
    schedule=settings.schedule,
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=settings.verify_execution_timeout + timedelta(minutes=40),
    default_args={"owner": "data-pipeline", "retry_exponential_backoff": False},
    tags=["data-pipeline", "users", settings.target],
    doc_md=__doc__,
) as dag:
    check = PythonOperator(
        task_id=CHECK_TASK_ID,
        python_callable=check_sources,
        retries=3,
        retry_delay=timedelta(seconds=30),
        execution_timeout=timedelta(minutes=5),
    )
    produce = produce_task(
        settings,
        retries=1,
        retry_delay=timedelta(minutes=1),
        execution_timeout=timedelta(minutes=30),
    )
    verify = PythonOperator(
        task_id="verify_rows",
        python_callable=verify_rows,
        retries=1,
        retry_delay=timedelta(seconds=10),
        execution_timeout=settings.verify_execution_timeout,
    )
    check >> produce >> verify
