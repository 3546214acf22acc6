"""The users_pipeline DAG as the DAG processor loads it, once per target."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import DAGS_FOLDER, TARGET_ENVIRONMENT

TARGETS = ["docker", "kubernetes", "local"]


def load_dagbag() -> Any:
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=DAGS_FOLDER, bundle_path=Path(DAGS_FOLDER))


def load_dag(pipeline_env: pytest.MonkeyPatch, target: str, **extra: str) -> Any:
    pipeline_env.setenv("AIRFLOW_VAR_PIPELINE_TARGET", target)
    for key, value in {**TARGET_ENVIRONMENT[target], **extra}.items():
        pipeline_env.setenv(key, value)
    bag = load_dagbag()
    assert bag.import_errors == {}
    return bag.dags["users_pipeline"]


@pytest.mark.parametrize("target", TARGETS)
def test_dagbag_loads_without_import_errors(pipeline_env: pytest.MonkeyPatch, target: str) -> None:
    pipeline_env.setenv("AIRFLOW_VAR_PIPELINE_TARGET", target)
    for key, value in TARGET_ENVIRONMENT[target].items():
        pipeline_env.setenv(key, value)
    bag = load_dagbag()
    assert bag.import_errors == {}
    assert list(bag.dags) == ["users_pipeline"]
    assert bag.size() == 1  # tests/ and users_pipeline_tasks/ are in .airflowignore


@pytest.mark.parametrize("target", TARGETS)
def test_task_graph(pipeline_env: pytest.MonkeyPatch, target: str) -> None:
    dag = load_dag(pipeline_env, target)
    assert sorted(dag.task_ids) == ["check_sources", "produce", "verify_rows"]
    assert dag.get_task("check_sources").upstream_task_ids == set()
    assert dag.get_task("produce").upstream_task_ids == {"check_sources"}
    assert dag.get_task("verify_rows").upstream_task_ids == {"produce"}
    assert dag.get_task("verify_rows").downstream_task_ids == set()


@pytest.mark.parametrize("target", TARGETS)
def test_every_task_has_retries_and_an_execution_timeout(
    pipeline_env: pytest.MonkeyPatch, target: str
) -> None:
    dag = load_dag(pipeline_env, target)
    expected = {
        "check_sources": (3, timedelta(seconds=30), timedelta(minutes=5)),
        "produce": (1, timedelta(minutes=1), timedelta(minutes=30)),
        "verify_rows": (1, timedelta(seconds=10), timedelta(seconds=600) + timedelta(minutes=2)),
    }
    for task in dag.tasks:
        assert (task.retries, task.retry_delay, task.execution_timeout) == expected[task.task_id]
    assert dag.dagrun_timeout is not None
    assert dag.dagrun_timeout > sum((task.execution_timeout for task in dag.tasks), timedelta())


@pytest.mark.parametrize(
    ("target", "operator"),
    [
        ("docker", "DockerOperator"),
        ("kubernetes", "KubernetesPodOperator"),
        ("local", "PythonOperator"),
    ],
)
def test_operator_types_per_target(pipeline_env: pytest.MonkeyPatch, target: str, operator: str) -> None:
    dag = load_dag(pipeline_env, target)
    assert type(dag.get_task("produce")).__name__ == operator
    assert type(dag.get_task("check_sources")).__name__ == "PythonOperator"
    assert type(dag.get_task("verify_rows")).__name__ == "PythonOperator"
    assert target in dag.tags


def test_schedule_comes_from_the_environment(pipeline_env: pytest.MonkeyPatch) -> None:
    dag = load_dag(pipeline_env, "local")
    assert dag.schedule == "*/15 * * * *"
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_schedule_defaults_to_hourly(pipeline_env: pytest.MonkeyPatch) -> None:
    pipeline_env.delenv("USERS_PIPELINE_SCHEDULE")
    dag = load_dag(pipeline_env, "local")
    assert dag.schedule == "@hourly"


def test_verify_timeout_sets_the_verify_execution_timeout(pipeline_env: pytest.MonkeyPatch) -> None:
    dag = load_dag(pipeline_env, "local", AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS="45")
    assert dag.get_task("verify_rows").execution_timeout == timedelta(seconds=45 + 120)


def test_docker_produce_uses_the_socket_proxy_and_runs_non_root(pipeline_env: pytest.MonkeyPatch) -> None:
    task = load_dag(pipeline_env, "docker").get_task("produce")
    assert task.docker_url == "tcp://docker-socket-proxy:2375"
    assert task.network_mode == "data-pipeline"
    assert task.auto_remove == "force"
    assert task.mount_tmp_dir is False
    assert task.user == "1000:1000"
    assert task.privileged is False
    assert task.image == "{{ var.value.producer_image }}"
    assert task.environment == {
        "PRODUCER_BROKERS": "kafka:9092",
        "PRODUCER_TOPIC": "users_created",
        "PRODUCER_FORMAT": "avro",
        "PRODUCER_SCHEMA_REGISTRY": "http://schema-registry:8081",
        "PRODUCER_COUNT": "{{ ti.xcom_pull(task_ids='check_sources')['count'] }}",
    }


def test_kubernetes_produce_is_namespaced_limited_and_non_root(pipeline_env: pytest.MonkeyPatch) -> None:
    task = load_dag(pipeline_env, "kubernetes").get_task("produce")
    assert task.namespace == "data-pipeline"
    # The target's own account, and no token in the pod: the producer needs no API access.
    assert task.service_account_name == "producer"
    assert task.automount_service_account_token is False
    assert task.image == "{{ var.value.producer_image }}"
    assert task.in_cluster is True
    assert task.container_resources.limits == {"cpu": "1", "memory": "512Mi"}
    assert task.container_resources.requests == {"cpu": "250m", "memory": "256Mi"}
    pod = task.security_context
    assert (pod.run_as_non_root, pod.run_as_user, pod.seccomp_profile.type) == (True, 1000, "RuntimeDefault")
    container = task.container_security_context
    assert container.allow_privilege_escalation is False
    assert container.read_only_root_filesystem is True
    assert container.capabilities.drop == ["ALL"]
    assert task.env_vars["PRODUCER_BROKERS"] == "kafka:9092"
    assert task.env_vars["PRODUCER_COUNT"] == "{{ ti.xcom_pull(task_ids='check_sources')['count'] }}"


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        ("spark", {}, "AIRFLOW_VAR_PIPELINE_TARGET is 'spark'"),
        ("kubernetes", {"AIRFLOW_VAR_KUBERNETES_NAMESPACE": ""}, "AIRFLOW_VAR_KUBERNETES_NAMESPACE"),
        ("docker", {"AIRFLOW_VAR_DOCKER_URL": "unix:///var/run/docker.sock"}, "never the socket"),
        ("local", {"AIRFLOW_VAR_PRODUCER_ENV": '{"NODE_OPTIONS": "x"}'}, "Only PRODUCER_*"),
    ],
)
def test_bad_settings_are_one_import_error(
    pipeline_env: pytest.MonkeyPatch, target: str, extra: dict[str, str], message: str
) -> None:
    pipeline_env.setenv("AIRFLOW_VAR_PIPELINE_TARGET", target)
    for key, value in {**TARGET_ENVIRONMENT.get(target, {}), **extra}.items():
        pipeline_env.setenv(key, value)
    bag = load_dagbag()
    assert "users_pipeline" not in bag.dags
    [error] = bag.import_errors.values()
    assert "Unable to build DAG users_pipeline" in error
    assert message in error


def pins(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            found[name.strip().lower()] = version.strip()
    return found


def test_the_image_installs_the_providers_the_tests_use() -> None:
    image = DAGS_FOLDER.parent / "airflow" / "requirements.txt"
    tested = pins(DAGS_FOLDER / "requirements.txt")
    providers = {name: version for name, version in pins(image).items() if name.startswith("apache-airflow")}
    assert providers, "airflow/requirements.txt pins no provider"
    assert {name: tested.get(name) for name in providers} == providers
    manifest = json.loads((DAGS_FOLDER.parent / "versions.json").read_text())
    assert tested["apache-airflow"] == manifest["airflow"], "the Airflow of the image (versions.json)"
