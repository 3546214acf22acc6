package datapipeline.validator;

import java.io.IOException;

/** The Python-compatible JSON reader and UTF-8 check, for this jar's other packages (Avro). */
public final class JsonParserAccess {
  private JsonParserAccess() {}

  /** Python's json.loads of {@code text} (the JSON model); a refusal as an IOException. */
  public static Object json(String text) throws IOException {
    try {
      return PyJson.parse(text);
    } catch (PyJson.Refused refused) {
      throw new IOException(refused.getMessage());
    }
  }

  /** Python's strict UTF-8 decoder's first error, or null. */
  public static String utf8Problem(byte[] bytes) {
    return JsonParser.utf8Problem(bytes);
  }
}
