package datapipeline.validator;

import java.nio.charset.StandardCharsets;

/** decode.py's {@code _parse_json}: UTF-8 (Python's strict decoder), no BOM, bounded nesting, JSON. */
public final class JsonParser implements RecordParser {
  private static final long serialVersionUID = 1L;

  @Override
  public Parsed parse(byte[] value) {
    long brackets = scan(value);
    if (brackets < 0) return Parsed.rejected("unparsable: not UTF-8 (" + problem(brackets) + ")");
    String text = new String(value, StandardCharsets.UTF_8);
    if (text.startsWith("\ufeff")) return Parsed.rejected("unparsable: not JSON (starts with a byte order mark)");
    Contract contract = Contract.load();
    int maximum = contract.maxNesting;
    if (brackets > maximum && nestingDepth(text) > maximum)
      return Parsed.rejected("unparsable: not JSON (nested deeper than " + maximum + " levels)");
    try {
      return Parsed.of(PyJson.parse(text, contract.keysByLength));
    } catch (PyJson.Refused refused) {
      return Parsed.rejected("unparsable: not JSON (" + refused.getMessage() + ")");
    }
  }

  private static final String[] PROBLEMS = {
    "invalid start byte", "invalid continuation byte", "unexpected end of data"
  };

  /**
   * Python's strict UTF-8 decoder's first error as {@code "<reason> at byte <start>"}, or null: the
   * reasons "invalid start byte", "invalid continuation byte", "unexpected end of data".
   */
  static String utf8Problem(byte[] bytes) {
    long scanned = scan(bytes);
    return scanned < 0 ? problem(scanned) : null;
  }

  private static String problem(long scanned) {
    long code = -1 - scanned;
    return PROBLEMS[(int) (code % 3)] + " at byte " + code / 3;
  }

  /**
   * One pass over a value's bytes: how many of them are '{' or '[' (the same count as in its text:
   * UTF-8 never uses an ASCII byte inside another character) when they are valid UTF-8, else
   * {@code -1 - (3 * start + reason)}, {@code reason} an index of {@link #PROBLEMS}. The bracket
   * count spares the nesting scan a pass of its own over every record's text.
   */
  static long scan(byte[] bytes) {
    int index = 0;
    int length = bytes.length;
    int brackets = 0;
    while (index < length) {
      int first = bytes[index] & 0xff;
      if (first < 0x80) {
        if (first == '{' || first == '[') brackets++;
        index++;
        continue;
      }
      int needed;
      int low = 0x80;
      int high = 0xbf;
      if (first >= 0xc2 && first <= 0xdf) {
        needed = 1;
      } else if (first >= 0xe0 && first <= 0xef) {
        needed = 2;
        if (first == 0xe0) low = 0xa0;
        if (first == 0xed) high = 0x9f;
      } else if (first >= 0xf0 && first <= 0xf4) {
        needed = 3;
        if (first == 0xf0) low = 0x90;
        if (first == 0xf4) high = 0x8f;
      } else {
        return -1 - 3L * index;
      }
      for (int offset = 1; offset <= needed; offset++) {
        if (index + offset >= length) return -1 - (3L * index + 2);
        int next = bytes[index + offset] & 0xff;
        int min = offset == 1 ? low : 0x80;
        int max = offset == 1 ? high : 0xbf;
        if (next < min || next > max) return -1 - (3L * index + 1);
      }
      index += needed + 1;
    }
    return brackets;
  }

  /**
   * decode.py's nesting_depth: how deep arrays and objects nest (brackets inside strings, closed or
   * not, do not count). decode.py skips the scan when there are no more brackets than the maximum;
   * {@link #parse} does the same with {@link #scan}'s count.
   */
  static int nestingDepth(String text) {
    int depth = 0;
    int deepest = 0;
    int index = 0;
    int length = text.length();
    while (index < length) {
      char c = text.charAt(index);
      if (c == '"') {
        index++;
        while (index < length) {
          char inner = text.charAt(index);
          if (inner == '"') {
            index++;
            break;
          }
          if (inner == '\\') {
            if (index + 1 < length) {
              index += 2;
              continue;
            }
            break;
          }
          index++;
        }
        continue;
      }
      if (c == '[' || c == '{') {
        depth++;
        deepest = Math.max(deepest, depth);
      } else if (c == ']' || c == '}') {
        depth--;
      }
      index++;
    }
    return deepest;
  }
}
