"""The DAG with Kafka authentication: the check logs in with kafka_default's librdkafka keys, the
producer gets its login outside every template (docker: private_environment; kubernetes: the Secret
by secretKeyRef; local: the child's environment), and without the login variables nothing changes."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from airflow.sdk.exceptions import AirflowException
from confluent_kafka import KafkaError, KafkaException
from conftest import TARGET_ENVIRONMENT
from test_dag import load_dag, load_dagbag

from users_pipeline_tasks import steps
from users_pipeline_tasks.settings import SettingsError, load_settings, producer_environment, producer_login
from users_pipeline_tasks.steps import check_topic, local_producer_environment

PASSWORD = "Pr0ducerPa55w0rd"
LOGIN = {
    "AIRFLOW_VAR_PRODUCER_SASL_USERNAME": "producer",
    "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD": PASSWORD,
}
SECRET = {"AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET": "kafka-user-producer"}
COUNT_TEMPLATE = "{{ ti.xcom_pull(task_ids='check_sources')['count'] }}"


def serialized(dag: Any) -> str:
    """The DAG as Airflow stores it in its database (and the UI shows it)."""
    from airflow.serialization.serialized_objects import DagSerialization

    return json.dumps(DagSerialization.to_dict(dag))


def test_docker_hands_the_login_over_outside_every_template(pipeline_env: pytest.MonkeyPatch) -> None:
    dag = load_dag(pipeline_env, "docker", **LOGIN)
    task = dag.get_task("produce")
    assert task._private_environment == {
        "PRODUCER_SASL_USERNAME": "producer",
        "PRODUCER_SASL_PASSWORD": PASSWORD,
    }
    assert "private_environment" not in task.template_fields
    assert not {"PRODUCER_SASL_USERNAME", "PRODUCER_SASL_PASSWORD"} & set(task.environment)
    assert PASSWORD not in serialized(dag)


def test_docker_without_a_login_is_as_before(pipeline_env: pytest.MonkeyPatch) -> None:
    task = load_dag(pipeline_env, "docker").get_task("produce")
    assert task._private_environment == {}
    assert "PRODUCER_SASL_USERNAME" not in task.environment


def test_kubernetes_reads_the_login_from_the_secret(pipeline_env: pytest.MonkeyPatch) -> None:
    from kubernetes.client import models as k8s

    dag = load_dag(pipeline_env, "kubernetes", **SECRET)
    env_vars = dag.get_task("produce").env_vars
    by_name = {variable.name: variable for variable in env_vars}
    assert by_name["PRODUCER_BROKERS"].value == "kafka:9092"
    assert by_name["PRODUCER_COUNT"].value == COUNT_TEMPLATE
    for name, key in [("PRODUCER_SASL_USERNAME", "username"), ("PRODUCER_SASL_PASSWORD", "password")]:
        assert by_name[name] == k8s.V1EnvVar(
            name=name,
            value_from=k8s.V1EnvVarSource(
                secret_key_ref=k8s.V1SecretKeySelector(name="kafka-user-producer", key=key)
            ),
        )
    assert [variable.name for variable in env_vars][-2:] == [
        "PRODUCER_SASL_USERNAME",
        "PRODUCER_SASL_PASSWORD",
    ]


def test_kubernetes_without_a_secret_is_as_before(pipeline_env: pytest.MonkeyPatch) -> None:
    env_vars = load_dag(pipeline_env, "kubernetes").get_task("produce").env_vars
    assert isinstance(env_vars, dict)
    assert "PRODUCER_SASL_USERNAME" not in env_vars


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        ("kubernetes", LOGIN, "AIRFLOW_VAR_PRODUCER_SASL_USERNAME is set on target kubernetes"),
        (
            "kubernetes",
            {"AIRFLOW_VAR_PRODUCER_SASL_PASSWORD": PASSWORD},
            "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD is set on target kubernetes",
        ),
        ("docker", SECRET, "AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET is set on target docker"),
        ("local", SECRET, "AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET is set on target local"),
        (
            "docker",
            {"AIRFLOW_VAR_PRODUCER_SASL_USERNAME": "producer"},
            "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD is not set but its partner is",
        ),
        (
            "local",
            {"AIRFLOW_VAR_PRODUCER_SASL_PASSWORD": PASSWORD},
            "AIRFLOW_VAR_PRODUCER_SASL_USERNAME is not set but its partner is",
        ),
        (
            "docker",
            {"AIRFLOW_VAR_PRODUCER_ENV": json.dumps({"PRODUCER_SASL_PASSWORD": PASSWORD})},
            "AIRFLOW_VAR_PRODUCER_ENV has PRODUCER_SASL_PASSWORD (its values are rendered",
        ),
    ],
)
def test_a_login_in_the_wrong_place_is_one_import_error_without_the_password(
    pipeline_env: pytest.MonkeyPatch, target: str, extra: dict[str, str], message: str
) -> None:
    pipeline_env.setenv("AIRFLOW_VAR_PIPELINE_TARGET", target)
    for key, value in {**TARGET_ENVIRONMENT[target], **extra}.items():
        pipeline_env.setenv(key, value)
    bag = load_dagbag()
    [error] = bag.import_errors.values()
    assert "Unable to build DAG users_pipeline" in error
    assert message in error
    assert PASSWORD not in error


def test_the_login_is_both_or_neither_and_hides_its_password() -> None:
    assert producer_login("", "") is None
    login = producer_login("producer", " spaced ")
    assert login is not None and login.password == " spaced "
    assert PASSWORD not in repr(producer_login("producer", PASSWORD))
    with pytest.raises(SettingsError, match="USERNAME is not set"):
        producer_login(None, PASSWORD)
    with pytest.raises(SettingsError, match="PRODUCER_SASL_USERNAME"):
        producer_environment('{"PRODUCER_SASL_USERNAME": "producer"}')


def test_parse_time_settings_keep_a_password_as_given() -> None:
    settings = load_settings(
        {
            "AIRFLOW_VAR_PIPELINE_TARGET": "docker",
            "AIRFLOW_VAR_PRODUCER_SASL_USERNAME": " producer ",
            "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD": " pw ",
        }
    )
    assert settings.producer_login is not None
    assert (settings.producer_login.username, settings.producer_login.password) == ("producer", " pw ")
    assert PASSWORD not in repr(settings)


def test_local_environment_has_the_login_and_no_other_secret() -> None:
    login = producer_login("producer", PASSWORD)
    environment = local_producer_environment(
        {
            "PATH": "/bin",
            "PRODUCER_SASL_USERNAME": "stale",
            "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD": PASSWORD,
            "AIRFLOW_CONN_CASSANDRA_DEFAULT": "{}",
            "AIRFLOW_CONN_KAFKA_DEFAULT": "{}",
            "AIRFLOW_VAR_USERS_TOPIC": "users",
        },
        {"PRODUCER_BROKERS": "k:9092"},
        5,
        login,
    )
    assert environment == {
        "PATH": "/bin",
        "AIRFLOW_VAR_USERS_TOPIC": "users",
        "PRODUCER_BROKERS": "k:9092",
        "PRODUCER_COUNT": "5",
        "PRODUCER_SASL_USERNAME": "producer",
        "PRODUCER_SASL_PASSWORD": PASSWORD,
    }


class FakeTaskInstance:
    def xcom_pull(self, task_ids: str) -> dict[str, Any]:
        return {"topic": "users", "table": "pipeline.users", "rows_before": 0, "count": 7}


@pytest.mark.parametrize("login", [True, False])
def test_produce_local_reads_the_login_when_the_task_runs(
    monkeypatch: pytest.MonkeyPatch, login: bool
) -> None:
    stored = {
        "producer_command": '["producer"]',
        "producer_env": '{"PRODUCER_BROKERS": "k:9092"}',
        **({"producer_sasl_username": "producer", "producer_sasl_password": PASSWORD} if login else {}),
    }
    monkeypatch.setattr(
        steps.Variable, "get", staticmethod(lambda key, default=None: stored.get(key, default))
    )
    calls: list[dict[str, str]] = []

    def run(command: list[str], environment: dict[str, str], count: int, timeout: float) -> dict[str, Any]:
        calls.append(environment)
        return {"sent": count}

    monkeypatch.setattr(steps, "run_local_producer", run)
    steps.produce_local(FakeTaskInstance(), 60)
    [environment] = calls
    if login:
        assert (environment["PRODUCER_SASL_USERNAME"], environment["PRODUCER_SASL_PASSWORD"]) == (
            "producer",
            PASSWORD,
        )
    else:
        assert "PRODUCER_SASL_USERNAME" not in environment and "PRODUCER_SASL_PASSWORD" not in environment


# --- the Kafka check with kafka_default's login (confluent-kafka's AdminClient faked) ----------------


class FakeConnection:
    def __init__(self, extra: dict[str, Any]) -> None:
        self.extra_dejson = extra


class FakeTopic:
    def __init__(self, error: KafkaError | None = None, partitions: int = 3) -> None:
        self.error = error
        self.partitions = dict.fromkeys(range(partitions))


class FakeMetadata:
    def __init__(self, topics: dict[str, FakeTopic]) -> None:
        self.topics = topics


class FakeAdminClient:
    """Records the config it was built with; answers or fails `list_topics` as the test says."""

    instances: ClassVar[list[FakeAdminClient]] = []
    behaviour: ClassVar[Any] = None

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.queued: list[KafkaError] = []
        FakeAdminClient.instances.append(self)

    def list_topics(self, topic: str, timeout: float) -> FakeMetadata:
        result = FakeAdminClient.behaviour(self, topic)
        if isinstance(result, Exception):
            raise result
        return result

    def poll(self, timeout: float) -> int:
        served, self.queued = self.queued, []
        for error in served:
            self.config["error_cb"](error)
        return len(served)


EXTRA = {
    "bootstrap.servers": "kafka-0:9092",
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": "airflow",
    "sasl.password": PASSWORD,
}


@pytest.fixture
def fake_admin(monkeypatch: pytest.MonkeyPatch) -> type[FakeAdminClient]:
    from airflow.providers.apache.kafka.hooks import base

    FakeAdminClient.instances = []
    monkeypatch.setattr(base, "AdminClient", FakeAdminClient)
    monkeypatch.setattr(
        steps.KafkaCheckHook, "get_connection", classmethod(lambda cls, conn_id: FakeConnection(dict(EXTRA)))
    )
    return FakeAdminClient


def test_the_check_logs_in_with_the_extras_librdkafka_keys(fake_admin: type[FakeAdminClient]) -> None:
    fake_admin.behaviour = lambda client, topic: FakeMetadata({topic: FakeTopic()})
    check_topic("users_created")
    [client] = fake_admin.instances
    assert {key: value for key, value in client.config.items() if key != "error_cb"} == EXTRA
    assert callable(client.config["error_cb"])


def test_a_refused_login_is_named_without_the_password(fake_admin: type[FakeAdminClient]) -> None:
    refusal = KafkaError(
        KafkaError._AUTHENTICATION,
        "SASL authentication error: Authentication failed during authentication due to invalid "
        "credentials with SASL mechanism SCRAM-SHA-512",
    )

    def refuse(client: FakeAdminClient, topic: str) -> Exception:
        client.queued.append(refusal)
        return KafkaException(KafkaError(KafkaError._TIMED_OUT, "Failed to get metadata: Local: Timed out"))

    fake_admin.behaviour = refuse
    with pytest.raises(AirflowException) as raised:
        check_topic("users_created")
    message = str(raised.value)
    assert message == (
        "Unable to check topic users_created: Kafka refused the login of connection kafka_default as "
        "airflow: SASL authentication error: Authentication failed during authentication due to invalid "
        "credentials with SASL mechanism SCRAM-SHA-512. Check sasl.username and sasl.password in its extra "
        "(AIRFLOW_CONN_KAFKA_DEFAULT)."
    )
    assert PASSWORD not in message


def test_other_check_failures_are_as_before(fake_admin: type[FakeAdminClient]) -> None:
    timeout = KafkaException(KafkaError(KafkaError._TIMED_OUT, "Failed to get metadata: Local: Timed out"))
    fake_admin.behaviour = lambda client, topic: timeout
    with pytest.raises(KafkaException):
        check_topic("users_created")
    denied = KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED)
    fake_admin.behaviour = lambda client, topic: FakeMetadata({topic: FakeTopic(denied, 0)})
    with pytest.raises(
        AirflowException, match=r"principal of connection kafka_default \(airflow\) needs Describe"
    ):
        check_topic("users_created")
    fake_admin.behaviour = lambda client, topic: FakeMetadata({})
    with pytest.raises(AirflowException, match=r"not in the metadata\. Create it"):
        check_topic("users_created")
