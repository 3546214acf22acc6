package datapipeline.validator;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The users record rules, interpreted from contracts/users.rules.json (a resource of this jar), as
 * spark/users_stream/contract.py's {@code validate_user} interprets them: same checks, same order,
 * same words. Nothing here restates a rule; a rule kind, field kind or key it does not know fails
 * at load (in the driver when the UDF is registered, and in the JUnit tests), never on a record.
 */
final class Contract {
  static final long DAY_MILLISECONDS = 86_400_000L;
  static final double YEAR_MILLISECONDS = 365.25 * DAY_MILLISECONDS;
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\w+)\\}");
  private static final Set<String> KINDS = Set.of("string", "int", "uuid", "date", "timestamp");
  private static final Set<String> RECORD_RULES = Set.of("yearsBetween", "after", "notAfter", "range");
  private static final Set<String> FORMAT_KEYS = Set.of("pattern", "oneOf", "minDigits");

  /** One field: name, kind, its format check (string fields) and messages. */
  record Field(String name, String kind, Check format, String formatMessage, String kindMessage) {}

  /** A check of one text, with the matchers of the thread's {@link Scratch}. */
  interface Check {
    boolean test(Scratch scratch, String value);
  }

  /**
   * What checking a record needs of its own on this thread: a Matcher per pattern, reset for each
   * value, and the instants read lately. The contract is shared by the tasks' threads; the job takes
   * this once per record ({@link #scratch()}) and not once per check (a ThreadLocal lookup, ~20
   * per record, was ~2% of the job's Spark JVM in a profile).
   */
  static final class Scratch {
    final Matcher[] matchers;
    final Instants instants = new Instants();

    Scratch(List<Pattern> patterns) {
      matchers = new Matcher[patterns.size()];
      for (int slot = 0; slot < matchers.length; slot++) matchers[slot] = patterns.get(slot).matcher("");
    }
  }

  /** Every pattern of the contract, by the slot of its Matcher in a {@link Scratch}. */
  private final List<Pattern> patterns = new ArrayList<>();

  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(() -> new Scratch(patterns));

  /** This thread's scratch, for the checks of one record. */
  Scratch scratch() {
    return scratch.get();
  }

  /** A date or timestamp field that a record rule reads. */
  record Operand(String name, boolean date) {}

  /**
   * One record rule, read once at load (not looked up in its JSON map for every record): `first` and
   * `second` are yearsBetween's from and to, after's and notAfter's field and than; `field` is the
   * field the reason names; min and max (yearsBetween, range) as numbers and as the reason writes them.
   */
  record RecordRule(
      String kind,
      String field,
      String message,
      Operand first,
      Operand second,
      double min,
      double max,
      String minText,
      String maxText) {}

  final List<Field> fields = new ArrayList<>();
  final Set<String> names = new HashSet<>();
  /** The field names by length, for {@link PyJson#parse(String, String[][])}. */
  final String[][] keysByLength;
  final List<RecordRule> recordRules = new ArrayList<>();
  final String notObject;
  final String unknownField;
  final String missing;
  final String loneSurrogate;
  final String lengthMessage;
  final int maxLength;
  final long intMin;
  final long intMax;
  final int reasonValueLength;
  final int reasonKeep;
  final String reasonEscaped;
  final int maxNesting;
  final UnicodeTable unicode;
  private final Check uuidPattern;
  private final Check datePattern;
  private final Check timestampPattern;

  private static Object resource(String name) {
    try (InputStream in = Contract.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("the validator jar has no " + name);
      return PyJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException | PyJson.Refused error) {
      throw new IllegalStateException("cannot read " + name + ": " + error.getMessage(), error);
    }
  }

  private static final class Holder {
    static final Contract INSTANCE = new Contract(resource("users.rules.json"), resource("users.unicode.json"));
  }

  /** The jar's rules, loaded once per JVM. */
  static Contract load() {
    return Holder.INSTANCE;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value, String where) {
    if (!(value instanceof Map)) throw new IllegalStateException("users.rules.json: " + where + " is not an object");
    return (Map<String, Object>) value;
  }

  static String text(Map<String, Object> map, String key, String where) {
    Object value = map.get(key);
    if (!(value instanceof String))
      throw new IllegalStateException("users.rules.json: " + where + "." + key + " is not a string");
    return (String) value;
  }

  static long number(Map<String, Object> map, String key, String where) {
    Object value = map.get(key);
    if (!(value instanceof Long))
      throw new IllegalStateException("users.rules.json: " + where + "." + key + " is not an integer");
    return (Long) value;
  }

  /** validate.ts's / contract.py's {@code fill}: each {name} replaced by its value when given. */
  static String fill(String template, Map<String, String> values) {
    Matcher matcher = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String value = values.get(matcher.group(1));
      matcher.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : matcher.group()));
    }
    matcher.appendTail(out);
    return out.toString();
  }

  /** A whole-value match of a rules pattern (Unicode properties from the table). */
  private Check wholeValue(String pattern) {
    int full = slot(Pattern.compile(unicode.expand(pattern)));
    if (!pattern.contains("\\p{")) return (scratch, value) -> scratch.matchers[full].reset(value).matches();
    // ASCII values: Java's own classes agree with the table on ASCII, and match faster.
    int ascii = slot(Pattern.compile(pattern));
    return (scratch, value) -> scratch.matchers[isAscii(value) ? ascii : full].reset(value).matches();
  }

  private int slot(Pattern pattern) {
    patterns.add(pattern);
    return patterns.size() - 1;
  }

  static boolean isAscii(String value) {
    for (int index = 0; index < value.length(); index++) if (value.charAt(index) >= 0x80) return false;
    return true;
  }

  @SuppressWarnings("unchecked")
  Contract(Object rulesDocument, Object unicodeDocument) {
    unicode = new UnicodeTable(unicodeDocument);
    Map<String, Object> rules = map(rulesDocument, "the document");
    if (!Long.valueOf(1).equals(rules.get("version")))
      throw new IllegalStateException("users.rules.json: version " + rules.get("version") + " is not 1");
    Map<String, Object> messages = map(rules.get("messages"), "messages");
    notObject = text(messages, "notObject", "messages");
    unknownField = text(messages, "unknownField", "messages");
    missing = text(messages, "missing", "messages");
    loneSurrogate = text(messages, "loneSurrogate", "messages");
    maxLength = (int) number(map(rules.get("strings"), "strings"), "maxLength", "strings");
    lengthMessage = fill(text(messages, "length", "messages"), Map.of("maxLength", Integer.toString(maxLength)));
    String formatTemplate = text(messages, "format", "messages");
    Map<String, Object> kinds = map(rules.get("kinds"), "kinds");
    for (String kind : kinds.keySet())
      if (!KINDS.contains(kind)) throw new IllegalStateException("users.rules.json: unknown kind " + kind);
    Map<String, Object> integer = map(map(kinds.get("int"), "kinds.int").get("integer"), "kinds.int.integer");
    intMin = number(integer, "min", "kinds.int.integer");
    intMax = number(integer, "max", "kinds.int.integer");
    uuidPattern = wholeValue(text(map(kinds.get("uuid"), "kinds.uuid"), "pattern", "kinds.uuid"));
    datePattern = wholeValue(text(map(kinds.get("date"), "kinds.date"), "pattern", "kinds.date"));
    timestampPattern =
        wholeValue(text(map(kinds.get("timestamp"), "kinds.timestamp"), "pattern", "kinds.timestamp"));
    Map<String, Object> formats = map(rules.get("formats"), "formats");
    for (Object entry : (List<Object>) rules.get("fields")) {
      Map<String, Object> field = map(entry, "fields[]");
      String name = text(field, "name", "fields[]");
      String kind = text(field, "kind", "fields." + name);
      if (!KINDS.contains(kind)) throw new IllegalStateException("users.rules.json: field " + name + " has unknown kind " + kind);
      Check format = null;
      String formatMessage = null;
      Object formatName = field.get("format");
      if (formatName != null) {
        Map<String, Object> rule = map(formats.get(formatName), "formats." + formatName);
        for (String key : rule.keySet())
          if (!FORMAT_KEYS.contains(key))
            throw new IllegalStateException("users.rules.json: formats." + formatName + " has unknown key " + key);
        format = formatCheck(rule);
        formatMessage = fill(formatTemplate, Map.of("format", (String) formatName));
      }
      String kindMessage = text(map(kinds.get(kind), "kinds." + kind), "message", "kinds." + kind);
      fields.add(new Field(name, kind, format, formatMessage, kindMessage));
      names.add(name);
    }
    keysByLength = PyJson.keysByLength(names);
    for (Object entry : (List<Object>) rules.get("recordRules")) {
      Map<String, Object> rule = map(entry, "recordRules[]");
      String kind = text(rule, "rule", "recordRules[]");
      if (!RECORD_RULES.contains(kind)) throw new IllegalStateException("users.rules.json: unknown record rule " + kind);
      recordRules.add(recordRule(kind, rule));
    }
    Map<String, Object> reasons = map(rules.get("reasons"), "reasons");
    reasonValueLength = (int) number(reasons, "valueLength", "reasons");
    reasonKeep = text(reasons, "keep", "reasons").codePointAt(0);
    reasonEscaped = text(reasons, "escaped", "reasons");
    Matcher escaped = Pattern.compile("^\\[((?:\\\\p\\{\\w+\\})+)\\]$").matcher(reasonEscaped);
    if (!escaped.matches())
      throw new IllegalStateException("users.rules.json: reasons.escaped " + reasonEscaped + " is not a class of \\p{X}");
    maxNesting = (int) number(map(rules.get("json"), "json"), "maxNesting", "json");
    escapedProperties = new ArrayList<>();
    Matcher property = Pattern.compile("\\\\p\\{(\\w+)\\}").matcher(escaped.group(1));
    while (property.find()) escapedProperties.add(property.group(1));
  }

  private final List<String> escapedProperties;

  private RecordRule recordRule(String kind, Map<String, Object> rule) {
    String where = "recordRules." + kind;
    String field = text(rule, "field", where);
    String message = text(rule, "message", where);
    boolean between = kind.equals("yearsBetween");
    boolean ranged = between || kind.equals("range");
    Operand first = null;
    Operand second = null;
    if (between) {
      first = operand(text(rule, "from", where), where);
      second = operand(text(rule, "to", where), where);
    } else if (!kind.equals("range")) {
      first = operand(field, where);
      second = operand(text(rule, "than", where), where);
    }
    double min = ranged ? bound(rule, "min", where) : 0;
    double max = ranged ? bound(rule, "max", where) : 0;
    return new RecordRule(
        kind,
        field,
        message,
        first,
        second,
        min,
        max,
        ranged ? integerText(rule.get("min")) : null,
        ranged ? integerText(rule.get("max")) : null);
  }

  private Operand operand(String name, String where) {
    for (Field field : fields)
      if (field.name().equals(name) && (field.kind().equals("date") || field.kind().equals("timestamp")))
        return new Operand(field.name(), field.kind().equals("date"));
    throw new IllegalStateException("users.rules.json: " + where + " names no date or timestamp field " + name);
  }

  private static double bound(Map<String, Object> rule, String key, String where) {
    Object value = rule.get(key);
    if (!(value instanceof Number))
      throw new IllegalStateException("users.rules.json: " + where + "." + key + " is not a number");
    return ((Number) value).doubleValue();
  }

  private Check formatCheck(Map<String, Object> rule) {
    Check pattern = rule.containsKey("pattern") ? wholeValue((String) rule.get("pattern")) : null;
    @SuppressWarnings("unchecked")
    Set<String> oneOf = rule.containsKey("oneOf") ? Set.copyOf((List<String>) (List<?>) rule.get("oneOf")) : null;
    Long minDigits = (Long) rule.get("minDigits");
    return (scratch, value) -> {
      if (pattern != null && !pattern.test(scratch, value)) return false;
      if (oneOf != null && !oneOf.contains(value)) return false;
      if (minDigits != null) {
        int digits = 0;
        for (int index = 0; index < value.length(); index++) {
          char c = value.charAt(index);
          if (c >= '0' && c <= '9') digits++;
        }
        return digits >= minDigits;
      }
      return true;
    };
  }

  /** Whether the reason escape class holds {@code codePoint} (and it is not `reasons.keep`). */
  boolean escapedInReasons(int codePoint) {
    if (codePoint == reasonKeep) return false;
    for (String name : escapedProperties) if (unicode.has(name, codePoint)) return true;
    return false;
  }

  /**
   * The last few date and timestamp texts read on this thread, by identity, and their values: the
   * same field's text is read by its kind check, by each record rule that names it and by the row
   * it goes into, so each is parsed once per record.
   */
  private static final class Instants {
    private static final int SIZE = 8;
    final String[] texts = new String[SIZE];
    final boolean[] dates = new boolean[SIZE];
    final Long[] values = new Long[SIZE];
    int next;

    int find(String text, boolean date) {
      for (int slot = 0; slot < SIZE; slot++) if (texts[slot] == text && dates[slot] == date) return slot;
      return -1;
    }

    Long put(String text, boolean date, Long value) {
      texts[next] = text;
      dates[next] = date;
      values[next] = value;
      next = (next + 1) % SIZE;
      return value;
    }
  }

  /** Days since the epoch of a date of kind `date`, else null (contract.py's _date_days). */
  Long dateDays(Scratch scratch, String text) {
    Instants seen = scratch.instants;
    int slot = seen.find(text, true);
    return slot >= 0 ? seen.values[slot] : seen.put(text, true, parseDateDays(scratch, text));
  }

  /** Milliseconds since the epoch of a time of kind `timestamp`, else null (_timestamp_milliseconds). */
  Long timestampMilliseconds(Scratch scratch, String text) {
    Instants seen = scratch.instants;
    int slot = seen.find(text, false);
    return slot >= 0 ? seen.values[slot] : seen.put(text, false, parseTimestampMilliseconds(scratch, text));
  }

  private Long parseDateDays(Scratch scratch, String text) {
    if (!datePattern.test(scratch, text)) return null;
    return epochDay(text);
  }

  /** Days since the epoch of the YYYY-MM-DD at the start of `text` (digits checked), else null. */
  private static Long epochDay(String text) {
    int year = digits(text, 0, 4);
    if (year < 1) return null;
    try {
      return LocalDate.of(year, digits(text, 5, 7), digits(text, 8, 10)).toEpochDay();
    } catch (DateTimeException error) {
      return null;
    }
  }

  private Long parseTimestampMilliseconds(Scratch scratch, String text) {
    if (!timestampPattern.test(scratch, text)) return null;
    int hour = digits(text, 11, 13);
    int minute = digits(text, 14, 16);
    int second = digits(text, 17, 19);
    if (hour > 23 || minute > 59 || second > 59) return null; // LocalDateTime.of's ranges
    Long day = epochDay(text);
    if (day == null) return null;
    return ((day * 24 + hour) * 60 + minute) * 60_000L + second * 1_000L + digits(text, 20, 23);
  }

  /**
   * The number written by ASCII digits `text[from, to)`: the kind patterns have checked they are
   * [0-9] (no substring and parseInt per field: ~7% of the validator's time in a profile).
   */
  private static int digits(String text, int from, int to) {
    int value = 0;
    for (int index = from; index < to; index++) value = value * 10 + (text.charAt(index) - '0');
    return value;
  }

  static boolean hasLoneSurrogate(String value) {
    for (int index = 0; index < value.length(); index++) {
      char c = value.charAt(index);
      if (Character.isHighSurrogate(c)) {
        if (index + 1 < value.length() && Character.isLowSurrogate(value.charAt(index + 1))) index++;
        else return true;
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** Python's {@code type(value) is int or (type(value) is float and value.is_integer())}. */
  static boolean integral(Object value) {
    if (value instanceof Long) return true;
    if (value instanceof Double) {
      double number = (Double) value;
      return !Double.isInfinite(number) && !Double.isNaN(number) && number == Math.rint(number);
    }
    return false;
  }

  private String fieldProblem(Scratch scratch, Field field, Object value) {
    switch (field.kind()) {
      case "string": {
        if (!(value instanceof String)) return field.kindMessage();
        String text = (String) value;
        if (hasLoneSurrogate(text)) return loneSurrogate;
        if (text.isEmpty() || text.length() > maxLength) return lengthMessage;
        return field.format() != null && !field.format().test(scratch, text) ? field.formatMessage() : null;
      }
      case "int": {
        if (!integral(value)) return field.kindMessage();
        double number = ((Number) value).doubleValue();
        if (value instanceof Long) {
          long whole = (Long) value;
          return whole >= intMin && whole <= intMax ? null : field.kindMessage();
        }
        return number >= intMin && number <= intMax ? null : field.kindMessage();
      }
      default: {
        if (value instanceof String) {
          String text = (String) value;
          boolean ok;
          if (field.kind().equals("uuid")) ok = uuidPattern.test(scratch, text);
          else if (field.kind().equals("date")) ok = dateDays(scratch, text) != null;
          else ok = timestampMilliseconds(scratch, text) != null;
          if (ok) return null;
        }
        return field.kindMessage();
      }
    }
  }

  private long instant(Scratch scratch, Map<String, Object> record, Operand operand) {
    String text = (String) record.get(operand.name());
    return operand.date() ? dateDays(scratch, text) * DAY_MILLISECONDS : timestampMilliseconds(scratch, text);
  }

  /** Python's {@code f"{years:.2f}"}: the exact binary value rounded half-even, "-0.00" kept. */
  static String twoDecimals(double years) {
    String text = new BigDecimal(years).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    if ((years < 0 || (years == 0 && 1 / years < 0)) && !text.startsWith("-")) text = "-" + text;
    return text;
  }

  private static String integerText(Object value) {
    return value.toString();
  }

  private String recordRuleProblem(Scratch scratch, RecordRule rule, Map<String, Object> record) {
    switch (rule.kind()) {
      case "yearsBetween": {
        double years = (instant(scratch, record, rule.second()) - instant(scratch, record, rule.first())) / YEAR_MILLISECONDS;
        if (years < rule.min() || years > rule.max())
          return fill(rule.message(), Map.of("years", twoDecimals(years), "min", rule.minText(), "max", rule.maxText()));
        return null;
      }
      case "after":
        return instant(scratch, record, rule.first()) > instant(scratch, record, rule.second()) ? null : rule.message();
      case "notAfter":
        return instant(scratch, record, rule.first()) <= instant(scratch, record, rule.second()) ? null : rule.message();
      case "range": {
        double value = ((Number) record.get(rule.field())).doubleValue();
        if (value < rule.min() || value > rule.max())
          return fill(rule.message(), Map.of("min", rule.minText(), "max", rule.maxText()));
        return null;
      }
      default:
        throw new IllegalStateException("unknown record rule " + rule.kind());
    }
  }

  /** Every problem of {@code value} (empty: valid), in contract.py's words and order. */
  List<String> problems(Object value) {
    return problems(scratch(), value);
  }

  /** {@link #problems(Object)} with this thread's scratch, taken once for the record. */
  List<String> problems(Scratch scratch, Object value) {
    List<String> problems = new ArrayList<>();
    if (!(value instanceof Map)) {
      problems.add(notObject);
      return problems;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> record = (Map<String, Object>) value;
    for (String key : record.keySet())
      if (!names.contains(key)) problems.add(Reasons.nameForReason(this, key) + ": " + unknownField);
    for (Field field : fields) {
      Object fieldValue = record.get(field.name());
      if (fieldValue == null) {
        problems.add(field.name() + ": " + missing);
        continue;
      }
      String problem = fieldProblem(scratch, field, fieldValue);
      if (problem != null)
        problems.add(field.name() + ": " + problem + " (" + Reasons.quoteForReason(this, fieldValue) + ")");
    }
    if (!problems.isEmpty()) return problems;
    for (RecordRule rule : recordRules) {
      String problem = recordRuleProblem(scratch, rule, record);
      if (problem != null) problems.add(rule.field() + ": " + problem);
    }
    return problems;
  }

  static String lower(String text) {
    return text.toLowerCase(Locale.ROOT);
  }
}
