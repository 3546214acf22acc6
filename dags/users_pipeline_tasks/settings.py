"""Parse-time settings of the users_pipeline DAG.

The Airflow component sets the same environment in every Airflow process (dag-processor,
scheduler, workers), so what shapes the DAG (schedule, target, the fields of an operator that
are not templated) is read from ``os.environ`` when the file is parsed. Values that only matter
when a task runs are read then, as Airflow Variables (the ``AIRFLOW_VAR_*`` environment variables
are Airflow's environment secrets backend).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, cast

Target = Literal["docker", "kubernetes", "local"]
TARGETS: tuple[Target, ...] = ("docker", "kubernetes", "local")

DAG_ID = "users_pipeline"
DEFAULT_SCHEDULE = "@hourly"
DEFAULT_VERIFY_TIMEOUT_SECONDS = 300
DEFAULT_PRODUCER_COUNT = 1000
DEFAULT_DOCKER_URL = "tcp://docker-socket-proxy:2375"
KAFKA_CONN_ID = "kafka_default"
CASSANDRA_CONN_ID = "cassandra_default"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,47}$")


class SettingsError(ValueError):
    """A variable that the DAG cannot run with; the message says which and how to fix it."""


def _error(reason: str, fix: str) -> SettingsError:
    return SettingsError(f"Unable to build DAG {DAG_ID}: {reason}. {fix}")


def positive_int(name: str, text: str | None, default: int) -> int:
    """``text`` as a positive integer, ``default`` when unset or empty."""
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise _error(f"{name} is {text!r}", f"Set {name} to a positive integer")
    return value


def cql_identifier(name: str, value: str) -> str:
    """``value`` if it is a plain CQL identifier (it is put into statements unquoted)."""
    if not _IDENTIFIER.match(value):
        raise _error(
            f"{name} is {value!r}",
            f"Set {name} to a CQL identifier (letters, digits, underscore; 48 at most)",
        )
    return value


def producer_environment(text: str | None) -> dict[str, str]:
    """The ``PRODUCER_*`` variables from ``AIRFLOW_VAR_PRODUCER_ENV`` (a JSON object)."""
    if text is None or text.strip() == "":
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise _error(
            f"AIRFLOW_VAR_PRODUCER_ENV is not JSON ({error.msg})",
            'Set it to a JSON object such as {"PRODUCER_BROKERS": "kafka:9092"}',
        ) from error
    if not isinstance(parsed, dict):
        raise _error("AIRFLOW_VAR_PRODUCER_ENV is not a JSON object", "Set it to a JSON object")
    environment: dict[str, str] = {}
    for key, value in parsed.items():
        if not key.startswith("PRODUCER_"):
            raise _error(
                f"AIRFLOW_VAR_PRODUCER_ENV has {key!r}",
                "Only PRODUCER_* variables are passed to the producer",
            )
        environment[key] = str(value)
    return environment


def producer_command(text: str | None) -> list[str]:
    """The local producer command from ``AIRFLOW_VAR_PRODUCER_COMMAND`` (a JSON list of strings)."""
    fix = 'Set AIRFLOW_VAR_PRODUCER_COMMAND to a JSON list, e.g. ["npx", "tsx", "producer/src/cli.ts"]'
    if text is None or text.strip() == "":
        raise _error("AIRFLOW_VAR_PRODUCER_COMMAND is not set (target local)", fix)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise _error(f"AIRFLOW_VAR_PRODUCER_COMMAND is not JSON ({error.msg})", fix) from error
    if (
        not isinstance(parsed, list)
        or not parsed
        or not all(isinstance(part, str) and part for part in parsed)
    ):
        raise _error("AIRFLOW_VAR_PRODUCER_COMMAND is not a non-empty list of strings", fix)
    return cast(list[str], parsed)


@dataclass(frozen=True)
class PipelineSettings:
    """What the DAG file needs at parse time."""

    target: Target
    schedule: str
    verify_timeout: timedelta
    docker_url: str = DEFAULT_DOCKER_URL
    docker_network: str | None = None
    kubernetes_namespace: str | None = None
    service_account: str | None = None
    producer_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def verify_execution_timeout(self) -> timedelta:
        """The verify task's execution timeout: its polling deadline plus room for a slow count."""
        return self.verify_timeout + timedelta(minutes=2)


def load_settings(environ: Mapping[str, str] | None = None) -> PipelineSettings:
    """Reads and validates the parse-time settings; raises :class:`SettingsError` on a bad value."""
    env = os.environ if environ is None else environ
    target_text = env.get("AIRFLOW_VAR_PIPELINE_TARGET", "").strip()
    if target_text not in TARGETS:
        raise _error(
            f"AIRFLOW_VAR_PIPELINE_TARGET is {target_text!r}",
            f"Set it to one of {', '.join(TARGETS)}",
        )
    target = cast(Target, target_text)
    schedule = env.get("USERS_PIPELINE_SCHEDULE", "").strip() or DEFAULT_SCHEDULE
    verify_seconds = positive_int(
        "AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS",
        env.get("AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS"),
        DEFAULT_VERIFY_TIMEOUT_SECONDS,
    )
    settings = PipelineSettings(
        target=target,
        schedule=schedule,
        verify_timeout=timedelta(seconds=verify_seconds),
        docker_url=env.get("AIRFLOW_VAR_DOCKER_URL", "").strip() or DEFAULT_DOCKER_URL,
        docker_network=env.get("AIRFLOW_VAR_DOCKER_NETWORK", "").strip() or None,
        kubernetes_namespace=env.get("AIRFLOW_VAR_KUBERNETES_NAMESPACE", "").strip() or None,
        service_account=env.get("AIRFLOW_VAR_PRODUCER_SERVICE_ACCOUNT", "").strip() or None,
        producer_env=producer_environment(env.get("AIRFLOW_VAR_PRODUCER_ENV")),
    )
    if target == "docker" and settings.docker_url.startswith("unix:"):
        raise _error(
            f"AIRFLOW_VAR_DOCKER_URL is {settings.docker_url!r}",
            "Point it at the Docker socket proxy (tcp://docker-socket-proxy:2375), never the socket",
        )
    if target == "kubernetes" and settings.kubernetes_namespace is None:
        raise _error(
            "AIRFLOW_VAR_KUBERNETES_NAMESPACE is not set (target kubernetes)",
            "Set it to the namespace the producer pods run in",
        )
    return settings
