package datapipeline.validator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * contracts/users.cases.json, the cases every validator of the users record runs (validate.ts under
 * ava, the Python reference under pytest), here through the JVM validator: record and value cases
 * through the rules, document cases through the whole UDF outcome.
 */
class SharedCasesTest {
  private static final Path CASES = Path.of("..", "..", "contracts", "users.cases.json");

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cases() throws Exception {
    return (Map<String, Object>) PyJson.parse(Files.readString(CASES, StandardCharsets.UTF_8));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> entries(Map<String, Object> cases, String kind) {
    return (List<Map<String, Object>>) (List<?>) cases.get(kind);
  }

  @SuppressWarnings("unchecked")
  @TestFactory
  Stream<DynamicTest> records() throws Exception {
    Map<String, Object> cases = cases();
    Map<String, Object> base = (Map<String, Object>) cases.get("base");
    return entries(cases, "records").stream()
        .map(
            entry ->
                DynamicTest.dynamicTest(
                    (String) entry.get("name"),
                    () -> {
                      Map<String, Object> record = new LinkedHashMap<>(base);
                      Map<String, Object> change = (Map<String, Object>) entry.getOrDefault("change", Map.of());
                      record.putAll(change);
                      for (Object name : (List<Object>) entry.getOrDefault("remove", List.of())) record.remove(name);
                      assertEquals(entry.get("problems"), Contract.load().problems(record));
                    }));
  }

  @TestFactory
  Stream<DynamicTest> values() throws Exception {
    return entries(cases(), "values").stream()
        .map(
            entry ->
                DynamicTest.dynamicTest(
                    (String) entry.get("name"),
                    () -> assertEquals(entry.get("problems"), Contract.load().problems(entry.get("value")))));
  }

  @SuppressWarnings("unchecked")
  @TestFactory
  Stream<DynamicTest> documents() throws Exception {
    UsersValidator validator = new UsersValidator("json", 65_536, null);
    return entries(cases(), "documents").stream()
        .map(
            entry ->
                DynamicTest.dynamicTest(
                    (String) entry.get("name"),
                    () -> {
                      byte[] value =
                          entry.containsKey("hex")
                              ? HexFormat.of().parseHex((String) entry.get("hex"))
                              : surrogatePass((String) entry.get("text"));
                      Object[] outcome = validator.outcome(value);
                      String reason = (String) outcome[outcome.length - 1];
                      List<Object> problems = (List<Object>) entry.get("problems");
                      if (Boolean.TRUE.equals(entry.get("unparsable"))) {
                        assertNotNull(reason);
                        assertTrue(reason.startsWith("unparsable: "), reason);
                      } else if (problems != null && !problems.isEmpty()) {
                        List<String> words = new ArrayList<>();
                        for (Object problem : problems) words.add((String) problem);
                        assertEquals("invalid: " + String.join("; ", words), reason);
                      } else {
                        assertNull(reason);
                      }
                    }));
  }

  /** Python's encode("utf-8", "surrogatepass"): lone surrogates as their 3-byte forms. */
  private static byte[] surrogatePass(String text) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int index = 0; index < text.length(); ) {
      int code = text.codePointAt(index);
      index += Character.charCount(code);
      if (code < 0x80) out.write(code);
      else if (code < 0x800) {
        out.write(0xc0 | code >> 6);
        out.write(0x80 | code & 0x3f);
      } else if (code < 0x10000) {
        out.write(0xe0 | code >> 12);
        out.write(0x80 | code >> 6 & 0x3f);
        out.write(0x80 | code & 0x3f);
      } else {
        out.write(0xf0 | code >> 18);
        out.write(0x80 | code >> 12 & 0x3f);
        out.write(0x80 | code >> 6 & 0x3f);
        out.write(0x80 | code & 0x3f);
      }
    }
    return out.toByteArray();
  }

  @Test
  void everyCaseKindIsThere() throws Exception {
    Map<String, Object> cases = cases();
    assertTrue(entries(cases, "records").size() > 50);
    assertTrue(entries(cases, "documents").size() > 20);
  }
}
