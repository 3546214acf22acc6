"""PySpark Structured Streaming job: users topic (JSON or Confluent Avro) -> Cassandra, bad records -> DLQ."""

__all__ = ["config", "contract", "decode", "job"]
