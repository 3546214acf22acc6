"""Finding the records that fail a batch: split the batch until each failing record stands alone.

A batch can fail for a reason that is neither bad data the decoder recognises nor an outage: a
record that breaks something further down (a Python worker, the connector, Cassandra). Retried
whole, such a batch fails for ever and the stream stops behind it. `isolate_poison` searches the
batch's Kafka positions by halves, so one poison record among n costs about 2·log2(n) writes, and
hands each record that fails on its own to the caller, which dead-letters it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

Position = tuple[int, int]  # (Kafka partition, offset)


class PoisonSuspected(Exception):
    """A write failed while Kafka, Cassandra and the registry answer: some record may cause it."""

    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary


def isolate_poison(
    positions: Sequence[Position],
    write: Callable[[list[Position]], None],
    dead_letter: Callable[[Position, str], None],
) -> int:
    """Writes `positions` (sorted) in runs, splitting every run whose write raises PoisonSuspected.

    `write(run)` writes one run; a single position whose write still raises is passed to
    `dead_letter(position, summary)`. Runs are written in order. Returns how many positions were
    dead-lettered. Any other exception (an outage past its deadline) propagates.
    """
    pending: list[list[Position]] = [list(positions)] if positions else []
    isolated = 0
    while pending:
        run = pending.pop()
        try:
            write(run)
        except PoisonSuspected as failure:
            if len(run) == 1:
                dead_letter(run[0], failure.summary)
                isolated += 1
            else:
                middle = len(run) // 2
                pending += [run[middle:], run[:middle]]
    return isolated


def positions_filter(positions: Sequence[Position]) -> Any:
    """A Spark filter on Kafka rows selecting a run of positions sorted by (partition, offset).

    Within a batch, the rows between a partition's first and last position of such a run are the
    run's rows of that partition, so one offset range per partition selects the run exactly.
    """
    from pyspark.sql import functions as F

    ranges: dict[int, tuple[int, int]] = {}
    for partition, offset in positions:
        low, high = ranges.get(partition, (offset, offset))
        ranges[partition] = (min(low, offset), max(high, offset))
    condition = F.lit(False)
    for partition, (low, high) in sorted(ranges.items()):
        condition = condition | ((F.col("partition") == partition) & F.col("offset").between(low, high))
    return condition


def source_letters(frame: DataFrame, reason: str, letter_columns: Sequence[Any]) -> DataFrame:
    """Kafka rows, undecoded, as DLQ messages with one `reason` (see job.batch_expressions)."""
    from pyspark.sql import functions as F

    return frame.select(
        F.col("key").alias("kafka_key"),
        F.col("value").alias("kafka_value"),
        F.lit(reason).alias("dlq_reason"),
        F.col("topic").cast("string").alias("kafka_topic"),
        F.col("partition").alias("kafka_partition"),
        F.col("offset").alias("kafka_offset"),
    ).select(*letter_columns)
