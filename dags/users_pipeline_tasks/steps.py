"""The Python steps of users_pipeline: check the sources, run the producer locally, verify the rows.

Each step reads what it needs when it runs: Airflow Variables (``AIRFLOW_VAR_*``) and the
``kafka_default`` / ``cassandra_default`` connections (``AIRFLOW_CONN_*``).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

from airflow.providers.apache.kafka.hooks.client import KafkaAdminClientHook
from airflow.sdk import BaseHook, Variable
from airflow.sdk.exceptions import AirflowException
from confluent_kafka import KafkaError, KafkaException

from users_pipeline_tasks.cassandra import (
    DEFAULT_PORT,
    CassandraTarget,
    count_rows,
    open_session,
    split_hosts,
    table_exists,
)
from users_pipeline_tasks.settings import (
    CASSANDRA_CONN_ID,
    KAFKA_CONN_ID,
    ProducerLogin,
    cql_identifier,
    integer_value,
    producer_command,
    producer_environment,
    producer_login,
)
from users_pipeline_tasks.variables import airflow_key, default_text, described, descriptor

log = logging.getLogger(__name__)

CHECK_TASK_ID = "check_sources"
TOPIC_TIMEOUT_SECONDS = 15.0
POLL_INTERVAL_SECONDS = 5.0


class Baseline(TypedDict):
    """What step 1 hands to the later steps through XCom."""

    topic: str
    table: str
    rows_before: int
    count: int


def variable(name: str) -> str:
    """The Airflow Variable of ``AIRFLOW_VAR_*`` ``name`` (stripped unless secret), else its default ("" when
    none). Airflow masks a secret's value in task logs (its key names a password)."""
    value = Variable.get(airflow_key(name), default=None)
    text = "" if value is None else str(value)
    return (text if descriptor(name)["secret"] else text.strip()) or default_text(name)


def integer_variable(name: str) -> int:
    """The Airflow Variable of ``name`` as an integer within its bounds (settings.integer_value)."""
    return integer_value(name, variable(name))


def users_topic() -> str:
    topic = variable("AIRFLOW_VAR_USERS_TOPIC")
    if not topic:
        raise AirflowException("Unable to check the topic: the users_topic variable is empty.")
    return topic


def producer_count() -> int:
    return integer_variable("AIRFLOW_VAR_PRODUCER_COUNT")


def cassandra_target() -> CassandraTarget:
    """The users table from the ``cassandra_default`` connection and the keyspace/table variables."""
    connection = BaseHook.get_connection(CASSANDRA_CONN_ID)
    hosts = split_hosts(connection.host)
    if not hosts:
        raise AirflowException(
            f"Unable to reach Cassandra: connection {CASSANDRA_CONN_ID} has no host. "
            "Set AIRFLOW_CONN_CASSANDRA_DEFAULT with host 'h1,h2'."
        )
    extra: Mapping[str, Any] = connection.extra_dejson or {}
    keyspace = variable("AIRFLOW_VAR_CASSANDRA_KEYSPACE") or (connection.schema or "")
    local_dc = extra.get("local_dc")
    return CassandraTarget(
        hosts=hosts,
        port=int(connection.port or DEFAULT_PORT),
        username=connection.login or None,
        password=connection.password or None,
        local_dc=str(local_dc) if local_dc else None,
        keyspace=cql_identifier("AIRFLOW_VAR_CASSANDRA_KEYSPACE", keyspace),
        table=cql_identifier("AIRFLOW_VAR_CASSANDRA_TABLE", variable("AIRFLOW_VAR_CASSANDRA_TABLE")),
    )


class KafkaCheckHook(KafkaAdminClientHook):
    """The admin client of ``kafka_default``, which keeps librdkafka's client errors.

    The provider hands the connection's extra to confluent-kafka as it is, so its librdkafka keys
    (``security.protocol``, ``sasl.mechanism``, ``sasl.username``, ``sasl.password``) log the check
    in. A refused login shows only as a failed or timed-out metadata request (against a Kafka 3.9.1
    SCRAM broker here: "Timed out" after TOPIC_TIMEOUT_SECONDS); librdkafka reports the refusal itself
    to ``error_cb`` (there within 0.3 s), which this hook records so the check can say what happened.
    """

    def __init__(self) -> None:
        super().__init__(kafka_config_id=KAFKA_CONN_ID)
        self.client_errors: list[KafkaError] = []
        self.username: str | None = None

    def _get_client(self, config: dict[str, Any]) -> Any:
        self.username = config.get("sasl.username")
        if "error_cb" not in config:  # a callback of the connection's own stays
            config = {**config, "error_cb": self.client_errors.append}
        return super()._get_client(config)


def refused_login(hook: KafkaCheckHook, admin: Any, error: KafkaException) -> str | None:
    """librdkafka's reason when the brokers refused ``kafka_default``'s login, else None."""
    admin.poll(0)  # serves the error callbacks queued while the request waited
    errors = [*hook.client_errors, *(error.args[:1] if error.args else [])]
    for candidate in reversed(errors):
        if isinstance(candidate, KafkaError) and candidate.code() == KafkaError._AUTHENTICATION:
            return str(candidate.str())
    return None


def check_topic(topic: str) -> None:
    """Fails unless the broker of ``kafka_default`` knows ``topic`` (the producer never creates it)."""
    hook = KafkaCheckHook()
    admin = hook.get_conn
    try:
        metadata = admin.list_topics(topic=topic, timeout=TOPIC_TIMEOUT_SECONDS)
    except KafkaException as error:
        reason = refused_login(hook, admin, error)
        if reason is None:
            raise
        raise AirflowException(
            f"Unable to check topic {topic}: Kafka refused the login of connection {KAFKA_CONN_ID} "
            f"as {hook.username or '(no sasl.username)'}: {reason}. Check sasl.username and sasl.password "
            "in its extra (AIRFLOW_CONN_KAFKA_DEFAULT)."
        ) from error
    described = metadata.topics.get(topic)
    problem = described.error if described is not None else None
    if problem is not None and problem.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
        raise AirflowException(
            f"Unable to use topic {topic}: {problem}. The principal of connection {KAFKA_CONN_ID} "
            f"({hook.username or 'anonymous'}) needs Describe on it."
        )
    if described is None or described.error is not None or not described.partitions:
        reason = described.error if described is not None else "not in the metadata"
        raise AirflowException(
            f"Unable to use topic {topic}: {reason}. Create it (the KafkaTopic component does)."
        )
    log.info("topic %s: %d partitions", topic, len(described.partitions))


def check_sources() -> Baseline:
    """Step 1: the topic exists, the table answers; returns the row count before producing."""
    topic = users_topic()
    check_topic(topic)
    target = cassandra_target()
    with open_session(target) as session:
        if not table_exists(session, target):
            raise AirflowException(
                f"Unable to use table {target.qualified_table}: it does not exist. "
                "Run the Cassandra schema job first."
            )
        rows_before = count_rows(session, target)
    count = producer_count()
    log.info("table %s: %d rows before; producing %d", target.qualified_table, rows_before, count)
    return Baseline(topic=topic, table=target.qualified_table, rows_before=rows_before, count=count)


def summary_of(stdout: str) -> dict[str, Any] | None:
    """The producer's ``summary`` JSON line, if it printed one."""
    for line in reversed(stdout.splitlines()):
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict) and parsed.get("event") == "summary":
            return parsed
    return None


def local_producer_environment(
    base: Mapping[str, str],
    producer_env: Mapping[str, str],
    count: int,
    login: ProducerLogin | None = None,
) -> dict[str, str]:
    """The environment: Airflow's without its ``PRODUCER_*`` and without the secrets the DAG reads
    (the producer gets no credential but its own), then the variable's, the count and the login."""
    secrets = {name for name, entry in described().items() if entry["secret"]}
    environment = {
        key: value for key, value in base.items() if not key.startswith("PRODUCER_") and key not in secrets
    }
    environment.update(producer_env)
    environment["PRODUCER_COUNT"] = str(count)
    if login is not None:
        environment.update(login.environment())
    return environment


def run_local_producer(
    command: Sequence[str],
    environment: Mapping[str, str],
    count: int,
    timeout_seconds: float,
    runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> dict[str, Any]:
    """Runs the producer CLI, fails on a non-zero exit or fewer records than asked; returns its summary."""
    log.info("running %s", " ".join(command))
    try:
        completed = runner(
            list(command),
            env=dict(environment),
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
            check=False,
        )
    except FileNotFoundError as error:
        raise AirflowException(f"Unable to run the producer: {error}.") from error
    except subprocess.TimeoutExpired as error:
        raise AirflowException(
            f"Unable to run the producer: still running after {timeout_seconds:.0f} s."
        ) from error
    for line in completed.stderr.splitlines()[-20:]:
        log.info("producer: %s", line)
    summary = summary_of(completed.stdout)
    if completed.returncode != 0:
        last = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        raise AirflowException(
            f"Unable to produce {count} records: the producer exited {completed.returncode}: {last[0]}"
        )
    if summary is None or int(summary.get("sent", -1)) != count:
        raise AirflowException(f"Unable to produce {count} records: the producer's summary says {summary}.")
    log.info("producer summary: %s", json.dumps(summary))
    return summary


def baseline_of(ti: Any) -> Baseline:
    """Step 1's result, pulled from XCom by a later step."""
    baseline = ti.xcom_pull(task_ids=CHECK_TASK_ID)
    if not isinstance(baseline, dict) or "count" not in baseline:
        raise AirflowException(f"Unable to read step 1's baseline from XCom: {baseline!r}.")
    return Baseline(
        topic=str(baseline["topic"]),
        table=str(baseline["table"]),
        rows_before=int(baseline["rows_before"]),
        count=int(baseline["count"]),
    )


def produce_local(ti: Any, timeout_seconds: float) -> dict[str, Any]:
    """Step 2 on the local target: the producer CLI as a child process of the task."""
    baseline = baseline_of(ti)
    command = producer_command(variable("AIRFLOW_VAR_PRODUCER_COMMAND"))
    producer_env = producer_environment(variable("AIRFLOW_VAR_PRODUCER_ENV"))
    login = producer_login(
        variable("AIRFLOW_VAR_PRODUCER_SASL_USERNAME"), variable("AIRFLOW_VAR_PRODUCER_SASL_PASSWORD")
    )
    environment = local_producer_environment(os.environ, producer_env, baseline["count"], login)
    return run_local_producer(command, environment, baseline["count"], timeout_seconds)


def wait_for_rows(
    count: Callable[[], int | None],
    expected: int,
    timeout_seconds: float,
    interval_seconds: float = POLL_INTERVAL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Polls ``count`` until it reaches ``expected``; returns it, or raises after the timeout.

    ``count`` returns None when the table does not answer; that poll is retried like a short one.
    """
    deadline = clock() + timeout_seconds
    last: int | None = None
    while True:
        last = count()
        if last is not None and last >= expected:
            return last
        if clock() >= deadline:
            seen = "no answer from Cassandra" if last is None else f"{last} rows"
            raise AirflowException(
                f"Unable to verify the run: {seen} after {timeout_seconds:.0f} s, "
                f"expected at least {expected}. Is the Spark streaming job running?"
            )
        sleep(interval_seconds)


def verify_rows(ti: Any) -> int:
    """Step 3: the table gained the produced records within the verify timeout."""
    baseline = baseline_of(ti)
    timeout = integer_value(
        "AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS", variable("AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS")
    )
    target = cassandra_target()
    expected = baseline["rows_before"] + baseline["count"]
    with open_session(target) as session:

        def count() -> int | None:
            try:
                return count_rows(session, target)
            except Exception as error:  # noqa: BLE001 - an outage is one more failed poll
                log.warning("counting %s failed: %s", target.qualified_table, error)
                return None

        rows = wait_for_rows(count, expected, timeout)
    log.info(
        "table %s: %d rows (%d before, %d produced)",
        target.qualified_table,
        rows,
        baseline["rows_before"],
        baseline["count"],
    )
    return rows
