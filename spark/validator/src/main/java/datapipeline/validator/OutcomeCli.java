package datapipeline.validator;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * For the differential tests (spark/tests/test_jvm_validator.py): reads one hex-encoded Kafka value
 * per line on stdin ({@code -} for a null value) and prints each outcome as one line of JSON, a
 * list: the field values (rules order, as the UDF returns them) and the reason last.
 * Arguments: record format, max record bytes[, schema registry URL].
 */
public final class OutcomeCli {
  private OutcomeCli() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: OutcomeCli json|avro MAX_RECORD_BYTES [SCHEMA_REGISTRY_URL]");
      System.exit(2);
    }
    UsersValidator validator =
        new UsersValidator(args[0], Integer.parseInt(args[1]), args.length > 2 ? args[2] : null);
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      byte[] value = line.equals("-") ? null : HexFormat.of().parseHex(line.trim());
      Object[] outcome = validator.outcome(value);
      StringBuilder json = new StringBuilder();
      Reasons.dumps(java.util.Arrays.asList(outcome), json);
      // Lone surrogates cannot be UTF-8: escape every non-ASCII character.
      StringBuilder ascii = new StringBuilder();
      for (int index = 0; index < json.length(); index++) {
        char c = json.charAt(index);
        if (c < 0x80) ascii.append(c);
        else ascii.append(String.format("\\u%04x", (int) c));
      }
      out.println(ascii);
    }
    out.flush();
  }
}
