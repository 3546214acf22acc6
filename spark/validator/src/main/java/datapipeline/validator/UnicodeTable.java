package datapipeline.validator;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Unicode properties the rules use ({@code \p{L}}, ...), from contracts/users.unicode.json: the
 * Unicode of validate.ts and of the Python reference's {@code regex}, not Java 17's (Unicode 13).
 */
final class UnicodeTable {
  private static final Pattern PROPERTY = Pattern.compile("\\\\p\\{(\\w+)\\}");
  private final Map<String, int[]> ranges = new HashMap<>();

  @SuppressWarnings("unchecked")
  UnicodeTable(Object table) {
    Map<String, Object> properties = (Map<String, Object>) ((Map<String, Object>) table).get("properties");
    if (properties == null) throw new IllegalStateException("users.unicode.json has no \"properties\"");
    for (Map.Entry<String, Object> entry : properties.entrySet()) {
      List<Object> flat = (List<Object>) entry.getValue();
      int[] values = new int[flat.size()];
      for (int index = 0; index < values.length; index++) values[index] = ((Long) flat.get(index)).intValue();
      ranges.put(entry.getKey(), values);
    }
  }

  private int[] rangesOf(String name) {
    int[] values = ranges.get(name);
    if (values == null)
      throw new IllegalStateException("users.unicode.json has no property " + name + " (regenerate it)");
    return values;
  }

  /** Whether {@code codePoint} has property {@code name} (binary search over the ranges). */
  boolean has(String name, int codePoint) {
    int[] values = rangesOf(name);
    int low = 0;
    int high = values.length / 2 - 1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      if (codePoint < values[2 * middle]) high = middle - 1;
      else if (codePoint > values[2 * middle + 1]) low = middle + 1;
      else return true;
    }
    return false;
  }

  /** Ranges per leaf of {@link #searchTree}. */
  private static final int LEAF_RANGES = 4;

  /**
   * Class members (Java syntax) matching the ranges {@code [from, to)} of {@code values}, as a
   * search tree: each half is a nested class {@code [lo-hi&&[...]]}, so a character outside a
   * half's bounds skips it after one comparison. Java compiles a flat list of ranges into a chain
   * of unions that visits every range for every character (a profile of names with a non-ASCII
   * letter: ~60% of the validator's time in {@code Pattern$CharPredicate.lambda$union}); through
   * the tree a character costs about two comparisons per level, log2(ranges / 4) levels.
   */
  private static void searchTree(int[] values, int from, int to, StringBuilder out) {
    if (to - from <= LEAF_RANGES) {
      for (int range = from; range < to; range++) {
        out.append(String.format("\\x{%x}", values[2 * range]));
        if (values[2 * range + 1] != values[2 * range])
          out.append(String.format("-\\x{%x}", values[2 * range + 1]));
      }
      return;
    }
    int middle = (from + to) >>> 1;
    for (int[] half : new int[][] {{from, middle}, {middle, to}}) {
      out.append(String.format("[\\x{%x}-\\x{%x}&&[", values[2 * half[0]], values[2 * half[1] - 1]));
      searchTree(values, half[0], half[1], out);
      out.append("]]");
    }
  }

  /** {@code pattern} with each {@code \p{X}} written out as this table's ranges (Java syntax). */
  String expand(String pattern) {
    StringBuilder out = new StringBuilder();
    boolean inClass = false;
    int index = 0;
    Matcher property = PROPERTY.matcher(pattern);
    while (index < pattern.length()) {
      if (property.find(index) && property.start() == index) {
        StringBuilder members = new StringBuilder();
        int[] values = rangesOf(property.group(1));
        searchTree(values, 0, values.length / 2, members);
        out.append(inClass ? members : "[" + members + "]");
        index = property.end();
        continue;
      }
      char c = pattern.charAt(index);
      int step = c == '\\' ? 2 : 1;
      if (c == '[') inClass = true;
      else if (c == ']') inClass = false;
      out.append(pattern, index, Math.min(pattern.length(), index + step));
      index += step;
    }
    return out.toString();
  }
}
