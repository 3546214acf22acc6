package datapipeline.validator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON reader's words and positions, the UTF-8 decoder's, float repr, reason bounds (Python's). */
class ReaderTest {
  private static String reason(String text) {
    Parsed parsed = new JsonParser().parse(text.getBytes(StandardCharsets.UTF_8));
    return parsed.reason();
  }

  /** Python's messages end in "at" for these two, and decode.py adds " at character N": "at at". */
  @Test
  void pythonJsonErrors() {
    assertEquals("unparsable: not JSON (Expecting value at character 0)", reason(""));
    assertEquals("unparsable: not JSON (Expecting ',' delimiter at character 7)", reason("{\"a\":1 \"b\":2}"));
    assertEquals("unparsable: not JSON (Expecting ':' delimiter at character 5)", reason("{\"a\" 1}"));
    assertEquals(
        "unparsable: not JSON (Expecting property name enclosed in double quotes at character 7)",
        reason("{\"a\":1,}"));
    assertEquals("unparsable: not JSON (Unterminated string starting at at character 1)", reason("[\"ab"));
    assertEquals("unparsable: not JSON (Invalid \\escape at character 2)", reason("[\"\\x\"]"));
    assertEquals("unparsable: not JSON (Invalid control character at at character 3)", reason("[\"a\tb\"]"));
    assertEquals("unparsable: not JSON (Extra data at character 3)", reason("{} x"));
    assertEquals("unparsable: not JSON (NaN is not a JSON number)", reason("[NaN]"));
    // Positions count code points, as Python does: 😀 is one character there.
    assertEquals("unparsable: not JSON (Extra data at character 6)", reason("[\"😀\"] x"));
  }

  @Test
  void pythonUtf8Errors() {
    assertEquals("invalid start byte at byte 1", JsonParser.utf8Problem(new byte[] {'a', (byte) 0xff}));
    assertEquals("unexpected end of data at byte 0", JsonParser.utf8Problem(new byte[] {(byte) 0xe1, (byte) 0x80}));
    assertEquals("invalid continuation byte at byte 0", JsonParser.utf8Problem(new byte[] {(byte) 0xe0, (byte) 0x80}));
    assertEquals("invalid continuation byte at byte 0", JsonParser.utf8Problem(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}));
  }

  @Test
  void pythonValues() throws Exception {
    Object value = PyJson.parse("{\"a\":1,\"b\":[1.5,12345678901234567890,-0],\"a\":2}");
    assertEquals(Map.of("a", 2L, "b", List.of(1.5, 1.2345678901234567e19, 0L)), value);
    assertEquals(List.of("a", "b"), List.copyOf(((Map<?, ?>) value).keySet()));
    assertThrows(PyJson.Refused.class, () -> PyJson.parse("[Infinity]"));
  }

  @Test
  void pythonFloatRepr() {
    assertEquals("1e+16", Reasons.pythonFloat(1e16));
    assertEquals("1234567890123456.0", Reasons.pythonFloat(1234567890123456.0));
    assertEquals("0.0001", Reasons.pythonFloat(0.0001));
    assertEquals("1e-05", Reasons.pythonFloat(0.00001));
    assertEquals("1.5e-07", Reasons.pythonFloat(1.5e-7));
    assertEquals("0.1", Reasons.pythonFloat(0.1));
    assertEquals("-0.0", Reasons.pythonFloat(-0.0));
    assertEquals("42.0", Reasons.pythonFloat(42.0));
    assertEquals("1.7976931348623157e+308", Reasons.pythonFloat(Double.MAX_VALUE));
  }

  @Test
  void twoDecimalsRoundsHalfEvenAndKeepsNegativeZero() {
    assertEquals("0.12", Contract.twoDecimals(0.125));
    assertEquals("-0.00", Contract.twoDecimals(-0.001));
    assertEquals("17.99", Contract.twoDecimals(17.994));
  }

  @Test
  void longReasonsAreCutAsPythonCutsThem() {
    String reason = "x".repeat(5000);
    String cut = Reasons.bounded(reason);
    assertEquals(Reasons.REASON_MAX_CHARACTERS, cut.length());
    assertEquals(true, cut.endsWith("... (reason cut, 5000 characters)"));
  }

  @Test
  void anUnknownRuleFailsAtLoad() throws Exception {
    Object rules =
        PyJson.parse(
            new String(
                    Contract.class.getResourceAsStream("users.rules.json").readAllBytes(), StandardCharsets.UTF_8)
                .replace("\"yearsBetween\"", "\"yearsSince\""));
    Object unicode =
        PyJson.parse(
            new String(
                Contract.class.getResourceAsStream("users.unicode.json").readAllBytes(), StandardCharsets.UTF_8));
    IllegalStateException error = assertThrows(IllegalStateException.class, () -> new Contract(rules, unicode));
    assertEquals("users.rules.json: unknown record rule yearsSince", error.getMessage());
  }
}
