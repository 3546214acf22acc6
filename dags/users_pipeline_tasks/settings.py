"""Parse-time settings of the users_pipeline DAG.

The Airflow component sets the same environment in every Airflow process (dag-processor,
scheduler, workers), so what shapes the DAG (schedule, target, the fields of an operator that
are not templated) is read from ``os.environ`` when the file is parsed. Values that only matter
when a task runs are read then, as Airflow Variables (the ``AIRFLOW_VAR_*`` environment variables
are Airflow's environment secrets backend). Their names, defaults and which are required come from
contracts/interfaces.ts, through ``airflow-variables.json`` (see variables.py).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, cast

from users_pipeline_tasks.variables import airflow_key, default_text, described, descriptor, required_when

Target = Literal["docker", "kubernetes", "local"]

DAG_ID = "users_pipeline"
KAFKA_CONN_ID = airflow_key("AIRFLOW_CONN_KAFKA_DEFAULT")
CASSANDRA_CONN_ID = airflow_key("AIRFLOW_CONN_CASSANDRA_DEFAULT")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,47}$")
# The producer's login variables (producer/src/options.ts); never taken from AIRFLOW_VAR_PRODUCER_ENV,
# which is templated into the operator and rendered, password included, in the UI.
PRODUCER_SASL_USERNAME = "PRODUCER_SASL_USERNAME"
PRODUCER_SASL_PASSWORD = "PRODUCER_SASL_PASSWORD"


class SettingsError(ValueError):
    """A variable that the DAG cannot run with; the message says which and how to fix it."""


def _error(reason: str, fix: str) -> SettingsError:
    return SettingsError(f"Unable to build DAG {DAG_ID}: {reason}. {fix}")


def integer_value(name: str, text: str | None) -> int:
    """``text`` as an integer within the bounds of variable ``name``, its default when unset or empty."""
    entry = descriptor(name)
    raw = text.strip() if text is not None and text.strip() else default_text(name)
    bounds = [
        (sign, entry[key]) for sign, key in ((">=", "minimum"), ("<=", "maximum")) if entry[key] is not None
    ]
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not all(value >= bound if sign == ">=" else value <= bound for sign, bound in bounds):
        wanted = " and ".join(f"{sign} {bound}" for sign, bound in bounds)
        raise _error(f"{name} is {text!r}", f"Set {name} to an integer {wanted}".rstrip())
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
        text = default_text("AIRFLOW_VAR_PRODUCER_ENV")
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
        if key in (PRODUCER_SASL_USERNAME, PRODUCER_SASL_PASSWORD):
            # The value is not echoed: it may be the password.
            raise _error(
                f"AIRFLOW_VAR_PRODUCER_ENV has {key} (its values are rendered into the task's templates)",
                "Set AIRFLOW_VAR_PRODUCER_SASL_USERNAME and AIRFLOW_VAR_PRODUCER_SASL_PASSWORD "
                "(docker, local) or AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET (kubernetes) instead",
            )
        environment[key] = str(value)
    return environment


@dataclass(frozen=True)
class ProducerLogin:
    """The producer's SASL/SCRAM-SHA-512 login (docker and local targets); the repr hides the password."""

    username: str
    password: str = field(repr=False)

    def environment(self) -> dict[str, str]:
        """The producer's variables of this login (never a template: see the operators)."""
        return {PRODUCER_SASL_USERNAME: self.username, PRODUCER_SASL_PASSWORD: self.password}


def producer_login(username: str | None, password: str | None) -> ProducerLogin | None:
    """The login of ``AIRFLOW_VAR_PRODUCER_SASL_USERNAME`` and ``..._PASSWORD``: both or neither."""
    if not username and not password:
        return None
    if not username or not password:
        missing = "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD" if username else "AIRFLOW_VAR_PRODUCER_SASL_USERNAME"
        raise _error(
            f"{missing} is not set but its partner is",
            "Set both AIRFLOW_VAR_PRODUCER_SASL_USERNAME and AIRFLOW_VAR_PRODUCER_SASL_PASSWORD, or neither "
            "(no Kafka authentication)",
        )
    return ProducerLogin(username, password)


def check_credential_source(target: str, values: Mapping[str, str]) -> None:
    """Each target takes the producer's login from one place; a variable another target uses is refused.

    kubernetes: the Secret of ``AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET`` (so the password never passes
    through Airflow); docker and local: ``AIRFLOW_VAR_PRODUCER_SASL_USERNAME`` and ``..._PASSWORD``.
    """
    if target == "kubernetes":
        for name in ("AIRFLOW_VAR_PRODUCER_SASL_USERNAME", "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD"):
            if values.get(name):
                raise _error(
                    f"{name} is set on target kubernetes, where the producer pod reads its login "
                    "from a Secret",
                    "Unset it and name the Secret (keys username, password) in "
                    "AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET",
                )
    elif values.get("AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET"):
        raise _error(
            f"AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET is set on target {target}, "
            "which has no Kubernetes Secrets",
            "Unset it and set AIRFLOW_VAR_PRODUCER_SASL_USERNAME and AIRFLOW_VAR_PRODUCER_SASL_PASSWORD",
        )


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
    docker_url: str
    docker_network: str | None
    kubernetes_namespace: str | None
    producer_service_account: str | None
    producer_env: Mapping[str, str]
    # The producer's login: docker (handed to the container outside every template), local (read
    # again when the task runs), kubernetes (the Secret's name; the pod reads it by secretKeyRef).
    producer_login: ProducerLogin | None
    producer_credentials_secret: str | None

    @property
    def verify_execution_timeout(self) -> timedelta:
        """The verify task's execution timeout: its polling deadline plus room for a slow count."""
        return self.verify_timeout + timedelta(minutes=2)


def parse_time_values(env: Mapping[str, str]) -> dict[str, str]:
    """The variables read at parse time: set (stripped, a secret as given) or default; enums and
    required ones checked."""
    entries = {name: entry for name, entry in described().items() if "parse" in entry["readAt"]}
    names = list(entries)
    # A secret is taken as given (a password may start or end with a space); other values are stripped.
    values = {
        name: (raw if entries[name]["secret"] else raw.strip()) or default_text(name)
        for name, raw in ((name, env.get(name, "")) for name in names)
    }
    for name in names:
        allowed = descriptor(name)["values"]
        if allowed and values[name] not in allowed:
            raise _error(f"{name} is {values[name]!r}", f"Set it to one of {', '.join(allowed)}")
    for name in names:
        reason = required_when(name, values)
        if reason and not values[name]:
            raise _error(f"{name} is not set ({reason})", f"Set it to {descriptor(name)['doc']}")
    return values


def load_settings(environ: Mapping[str, str] | None = None) -> PipelineSettings:
    """Reads and validates the parse-time settings; raises :class:`SettingsError` on a bad value."""
    env = os.environ if environ is None else environ
    values = parse_time_values(env)
    target = cast(Target, values["AIRFLOW_VAR_PIPELINE_TARGET"])
    check_credential_source(target, values)
    settings = PipelineSettings(
        target=target,
        schedule=values["USERS_PIPELINE_SCHEDULE"],
        verify_timeout=timedelta(
            seconds=integer_value(
                "AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS", values["AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS"]
            )
        ),
        docker_url=values["AIRFLOW_VAR_DOCKER_URL"],
        docker_network=values["AIRFLOW_VAR_DOCKER_NETWORK"] or None,
        kubernetes_namespace=values["AIRFLOW_VAR_KUBERNETES_NAMESPACE"] or None,
        producer_service_account=values["AIRFLOW_VAR_PRODUCER_SERVICE_ACCOUNT"] or None,
        producer_env=producer_environment(values["AIRFLOW_VAR_PRODUCER_ENV"]),
        producer_login=producer_login(
            values["AIRFLOW_VAR_PRODUCER_SASL_USERNAME"], values["AIRFLOW_VAR_PRODUCER_SASL_PASSWORD"]
        ),
        producer_credentials_secret=values["AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET"] or None,
    )
    if target == "docker" and settings.docker_url.startswith("unix:"):
        raise _error(
            f"AIRFLOW_VAR_DOCKER_URL is {settings.docker_url!r}",
            "Point it at the Docker socket proxy (tcp://docker-socket-proxy:2375), never the socket",
        )
    return settings
