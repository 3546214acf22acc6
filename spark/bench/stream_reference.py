"""bench:e2e "streaming reference" phase: Spark's own from_json, streamed as the job streams.

The throughput phase measures the job (a streaming query: micro-batches of MAX_OFFSETS_PER_TRIGGER
records, warm-up batches, one growing table, CPU over the batches after the warm-up). The stack
bound (stack_bound.py) is one batch query into empty tables with a quiet Cassandra before each pass:
a different shape of work. This script is the job's query with the job's decoder swapped for
Spark's `from_json` (no validation, no dead letters, no retries): the same source options, session,
trigger, micro-batch size and connector settings, and the same per-batch log line, so bench/e2e.ts
measures it exactly as it measures the job. The difference between the two is what the job's
decoding, validation and guarantees cost per row in the job's own shape of work.

Run by bench/e2e.ts with spark-submit and the job's environment. Not part of the job image
(spark/Dockerfile.dockerignore).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from users_stream.config import load_config
from users_stream.contract import load_contract_schema
from users_stream.job import job_session, source_options

# The job's logger and line format: bench/e2e.ts reads "users_stream: reading" (started) and the
# "batch N: rows in ..." lines.
log = logging.getLogger("users_stream")


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = load_config()
    spark = job_session(config, f"stream-reference-{config.topic}")
    schema = StructType.fromJson(load_contract_schema())
    observations = 0

    def write(frame: DataFrame, batch_id: int) -> None:
        from pyspark.sql import Observation

        nonlocal observations
        started = time.monotonic()
        observations += 1
        observation = Observation(f"stream_reference_batch_{observations}")
        users = (
            frame.observe(observation, F.count(F.lit(1)).alias("rows"))
            .select(F.from_json(F.col("value").cast("string"), schema).alias("user"))
            .select("user.*")
        )
        (
            users.write.format("org.apache.spark.sql.cassandra")
            .mode("append")
            .option("keyspace", config.cassandra.keyspace)
            .option("table", config.cassandra.table)
            .save()
        )
        rows = int(observation.get.get("rows") or 0)
        seconds = time.monotonic() - started
        log.info(
            "batch %d: rows in %d, written %d, rejected 0 (to none), %.2f s", batch_id, rows, rows, seconds
        )

    log.info(
        "reading %s with from_json into %s.%s",
        config.topic,
        config.cassandra.keyspace,
        config.cassandra.table,
    )
    query: Any = (
        spark.readStream.format("kafka")
        .options(**source_options(config))
        .load()
        .writeStream.queryName(f"stream_reference[{config.topic}]")
        .foreachBatch(write)
        .option("checkpointLocation", config.checkpoint_dir)
        .trigger(processingTime=config.trigger_interval)
        .start()
    )
    query.awaitTermination()
    return 0


if __name__ == "__main__":
    sys.exit(main())
