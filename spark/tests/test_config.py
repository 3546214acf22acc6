"""load_config: defaults, required variables, one clear line per problem; main exits 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import SPARK_DIR

from users_stream.config import ConfigError, load_config

BASE = {
    "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
    # Kafka authentication is on by default (KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT).
    "KAFKA_SASL_USERNAME": "streaming-job",
    "KAFKA_SASL_PASSWORD": "job-password",
    "CASSANDRA_HOSTS": "cassandra-0, cassandra-1",
    "CHECKPOINT_DIR": "/checkpoints/users",
}


def test_defaults() -> None:
    config = load_config(BASE)
    assert config.topic == "users_created"
    assert config.dlq_topic == "users_created.dlq"
    assert config.starting_offsets == "earliest"
    assert config.max_offsets_per_trigger == 100_000
    assert config.record_format == "json"
    assert config.max_record_bytes == 65_536
    assert config.trigger_interval == "5 seconds"
    assert config.cassandra.hosts == ("cassandra-0", "cassandra-1")
    assert config.cassandra.port == 9042
    assert config.cassandra.local_dc == "datacenter1"
    assert (config.cassandra.keyspace, config.cassandra.table) == ("pipeline", "users")
    assert config.cassandra.username is None
    assert config.kafka_security_protocol == "SASL_PLAINTEXT"
    assert config.kafka_group_id_prefix == "users-stream"
    assert (config.batch_retry_seconds, config.batch_attempt_timeout_seconds) == (600, 300)


def test_everything_from_the_environment() -> None:
    config = load_config(
        {
            **BASE,
            "KAFKA_TOPIC": "people",
            "MAX_OFFSETS_PER_TRIGGER": "5000",
            "RECORD_FORMAT": "AVRO",
            "SCHEMA_REGISTRY_URL": "http://registry:8081/",
            "CASSANDRA_USERNAME": "app",
            "CASSANDRA_PASSWORD": "secret",
            "CASSANDRA_KEYSPACE": "ks",
            "CASSANDRA_TABLE": "people",
            "TRIGGER_INTERVAL": "500 milliseconds",
            "BATCH_ATTEMPT_TIMEOUT_SECONDS": "120",
        }
    )
    assert config.dlq_topic == "people.dlq"
    assert config.batch_attempt_timeout_seconds == 120
    assert config.record_format == "avro"
    assert config.schema_registry_url == "http://registry:8081"
    assert config.cassandra.password == "secret"
    assert config.kafka_login is not None and config.kafka_login.password == "job-password"
    for text in (repr(config), str(config)):
        assert "secret" not in text
        assert "job-password" not in text


@pytest.mark.parametrize("name", sorted(BASE))
def test_missing_required(name: str) -> None:
    env = {key: value for key, value in BASE.items() if key != name}
    with pytest.raises(ConfigError, match=f"missing required environment variable {name} "):
        load_config(env)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"RECORD_FORMAT": "avro"}, "SCHEMA_REGISTRY_URL"),
        ({"RECORD_FORMAT": "xml"}, "RECORD_FORMAT must be json or avro"),
        ({"MAX_OFFSETS_PER_TRIGGER": "many"}, "MAX_OFFSETS_PER_TRIGGER must be an integer"),
        ({"CASSANDRA_PORT": "0"}, "CASSANDRA_PORT must be >= 1"),
        ({"CASSANDRA_TABLE": "Users;"}, "CASSANDRA_TABLE must match"),
        ({"CASSANDRA_USERNAME": "app"}, "CASSANDRA_PASSWORD"),
        ({"TRIGGER_INTERVAL": "soon"}, "TRIGGER_INTERVAL"),
        ({"BATCH_ATTEMPT_TIMEOUT_SECONDS": "5"}, "BATCH_ATTEMPT_TIMEOUT_SECONDS must be >= 10"),
        # bounds and conditions from spark-job.environment.json (contracts/interfaces.ts)
        ({"BATCH_ATTEMPT_TIMEOUT_SECONDS": "86401"}, "BATCH_ATTEMPT_TIMEOUT_SECONDS must be <= 86400"),
        ({"CASSANDRA_PORT": "70000"}, "CASSANDRA_PORT must be <= 65535"),
        ({"KAFKA_MIN_PARTITIONS": "some"}, "KAFKA_MIN_PARTITIONS must be an integer"),
        ({"RECORD_FORMAT": "avro"}, "SCHEMA_REGISTRY_URL .*needed when RECORD_FORMAT=avro"),
    ],
)
def test_invalid(change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({**BASE, **change})


def test_main_exits_2_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "users_stream"],
        cwd=SPARK_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
            "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
            "CASSANDRA_HOSTS": "c",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "users-stream: missing required environment variable CHECKPOINT_DIR "
        "(checkpoint directory on persistent storage)"
    ]


@pytest.mark.parametrize(
    ("location", "forkless"),
    [
        ("/checkpoints/users", True),
        ("file:///checkpoints/users", True),
        ("hdfs://namenode:8020/checkpoints/users", False),
        ("s3a://bucket/checkpoints/users", False),
    ],
)
def test_checkpoint_manager_only_for_local_checkpoints(location: str, forkless: bool) -> None:
    from users_stream.job import spark_conf

    conf = spark_conf(load_config({**BASE, "CHECKPOINT_DIR": location}))
    key = "spark.sql.streaming.checkpointFileManagerClass"
    assert (key in conf) is forkless
    if forkless:
        assert conf[key].endswith(".FileSystemBasedCheckpointFileManager")


def test_executors_log_statements_without_their_values() -> None:
    from users_stream.job import HIDE_STATEMENT_VALUES, spark_conf

    conf = spark_conf(load_config(BASE))
    assert HIDE_STATEMENT_VALUES == (
        "datastax-java-driver.advanced.request-tracker.logs.show-values",
        "false",
    )
    assert conf["spark.executor.defaultJavaOptions"] == (
        "-Ddatastax-java-driver.advanced.request-tracker.logs.show-values=false"
    )
    assert "spark.executor.extraJavaOptions" not in conf  # left to the user
