/**
 * Fast formatting of UTC dates and timestamps in the contract's text forms (`YYYY-MM-DD` and
 * `YYYY-MM-DDTHH:mm:ss.sssZ`), identical to `Date.prototype.toISOString` for years 1000..9999 but
 * several times faster: day strings are cached, the time of day is built from lookup tables.
 */

const dayMilliseconds = 86_400_000;
const twoDigits: readonly string[] = Array.from({ length: 100 }, (_, value) =>
  value.toString().padStart(2, "0"),
);
const threeDigits: readonly string[] = Array.from({ length: 1000 }, (_, value) =>
  value.toString().padStart(3, "0"),
);
/** Cached day strings, indexed by days since 1900-01-01 (covers 1900..2199). */
const firstCachedDay = Math.floor(Date.UTC(1900, 0, 1) / dayMilliseconds);
const dayCache: (string | undefined)[] = new Array<string | undefined>(109_573).fill(undefined);

/** `YYYY-MM-DD` of the UTC day containing epoch millisecond `time`. */
export function formatDate(time: number): string {
  const day = Math.floor(time / dayMilliseconds);
  const slot = day - firstCachedDay;
  let text = dayCache[slot];
  if (text === undefined) {
    text = new Date(day * dayMilliseconds).toISOString().slice(0, 10);
    if (slot >= 0 && slot < dayCache.length) dayCache[slot] = text;
  }
  return text;
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ` of epoch millisecond `time` (fractions are truncated). */
export function formatTimestamp(time: number): string {
  const whole = Math.floor(time);
  const day = Math.floor(whole / dayMilliseconds);
  let rest = whole - day * dayMilliseconds;
  const milliseconds = rest % 1000;
  rest = (rest - milliseconds) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return (
    formatDate(whole) +
    "T" +
    twoDigits[hours]! +
    ":" +
    twoDigits[minutes]! +
    ":" +
    twoDigits[seconds]! +
    "." +
    threeDigits[milliseconds]! +
    "Z"
  );
}
