package datapipeline.validator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON reader that accepts and refuses exactly what the job's Python reference does
 * (spark/users_stream/decode.py: {@code json.JSONDecoder(parse_constant=refuse, parse_int=_json_int)},
 * CPython's C scanner), with the same error words and the same character positions (code points,
 * as Python counts). Values come out in the JSON model of {@link RecordParser}.
 *
 * <p>Jackson cannot serve: its messages and positions differ, and it does not keep Python's dict
 * semantics for duplicate keys.
 */
final class PyJson {
  /** A JSON text Python's reader refuses: {@code message} is the reason's parenthesised part. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** Python's StopIteration(idx) inside the scanner: "Expecting value" at {@code index}. */
  private static final class NoValue extends Exception {
    private static final long serialVersionUID = 1L;
    final int index;

    NoValue(int index) {
      super(null, null, false, false);
      this.index = index;
    }
  }

  private static final String[][] NO_KEYS = new String[0][];

  private final String text;
  private final int length;
  private final String[][] keysByLength;

  private PyJson(String text, String[][] keysByLength) {
    this.text = text;
    this.length = text.length();
    this.keysByLength = keysByLength;
  }

  /** {@code json.JSONDecoder.decode(text)}; a refusal carries decode.py's parenthesised words. */
  static Object parse(String text) throws Refused {
    return new PyJson(text, NO_KEYS).document();
  }

  /**
   * {@link #parse(String)}, where an object key written as one of {@code keysByLength} (the keys of
   * each length; no escapes in the text) comes out as that very String: no copy per record, and
   * map lookups by those keys match by identity first.
   */
  static Object parse(String text, String[][] keysByLength) throws Refused {
    return new PyJson(text, keysByLength).document();
  }

  /** Groups {@code keys} by length, for {@link #parse(String, String[][])}. */
  static String[][] keysByLength(Iterable<String> keys) {
    int longest = 0;
    for (String key : keys) longest = Math.max(longest, key.length());
    List<List<String>> groups = new ArrayList<>();
    for (int size = 0; size <= longest; size++) groups.add(new ArrayList<>());
    for (String key : keys) groups.get(key.length()).add(key);
    String[][] result = new String[longest + 1][];
    for (int size = 0; size <= longest; size++) result[size] = groups.get(size).toArray(new String[0]);
    return result;
  }

  /** The known key written at {@code start} (after the opening quote) up to a closing quote, or null. */
  private String knownKey(int start) {
    int close = text.indexOf('"', start);
    if (close < 0 || close - start >= keysByLength.length) return null;
    for (String key : keysByLength[close - start]) if (text.startsWith(key, start)) return key;
    return null;
  }

  private Object document() throws Refused {
    int index = skipWhitespace(0);
    Object value;
    int[] end = new int[1];
    try {
      value = scan(index, end);
    } catch (NoValue stop) {
      throw error("Expecting value", stop.index);
    }
    index = skipWhitespace(end[0]);
    if (index != length) throw error("Extra data", index);
    return value;
  }

  private Refused error(String message, int index) {
    // Python's position counts code points; this text is UTF-16.
    int position = text.codePointCount(0, Math.min(index, length)) + Math.max(0, index - length);
    return new Refused(message + " at character " + position);
  }

  private static boolean whitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  private int skipWhitespace(int index) {
    while (index < length && whitespace(text.charAt(index))) index++;
    return index;
  }

  private boolean startsWith(String word, int index) {
    return text.startsWith(word, index);
  }

  /** scan_once: the value at {@code index}; its end in {@code end[0]}. */
  private Object scan(int index, int[] end) throws NoValue, Refused {
    if (index >= length) throw new NoValue(index);
    char c = text.charAt(index);
    switch (c) {
      case '"':
        return string(index + 1, end);
      case '{':
        return object(index + 1, end);
      case '[':
        return array(index + 1, end);
      case 'n':
        if (startsWith("null", index)) {
          end[0] = index + 4;
          return null;
        }
        break;
      case 't':
        if (startsWith("true", index)) {
          end[0] = index + 4;
          return Boolean.TRUE;
        }
        break;
      case 'f':
        if (startsWith("false", index)) {
          end[0] = index + 5;
          return Boolean.FALSE;
        }
        break;
      case 'N':
        if (startsWith("NaN", index)) throw new Refused("NaN is not a JSON number");
        break;
      case 'I':
        if (startsWith("Infinity", index)) throw new Refused("Infinity is not a JSON number");
        break;
      case '-':
        if (startsWith("-Infinity", index)) throw new Refused("-Infinity is not a JSON number");
        break;
      default:
        break;
    }
    return number(index, end);
  }

  private static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  /** _match_number_unicode: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)? */
  private Object number(int start, int[] end) throws NoValue {
    int index = start;
    if (index < length && text.charAt(index) == '-') {
      index++;
      if (index >= length) throw new NoValue(start);
    }
    if (index < length && text.charAt(index) >= '1' && text.charAt(index) <= '9') {
      index++;
      while (index < length && digit(text.charAt(index))) index++;
    } else if (index < length && text.charAt(index) == '0') {
      index++;
    } else {
      throw new NoValue(start);
    }
    boolean isFloat = false;
    if (index + 1 < length && text.charAt(index) == '.' && digit(text.charAt(index + 1))) {
      isFloat = true;
      index += 2;
      while (index < length && digit(text.charAt(index))) index++;
    }
    if (index < length && (text.charAt(index) == 'e' || text.charAt(index) == 'E')) {
      int exponentStart = index;
      index++;
      if (index < length && (text.charAt(index) == '-' || text.charAt(index) == '+')) index++;
      int digits = index;
      while (index < length && digit(text.charAt(index))) index++;
      if (index > digits) isFloat = true;
      else index = exponentStart;
    }
    end[0] = index;
    String literal = text.substring(start, index);
    if (isFloat) return Double.parseDouble(literal);
    // decode.py's _json_int: an integer literal of at most 18 characters is an int, a longer one a
    // float (as JavaScript reads every number).
    if (literal.length() <= 18) return Long.parseLong(literal);
    return Double.parseDouble(literal);
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  /** scanstring_unicode(strict=True): {@code end} is the index after the opening quote. */
  private String string(int end, int[] out) throws Refused {
    int begin = end - 1;
    StringBuilder chunks = null;
    while (true) {
      int next = end;
      char c = 0;
      for (; next < length; next++) {
        c = text.charAt(next);
        if (c == '"' || c == '\\') break;
        if (c <= 0x1f) throw error("Invalid control character at", next);
      }
      if (next >= length) throw error("Unterminated string starting at", begin);
      if (c == '"' && chunks == null) {
        out[0] = next + 1;
        return text.substring(end, next);
      }
      if (chunks == null) chunks = new StringBuilder();
      chunks.append(text, end, next);
      next++;
      if (c == '"') {
        out[0] = next;
        return chunks.toString();
      }
      if (next == length) throw error("Unterminated string starting at", begin);
      c = text.charAt(next);
      if (c != 'u') {
        end = next + 1;
        switch (c) {
          case '"':
          case '\\':
          case '/':
            break;
          case 'b':
            c = '\b';
            break;
          case 'f':
            c = '\f';
            break;
          case 'n':
            c = '\n';
            break;
          case 'r':
            c = '\r';
            break;
          case 't':
            c = '\t';
            break;
          default:
            throw error("Invalid \\escape", end - 2);
        }
        chunks.append(c);
        continue;
      }
      next++;
      end = next + 4;
      if (end >= length) throw error("Invalid \\uXXXX escape", next - 1);
      int code = 0;
      for (; next < end; next++) {
        int digit = hex(text.charAt(next));
        if (digit < 0) throw error("Invalid \\uXXXX escape", end - 5);
        code = (code << 4) | digit;
      }
      if (Character.isHighSurrogate((char) code)
          && end + 6 < length
          && text.charAt(end) == '\\'
          && text.charAt(end + 1) == 'u') {
        int low = 0;
        end += 2;
        next = end;
        end += 4;
        for (; next < end; next++) {
          int digit = hex(text.charAt(next));
          if (digit < 0) throw error("Invalid \\uXXXX escape", end - 5);
          low = (low << 4) | digit;
        }
        if (Character.isLowSurrogate((char) low)) {
          chunks.append((char) code).append((char) low);
          continue;
        }
        end -= 6;
      }
      chunks.append((char) code);
    }
  }

  private Map<String, Object> object(int index, int[] end) throws NoValue, Refused {
    Map<String, Object> result = new LinkedHashMap<>();
    index = skipWhitespace(index);
    if (index >= length || text.charAt(index) != '}') {
      while (true) {
        if (index >= length || text.charAt(index) != '"')
          throw error("Expecting property name enclosed in double quotes", index);
        String key = knownKey(index + 1);
        if (key != null) end[0] = index + 1 + key.length() + 1;
        else key = string(index + 1, end);
        index = skipWhitespace(end[0]);
        if (index >= length || text.charAt(index) != ':') throw error("Expecting ':' delimiter", index);
        index = skipWhitespace(index + 1);
        Object value = scan(index, end);
        // A Python dict: a repeated key keeps its first position and takes the last value.
        result.put(key, value);
        index = skipWhitespace(end[0]);
        if (index < length && text.charAt(index) == '}') break;
        if (index >= length || text.charAt(index) != ',') throw error("Expecting ',' delimiter", index);
        index = skipWhitespace(index + 1);
      }
    }
    end[0] = index + 1;
    return result;
  }

  private List<Object> array(int index, int[] end) throws NoValue, Refused {
    List<Object> result = new ArrayList<>();
    index = skipWhitespace(index);
    if (index >= length || text.charAt(index) != ']') {
      while (true) {
        result.add(scan(index, end));
        index = skipWhitespace(end[0]);
        if (index < length && text.charAt(index) == ']') break;
        if (index >= length || text.charAt(index) != ',') throw error("Expecting ',' delimiter", index);
        index = skipWhitespace(index + 1);
      }
    }
    end[0] = index + 1;
    return result;
  }
}
