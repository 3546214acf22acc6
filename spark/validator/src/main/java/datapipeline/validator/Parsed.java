package datapipeline.validator;

/** A {@link RecordParser}'s outcome: the record (JSON model) when {@code reason} is null. */
public record Parsed(Object record, String reason) {
  public static Parsed of(Object record) {
    return new Parsed(record, null);
  }

  public static Parsed rejected(String reason) {
    return new Parsed(null, reason);
  }
}
