package datapipeline.validator;

import java.io.Serializable;

/**
 * Turns one Kafka value's bytes into the record to validate, or a rejection reason, exactly as
 * spark/users_stream/decode.py's `RecordDecoder._parse_json` / `_parse_avro` do (same words).
 *
 * <p>The record is in the JSON model every parser produces and {@link Parsed#record()} holds:
 *
 * <ul>
 *   <li>{@code Map<String, Object>}: an object (a {@code LinkedHashMap} in insertion order; a
 *       duplicate key keeps its first position and takes the last value, as a Python dict);
 *   <li>{@code List<Object>}: an array;
 *   <li>{@code String}: a string (may hold lone UTF-16 surrogates, as a Python str may);
 *   <li>{@code Long}: a Python int (JSON: an integer literal of at most 18 characters);
 *   <li>{@code Double}: a Python float;
 *   <li>{@code Boolean}; {@code null}: JSON null / Python None;
 *   <li>{@link PyText}: a value Python's json.dumps cannot encode (Avro bytes, Decimal, time ...),
 *       quoted in reasons as {@code json.dumps(str(value))}.
 * </ul>
 *
 * <p>Never throws on bad data: only an outage (an unreachable schema registry) throws {@link
 * RegistryUnavailableException}, which fails the task so that the batch is retried.
 */
public interface RecordParser extends Serializable {
  /** Parses a value that is neither null, empty nor over the size limit (the caller checks those). */
  Parsed parse(byte[] value);
}
