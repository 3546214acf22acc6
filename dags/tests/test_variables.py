"""The DAG's variables come from airflow-variables.json (contracts/interfaces.ts): names, defaults and
required-ness at parse time and when a task runs; every name the DAG reads is described."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DAGS_FOLDER

from users_pipeline_tasks import steps, variables
from users_pipeline_tasks.settings import SettingsError, load_settings
from users_pipeline_tasks.variables import VARIABLES_FILE, airflow_key, described

_NAME = re.compile(r"\b(?:AIRFLOW_VAR_[A-Z_]+|AIRFLOW_CONN_[A-Z_]+|USERS_PIPELINE_[A-Z_]+)\b")


def names_in_the_code() -> set[str]:
    """Every variable name the DAG's modules mention (docstrings included: they document what is read)."""
    files = [DAGS_FOLDER / "users_pipeline.py", *sorted((DAGS_FOLDER / "users_pipeline_tasks").glob("*.py"))]
    return {name for path in files for name in _NAME.findall(path.read_text(encoding="utf-8"))}


@pytest.fixture
def edited_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A copy of airflow-variables.json that the test edits, read in place of the generated one."""
    document = json.loads(VARIABLES_FILE.read_text(encoding="utf-8"))
    entries = {entry["name"]: entry for entry in document["variables"]}
    path = tmp_path / "airflow-variables.json"
    monkeypatch.setattr(variables, "VARIABLES_FILE", path)
    described.cache_clear()
    yield entries
    described.cache_clear()


def write(entries: dict[str, Any]) -> None:
    variables.VARIABLES_FILE.write_text(json.dumps({"variables": list(entries.values())}), encoding="utf-8")
    described.cache_clear()


def test_every_name_the_dag_reads_is_described_and_every_described_one_is_read() -> None:
    code = names_in_the_code()
    assert code - set(described()) == set(), "read by the DAG but not in contracts/interfaces.ts"
    assert set(described()) - code == set(), "described in contracts/interfaces.ts but read by nobody"


def test_the_json_is_inside_the_dags_folder_the_airflow_image_copies() -> None:
    assert VARIABLES_FILE == DAGS_FOLDER / "users_pipeline_tasks" / "airflow-variables.json"
    ignore = (DAGS_FOLDER.parent / "airflow" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert "!dags/" in ignore.splitlines()
    assert "COPY --chown=airflow:0 dags/ /opt/airflow/dags/" in (
        DAGS_FOLDER.parent / "airflow" / "Dockerfile"
    ).read_text(encoding="utf-8")


def test_airflow_keys() -> None:
    assert airflow_key("AIRFLOW_VAR_USERS_TOPIC") == "users_topic"
    assert airflow_key("AIRFLOW_CONN_CASSANDRA_DEFAULT") == "cassandra_default"
    for name in ["USERS_PIPELINE_SCHEDULE", "AIRFLOW_VAR_NO_SUCH_VARIABLE"]:
        with pytest.raises(KeyError):
            airflow_key(name)


def test_parse_time_defaults_come_from_the_json(edited_variables: dict[str, Any]) -> None:
    edited_variables["USERS_PIPELINE_SCHEDULE"]["default"] = "@daily"
    edited_variables["AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS"]["default"] = 42
    edited_variables["AIRFLOW_VAR_DOCKER_URL"]["default"] = "tcp://proxy:2375"
    write(edited_variables)
    settings = load_settings({"AIRFLOW_VAR_PIPELINE_TARGET": "docker"})
    assert settings.schedule == "@daily"
    assert settings.verify_timeout.total_seconds() == 42
    assert settings.docker_url == "tcp://proxy:2375"


def test_required_variables_and_enums_come_from_the_json(edited_variables: dict[str, Any]) -> None:
    edited_variables["AIRFLOW_VAR_DOCKER_NETWORK"]["requiredWhen"] = {
        "variable": "AIRFLOW_VAR_PIPELINE_TARGET",
        "values": ["docker"],
    }
    edited_variables["AIRFLOW_VAR_PIPELINE_TARGET"]["values"] = ["docker", "kubernetes", "local", "ecs"]
    write(edited_variables)
    with pytest.raises(SettingsError, match=r"AIRFLOW_VAR_DOCKER_NETWORK is not set \(.* is docker\)"):
        load_settings({"AIRFLOW_VAR_PIPELINE_TARGET": "docker"})
    assert load_settings({"AIRFLOW_VAR_PIPELINE_TARGET": "ecs"}).target == "ecs"
    edited_variables["AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS"]["minimum"] = 30
    write(edited_variables)
    with pytest.raises(SettingsError, match="AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS to an integer >= 30"):
        load_settings({"AIRFLOW_VAR_PIPELINE_TARGET": "local", "AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS": "29"})


def test_task_time_variables_default_to_the_json(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = {"cassandra_table": " people "}
    asked: list[str] = []

    def get(key: str, default: Any = None) -> Any:
        asked.append(key)
        return stored.get(key, default)

    monkeypatch.setattr(steps.Variable, "get", staticmethod(get))
    assert steps.users_topic() == "users_created"
    assert steps.producer_count() == 10_000
    assert steps.integer_variable("AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS") == 600
    assert steps.variable("AIRFLOW_VAR_CASSANDRA_TABLE") == "people"
    assert asked == ["users_topic", "producer_count", "verify_timeout_seconds", "cassandra_table"]
