package datapipeline.validator.avro;

import datapipeline.validator.Parsed;
import datapipeline.validator.PyText;
import datapipeline.validator.RecordParser;
import datapipeline.validator.RegistryUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * decode.py's {@code _parse_avro} on the JVM: Confluent wire format (magic byte 0, 4-byte schema
 * id, Avro binary), the writer schema fetched from the registry once per JVM and id, the record read
 * as fastavro's {@code schemaless_reader} reads it and put in decode.py's {@code _json_form}. A
 * payload that does not fit its schema gets fastavro's exception type in its reason.
 */
public final class AvroWireParser implements RecordParser {
  private static final long serialVersionUID = 1L;
  private static final int HEADER_BYTES = 5;
  /** Parsed writer schemas (or why not) per registry URL and id, shared by every task of the JVM. */
  private static final Map<String, Object> SCHEMAS = new ConcurrentHashMap<>();

  private final String registryUrl;

  public AvroWireParser(String schemaRegistryUrl) {
    this.registryUrl = schemaRegistryUrl == null || schemaRegistryUrl.isEmpty() ? null : schemaRegistryUrl;
  }

  /** A failure of the payload against its schema: {@code type} is the Python exception fastavro raises. */
  static final class Mismatch extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String type;

    Mismatch(String type) {
      super(type, null, false, false);
      this.type = type;
    }
  }

  private record Unusable(String reason) {}

  @Override
  public Parsed parse(byte[] value) {
    if (value.length < HEADER_BYTES || value[0] != 0)
      return Parsed.rejected(
          String.format(
              "unparsable: not Confluent wire format (first byte 0x%02x, %d bytes)", value[0] & 0xff, value.length));
    long id = ByteBuffer.wrap(value, 1, 4).getInt() & 0xffffffffL;
    if (registryUrl == null) return Parsed.rejected("unknown schema id " + id);
    Object schema = SCHEMAS.computeIfAbsent(registryUrl + "#" + id, key -> load(id));
    if (schema instanceof Unusable) return Parsed.rejected(((Unusable) schema).reason());
    Reader reader = new Reader(value, HEADER_BYTES);
    Object record;
    try {
      record = reader.read((Schema.Node) schema);
    } catch (Mismatch mismatch) {
      return Parsed.rejected(
          "unparsable: Avro payload does not match schema id " + id + " (" + mismatch.type + ")");
    }
    if (reader.position != value.length)
      return Parsed.rejected(
          "unparsable: " + (value.length - reader.position) + " trailing bytes after the Avro record");
    if (!(record instanceof Map)) return Parsed.rejected("invalid: record is not an object");
    @SuppressWarnings("unchecked")
    Map<String, Object> fields = (Map<String, Object>) record;
    Map<String, Object> json = new LinkedHashMap<>();
    for (Map.Entry<String, Object> entry : fields.entrySet()) json.put(entry.getKey(), jsonForm(entry.getValue()));
    return Parsed.of(json);
  }

  /** decode.py's _json_form of one top-level value: UUID, datetime and date in their text form. */
  private static Object jsonForm(Object value) {
    if (value instanceof UUID) return value.toString();
    if (value instanceof LocalDateTime) {
      LocalDateTime moment = (LocalDateTime) value;
      return String.format(
          "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
          moment.getYear(),
          moment.getMonthValue(),
          moment.getDayOfMonth(),
          moment.getHour(),
          moment.getMinute(),
          moment.getSecond(),
          moment.getNano() / 1_000_000);
    }
    if (value instanceof LocalDate) {
      LocalDate day = (LocalDate) value;
      return String.format("%04d-%02d-%02d", day.getYear(), day.getMonthValue(), day.getDayOfMonth());
    }
    return Reader.plain(value);
  }

  private Object load(long id) {
    String body = fetch(id);
    if (body == null) return new Unusable("unknown schema id " + id);
    try {
      return Schema.parse(body);
    } catch (Schema.Invalid invalid) {
      return new Unusable("unusable schema id " + id + ": " + invalid.getMessage());
    }
  }

  /** The registry's schema text for {@code id}; null when it does not hold the id (404). */
  private String fetch(long id) {
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) new URL(registryUrl + "/schemas/ids/" + id).openConnection();
      connection.setConnectTimeout(10_000);
      connection.setReadTimeout(10_000);
      connection.setRequestProperty("Accept", "application/vnd.schemaregistry.v1+json, application/json");
      int status = connection.getResponseCode();
      if (status == 404) return null;
      if (status >= 400)
        throw new RegistryUnavailableException(
            "schema registry " + registryUrl + ": HTTP " + status + " for schema id " + id, null);
      try (InputStream in = connection.getInputStream()) {
        return Schema.schemaText(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException error) {
      throw new RegistryUnavailableException(
          "schema registry " + registryUrl + " unreachable: " + error, error);
    } finally {
      if (connection != null) connection.disconnect();
    }
  }

  /** Reads Avro binary as fastavro's reader, with its Python exception types on a mismatch. */
  static final class Reader {
    private final byte[] data;
    int position;

    Reader(byte[] data, int position) {
      this.data = data;
      this.position = position;
    }

    /** Model values for anything fastavro returns that is no JSON value, left at top level. */
    static Object plain(Object value) {
      if (value instanceof byte[]) return new PyText(bytesRepr((byte[]) value));
      if (value instanceof UUID || value instanceof LocalDateTime || value instanceof LocalDate)
        return new PyText(value.toString());
      if (value instanceof List) {
        List<Object> out = new ArrayList<>();
        for (Object item : (List<?>) value) out.add(plain(item));
        return out;
      }
      if (value instanceof Map) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) out.put((String) entry.getKey(), plain(entry.getValue()));
        return out;
      }
      return value;
    }

    /** Python's repr of bytes: b'...' with \\x escapes, \\t \\n \\r, printable ASCII as is. */
    static String bytesRepr(byte[] bytes) {
      boolean single = false;
      boolean dbl = false;
      for (byte b : bytes) {
        if (b == '\'') single = true;
        if (b == '"') dbl = true;
      }
      char quote = single && !dbl ? '"' : '\'';
      StringBuilder out = new StringBuilder("b").append(quote);
      for (byte b : bytes) {
        int c = b & 0xff;
        if (c == quote || c == '\\') out.append('\\').append((char) c);
        else if (c == '\t') out.append("\\t");
        else if (c == '\n') out.append("\\n");
        else if (c == '\r') out.append("\\r");
        else if (c < 0x20 || c >= 0x7f) out.append(String.format("\\x%02x", c));
        else out.append((char) c);
      }
      return out.append(quote).toString();
    }

    private int next() {
      if (position >= data.length) throw new Mismatch("EOFError");
      return data[position++] & 0xff;
    }

    long readLong() {
      long result = 0;
      int shift = 0;
      int b;
      do {
        // fastavro: no byte at all is EOFError, a varint cut after its first byte IndexError.
        if (shift > 0 && position >= data.length) throw new Mismatch("IndexError");
        b = next();
        if (shift < 64) result |= (long) (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      return (result >>> 1) ^ -(result & 1);
    }

    private byte[] readExactly(long size) {
      if (size < 0 || size > data.length - position) throw new Mismatch("EOFError"); // "Expected N bytes, read M"
      byte[] out = new byte[(int) size];
      System.arraycopy(data, position, out, 0, (int) size);
      position += (int) size;
      return out;
    }

    Object read(Schema.Node node) {
      Object raw = readRaw(node);
      return node.logical == null ? raw : logical(node, raw);
    }

    private Object readRaw(Schema.Node node) {
      switch (node.type) {
        case "null":
          return null;
        case "boolean":
          return next() != 0;
        case "int":
        case "long":
          return readLong();
        case "float":
          return (double) ByteBuffer.wrap(readExactly(4)).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        case "double":
          return ByteBuffer.wrap(readExactly(8)).order(ByteOrder.LITTLE_ENDIAN).getDouble();
        case "bytes":
          return readExactly(readLong());
        case "string":
          return utf8(readExactly(readLong()));
        case "fixed":
          return readExactly(node.size);
        case "enum":
          return pyIndex(node.symbols, readLong());
        case "array": {
          List<Object> items = new ArrayList<>();
          for (long count = blockCount(); count != 0; count = blockCount())
            for (long index = 0; index < count; index++) items.add(read(node.items));
          return items;
        }
        case "map": {
          Map<String, Object> entries = new LinkedHashMap<>();
          for (long count = blockCount(); count != 0; count = blockCount())
            for (long index = 0; index < count; index++) {
              String key = utf8(readExactly(readLong()));
              entries.put(key, read(node.values));
            }
          return entries;
        }
        case "union":
          return read(pyIndex(node.branches, readLong()));
        case "record": {
          Map<String, Object> record = new LinkedHashMap<>();
          for (Map.Entry<String, Schema.Node> field : node.fields.entrySet())
            record.put(field.getKey(), read(field.getValue()));
          return record;
        }
        default:
          throw new Mismatch("ValueError");
      }
    }

    private long blockCount() {
      long count = readLong();
      if (count < 0) {
        readLong(); // the block's size in bytes
        count = -count;
      }
      return count;
    }

    /** Python's list[index]: negative indexes count from the end; out of range is IndexError. */
    private static <T> T pyIndex(List<T> list, long index) {
      long actual = index < 0 ? list.size() + index : index;
      if (actual < 0 || actual >= list.size()) throw new Mismatch("IndexError");
      return list.get((int) actual);
    }

    private static String utf8(byte[] bytes) {
      if (datapipeline.validator.JsonParserAccess.utf8Problem(bytes) != null) throw new Mismatch("UnicodeDecodeError");
      return new String(bytes, StandardCharsets.UTF_8);
    }

    private static final LocalDateTime EPOCH = LocalDateTime.of(1970, 1, 1, 0, 0);
    private static final long MIN_MICROS = -62_135_596_800_000_000L; // 0001-01-01T00:00:00
    private static final long MAX_MICROS = 253_402_300_799_999_999L; // 9999-12-31T23:59:59.999999

    /** fastavro's logical readers, keyed by base type and logical type (others are ignored). */
    private static Object logical(Schema.Node node, Object raw) {
      switch (node.type + "-" + node.logical) {
        case "string-uuid":
          return uuid((String) raw);
        case "int-date": {
          long ordinal = (Long) raw + 719_163L; // date.fromordinal(days + DAYS_SHIFT)
          if (ordinal > Integer.MAX_VALUE || ordinal < Integer.MIN_VALUE) throw new Mismatch("OverflowError");
          if (ordinal < 1 || ordinal > 3_652_059L) throw new Mismatch("ValueError");
          return LocalDate.ofEpochDay((Long) raw);
        }
        case "long-timestamp-millis":
        case "long-local-timestamp-millis": {
          long millis = (Long) raw;
          if (Math.abs(millis) > Long.MAX_VALUE / 1000) throw new Mismatch("OverflowError");
          return moment(millis * 1000L);
        }
        case "long-timestamp-micros":
        case "long-local-timestamp-micros":
          return moment((Long) raw);
        default:
          return raw;
      }
    }

    private static LocalDateTime moment(long micros) {
      if (micros < MIN_MICROS || micros > MAX_MICROS) throw new Mismatch("OverflowError");
      return EPOCH.plusSeconds(Math.floorDiv(micros, 1_000_000L)).plusNanos(Math.floorMod(micros, 1_000_000L) * 1000L);
    }

    /**
     * Python's uuid.UUID(text): "urn:" and "uuid:" removed, braces stripped, hyphens removed, 32
     * characters left, then int(hex, 16), which also takes a sign, "0x", surrounding whitespace and
     * single underscores between digits; a negative value is a ValueError.
     */
    private static UUID uuid(String text) {
      String hex = text.replace("urn:", "").replace("uuid:", "");
      hex = hex.replaceAll("^[{}]+|[{}]+$", "").replace("-", "");
      if (hex.codePointCount(0, hex.length()) != 32) throw new Mismatch("ValueError");
      String digits = hex.strip();
      boolean negative = false;
      if (digits.startsWith("+") || digits.startsWith("-")) {
        negative = digits.startsWith("-");
        digits = digits.substring(1);
      }
      if (digits.startsWith("0x") || digits.startsWith("0X")) {
        digits = digits.substring(2);
        if (digits.startsWith("_")) digits = digits.substring(1);
      }
      if (!digits.matches("[0-9a-fA-F]+(_[0-9a-fA-F]+)*")) throw new Mismatch("ValueError");
      java.math.BigInteger value = new java.math.BigInteger(digits.replace("_", ""), 16);
      if (negative && value.signum() != 0) throw new Mismatch("ValueError");
      if (value.bitLength() > 128) throw new Mismatch("ValueError");
      return new UUID(value.shiftRight(64).longValue(), value.longValue());
    }
  }

  /** Writer schemas: the subset of Avro fastavro reads, parsed to reader nodes. */
  static final class Schema {
    static final class Invalid extends Exception {
      private static final long serialVersionUID = 1L;

      Invalid(String message) {
        super(message);
      }
    }

    static final class Node {
      String type;
      String logical;
      int size;
      List<String> symbols;
      Node items;
      Node values;
      List<Node> branches;
      Map<String, Node> fields;
    }

    /** The "schema" string of a registry answer. */
    static String schemaText(String body) throws IOException {
      Object parsed = datapipeline.validator.JsonParserAccess.json(body);
      if (!(parsed instanceof Map) || !(((Map<?, ?>) parsed).get("schema") instanceof String)) return null;
      return (String) ((Map<?, ?>) parsed).get("schema");
    }

    static Node parse(String text) throws Invalid {
      Object json;
      try {
        json = datapipeline.validator.JsonParserAccess.json(text);
      } catch (IOException error) {
        throw new Invalid(error.getMessage());
      }
      return node(json, "", new HashMap<>());
    }

    private static final List<String> PRIMITIVES =
        List.of("null", "boolean", "int", "long", "float", "double", "bytes", "string");

    @SuppressWarnings("unchecked")
    private static Node node(Object json, String namespace, Map<String, Node> named) throws Invalid {
      if (json instanceof String) {
        String name = (String) json;
        if (PRIMITIVES.contains(name)) {
          Node node = new Node();
          node.type = name;
          return node;
        }
        Node found = named.get(name.contains(".") || namespace.isEmpty() ? name : namespace + "." + name);
        if (found == null) found = named.get(name);
        if (found == null) throw new Invalid("Unknown type: " + name);
        return found;
      }
      if (json instanceof List) {
        Node node = new Node();
        node.type = "union";
        node.branches = new ArrayList<>();
        for (Object branch : (List<Object>) json) node.branches.add(node(branch, namespace, named));
        return node;
      }
      if (!(json instanceof Map)) throw new Invalid("Unknown type: " + json);
      Map<String, Object> map = (Map<String, Object>) json;
      Object type = map.get("type");
      Node node = new Node();
      if (type instanceof String && PRIMITIVES.contains(type)) {
        node.type = (String) type;
      } else if ("record".equals(type) || "error".equals(type) || "enum".equals(type) || "fixed".equals(type)) {
        node.type = "error".equals(type) ? "record" : (String) type;
        String name = String.valueOf(map.get("name"));
        String space = map.get("namespace") instanceof String ? (String) map.get("namespace") : namespace;
        String fullName = name.contains(".") || space.isEmpty() ? name : space + "." + name;
        if (name.contains(".")) space = name.substring(0, name.lastIndexOf('.'));
        named.put(fullName, node);
        if (node.type.equals("record")) {
          node.fields = new LinkedHashMap<>();
          for (Object field : (List<Object>) map.get("fields")) {
            Map<String, Object> entry = (Map<String, Object>) field;
            node.fields.put((String) entry.get("name"), node(entry.get("type"), space, named));
          }
        } else if (node.type.equals("enum")) {
          node.symbols = new ArrayList<>();
          for (Object symbol : (List<Object>) map.get("symbols")) node.symbols.add((String) symbol);
        } else {
          node.size = ((Number) map.get("size")).intValue();
        }
      } else if ("array".equals(type)) {
        node.type = "array";
        node.items = node(map.get("items"), namespace, named);
      } else if ("map".equals(type)) {
        node.type = "map";
        node.values = node(map.get("values"), namespace, named);
      } else if (type instanceof Map || type instanceof List || type instanceof String) {
        Node inner = node(type, namespace, named);
        if (map.get("logicalType") == null) return inner;
        node = copy(inner);
      } else {
        throw new Invalid("Unknown type: " + type);
      }
      Object logical = map.get("logicalType");
      if (logical instanceof String) node.logical = (String) logical;
      return node;
    }

    private static Node copy(Node inner) {
      Node node = new Node();
      node.type = inner.type;
      node.size = inner.size;
      node.symbols = inner.symbols;
      node.items = inner.items;
      node.values = inner.values;
      node.branches = inner.branches;
      node.fields = inner.fields;
      return node;
    }
  }
}
