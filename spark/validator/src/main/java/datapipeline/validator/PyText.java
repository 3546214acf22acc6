package datapipeline.validator;

/**
 * A value of the JSON model that Python's json.dumps cannot encode (decode.py's `quote_for_reason`
 * then quotes {@code str(value)}): {@code text} is that {@code str(value)}, e.g. {@code b'\x00'}.
 */
public record PyText(String text) {}
