package datapipeline.validator;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** How values and reasons are written, as decode.py / contract.py write them. */
final class Reasons {
  /** decode.py's REASON_MAX_CHARACTERS: a reason travels as a dead letter's header. */
  static final int REASON_MAX_CHARACTERS = 4_096;

  private Reasons() {}

  /** decode.py's bounded_reason, with Python's lengths and slices (code points). */
  static String bounded(String reason) {
    int length = reason.codePointCount(0, reason.length());
    if (length <= REASON_MAX_CHARACTERS) return reason;
    String suffix = "... (reason cut, " + length + " characters)";
    return prefix(reason, REASON_MAX_CHARACTERS - suffix.length()) + suffix;
  }

  /** The first {@code count} code points of {@code text} (Python's {@code text[:count]}). */
  static String prefix(String text, int count) {
    if (count <= 0) return "";
    int points = text.codePointCount(0, text.length());
    if (points <= count) return text;
    return text.substring(0, text.offsetByCodePoints(0, count));
  }

  /** Python's {@code repr(float)} of a finite double: shortest round-trip digits, Python's layout. */
  static String pythonFloat(double value) {
    if (value == 0) return (1 / value < 0) ? "-0.0" : "0.0";
    String digits = null;
    int exponent = 0;
    for (int precision = 1; precision <= 17; precision++) {
      String candidate = String.format("%." + (precision - 1) + "e", Math.abs(value));
      if (Double.parseDouble(candidate) == Math.abs(value)) {
        int e = candidate.indexOf('e');
        digits = candidate.substring(0, e).replace(".", "");
        exponent = Integer.parseInt(candidate.substring(e + 1));
        break;
      }
    }
    if (digits == null) {
      BigDecimal exact = new BigDecimal(Math.abs(value)).round(new java.math.MathContext(17));
      digits = exact.unscaledValue().toString();
      exponent = digits.length() - 1 - exact.scale();
    }
    while (digits.length() > 1 && digits.endsWith("0")) digits = digits.substring(0, digits.length() - 1);
    String sign = value < 0 ? "-" : "";
    int decimalPoint = exponent + 1; // value = 0.DIGITS x 10^decimalPoint
    if (decimalPoint > -4 && decimalPoint <= 16) {
      if (decimalPoint <= 0) return sign + "0." + "0".repeat(-decimalPoint) + digits;
      if (decimalPoint >= digits.length())
        return sign + digits + "0".repeat(decimalPoint - digits.length()) + ".0";
      return sign + digits.substring(0, decimalPoint) + "." + digits.substring(decimalPoint);
    }
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    String exponentText = String.format("%02d", Math.abs(exponent));
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exponentText;
  }

  /** {@code json.dumps(value, ensure_ascii=False, separators=(",", ":"))} of a JSON-model value. */
  static void dumps(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String) {
      dumpString((String) value, out);
    } else if (value instanceof Boolean) {
      out.append(((Boolean) value) ? "true" : "false");
    } else if (value instanceof Long || value instanceof Integer) {
      out.append(value);
    } else if (value instanceof Double) {
      double number = (Double) value;
      if (Double.isNaN(number)) out.append("NaN");
      else if (Double.isInfinite(number)) out.append(number > 0 ? "Infinity" : "-Infinity");
      else out.append(pythonFloat(number));
    } else if (value instanceof Map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        if (!first) out.append(',');
        first = false;
        dumpString(String.valueOf(entry.getKey()), out);
        out.append(':');
        dumps(entry.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof List) {
      out.append('[');
      boolean first = true;
      for (Object item : (List<?>) value) {
        if (!first) out.append(',');
        first = false;
        dumps(item, out);
      }
      out.append(']');
    } else if (value instanceof PyText) {
      dumpString(((PyText) value).text(), out);
    } else {
      dumpString(String.valueOf(value), out);
    }
  }

  private static void dumpString(String text, StringBuilder out) {
    out.append('"');
    for (int index = 0; index < text.length(); index++) {
      char c = text.charAt(index);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        default:
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
      }
    }
    out.append('"');
  }

  /** A JSON-model value containing a PyText anywhere (json.dumps would raise TypeError). */
  private static boolean unencodable(Object value) {
    if (value instanceof PyText) return true;
    if (value instanceof Map)
      for (Object item : ((Map<?, ?>) value).values()) if (unencodable(item)) return true;
    if (value instanceof List) for (Object item : (List<?>) value) if (unencodable(item)) return true;
    return false;
  }

  /** contract.py's quote_for_reason. */
  static String quoteForReason(Contract contract, Object value) {
    StringBuilder json = new StringBuilder();
    if (value instanceof Double && (((Double) value).isNaN() || ((Double) value).isInfinite())) {
      json.append("null");
    } else if (value instanceof PyText || !unencodable(value)) {
      dumps(value, json);
    } else {
      // json.dumps(str(value)): str() of a container holding bytes & co. is Python's repr; this
      // JSON model does not keep enough to write it, so the text says what it is.
      dumpString(String.valueOf(value), json);
    }
    StringBuilder out = new StringBuilder();
    String text = json.toString();
    int index = 0;
    while (index < text.length()) {
      int codePoint = text.codePointAt(index);
      int width = Character.charCount(codePoint);
      if (contract.escapedInReasons(codePoint)) {
        for (int unit = 0; unit < width; unit++)
          out.append(String.format("\\u%04x", (int) text.charAt(index + unit)));
      } else {
        out.append(text, index, index + width);
      }
      index += width;
    }
    return prefix(out.toString(), contract.reasonValueLength);
  }

  /** contract.py's name_for_reason: quote_for_reason without the quotes. */
  static String nameForReason(Contract contract, String name) {
    String quoted = quoteForReason(contract, name);
    String text = quoted.substring(1);
    return text.endsWith("\"") ? text.substring(0, text.length() - 1) : text;
  }

  /** decode.py's describe_error: {@code Type: message} in one line, at most 300 characters. */
  static String describeError(Throwable error) {
    String message = error.getMessage() == null ? "" : error.getMessage();
    String text = String.join(" ", (error.getClass().getSimpleName() + ": " + message).trim().split("\\s+"));
    return prefix(text, 300);
  }
}
