package datapipeline.validator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** UnicodeTable.expand's search tree of nested classes matches exactly the table's ranges. */
class UnicodeTableTest {
  private static final UnicodeTable TABLE = Contract.load().unicode;

  /** Every code point, for each property alone and inside a class with other members. */
  @Test
  void expandedClassesMatchTheTableForEveryCodePoint() {
    for (String property : List.of("L", "M", "Z", "C")) {
      Pattern alone = Pattern.compile(TABLE.expand("\\p{" + property + "}"));
      Pattern inClass = Pattern.compile(TABLE.expand("[\\p{" + property + "}' .-]"));
      int members = 0;
      for (int codePoint = 0; codePoint <= Character.MAX_CODE_POINT; codePoint++) {
        String text = new String(Character.toChars(codePoint));
        boolean has = TABLE.has(property, codePoint);
        if (has) members++;
        if (alone.matcher(text).matches() != has)
          throw new AssertionError("\\p{" + property + "} and U+" + Integer.toHexString(codePoint) + ": table says " + has);
        boolean expected = has || codePoint == '\'' || codePoint == ' ' || codePoint == '.' || codePoint == '-';
        if (inClass.matcher(text).matches() != expected)
          throw new AssertionError("[\\p{" + property + "}' .-] and U+" + Integer.toHexString(codePoint));
      }
      assertTrue(members > 0, property + " has members");
    }
  }

  /** A small table: the tree's halves, its leaves and single-code-point ranges. */
  @Test
  void aTreeOverManyRangesKeepsItsGaps() {
    List<Object> flat = new java.util.ArrayList<>();
    for (long start = 0x100; start < 0x100 + 40 * 4; start += 4) {
      flat.add(start);
      flat.add(start + (start % 8 == 0 ? 0 : 1)); // one or two code points, then a gap
    }
    UnicodeTable table = new UnicodeTable(Map.of("properties", Map.of("X", flat)));
    Pattern pattern = Pattern.compile(table.expand("\\p{X}+"));
    for (int codePoint = 0xf0; codePoint < 0x100 + 40 * 4 + 16; codePoint++)
      assertEquals(
          table.has("X", codePoint),
          pattern.matcher(new String(Character.toChars(codePoint))).matches(),
          "U+" + Integer.toHexString(codePoint));
    assertTrue(table.expand("\\p{X}").contains("&&"), "written as a tree");
  }
}
