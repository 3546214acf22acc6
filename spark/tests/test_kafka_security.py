"""Kafka SASL/SCRAM-SHA-512: the login read from the environment, the options of every Kafka client,
the password kept out of logs and reprs, and a refusal by Kafka reported in one line, not retried."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from test_resilience import FakeFrame, FakePy4JError, FakeThrowable, writer_for

from users_stream import job
from users_stream.config import ConfigError, job_variables, load_config
from users_stream.job import EXIT_KAFKA_REFUSED, dead_letter_options, source_options
from users_stream.kafka_security import (
    KafkaLogin,
    jaas_quoted,
    kafka_client_options,
    kafka_refusal,
    login_text,
    scram_jaas_config,
)

PASSWORD = "s3cr3t-Pa55"
BASE = {
    "KAFKA_BOOTSTRAP_SERVERS": "kafka-0:9092,kafka-1:9092",
    "KAFKA_SASL_USERNAME": "streaming-job",
    "KAFKA_SASL_PASSWORD": PASSWORD,
    "CASSANDRA_HOSTS": "cassandra-0",
    "CHECKPOINT_DIR": "/checkpoints/users",
}
PLAINTEXT = {
    **{key: value for key, value in BASE.items() if not key.startswith("KAFKA_SASL_")},
    "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
}
SCRAM_JAAS = (
    'org.apache.kafka.common.security.scram.ScramLoginModule required username="streaming-job" '
    f'password="{PASSWORD}";'
)
# The same cases as scramJaasConfig's in tests/unit/kafka-jaas.test.ts: both sides quote alike.
JAAS_CASES = [
    ("producer", "abc123", 'username="producer" password="abc123";'),
    ('we"ird', "back\\slash", 'username="we\\"ird" password="back\\\\slash";'),
    ("a b", 'p"w\\', 'username="a b" password="p\\"w\\\\";'),
]


def test_the_login_is_on_by_default_and_needs_both_variables() -> None:
    config = load_config(BASE)
    assert config.kafka_login == KafkaLogin("streaming-job", PASSWORD)
    assert config.kafka_security_protocol == "SASL_PLAINTEXT"
    assert config.kafka_group_id_prefix == "users-stream"
    for name in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"):
        env = {key: value for key, value in BASE.items() if key != name}
        message = (
            f"missing required environment variable {name} "
            r"\(.*, needed when KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT\)"
        )
        with pytest.raises(ConfigError, match=message):
            load_config(env)


def test_plaintext_has_no_login_and_refuses_a_stray_credential() -> None:
    assert load_config(PLAINTEXT).kafka_login is None
    assert load_config({**PLAINTEXT, "KAFKA_SECURITY_PROTOCOL": "plaintext"}).kafka_login is None
    assert load_config({**BASE, "KAFKA_SECURITY_PROTOCOL": "sasl_plaintext"}).kafka_login is not None
    with pytest.raises(ConfigError, match="KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT"):
        load_config({**PLAINTEXT, "KAFKA_SASL_USERNAME": "streaming-job"})
    with pytest.raises(ConfigError, match="KAFKA_SECURITY_PROTOCOL must be PLAINTEXT or SASL_PLAINTEXT"):
        load_config({**BASE, "KAFKA_SECURITY_PROTOCOL": "SSL"})


def test_the_password_is_taken_as_given_and_the_group_prefix_from_the_environment() -> None:
    config = load_config({**BASE, "KAFKA_SASL_PASSWORD": " spaced ", "KAFKA_GROUP_ID_PREFIX": "people"})
    assert config.kafka_login is not None and config.kafka_login.password == " spaced "
    assert config.kafka_group_id_prefix == "people"


def test_no_password_in_the_config_repr_or_the_login_text() -> None:
    config = load_config(BASE)
    for text in (repr(config), str(config), repr(config.kafka_login), login_text(config.kafka_login)):
        assert PASSWORD not in text
    assert "streaming-job" in repr(config)
    assert login_text(config.kafka_login) == "as streaming-job (SASL_PLAINTEXT, SCRAM-SHA-512)"
    assert login_text(None) == "without authentication (PLAINTEXT)"


@pytest.mark.parametrize(("username", "password", "options"), JAAS_CASES)
def test_jaas_config_quotes_as_kafkas_parser_reads(username: str, password: str, options: str) -> None:
    assert scram_jaas_config(KafkaLogin(username, password)) == (
        f"org.apache.kafka.common.security.scram.ScramLoginModule required {options}"
    )
    assert jaas_quoted("") == '""'


def test_every_kafka_client_gets_the_login() -> None:
    assert kafka_client_options("k:9092", KafkaLogin("streaming-job", PASSWORD)) == {
        "kafka.bootstrap.servers": "k:9092",
        "kafka.security.protocol": "SASL_PLAINTEXT",
        "kafka.sasl.mechanism": "SCRAM-SHA-512",
        "kafka.sasl.jaas.config": SCRAM_JAAS,
    }
    assert kafka_client_options("k:9092", None) == {
        "kafka.bootstrap.servers": "k:9092",
        "kafka.security.protocol": "PLAINTEXT",
    }


def test_source_options() -> None:
    config = load_config({**BASE, "KAFKA_MIN_PARTITIONS": "6"})
    assert source_options(config) == {
        "kafka.bootstrap.servers": "kafka-0:9092,kafka-1:9092",
        "kafka.security.protocol": "SASL_PLAINTEXT",
        "kafka.sasl.mechanism": "SCRAM-SHA-512",
        "kafka.sasl.jaas.config": SCRAM_JAAS,
        "subscribe": "users_created",
        "startingOffsets": "earliest",
        "maxOffsetsPerTrigger": "100000",
        "failOnDataLoss": "true",
        "groupIdPrefix": "users-stream",
        "minPartitions": "6",
    }
    plain = source_options(load_config(PLAINTEXT))
    assert plain["kafka.security.protocol"] == "PLAINTEXT"
    assert not {"kafka.sasl.mechanism", "kafka.sasl.jaas.config", "minPartitions"} & set(plain)
    assert plain["groupIdPrefix"] == "users-stream"


def test_dead_letter_options() -> None:
    assert dead_letter_options(load_config(BASE)) == {
        "kafka.bootstrap.servers": "kafka-0:9092,kafka-1:9092",
        "kafka.security.protocol": "SASL_PLAINTEXT",
        "kafka.sasl.mechanism": "SCRAM-SHA-512",
        "kafka.sasl.jaas.config": SCRAM_JAAS,
        "kafka.acks": "all",
        "kafka.enable.idempotence": "true",
        "kafka.max.request.size": "1048576",
        "topic": "users_created.dlq",
    }


SASL_FAILURE = (
    "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during "
    "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
)
TOPIC_DENIED = (
    "org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized to access topics: "
    "[users_created.dlq]"
)


@pytest.mark.parametrize(
    ("texts", "refusal"),
    [
        ((SASL_FAILURE,), "authentication"),
        (
            ("Query [id = 1] terminated with exception: Authentication failed", f"Caused by: {SASL_FAILURE}"),
            "authentication",
        ),
        ((TOPIC_DENIED,), "authorization"),
        (("org.apache.kafka.common.errors.GroupAuthorizationException: Not authorized",), "authorization"),
        (("java.io.IOException: Failed to write statements to ks.users",), None),
        (("org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node",), None),
    ],
)
def test_kafka_refusal(texts: tuple[str, ...], refusal: str | None) -> None:
    assert kafka_refusal(*texts) == refusal


class FakeQuery:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def awaitTermination(self) -> None:
        if self.error is not None:
            raise self.error


class StoppedQuery(Exception):
    """A StreamingQueryException as PySpark shows it: the class only in the JVM stack trace."""

    def __str__(self) -> str:
        return (
            "[STREAM_FAILED] Query [id = 1, runId = 2] terminated with exception: Authentication failed "
            "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512\n\n"
            "JVM stacktrace:\norg.apache.spark.sql.streaming.StreamingQueryException: ...\n"
            f"Caused by: {SASL_FAILURE}"
        )


def run_main(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, error: Exception | None
) -> tuple[int, str]:
    """job.main with BASE as the environment, Spark replaced by a query that ends with `error`."""
    for name in job_variables():
        monkeypatch.delenv(name, raising=False)
    for key, value in BASE.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(job, "job_session", lambda config, name: object())
    monkeypatch.setattr(job, "build_query", lambda spark, config: FakeQuery(error))
    with caplog.at_level(logging.INFO, logger="users_stream"):
        status = job.main([])
    return status, caplog.text


def test_the_job_logs_its_login_but_never_the_password(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    status, text = run_main(monkeypatch, caplog, None)
    assert status == 0
    assert "from kafka-0:9092,kafka-1:9092 as streaming-job (SASL_PLAINTEXT, SCRAM-SHA-512) into" in text
    assert PASSWORD not in text


def test_a_refused_login_is_one_line_naming_the_brokers_and_the_principal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    status, text = run_main(monkeypatch, caplog, StoppedQuery())
    assert status == EXIT_KAFKA_REFUSED == 3
    [line] = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert line.startswith(
        "query failed: Kafka at kafka-0:9092,kafka-1:9092 refused the job's login as streaming-job "
        "(SASL_PLAINTEXT, SCRAM-SHA-512): [STREAM_FAILED] Query [id = 1, runId = 2] terminated with "
        "exception: Authentication failed"
    )
    assert line.endswith(
        "Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (the principal's SCRAM-SHA-512 "
        "credential) and KAFKA_SECURITY_PROTOCOL"
    )
    assert "\n" not in line
    assert PASSWORD not in text


def test_other_query_failures_keep_their_exit_status(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    status, text = run_main(monkeypatch, caplog, RuntimeError("Cassandra is gone"))
    assert status == job.EXIT_FAILED
    assert "query failed: Cassandra is gone" in text


def test_a_refused_dead_letter_write_fails_the_batch_at_once(
    kinds: dict[str, str], contract: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Kafka denying the sink is neither an outage to retry nor a poison record to look for."""
    writer = writer_for(kinds, contract, batch_retry_seconds=60)
    writer.services_answer = lambda: True  # type: ignore[method-assign]
    attempts: list[int] = []

    def write(frame: Any, batch_id: int) -> None:
        attempts.append(batch_id)
        root = FakeThrowable(TOPIC_DENIED)
        raise FakePy4JError(
            "An error occurred while calling o88.save.", FakeThrowable("SparkException", root)
        )

    writer._write = write  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="users_stream"), pytest.raises(FakePy4JError):
        writer(FakeFrame(), 4)  # type: ignore[arg-type]
    assert attempts == [4]
    assert f"batch 4: attempt 1 failed: Kafka refused the job: {TOPIC_DENIED}" in caplog.text
    assert "looking for the record(s)" not in caplog.text
