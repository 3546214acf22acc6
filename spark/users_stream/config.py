"""Job settings, all from the environment (every host, port, credential and name)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

RECORD_FORMATS = ("json", "avro")


class ConfigError(Exception):
    """A missing or invalid environment variable; the message is one line naming it."""


@dataclass(frozen=True)
class CassandraSettings:
    """How the job reaches Cassandra and where it writes."""

    hosts: tuple[str, ...]
    port: int = 9042
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    local_dc: str = "datacenter1"
    keyspace: str = "pipeline"
    table: str = "users"
    concurrent_writes: int = 32
    batch_size_rows: str = "auto"
    batch_grouping_key: str = "none"


@dataclass(frozen=True)
class JobConfig:
    """Everything the job reads from the environment."""

    kafka_bootstrap_servers: str
    checkpoint_dir: str
    cassandra: CassandraSettings
    topic: str = "users_created"
    dlq_topic: str = "users_created.dlq"
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int = 100_000
    record_format: str = "json"
    schema_registry_url: str | None = None
    max_record_bytes: int = 65_536
    trigger_interval: str = "5 seconds"
    batch_retry_seconds: int = 600
    batch_attempt_timeout_seconds: int = 300
    min_partitions: int | None = None


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"missing required environment variable {name} ({what})")
    return value


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"environment variable {name} must be >= {minimum}, got {value}")
    return value


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value or default


_identifier = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_interval = re.compile(r"^\d+(\.\d+)?\s*(milliseconds?|seconds?|minutes?|ms|s|m)$")


def load_config(env: Mapping[str, str] | None = None) -> JobConfig:
    """Reads the job settings from `env` (default: os.environ); raises ConfigError on the first problem."""
    env = os.environ if env is None else env
    bootstrap = _required(env, "KAFKA_BOOTSTRAP_SERVERS", "Kafka bootstrap servers, host:port[,host:port]")
    hosts = tuple(
        host.strip()
        for host in _required(env, "CASSANDRA_HOSTS", "comma-separated Cassandra contact points").split(",")
        if host.strip()
    )
    checkpoint_dir = _required(env, "CHECKPOINT_DIR", "checkpoint directory on persistent storage")
    topic = _text(env, "KAFKA_TOPIC", "users_created")
    record_format = _text(env, "RECORD_FORMAT", "json").lower()
    if record_format not in RECORD_FORMATS:
        raise ConfigError(f"environment variable RECORD_FORMAT must be json or avro, got {record_format!r}")
    registry = env.get("SCHEMA_REGISTRY_URL", "").strip() or None
    if record_format == "avro" and registry is None:
        _required(env, "SCHEMA_REGISTRY_URL", "Schema Registry URL, needed when RECORD_FORMAT=avro")
    keyspace = _text(env, "CASSANDRA_KEYSPACE", "pipeline")
    table = _text(env, "CASSANDRA_TABLE", "users")
    for name, value in (("CASSANDRA_KEYSPACE", keyspace), ("CASSANDRA_TABLE", table)):
        if not _identifier.match(value):
            raise ConfigError(f"environment variable {name} must match [a-z][a-z0-9_]*, got {value!r}")
    username = env.get("CASSANDRA_USERNAME", "").strip() or None
    password = env.get("CASSANDRA_PASSWORD", "") or None
    if (username is None) != (password is None):
        missing = "CASSANDRA_PASSWORD" if password is None else "CASSANDRA_USERNAME"
        raise ConfigError(f"missing required environment variable {missing} (set both or neither)")
    trigger = _text(env, "TRIGGER_INTERVAL", "5 seconds")
    if not _interval.match(trigger):
        raise ConfigError(
            f"environment variable TRIGGER_INTERVAL must look like '5 seconds', got {trigger!r}"
        )
    starting = _text(env, "STARTING_OFFSETS", "earliest")
    min_partitions_raw = env.get("KAFKA_MIN_PARTITIONS", "").strip()
    return JobConfig(
        kafka_bootstrap_servers=bootstrap,
        checkpoint_dir=checkpoint_dir,
        cassandra=CassandraSettings(
            hosts=hosts,
            port=_integer(env, "CASSANDRA_PORT", 9042),
            username=username,
            password=password,
            local_dc=_text(env, "CASSANDRA_LOCAL_DC", "datacenter1"),
            keyspace=keyspace,
            table=table,
            concurrent_writes=_integer(env, "CASSANDRA_CONCURRENT_WRITES", 32),
            batch_size_rows=_text(env, "CASSANDRA_BATCH_SIZE_ROWS", "auto"),
            batch_grouping_key=_text(env, "CASSANDRA_BATCH_GROUPING_KEY", "none"),
        ),
        topic=topic,
        dlq_topic=_text(env, "DLQ_TOPIC", f"{topic}.dlq"),
        starting_offsets=starting,
        max_offsets_per_trigger=_integer(env, "MAX_OFFSETS_PER_TRIGGER", 100_000),
        record_format=record_format,
        schema_registry_url=registry.rstrip("/") if registry else None,
        max_record_bytes=_integer(env, "MAX_RECORD_BYTES", 65_536),
        trigger_interval=trigger,
        batch_retry_seconds=_integer(env, "BATCH_RETRY_SECONDS", 600, minimum=0),
        batch_attempt_timeout_seconds=_integer(env, "BATCH_ATTEMPT_TIMEOUT_SECONDS", 300, minimum=10),
        min_partitions=int(min_partitions_raw) if min_partitions_raw.isdigit() else None,
    )
