"""Runs one users_pipeline DAG run with ``dag.test()`` (the e2e fixture of tests/e2e/airflow.test.ts).

Usage: ``python dags/tests/run_dag.py`` with the DAG's environment set (``AIRFLOW_VAR_*``,
``AIRFLOW_CONN_*``) and ``AIRFLOW_HOME`` pointing at a fresh directory: migrates a SQLite metadata
database there, loads the dags folder as the Airflow DAG processor does, runs the DAG in this
process, and prints one JSON line ``{"event": "dag_test", "state": ..., "tasks": {...}}``.
Exit status: 0 when the run succeeded, 3 when it failed, 2 when the DAG did not load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

DAGS_FOLDER = Path(__file__).resolve().parent.parent
DAG_ID = "users_pipeline"


def configure_environment() -> None:
    home = os.environ.get("AIRFLOW_HOME")
    if not home:
        raise SystemExit("run_dag: set AIRFLOW_HOME to a scratch directory")
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_FOLDER))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "false")
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{Path(home) / 'airflow.db'}")


def migrate() -> None:
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> int:
    configure_environment()
    migrate()
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=DAGS_FOLDER, bundle_path=DAGS_FOLDER)
    dag = bag.dags.get(DAG_ID)
    if bag.import_errors or dag is None:
        print(json.dumps({"event": "dag_test", "state": "import_error", "errors": bag.import_errors}))
        return 2
    started = time.monotonic()
    run = dag.test()
    tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    tries = {ti.task_id: ti.try_number for ti in run.get_task_instances()}
    state = str(run.state)
    report = {
        "event": "dag_test",
        "state": state,
        "tasks": tasks,
        "tries": tries,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(report), flush=True)
    return 0 if state == "success" else 3


if __name__ == "__main__":
    sys.exit(main())
