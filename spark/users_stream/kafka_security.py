"""How the job's Kafka clients log in, and how a refusal is told apart from an outage.

Every client the job has (the Kafka source on the driver and the executors, the dead-letter sink)
takes the same ``kafka.*`` options: ``KAFKA_SECURITY_PROTOCOL`` and, with ``SASL_PLAINTEXT``, the
SCRAM-SHA-512 login of ``KAFKA_SASL_USERNAME``/``KAFKA_SASL_PASSWORD``, written as the
``sasl.jaas.config`` that ``scramJaasConfig`` in components/kafka-security.ts writes for the other
clients (the same quoting, tested on both sides with the same cases).

The password never reaches a log line: it lives in ``KafkaLogin.password`` (left out of repr), in
the options handed to Spark and nowhere else. Spark 3.5 redacts it wherever it prints them:
``KafkaRedactionUtil.redactJaasParam`` replaces ``password="..."`` in ``sasl.jaas.config`` before
the Kafka connector logs its parameters, ``SQLConf.redactOptions`` blanks any option whose key or
value matches ``spark.redaction.regex`` (``password`` does) in plans, and the Kafka clients print
``sasl.jaas.config`` as ``[hidden]`` in their config dumps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCRAM_MECHANISM = "SCRAM-SHA-512"
SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"

# The Kafka client exceptions that mean "Kafka refused this principal" (wrong credentials, or an
# ACL missing): retrying does not help, and they are not poison records either.
_AUTHENTICATION_ERRORS = (
    "org.apache.kafka.common.errors.SaslAuthenticationException",
    "org.apache.kafka.common.errors.AuthenticationException",
    "org.apache.kafka.common.errors.IllegalSaslStateException",
    "org.apache.kafka.common.errors.UnsupportedSaslMechanismException",
)
_AUTHORIZATION_ERRORS = (
    "org.apache.kafka.common.errors.TopicAuthorizationException",
    "org.apache.kafka.common.errors.GroupAuthorizationException",
    "org.apache.kafka.common.errors.ClusterAuthorizationException",
    "org.apache.kafka.common.errors.TransactionalIdAuthorizationException",
)


@dataclass(frozen=True)
class KafkaLogin:
    """The job's SASL/SCRAM-SHA-512 login (``KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT``)."""

    username: str
    password: str = field(repr=False)


def jaas_quoted(value: str) -> str:
    """``value`` in double quotes, ``\\`` and ``"`` escaped, as Kafka's JAAS parser reads them."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scram_jaas_config(login: KafkaLogin) -> str:
    """The client ``sasl.jaas.config`` of a SCRAM login."""
    return (
        f"{SCRAM_LOGIN_MODULE} required username={jaas_quoted(login.username)} "
        f"password={jaas_quoted(login.password)};"
    )


def kafka_client_options(bootstrap_servers: str, login: KafkaLogin | None) -> dict[str, str]:
    """The ``kafka.*`` options every Kafka client of the job takes: brokers, protocol, SCRAM login."""
    options = {
        "kafka.bootstrap.servers": bootstrap_servers,
        "kafka.security.protocol": "PLAINTEXT" if login is None else "SASL_PLAINTEXT",
    }
    if login is not None:
        options["kafka.sasl.mechanism"] = SCRAM_MECHANISM
        options["kafka.sasl.jaas.config"] = scram_jaas_config(login)
    return options


def login_text(login: KafkaLogin | None) -> str:
    """How the job logs in, for its log lines (never the password)."""
    if login is None:
        return "without authentication (PLAINTEXT)"
    return f"as {login.username} (SASL_PLAINTEXT, {SCRAM_MECHANISM})"


def kafka_refusal(*texts: str) -> str | None:
    """``"authentication"`` or ``"authorization"`` when a failure is Kafka refusing the job, else None.

    ``texts`` describe the failure: its one-line summary (resilience.failure_summary, which starts
    with the Java root cause's class when the JVM could be asked) and its whole text, whose JVM
    stack trace names the Kafka exception even when the first line does not (a query that stopped
    says "Query [...] terminated with exception: <message>", without the class).
    """
    text = "\n".join(texts)
    if any(name in text for name in _AUTHENTICATION_ERRORS):
        return "authentication"
    if any(name in text for name in _AUTHORIZATION_ERRORS):
        return "authorization"
    return None


def error_text(error: BaseException) -> str:
    """``str(error)``, or "" when that fails (a PySpark error asks the JVM, which may be gone)."""
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - only a description
        return ""


def refusal_message(kind: str, bootstrap_servers: str, login: KafkaLogin | None, summary: str) -> str:
    """One line saying that Kafka refused the job, who it was and what to check."""
    who = login_text(login)
    if kind == "authentication":
        fix = (
            "Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (the principal's SCRAM-SHA-512 credential) "
            "and KAFKA_SECURITY_PROTOCOL"
        )
        return f"Kafka at {bootstrap_servers} refused the job's login {who}: {summary}. {fix}"
    fix = (
        "Check the principal's ACLs: read on the topic and on groups of KAFKA_GROUP_ID_PREFIX, "
        "write on DLQ_TOPIC"
    )
    return f"Kafka at {bootstrap_servers} denied the job {who}: {summary}. {fix}"
