package datapipeline.validator;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The job's validator as a Spark SQL UDF: a Kafka value (BINARY) in, a STRUCT out with the
 * contract's fields (valid record) or {@code dlq_reason} (invalid one), with the outcome and words
 * of spark/users_stream/decode.py's {@code RecordDecoder.decode} (the tests compare the two).
 * Dates leave as days and timestamps as microseconds since the epoch (UTC); the job casts them.
 */
public final class UsersValidator implements UDF1<byte[], Row> {
  private static final long serialVersionUID = 1L;
  private static final String AVRO_PARSER = "datapipeline.validator.avro.AvroWireParser";

  private final int maxRecordBytes;
  private final RecordParser parser;
  private transient Contract contract;

  public UsersValidator(String recordFormat, int maxRecordBytes, String schemaRegistryUrl) {
    this.maxRecordBytes = maxRecordBytes;
    this.parser = parserFor(recordFormat, schemaRegistryUrl);
    this.contract = Contract.load(); // fails here, in the driver, on rules it cannot interpret
  }

  private static RecordParser parserFor(String recordFormat, String schemaRegistryUrl) {
    if ("json".equals(recordFormat)) return new JsonParser();
    if (!"avro".equals(recordFormat))
      throw new IllegalArgumentException("record format " + recordFormat + " is not json or avro");
    try {
      return (RecordParser)
          Class.forName(AVRO_PARSER).getConstructor(String.class).newInstance(schemaRegistryUrl);
    } catch (ClassNotFoundException error) {
      throw new IllegalStateException("this validator jar has no Avro parser (" + AVRO_PARSER + ")", error);
    } catch (InvocationTargetException error) {
      throw new IllegalStateException("the Avro parser refused its settings: " + error.getCause(), error.getCause());
    } catch (ReflectiveOperationException error) {
      throw new IllegalStateException("cannot construct " + AVRO_PARSER + ": " + error, error);
    }
  }

  /** The UDF's return type for the jar's rules. */
  public static StructType returnType() {
    List<StructField> fields = new ArrayList<>();
    for (Contract.Field field : Contract.load().fields) {
      DataType type;
      switch (field.kind()) {
        case "int":
        case "date":
          type = DataTypes.IntegerType;
          break;
        case "timestamp":
          type = DataTypes.LongType;
          break;
        default:
          type = DataTypes.StringType;
      }
      fields.add(DataTypes.createStructField(field.name(), type, true));
    }
    fields.add(DataTypes.createStructField("dlq_reason", DataTypes.StringType, true));
    return DataTypes.createStructType(fields);
  }

  /**
   * Registers the UDF as {@code name} on {@code session}; returns its return type's DDL.
   *
   * <p>Registered as nondeterministic, though it is not: Spark's optimizer copies a deterministic
   * expression into every place that reads it, so a filter on {@code dlq_reason} under a projection
   * of the fields ran the whole validation twice per record (seen in the plan: {@code Filter
   * isnull(users_stream_validate(value).dlq_reason)} beneath {@code Project
   * [users_stream_validate(value)]}). Nondeterministic expressions are evaluated once, where they
   * are written.
   */
  public static String register(
      SparkSession session, String name, String recordFormat, int maxRecordBytes, String schemaRegistryUrl) {
    StructType type = returnType();
    UserDefinedFunction function =
        functions.udf(new UsersValidator(recordFormat, maxRecordBytes, schemaRegistryUrl), type).asNondeterministic();
    session.udf().register(name, function);
    return type.toDDL();
  }

  /** The outcome of one value: the field values (rules order, Spark's representation) or a reason. */
  public Object[] outcome(byte[] value) {
    if (contract == null) contract = Contract.load();
    Object[] row = new Object[contract.fields.size() + 1];
    String reason;
    try {
      reason = decode(value, row);
    } catch (RegistryUnavailableException outage) {
      throw outage;
    } catch (Throwable error) { // a poison record becomes a dead letter, never a failed task
      reason = "poison: the decoder failed on this record: " + Reasons.describeError(error);
    }
    if (reason != null) {
      java.util.Arrays.fill(row, null);
      row[row.length - 1] = Reasons.bounded(reason);
    }
    return row;
  }

  @Override
  public Row call(byte[] value) {
    return RowFactory.create(outcome(value));
  }

  private String decode(byte[] value, Object[] row) {
    if (value == null || value.length == 0) return "empty: the record has no value";
    if (value.length > maxRecordBytes)
      return "oversize: " + value.length + " bytes is more than MAX_RECORD_BYTES=" + maxRecordBytes;
    Parsed parsed = parser.parse(value);
    if (parsed.reason() != null) return parsed.reason();
    Contract.Scratch scratch = contract.scratch();
    List<String> problems = contract.problems(scratch, parsed.record());
    if (!problems.isEmpty()) return "invalid: " + String.join("; ", problems);
    @SuppressWarnings("unchecked")
    Map<String, Object> record = (Map<String, Object>) parsed.record();
    int index = 0;
    for (Contract.Field field : contract.fields) {
      Object fieldValue = record.get(field.name());
      switch (field.kind()) {
        case "int":
          row[index] = (int) ((Number) fieldValue).doubleValue();
          break;
        case "date":
          row[index] = (int) (long) contract.dateDays(scratch, (String) fieldValue);
          break;
        case "timestamp":
          row[index] = contract.timestampMilliseconds(scratch, (String) fieldValue) * 1000L;
          break;
        default:
          row[index] = fieldValue;
      }
      index++;
    }
    return null;
  }
}
