"""Shared setup: a scratch AIRFLOW_HOME before Airflow is imported, and the dags folder on sys.path."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

DAGS_FOLDER = Path(__file__).resolve().parent.parent

os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="dags-tests-airflow-home-")
atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "false"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
if str(DAGS_FOLDER) not in sys.path:
    sys.path.insert(0, str(DAGS_FOLDER))

from users_pipeline_tasks.variables import described  # noqa: E402 (needs the path above)

# What the Airflow component sets for every target: the defaults of airflow-variables.json
# (contracts/interfaces.ts), then values of these tests; tests add the target-specific ones.
BASE_ENVIRONMENT = {
    **{name: str(entry["default"]) for name, entry in described().items() if entry["default"] is not None},
    "USERS_PIPELINE_SCHEDULE": "*/15 * * * *",
    "AIRFLOW_VAR_PRODUCER_IMAGE": "registry.example/data-pipeline-producer:0.1.0",
    "AIRFLOW_VAR_PRODUCER_ENV": '{"PRODUCER_BROKERS": "kafka:9092", "PRODUCER_TOPIC": "users_created", '
    '"PRODUCER_FORMAT": "avro", "PRODUCER_SCHEMA_REGISTRY": "http://schema-registry:8081"}',
    "AIRFLOW_VAR_CASSANDRA_KEYSPACE": "pipeline",
}

TARGET_ENVIRONMENT = {
    "docker": {
        "AIRFLOW_VAR_DOCKER_URL": "tcp://docker-socket-proxy:2375",
        "AIRFLOW_VAR_DOCKER_NETWORK": "data-pipeline",
    },
    "kubernetes": {
        "AIRFLOW_VAR_KUBERNETES_NAMESPACE": "data-pipeline",
        # What the Kubernetes target sets: its `producer` ServiceAccount, which mounts no token.
        "AIRFLOW_VAR_PRODUCER_SERVICE_ACCOUNT": "producer",
    },
    "local": {"AIRFLOW_VAR_PRODUCER_COMMAND": '["npx", "tsx", "producer/src/cli.ts"]'},
}


@pytest.fixture
def pipeline_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Clears every AIRFLOW_VAR_* and USERS_PIPELINE_* variable, then sets the base environment."""
    for key in list(os.environ):
        if key.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_", "USERS_PIPELINE_")):
            monkeypatch.delenv(key)
    for key, value in BASE_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    yield monkeypatch
