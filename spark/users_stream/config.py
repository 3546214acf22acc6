"""Job settings, all from the environment (every host, port, credential and name).

The variables' names, defaults and which are required come from spark-job.environment.json, which
contracts/generate.ts writes from contracts/interfaces.ts (the image ships it next to this package);
this module checks each value: integers and their bounds, the record format, identifiers, intervals.

``python -m users_stream.config NAME...`` prints ``NAME=value`` shell assignments (defaults applied,
required ones checked) for submit.sh, or one error line and exit status 2.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .artifacts import artifact_path
from .kafka_security import KafkaLogin

ENVIRONMENT_FILE = "spark-job.environment.json"
EXIT_CONFIG = 2


class ConfigError(Exception):
    """A missing or invalid environment variable; the message is one line naming it."""


@dataclass(frozen=True)
class Variable:
    """One variable of the job's environment, as contracts/interfaces.ts describes it."""

    name: str
    type: str
    doc: str
    default: str | int | None = None
    required: bool = False
    required_when: tuple[str, tuple[str, ...]] | None = None
    secret: bool = False
    values: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> Variable:
        when = entry.get("requiredWhen")
        return cls(
            name=entry["name"],
            type=entry["type"],
            doc=entry["doc"],
            default=entry.get("default"),
            required=bool(entry.get("required")),
            required_when=(when["variable"], tuple(when["values"])) if when else None,
            secret=bool(entry.get("secret")),
            values=tuple(entry.get("values") or ()),
            minimum=entry.get("minimum"),
            maximum=entry.get("maximum"),
        )


def environment_path() -> Path:
    """spark-job.environment.json: next to this package (the image copies it there) or in contracts/."""
    return artifact_path(ENVIRONMENT_FILE)


@cache
def job_variables(path: Path | None = None) -> Mapping[str, Variable]:
    """The job's environment variables by name, from the generated JSON."""
    with open(path or environment_path(), encoding="utf-8") as handle:
        entries = json.load(handle)["variables"]
    return {entry["name"]: Variable.from_json(entry) for entry in entries}


_reference = re.compile(r"\{([A-Z0-9_]+)\}")


class EnvironmentReader:
    """Values of `env` by descriptor: defaults applied (``{NAME}`` resolved), required ones checked."""

    def __init__(self, env: Mapping[str, str], variables: Mapping[str, Variable]) -> None:
        self.env = env
        self.variables = variables

    def text(self, name: str) -> str | None:
        """The value of ``name``, else its default (None when it has none)."""
        variable = self.variables[name]
        raw = self.env.get(name, "")
        value = raw if variable.secret else raw.strip()
        if variable.type == "enum":
            # Any case is accepted; the value is the descriptor's own spelling (json, SASL_PLAINTEXT).
            value = next((allowed for allowed in variable.values if allowed.lower() == value.lower()), value)
        if value:
            return value
        if variable.required or self._required_by_another(variable):
            raise ConfigError(f"missing required environment variable {name} ({self._requirement(variable)})")
        if variable.default is None:
            return None
        return _reference.sub(lambda match: self.text(match[1]) or "", str(variable.default))

    def required_text(self, name: str) -> str:
        """The value of a variable that has a value (required, or with a default)."""
        value = self.text(name)
        if value is None:
            raise ConfigError(f"environment variable {name} has no value and no default")
        return value

    def integer(self, name: str) -> int | None:
        """The value of ``name`` as an integer within its bounds."""
        variable = self.variables[name]
        raw = self.text(name)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None
        if variable.minimum is not None and value < variable.minimum:
            raise ConfigError(f"environment variable {name} must be >= {variable.minimum}, got {value}")
        if variable.maximum is not None and value > variable.maximum:
            raise ConfigError(f"environment variable {name} must be <= {variable.maximum}, got {value}")
        return value

    def required_integer(self, name: str) -> int:
        """The value of an integer that has a value (required, or with a default)."""
        value = self.integer(name)
        if value is None:
            raise ConfigError(f"environment variable {name} has no value and no default")
        return value

    def choice(self, name: str) -> str:
        """The value of an enum: one of its values."""
        variable = self.variables[name]
        value = self.required_text(name)
        if value not in variable.values:
            raise ConfigError(
                f"environment variable {name} must be {' or '.join(variable.values)}, got {value!r}"
            )
        return value

    def _required_by_another(self, variable: Variable) -> bool:
        if variable.required_when is None:
            return False
        other, values = variable.required_when
        return self.text(other) in values

    @staticmethod
    def _requirement(variable: Variable) -> str:
        if variable.required_when is None:
            return variable.doc
        other, values = variable.required_when
        return f"{variable.doc}, needed when {other}={'|'.join(values)}"


@dataclass(frozen=True)
class CassandraSettings:
    """How the job reaches Cassandra and where it writes."""

    hosts: tuple[str, ...]
    port: int
    username: str | None
    password: str | None = field(repr=False)
    local_dc: str
    keyspace: str
    table: str
    concurrent_writes: int
    batch_size_rows: str
    batch_grouping_key: str


@dataclass(frozen=True)
class JobConfig:
    """Everything the job reads from the environment (its repr leaves out every password)."""

    kafka_bootstrap_servers: str
    kafka_login: KafkaLogin | None
    kafka_group_id_prefix: str
    checkpoint_dir: str
    cassandra: CassandraSettings
    topic: str
    dlq_topic: str
    starting_offsets: str
    max_offsets_per_trigger: int
    record_format: str
    schema_registry_url: str | None
    max_record_bytes: int
    trigger_interval: str
    batch_retry_seconds: int
    batch_attempt_timeout_seconds: int
    min_partitions: int | None

    @property
    def kafka_security_protocol(self) -> str:
        """``KAFKA_SECURITY_PROTOCOL``: SASL_PLAINTEXT with a login, else PLAINTEXT."""
        return "PLAINTEXT" if self.kafka_login is None else "SASL_PLAINTEXT"


_identifier = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_interval = re.compile(r"^\d+(\.\d+)?\s*(milliseconds?|seconds?|minutes?|ms|s|m)$")


def _cassandra(read: EnvironmentReader) -> CassandraSettings:
    hosts = tuple(host.strip() for host in read.required_text("CASSANDRA_HOSTS").split(",") if host.strip())
    keyspace = read.required_text("CASSANDRA_KEYSPACE")
    table = read.required_text("CASSANDRA_TABLE")
    for name, value in (("CASSANDRA_KEYSPACE", keyspace), ("CASSANDRA_TABLE", table)):
        if not _identifier.match(value):
            raise ConfigError(f"environment variable {name} must match [a-z][a-z0-9_]*, got {value!r}")
    username = read.text("CASSANDRA_USERNAME")
    password = read.text("CASSANDRA_PASSWORD")
    if (username is None) != (password is None):
        missing = "CASSANDRA_PASSWORD" if password is None else "CASSANDRA_USERNAME"
        raise ConfigError(f"missing required environment variable {missing} (set both or neither)")
    return CassandraSettings(
        hosts=hosts,
        port=read.required_integer("CASSANDRA_PORT"),
        username=username,
        password=password,
        local_dc=read.required_text("CASSANDRA_LOCAL_DC"),
        keyspace=keyspace,
        table=table,
        concurrent_writes=read.required_integer("CASSANDRA_CONCURRENT_WRITES"),
        batch_size_rows=read.required_text("CASSANDRA_BATCH_SIZE_ROWS"),
        batch_grouping_key=read.required_text("CASSANDRA_BATCH_GROUPING_KEY"),
    )


def _kafka_login(read: EnvironmentReader) -> KafkaLogin | None:
    """The SCRAM login for SASL_PLAINTEXT (both variables required), None for PLAINTEXT (neither set)."""
    protocol = read.choice("KAFKA_SECURITY_PROTOCOL")
    if protocol == "PLAINTEXT":
        for name in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"):
            if read.text(name) is not None:
                raise ConfigError(
                    f"environment variable {name} is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT sends no "
                    "login; set KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or unset it"
                )
        return None
    return KafkaLogin(
        username=read.required_text("KAFKA_SASL_USERNAME"),
        password=read.required_text("KAFKA_SASL_PASSWORD"),
    )


def load_config(
    env: Mapping[str, str] | None = None, variables: Mapping[str, Variable] | None = None
) -> JobConfig:
    """Reads the job settings from `env` (default: os.environ); raises ConfigError on the first problem."""
    read = EnvironmentReader(os.environ if env is None else env, variables or job_variables())
    bootstrap = read.required_text("KAFKA_BOOTSTRAP_SERVERS")
    kafka_login = _kafka_login(read)
    cassandra = _cassandra(read)
    checkpoint_dir = read.required_text("CHECKPOINT_DIR")
    record_format = read.choice("RECORD_FORMAT")
    registry = read.text("SCHEMA_REGISTRY_URL")
    trigger = read.required_text("TRIGGER_INTERVAL")
    if not _interval.match(trigger):
        raise ConfigError(
            f"environment variable TRIGGER_INTERVAL must look like '5 seconds', got {trigger!r}"
        )
    return JobConfig(
        kafka_bootstrap_servers=bootstrap,
        kafka_login=kafka_login,
        kafka_group_id_prefix=read.required_text("KAFKA_GROUP_ID_PREFIX"),
        checkpoint_dir=checkpoint_dir,
        cassandra=cassandra,
        topic=read.required_text("KAFKA_TOPIC"),
        dlq_topic=read.required_text("DLQ_TOPIC"),
        starting_offsets=read.required_text("STARTING_OFFSETS"),
        max_offsets_per_trigger=read.required_integer("MAX_OFFSETS_PER_TRIGGER"),
        record_format=record_format,
        schema_registry_url=registry.rstrip("/") if registry else None,
        max_record_bytes=read.required_integer("MAX_RECORD_BYTES"),
        trigger_interval=trigger,
        batch_retry_seconds=read.required_integer("BATCH_RETRY_SECONDS"),
        batch_attempt_timeout_seconds=read.required_integer("BATCH_ATTEMPT_TIMEOUT_SECONDS"),
        min_partitions=read.integer("KAFKA_MIN_PARTITIONS"),
    )


def shell_assignments(names: list[str], env: Mapping[str, str] | None = None) -> str:
    """``NAME=value`` lines (shell-quoted) of `names`, defaults applied, required ones checked."""
    read = EnvironmentReader(os.environ if env is None else env, job_variables())
    lines = []
    for name in names:
        value = read.integer(name) if read.variables[name].type == "integer" else read.text(name)
        lines.append(f"{name}={shlex.quote('' if value is None else str(value))}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Prints the shell assignments of the variables named in `argv`; exit status 2 on a bad one."""
    try:
        print(shell_assignments(argv))
    except ConfigError as error:
        print(f"users-stream: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
