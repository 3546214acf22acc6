"""The streaming query: Kafka -> decode/validate -> Cassandra (valid) and the DLQ topic (invalid)."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import EXIT_CONFIG, ConfigError, JobConfig, load_config
from .contract import field_kinds, load_contract_schema
from .decode import DecoderSettings
from .kafka_security import error_text, kafka_client_options, kafka_refusal, login_text, refusal_message
from .quarantine import PoisonSuspected, isolate_poison, positions_filter, source_letters
from .resilience import (
    AttemptWatchdog,
    cql_answers,
    failure_summary,
    host_ports,
    kafka_answers,
    registry_answers,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("users_stream")

EXIT_FAILED = 1
# Kafka refused the job's login or its principal lacks an ACL: a restart alone will not help.
EXIT_KAFKA_REFUSED = 3

# The connector caches one session per distinct connection setting; after a failed attempt the
# job bumps this (harmless) setting by 1 ms so that the retry opens a brand-new session.
SESSION_GENERATION_KEY = "spark.cassandra.connection.keepAliveMS"
CONNECTOR_DEFAULT_KEEP_ALIVE_MS = 3_600_000
# The Java driver logs each server warning (e.g. a batch spanning many partitions) with its
# statement, bound values included by default: user data in the job log. With this option off it
# logs the statement with its bind markers only. Set as a system property, the driver config
# loader under the connector reads it on top of the connector's settings.
HIDE_STATEMENT_VALUES = ("datastax-java-driver.advanced.request-tracker.logs.show-values", "false")
# How long a cancelled attempt may take to return before the driver exits (see BatchWriter).
CANCEL_GRACE_SECONDS = 60.0
# A dead letter keeps at most this many bytes of the record's key and of its value; a longer one is
# cut to this prefix and marked (headers dlq.truncated, dlq.original.size, dlq.original.key.size).
# A topic may accept records far larger than a producer's max.request.size (8 MiB
# max.message.bytes is common): written whole, such a dead letter failed with
# RecordTooLargeException, the batch failed and the job stopped. The prefix keeps every record the
# job accepts at the default MAX_RECORD_BYTES (64 KiB) whole; two of them and the headers stay well
# inside DEAD_LETTER_MAX_REQUEST_BYTES and the brokers' default message.max.bytes (1 MiB).
DEAD_LETTER_MAX_BYTES = 65_536
DEAD_LETTER_MAX_REQUEST_BYTES = 1_048_576


def spark_conf(config: JobConfig) -> dict[str, str]:
    """Spark and Spark Cassandra Connector settings from the job config (no secrets logged)."""
    cassandra = config.cassandra
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.streaming.stopGracefullyOnShutdown": "true",
        "spark.cassandra.connection.host": ",".join(cassandra.hosts),
        "spark.cassandra.connection.port": str(cassandra.port),
        "spark.cassandra.connection.localDC": cassandra.local_dc,
        # Bound every driver request (see BatchWriter): connect, control connection and schema
        # queries 5 s; any query, writes included, 30 s (default 120 s); a timed-out or aborted
        # statement retried 10 times, not 60. Together with the attempt watchdog no write waits
        # for ever on a request.
        "spark.cassandra.connection.timeoutMS": "5000",
        "spark.cassandra.read.timeoutMS": "30000",
        "spark.cassandra.query.retry.count": "10",
        "spark.cassandra.output.concurrent.writes": str(cassandra.concurrent_writes),
        "spark.cassandra.output.batch.grouping.key": cassandra.batch_grouping_key,
        "spark.cassandra.output.batch.size.rows": cassandra.batch_size_rows,
        "spark.cassandra.output.consistency.level": "LOCAL_QUORUM",
        "spark.cassandra.output.ignoreNulls": "false",
        # Reconnect within seconds once Cassandra is back after an outage (driver default: up to 60 s).
        "spark.cassandra.connection.reconnectionDelayMS.min": "500",
        "spark.cassandra.connection.reconnectionDelayMS.max": "5000",
        # Keep the session between micro-batches (default 5 s): a new session means a new
        # PasswordAuthenticator login (bcrypt on the server) and cold connections, a latency spike.
        "spark.cassandra.connection.keepAliveMS": "60000",
    }
    # Executors write to Cassandra too (on a cluster, in their own JVMs). The admin-level default
    # options, so a user's spark.executor.extraJavaOptions still apply on top.
    conf["spark.executor.defaultJavaOptions"] = "-D{}={}".format(*HIDE_STATEMENT_VALUES)
    if is_local_path(config.checkpoint_dir):
        # Spark's default checkpoint manager goes through Hadoop's FileContext, which on a local
        # file system without Hadoop's native library forks `chmod` and `readlink` for every
        # offset-log and commit-log file: ~17% of a micro-batch's wall time at 1,000 records/s
        # here (jstack samples). The FileSystem-based manager makes the same files without the
        # forks; its write-then-rename is atomic on a local (POSIX) file system, which is where the
        # checkpoint lives on both targets (a Docker volume, a Kubernetes PersistentVolume).
        conf["spark.sql.streaming.checkpointFileManagerClass"] = (
            "org.apache.spark.sql.execution.streaming.FileSystemBasedCheckpointFileManager"
        )
    if cassandra.username is not None and cassandra.password is not None:
        conf["spark.cassandra.auth.username"] = cassandra.username
        conf["spark.cassandra.auth.password"] = cassandra.password
    return conf


def source_options(config: JobConfig) -> dict[str, str]:
    """The Kafka source's options: the client's (brokers, login), the topic, offsets, group prefix."""
    options = {
        **kafka_client_options(config.kafka_bootstrap_servers, config.kafka_login),
        "subscribe": config.topic,
        "startingOffsets": config.starting_offsets,
        "maxOffsetsPerTrigger": str(config.max_offsets_per_trigger),
        "failOnDataLoss": "true",
        # Spark names its consumer groups <prefix>-<query>-...; the job's ACLs allow this prefix only.
        "groupIdPrefix": config.kafka_group_id_prefix,
    }
    if config.min_partitions:
        options["minPartitions"] = str(config.min_partitions)
    return options


def dead_letter_options(config: JobConfig) -> dict[str, str]:
    """The dead-letter sink's options: the client's (brokers, login), idempotent acks=all, the topic."""
    return {
        **kafka_client_options(config.kafka_bootstrap_servers, config.kafka_login),
        "kafka.acks": "all",
        "kafka.enable.idempotence": "true",
        "kafka.max.request.size": str(DEAD_LETTER_MAX_REQUEST_BYTES),
        "topic": config.dlq_topic,
    }


def is_local_path(location: str) -> bool:
    """True for a plain path or a `file:` URI (not hdfs:, s3a:, ...)."""
    scheme, separator, _ = location.partition(":")
    return not separator or scheme == "file"


# The JVM validator's UDF (spark/validator, datapipeline.validator.UsersValidator): decodes a Kafka
# value (JSON, or Avro in Confluent wire format) and checks it against contracts/users.rules.json in
# the executor JVMs, with the same outcome and reason words as the Python reference
# (decode.RecordDecoder; spark/tests compare them). No Python worker in the per-record path.
VALIDATOR_FUNCTION = "users_stream_validate"
VALIDATOR_CLASS = "datapipeline.validator.UsersValidator"


def register_validator(spark: SparkSession, settings: DecoderSettings) -> str:
    """Registers the validator UDF (VALIDATOR_FUNCTION) on `spark`; returns its return type (DDL).

    Registered on the session a DataFrame belongs to (a streaming query's batches run on a clone
    of the job's session); registering again replaces it with the same function.
    """
    jvm: Any = spark.sparkContext._jvm
    validator = jvm
    for part in VALIDATOR_CLASS.split("."):
        validator = getattr(validator, part)
    return str(
        validator.register(
            spark._jsparkSession,
            VALIDATOR_FUNCTION,
            settings.record_format,
            settings.max_record_bytes,
            settings.schema_registry_url,
        )
    )


@dataclass(frozen=True)
class DecodeColumns:
    """The column expressions of `decode_frame`, built once per job (see BatchExpressions)."""

    validated: tuple[Any, ...]
    decoded: tuple[Any, ...]


def decode_columns(contract: dict[str, Any]) -> DecodeColumns:
    """The two projections of `decode_frame` for this contract."""
    from pyspark.sql import functions as F

    decoded = F.col("decoded")
    fields = []
    for entry in contract["fields"]:
        value = decoded[entry["name"]]
        if entry["type"] == "date":
            value = F.date_from_unix_date(value)
        elif entry["type"] == "timestamp":
            value = F.timestamp_micros(value)
        fields.append(value.alias(entry["name"]))
    return DecodeColumns(
        validated=(
            F.call_function(VALIDATOR_FUNCTION, F.col("value")).alias("decoded"),
            F.col("key"),
            F.col("value"),
            F.col("topic"),
            F.col("partition"),
            F.col("offset"),
        ),
        decoded=(
            *fields,
            decoded["dlq_reason"].alias("dlq_reason"),
            F.col("key").alias("kafka_key"),
            F.col("value").alias("kafka_value"),
            F.col("topic").alias("kafka_topic"),
            F.col("partition").alias("kafka_partition"),
            F.col("offset").alias("kafka_offset"),
        ),
    )


def decode_frame(
    frame: DataFrame,
    settings: DecoderSettings,
    contract: dict[str, Any],
    columns: DecodeColumns | None = None,
) -> DataFrame:
    """Kafka rows (key, value, topic, partition, offset) -> decoded rows.

    The contract's fields with its Spark types (null for an invalid record), `dlq_reason` (null for
    a valid one), and the source: kafka_key, kafka_value, kafka_topic, kafka_partition, kafka_offset.
    The UDF returns dates as days and timestamps as microseconds since the epoch (no per-value
    object conversion between the UDF and Spark); they become DATE and TIMESTAMP here.
    """
    register_validator(frame.sparkSession, settings)
    columns = columns or decode_columns(contract)
    return frame.select(*columns.validated).select(*columns.decoded)


@dataclass(frozen=True)
class BatchExpressions:
    """The column expressions of every micro-batch, built once per job.

    Columns are immutable, so batches can share them; building them anew each batch cost a py4j
    round trip per function (about 1 ms each, most of it a failed class lookup per name) and
    showed in the job's per-batch wall time at 1,000 records/s.
    """

    valid: Any
    valid_columns: tuple[Any, ...]
    rejected: Any
    letter_columns: tuple[Any, ...]
    count: Any


def batch_expressions(contract: dict[str, Any]) -> BatchExpressions:
    """The expressions of `valid_rows`, `dead_letters` and `write_counted` for this contract."""
    from pyspark.sql import functions as F

    def header(name: str, value: Any) -> Any:
        return F.struct(F.lit(name).alias("key"), value.cast("string").cast("binary").alias("value"))

    def bounded(column: Any) -> tuple[Any, Any, Any]:
        """(the column cut to DEAD_LETTER_MAX_BYTES, whether it was cut, its original size or null)."""
        size = F.length(column)  # bytes, for a binary column
        cut = F.coalesce(size > DEAD_LETTER_MAX_BYTES, F.lit(False))
        prefix = F.when(cut, F.substring(column, 1, DEAD_LETTER_MAX_BYTES)).otherwise(column)
        return prefix, cut, F.when(cut, size)

    reason = F.col("dlq_reason")
    key, key_cut, key_size = bounded(F.col("kafka_key"))
    value, value_cut, value_size = bounded(F.col("kafka_value"))
    headers = F.array(
        header("dlq.reason", reason),
        header("dlq.source.topic", F.col("kafka_topic")),
        header("dlq.source.partition", F.col("kafka_partition")),
        header("dlq.source.offset", F.col("kafka_offset")),
        header("dlq.truncated", F.when(key_cut | value_cut, F.lit("true"))),
        header("dlq.original.size", value_size),
        header("dlq.original.key.size", key_size),
    )
    return BatchExpressions(
        valid=reason.isNull(),
        valid_columns=tuple(F.col(entry["name"]) for entry in contract["fields"]),
        rejected=reason.isNotNull(),
        letter_columns=(
            key.alias("key"),
            value.alias("value"),
            # The truncation headers only where a prefix was cut.
            F.filter(headers, lambda entry: entry["value"].isNotNull()).alias("headers"),
        ),
        count=F.count(F.lit(1)).alias("rows"),
    )


def valid_rows(decoded: DataFrame, expressions: BatchExpressions) -> DataFrame:
    """The valid rows: the contract's fields with its Spark types (the decoder parses dates and times)."""
    return decoded.where(expressions.valid).select(*expressions.valid_columns)


def dead_letters(decoded: DataFrame, expressions: BatchExpressions) -> DataFrame:
    """The invalid rows as DLQ messages: original key and value, reason and source in headers."""
    return decoded.where(expressions.rejected).select(*expressions.letter_columns)


def write_counted(
    frame: DataFrame,
    decode: Callable[[DataFrame], DataFrame],
    expressions: BatchExpressions,
    store: Callable[[DataFrame], None],
    name: str,
) -> tuple[int, int]:
    """Runs `store` on the valid rows of `decode(frame)`; returns (rows, rejected) counted in that pass.

    The counts come from two observations (`DataFrame.observe`) collected by the same Spark job
    that stores the valid rows: no cache and no second job. One counts the Kafka rows as read, the
    other the valid rows as stored; decoding gives every Kafka row one decoded row, so the rejected
    ones are the difference. Observing the rows at either end, not the decoded rows in the middle,
    keeps the decoding, the filter and the projection in one generated stage: an observation there
    made Spark copy every decoded row, source columns included, into a row of its own (about
    0.001 ms of CPU per row, spark/README Performance). `name` must be unique among the session's
    observations; the two are `<name>_read` and `<name>_stored`.
    """
    from pyspark.sql import Observation

    read = Observation(f"{name}_read")
    stored = Observation(f"{name}_stored")
    valid = valid_rows(decode(frame.observe(read, expressions.count)), expressions)
    store(valid.observe(stored, expressions.count))
    rows = int(read.get.get("rows") or 0)
    return rows, rows - int(stored.get.get("rows") or 0)


def close_connector_sessions(jvm: Any, timeout_seconds: int = 20) -> int:
    """Force-closes every open session in the Spark Cassandra Connector's cache in this JVM.

    Closing also fails whatever waits on such a session (a stuck `refreshSchema()` ends with
    "Cluster is closed"). Returns how many sessions were closed.
    """
    module = getattr(getattr(jvm.com.datastax.spark.connector.cql, "CassandraConnector$"), "MODULE$")
    sessions = module.sessionCache().valuesToKeys().readOnlySnapshot().keysIterator()
    closing = []
    while sessions.hasNext():
        session = sessions.next()
        if not session.closeFuture().toCompletableFuture().isDone():
            closing.append(session.forceCloseAsync().toCompletableFuture())
    seconds = jvm.java.util.concurrent.TimeUnit.SECONDS
    for future in closing:
        try:
            future.get(timeout_seconds, seconds)
        except Exception as error:  # noqa: BLE001 - a session that does not close is left behind
            log.warning(
                "a Cassandra session did not close in %d s: %s", timeout_seconds, failure_summary(error)
            )
    return len(closing)


# Failures of a whole batch, while every service answers, before the job looks for poison records
# (the first may be transient: a timeout under load).
POISON_AFTER_BATCH_FAILURES = 2


class BatchWriter:
    """`foreachBatch` handler: decode once (cached), upsert valid rows, dead-letter the rest, log.

    A failing batch (Cassandra or the registry unreachable) is retried with backoff for up to
    BATCH_RETRY_SECONDS; the Cassandra write is an idempotent upsert by id, so a retry or a replay
    after a crash lands the same rows. Only then does the query fail (and the driver restart).

    No attempt may hang. The Java driver under the connector (4.18.1) never clears a schema refresh
    that failed while its control connection was down ("Control channel not available, aborting
    schema refresh", typical during a Cassandra outage): every later `session.refreshSchema()` on
    that session queues behind it for ever, uninterruptibly. The connector calls it on the Spark
    driver for every write (table metadata) and keeps the session cached, so after an outage the
    job's writes hung although Cassandra was back. Hence:

    - before an attempt, wait (within the deadline) until a contact point answers CQL, not just TCP;
    - after a failed attempt, close every connector session cached in this JVM and move to a new
      session generation (SESSION_GENERATION_KEY), so that the retry opens a new session;
    - every attempt runs under a watchdog: past BATCH_ATTEMPT_TIMEOUT_SECONDS its Spark jobs are
      cancelled (tagged, tasks interrupted) and the sessions closed, which fails a stuck
      refreshSchema ("Cluster is closed"), so the attempt fails and is retried, with twice the time
      (a slow but healthy batch must not be cut short for ever). If it still has not
      returned CANCEL_GRACE_SECONDS later, the driver exits with EXIT_FAILED for its supervisor to
      restart it from the checkpoint. Exactly-once holds either way: the batch's offsets commit
      only after foreachBatch returns, and its replay is the same idempotent upsert.
    """

    def __init__(self, config: JobConfig, contract: dict[str, Any], settings: DecoderSettings) -> None:
        self.config = config
        self.contract = contract
        self.settings = settings
        self.session_generation = 0
        self._keep_alive_ms: int | None = None
        self._renewing = threading.Lock()
        self._attempt_cancelled = False
        self._observations = 0
        self._expressions: BatchExpressions | None = None
        self._decode_columns: DecodeColumns | None = None

    def cassandra_reachable(self) -> bool:
        """True when a contact point answers a CQL request (OPTIONS), not merely accepts TCP."""
        port = self.config.cassandra.port
        return any(cql_answers(host, port) for host in self.config.cassandra.hosts)

    def kafka_reachable(self) -> bool:
        """True when a bootstrap server answers a Kafka request (ApiVersions)."""
        return any(
            kafka_answers(host, port) for host, port in host_ports(self.config.kafka_bootstrap_servers, 9092)
        )

    def registry_reachable(self) -> bool:
        """True when the Schema Registry answers (or the job does not use one)."""
        url = self.config.schema_registry_url
        return url is None or registry_answers(url)

    def services_answer(self) -> bool:
        """Kafka, Cassandra and (for Avro) the registry all answer: a failure now is not an outage."""
        return self.cassandra_reachable() and self.kafka_reachable() and self.registry_reachable()

    def __call__(self, frame: DataFrame, batch_id: int) -> None:
        try:
            self._write_retrying(frame, batch_id, f"batch {batch_id}", POISON_AFTER_BATCH_FAILURES)
        except PoisonSuspected as suspicion:
            self._quarantine(frame, batch_id, suspicion)

    def _write_retrying(
        self,
        frame: DataFrame,
        batch_id: int,
        label: str,
        poison_after: int,
        action: Callable[[DataFrame, int], None] | None = None,
    ) -> None:
        """`_bounded_write` until it succeeds: an outage is retried with backoff until the deadline.

        A failure while Kafka, Cassandra and the registry all answer (and not a watchdog
        cancellation) is not an outage: after `poison_after` of them in a row it raises
        PoisonSuspected, so that the caller looks for the records that cause it.
        """
        deadline = time.monotonic() + self.config.batch_retry_seconds
        delay = 1.0
        attempt = 1
        timeout = float(self.config.batch_attempt_timeout_seconds)
        failures_while_answering = 0
        while True:
            try:
                # Never start a write while Cassandra does not answer (a schema refresh then fails
                # and, see above, poisons the session). Bounded by the same deadline as the retries.
                while not self.cassandra_reachable():
                    if time.monotonic() > deadline:
                        raise ConnectionError(f"Cassandra {self.config.cassandra.hosts} does not answer CQL")
                    log.warning("%s: Cassandra unreachable, waiting", label)
                    time.sleep(2.0)
                self._bounded_write(frame, batch_id, attempt, timeout, action)
                return
            except Exception as error:
                summary = failure_summary(error)
                if kafka_refusal(summary, error_text(error)) is not None:
                    # Wrong credentials or a missing ACL (the dead-letter sink's): neither an outage
                    # to wait out nor a poison record to quarantine. The query fails; main says why.
                    log.error("%s: attempt %d failed: Kafka refused the job: %s", label, attempt, summary)
                    raise
                if not self._attempt_cancelled and self.services_answer():
                    failures_while_answering += 1
                    if failures_while_answering >= poison_after:
                        log.error(
                            "%s: attempt %d failed while Kafka, Cassandra and the registry answer: %s",
                            label,
                            attempt,
                            summary,
                        )
                        raise PoisonSuspected(summary) from error
                else:
                    failures_while_answering = 0
                if time.monotonic() + delay > deadline:
                    log.error("%s: attempt %d failed, giving up: %s", label, attempt, summary)
                    raise
                log.warning("%s: attempt %d failed, retrying in %.0f s: %s", label, attempt, delay, summary)
                time.sleep(delay)
                self.renew_cassandra_sessions(frame)
                if self._attempt_cancelled:
                    # A batch that is slow but healthy (cold JVM, busy node) must get through: each
                    # attempt cut short by the watchdog gives the next one twice the time.
                    timeout *= 2
                delay = min(delay * 2, 30.0)
                attempt += 1

    def _quarantine(self, frame: DataFrame, batch_id: int, suspicion: PoisonSuspected) -> None:
        """Finds the records that fail the batch (see `isolate_poison`) and dead-letters each of them.

        A run of records that writes is done (the Cassandra write is an idempotent upsert: rows a
        failed attempt wrote already are written again); a single record that still fails while
        the services answer goes to the DLQ, undecoded, with the error as its reason. An outage
        during the search is retried as usual.
        """
        positions = [
            (int(row["partition"]), int(row["offset"]))
            for row in frame.select("partition", "offset").orderBy("partition", "offset").collect()
        ]
        log.error(
            "batch %d: looking for the record(s) that fail it among %d (%s)",
            batch_id,
            len(positions),
            suspicion.summary,
        )

        def write(run: list[tuple[int, int]]) -> None:
            single = len(run) == 1
            first, last = run[0], run[-1]
            label = f"batch {batch_id} record(s) {first[0]}/{first[1]}..{last[0]}/{last[1]}"
            # A single record is tried twice before it is called poison (once may be transient).
            self._write_retrying(frame.where(positions_filter(run)), batch_id, label, 2 if single else 1)

        def dead_letter(position: tuple[int, int], summary: str) -> None:
            partition, offset = position
            log.error(
                "batch %d: the record at partition %d offset %d fails on its own: %s; sending it to %s",
                batch_id,
                partition,
                offset,
                summary,
                self.config.dlq_topic,
            )
            if self._expressions is None:
                self._expressions = batch_expressions(self.contract)
            record = frame.where(positions_filter([position]))
            letters = source_letters(record, f"poison: {summary}", self._expressions.letter_columns)
            # An outage is retried; a dead letter is never taken for a poison record in its turn.
            self._write_retrying(
                frame,
                batch_id,
                f"batch {batch_id} dead letter {partition}/{offset}",
                poison_after=sys.maxsize,
                action=lambda _frame, _batch_id: self._send_dead_letters(letters),
            )

        quarantined = isolate_poison(positions, write, dead_letter)
        log.warning(
            "batch %d: %d record(s) quarantined to %s, the other %d written",
            batch_id,
            quarantined,
            self.config.dlq_topic,
            len(positions) - quarantined,
        )

    def _bounded_write(
        self,
        frame: DataFrame,
        batch_id: int,
        attempt: int,
        timeout: float,
        action: Callable[[DataFrame, int], None] | None = None,
    ) -> None:
        """`action` (default `_write`) under the attempt watchdog, its Spark jobs tagged for cancelling."""
        self._attempt_cancelled = False
        spark = frame.sparkSession
        context = spark.sparkContext
        if self.session_generation:
            # Set on every attempt: a batch may run in a fresh clone of the query's Spark session.
            spark.conf.set(SESSION_GENERATION_KEY, self._generation_value(context))
        tag = f"users-stream-batch-{batch_id}-attempt-{attempt}"

        def cancel() -> None:
            self._attempt_cancelled = True
            log.error(
                "batch %d: attempt %d still running after %.0f s (BATCH_ATTEMPT_TIMEOUT_SECONDS, doubled "
                "per cancelled attempt); cancelling its Spark jobs and closing the Cassandra sessions",
                batch_id,
                attempt,
                timeout,
            )
            context.cancelJobsWithTag(tag)
            self.renew_cassandra_sessions(frame)

        def exit_driver() -> None:
            log.error(
                "batch %d: attempt %d did not return %.0f s after it was cancelled; exiting so that "
                "the driver restarts from its checkpoint",
                batch_id,
                attempt,
                CANCEL_GRACE_SECONDS,
            )
            logging.shutdown()
            os._exit(EXIT_FAILED)

        context.setInterruptOnCancel(True)
        context.addJobTag(tag)
        try:
            with AttemptWatchdog(timeout, CANCEL_GRACE_SECONDS, cancel, exit_driver, name=f"watchdog-{tag}"):
                (action or self._write)(frame, batch_id)
        finally:
            context.removeJobTag(tag)

    def _generation_value(self, context: Any) -> str:
        if self._keep_alive_ms is None:
            configured = context.getConf().get(SESSION_GENERATION_KEY, str(CONNECTOR_DEFAULT_KEEP_ALIVE_MS))
            self._keep_alive_ms = int(configured)
        return str(self._keep_alive_ms + self.session_generation)

    def renew_cassandra_sessions(self, frame: DataFrame) -> None:
        """Closes the connector's cached sessions and moves the next attempt to a new session.

        `CassandraConnector.evictCache()` is not enough: it only drops sessions nobody holds, and a
        failed or stuck write holds its session for good. The closed sessions stay in the cache
        under their old settings; the next write's settings differ by SESSION_GENERATION_KEY, so it
        opens a new session. Best effort: failures are logged.
        """
        with self._renewing:
            spark = frame.sparkSession
            try:
                closed = close_connector_sessions(spark.sparkContext._jvm)
            except Exception as error:  # noqa: BLE001 - best effort
                log.warning("could not close the cached Cassandra sessions: %s", failure_summary(error))
                closed = 0
            self.session_generation += 1
            value = self._generation_value(spark.sparkContext)
            try:
                spark.conf.set(SESSION_GENERATION_KEY, value)
            except Exception as error:  # noqa: BLE001 - best effort; the next attempt sets it again
                log.warning("could not set %s: %s", SESSION_GENERATION_KEY, failure_summary(error))
            log.info(
                "closed %d cached Cassandra session(s); the next attempt opens a new one (%s=%s)",
                closed,
                SESSION_GENERATION_KEY,
                value,
            )

    def _store(self, valid: DataFrame) -> None:
        """Upserts valid rows into the Cassandra table."""
        cassandra = self.config.cassandra
        (
            valid.write.format("org.apache.spark.sql.cassandra")
            .mode("append")
            .option("keyspace", cassandra.keyspace)
            .option("table", cassandra.table)
            .save()
        )

    def _send_dead_letters(self, letters: DataFrame) -> None:
        """Writes DLQ messages (key, value, headers) to the dead-letter topic."""
        letters.write.format("kafka").options(**dead_letter_options(self.config)).save()

    def _write(self, frame: DataFrame, batch_id: int) -> None:
        started = time.monotonic()
        # One pass over the Kafka rows in the common case: the Cassandra write decodes them and
        # counts rows and rejects on the way (observations, no second Spark job, no cache). Only a
        # batch with rejects decodes again, for the dead letters: the batch's Kafka offset range
        # is fixed, so the second decode sees the same records and gives the same reasons.
        self._observations += 1
        if self._expressions is None:
            self._expressions = batch_expressions(self.contract)
        expressions = self._expressions
        if self._decode_columns is None:
            self._decode_columns = decode_columns(self.contract)
        columns = self._decode_columns
        rows, rejected = write_counted(
            frame,
            lambda kafka: decode_frame(kafka, self.settings, self.contract, columns),
            expressions,
            self._store,
            f"users_stream_batch_{self._observations}",
        )
        written = rows - rejected
        stored_at = time.monotonic()
        if rejected > 0:
            self._send_dead_letters(
                dead_letters(decode_frame(frame, self.settings, self.contract, columns), expressions)
            )
        finished = time.monotonic()
        log.info(
            "batch %d: rows in %d, written %d, rejected %d (to %s), %.2f s "
            "(decode and cassandra %.2f s, dlq %.2f s)",
            batch_id,
            rows,
            written,
            rejected,
            self.config.dlq_topic,
            finished - started,
            stored_at - started,
            finished - stored_at,
        )


def build_query(spark: SparkSession, config: JobConfig) -> Any:
    """Starts the streaming query (Kafka source, foreachBatch sink, checkpoint, trigger)."""
    contract = load_contract_schema()
    settings = DecoderSettings(
        record_format=config.record_format,
        kinds=tuple(field_kinds(contract).items()),
        max_record_bytes=config.max_record_bytes,
        schema_registry_url=config.schema_registry_url,
    )
    return (
        spark.readStream.format("kafka")
        .options(**source_options(config))
        .load()
        .writeStream.queryName(f"users_stream[{config.topic}]")
        .foreachBatch(BatchWriter(config, contract, settings))
        .option("checkpointLocation", config.checkpoint_dir)
        .trigger(processingTime=config.trigger_interval)
        .start()
    )


def quiet_per_task_warnings(spark: SparkSession) -> None:
    """Raises the log level of a Spark logger that warns once per task and says nothing new.

    The Kafka source warns "KafkaDataConsumer is not running in UninterruptibleThread" on every task
    whose rows another thread consumes (a Python worker's feeder, when the job decoded in Python;
    the quarantine's splits may still), which buried each batch's summary line under one warning
    per partition. The risk it names (a consumer interrupted mid-call may
    hang, KAFKA-1894) is bounded by the attempt watchdog, which exits the driver if a cancelled
    attempt does not return. Best effort: a failure leaves the level as it was.
    """
    try:
        jvm: Any = spark.sparkContext._jvm
        jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(
            "org.apache.spark.sql.kafka010.consumer.KafkaDataConsumer",
            jvm.org.apache.logging.log4j.Level.ERROR,
        )
    except Exception as error:  # noqa: BLE001 - logging only
        log.warning("could not quiet KafkaDataConsumer's per-task warning: %s", failure_summary(error))


def job_session(config: JobConfig, app_name: str) -> SparkSession:
    """The job's SparkSession: `spark_conf`, WARN logs, quiet per-task warnings, no values in driver logs."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    for key, value in spark_conf(config).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    quiet_per_task_warnings(spark)
    # The driver JVM (and in local mode its executors) is running already: set it there directly,
    # before the first write opens a Cassandra session.
    spark.sparkContext._jvm.java.lang.System.setProperty(*HIDE_STATEMENT_VALUES)
    return spark


def main(argv: list[str] | None = None) -> int:
    """Entry point: read the environment, start the query, run until it stops."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config()
    except ConfigError as error:
        print(f"users-stream: {error}", file=sys.stderr)
        return EXIT_CONFIG
    spark = job_session(config, f"users-stream-{config.topic}")
    log.info(
        "reading %s (%s) from %s %s into %s.%s; dead letters to %s; checkpoint %s; trigger %s; "
        "max %d offsets",
        config.topic,
        config.record_format,
        config.kafka_bootstrap_servers,
        login_text(config.kafka_login),
        config.cassandra.keyspace,
        config.cassandra.table,
        config.dlq_topic,
        config.checkpoint_dir,
        config.trigger_interval,
        config.max_offsets_per_trigger,
    )
    query = build_query(spark, config)
    try:
        query.awaitTermination()
    except Exception as error:  # noqa: BLE001 - report the failure in one line, exit non-zero
        summary = failure_summary(error, limit=500)
        refusal = kafka_refusal(summary, error_text(error))
        if refusal is not None:
            log.error(
                "query failed: %s",
                refusal_message(refusal, config.kafka_bootstrap_servers, config.kafka_login, summary),
            )
            return EXIT_KAFKA_REFUSED
        log.error("query failed: %s", summary)
        return EXIT_FAILED
    return 0
