"""The streaming query: Kafka -> decode/validate -> Cassandra (valid) and the DLQ topic (invalid)."""

from __future__ import annotations

import logging
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

from .config import ConfigError, JobConfig, load_config
from .contract import field_kinds, load_contract_schema
from .decode import DecoderSettings, decode_arrow_batches

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger("users_stream")

EXIT_CONFIG = 2
EXIT_FAILED = 1


def spark_conf(config: JobConfig) -> dict[str, str]:
    """Spark and Spark Cassandra Connector settings from the job config (no secrets logged)."""
    cassandra = config.cassandra
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "10000",
        "spark.sql.streaming.stopGracefullyOnShutdown": "true",
        "spark.cassandra.connection.host": ",".join(cassandra.hosts),
        "spark.cassandra.connection.port": str(cassandra.port),
        "spark.cassandra.connection.localDC": cassandra.local_dc,
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
    if cassandra.username is not None and cassandra.password is not None:
        conf["spark.cassandra.auth.username"] = cassandra.username
        conf["spark.cassandra.auth.password"] = cassandra.password
    return conf


def decoded_schema(contract: dict[str, Any]) -> StructType:
    """Spark schema of the decoder's output: the contract fields as sent, the reason, the source."""
    from pyspark.sql.types import BinaryType, IntegerType, LongType, StringType, StructField, StructType

    fields = [
        StructField(entry["name"], IntegerType() if entry["type"] == "integer" else StringType(), True)
        for entry in contract["fields"]
    ]
    fields += [
        StructField("dlq_reason", StringType(), True),
        StructField("kafka_key", BinaryType(), True),
        StructField("kafka_value", BinaryType(), True),
        StructField("kafka_topic", StringType(), True),
        StructField("kafka_partition", IntegerType(), True),
        StructField("kafka_offset", LongType(), True),
    ]
    return StructType(fields)


def decode_frame(frame: DataFrame, settings: DecoderSettings, contract: dict[str, Any]) -> DataFrame:
    """Kafka rows (key, value, topic, partition, offset) -> decoded rows (see `decoded_schema`)."""
    return frame.select("key", "value", "topic", "partition", "offset").mapInArrow(
        decode_arrow_batches(settings), decoded_schema(contract)
    )


def valid_rows(decoded: DataFrame, contract: dict[str, Any]) -> DataFrame:
    """The valid rows with the contract's Spark types (dates and timestamps parsed as UTC)."""
    from pyspark.sql import functions as F

    columns = [
        (
            F.col(entry["name"]).cast(entry["type"]).alias(entry["name"])
            if entry["type"] in ("date", "timestamp")
            else F.col(entry["name"])
        )
        for entry in contract["fields"]
    ]
    return decoded.where(F.col("dlq_reason").isNull()).select(*columns)


def dead_letters(decoded: DataFrame) -> DataFrame:
    """The invalid rows as DLQ messages: original key and value, reason and source in headers."""
    from pyspark.sql import functions as F

    def header(name: str, value: Any) -> Any:
        return F.struct(F.lit(name).alias("key"), value.cast("string").cast("binary").alias("value"))

    return decoded.where(F.col("dlq_reason").isNotNull()).select(
        F.col("kafka_key").alias("key"),
        F.col("kafka_value").alias("value"),
        F.array(
            header("dlq.reason", F.col("dlq_reason")),
            header("dlq.source.topic", F.col("kafka_topic")),
            header("dlq.source.partition", F.col("kafka_partition")),
            header("dlq.source.offset", F.col("kafka_offset")),
        ).alias("headers"),
    )


class BatchWriter:
    """`foreachBatch` handler: decode once (cached), upsert valid rows, dead-letter the rest, log.

    A failing batch (Cassandra or the registry unreachable) is retried with backoff for up to
    BATCH_RETRY_SECONDS; the Cassandra write is an idempotent upsert by id, so a retry or a replay
    after a crash lands the same rows. Only then does the query fail (and the driver restart).
    """

    def __init__(self, config: JobConfig, contract: dict[str, Any], settings: DecoderSettings) -> None:
        self.config = config
        self.contract = contract
        self.settings = settings

    def cassandra_reachable(self) -> bool:
        """True when a contact point accepts TCP connections on the native port."""
        for host in self.config.cassandra.hosts:
            try:
                with socket.create_connection((host, self.config.cassandra.port), timeout=3):
                    return True
            except OSError:
                continue
        return False

    def __call__(self, frame: DataFrame, batch_id: int) -> None:
        deadline = time.monotonic() + self.config.batch_retry_seconds
        delay = 1.0
        attempt = 1
        while True:
            try:
                # Never start a write while Cassandra is down: the driver's schema refresh can then
                # wait for ever. Waiting here is bounded by the same deadline as the retries.
                while not self.cassandra_reachable():
                    if time.monotonic() > deadline:
                        raise ConnectionError(f"Cassandra {self.config.cassandra.hosts} unreachable")
                    log.warning("batch %d: Cassandra unreachable, waiting", batch_id)
                    time.sleep(2.0)
                self._write(frame, batch_id)
                return
            except Exception as error:
                summary = (
                    str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
                )
                if time.monotonic() + delay > deadline:
                    log.error("batch %d: attempt %d failed, giving up: %s", batch_id, attempt, summary)
                    raise
                log.warning(
                    "batch %d: attempt %d failed, retrying in %.0f s: %s", batch_id, attempt, delay, summary
                )
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
                attempt += 1

    @staticmethod
    def drop_cassandra_sessions(frame: DataFrame) -> None:
        """Closes the connector's cached sessions so the retry opens fresh ones (fresh control connection)."""
        try:
            jvm = frame.sparkSession.sparkContext._jvm
            jvm.com.datastax.spark.connector.cql.CassandraConnector.evictCache()
        except Exception as error:  # noqa: BLE001 - best effort
            log.warning("could not drop cached Cassandra sessions: %s", error)

    def _write(self, frame: DataFrame, batch_id: int) -> None:
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        started = time.monotonic()
        decoded = decode_frame(frame, self.settings, self.contract).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            # One pass over the Kafka rows: the Cassandra write decodes them (the Python decoder
            # runs beside the connector's asynchronous writes) and fills the cache; the counts and
            # the dead letters then come from the cache.
            cassandra = self.config.cassandra
            (
                valid_rows(decoded, self.contract)
                .write.format("org.apache.spark.sql.cassandra")
                .mode("append")
                .option("keyspace", cassandra.keyspace)
                .option("table", cassandra.table)
                .save()
            )
            stored_at = time.monotonic()
            counts = decoded.agg(
                F.count(F.lit(1)).alias("rows"),
                F.count(F.col("dlq_reason")).alias("rejected"),
            ).first()
            rows = int(counts["rows"]) if counts else 0
            rejected = int(counts["rejected"]) if counts else 0
            written = rows - rejected
            counted_at = time.monotonic()
            if rejected > 0:
                (
                    dead_letters(decoded)
                    .write.format("kafka")
                    .option("kafka.bootstrap.servers", self.config.kafka_bootstrap_servers)
                    .option("kafka.acks", "all")
                    .option("kafka.enable.idempotence", "true")
                    .option("topic", self.config.dlq_topic)
                    .save()
                )
        finally:
            decoded.unpersist()
        finished = time.monotonic()
        log.info(
            "batch %d: rows in %d, written %d, rejected %d (to %s), %.2f s "
            "(decode and cassandra %.2f s, count %.2f s, dlq %.2f s)",
            batch_id,
            rows,
            written,
            rejected,
            self.config.dlq_topic,
            finished - started,
            stored_at - started,
            counted_at - stored_at,
            finished - counted_at,
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
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", config.kafka_bootstrap_servers)
        .option("subscribe", config.topic)
        .option("startingOffsets", config.starting_offsets)
        .option("maxOffsetsPerTrigger", str(config.max_offsets_per_trigger))
        .option("failOnDataLoss", "true")
    )
    if config.min_partitions:
        reader = reader.option("minPartitions", str(config.min_partitions))
    return (
        reader.load()
        .writeStream.queryName(f"users_stream[{config.topic}]")
        .foreachBatch(BatchWriter(config, contract, settings))
        .option("checkpointLocation", config.checkpoint_dir)
        .trigger(processingTime=config.trigger_interval)
        .start()
    )


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
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(f"users-stream-{config.topic}")
    for key, value in spark_conf(config).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    log.info(
        "reading %s (%s) from %s into %s.%s; dead letters to %s; checkpoint %s; trigger %s; max %d offsets",
        config.topic,
        config.record_format,
        config.kafka_bootstrap_servers,
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
        log.error(
            "query failed: %s", str(error).strip().splitlines()[0][:500] if str(error).strip() else error
        )
        return EXIT_FAILED
    return 0
