import type { User } from "../../contracts/users";
import type { NamePool, Pools } from "./pools";
import { buildPools } from "./pools";
import { Random } from "./random";
import { formatDate, formatTimestamp } from "./time-format";

const dayMilliseconds = 86_400_000;
const yearMilliseconds = 365.25 * dayMilliseconds;
/** Youngest age at event time, with a two-day margin so day rounding never breaks the rule. */
const minimumAgeMilliseconds = 18 * yearMilliseconds + 2 * dayMilliseconds;
/** Oldest age at event time, with a two-day margin. */
const maximumAgeMilliseconds = 90 * yearMilliseconds - 2 * dayMilliseconds;
/** Longest time between registration and the event. */
const maximumMembershipMilliseconds = 15 * yearMilliseconds;

/** Reference time of seeded runs when none is given: 2025-01-01T00:00:00.000Z. */
export const defaultReferenceTime = Date.UTC(2025, 0, 1);

/** Options of {@link UserGenerator}. */
export interface GeneratorOptions {
  /** Seed of every random choice; the same seed gives the same records. */
  readonly seed: number;
  /**
   * How `event_time` is set. `"clock"`: the wall-clock time the record is made (real runs).
   * `"sequence"`: `referenceTime` plus the record's index in milliseconds, so that a seeded run is
   * fully reproducible, `event_time` included.
   * @default "clock"
   */
  readonly eventTime?: "clock" | "sequence";
  /**
   * Start of the `"sequence"` event-time clock, in epoch milliseconds.
   * @default defaultReferenceTime (2025-01-01T00:00:00.000Z)
   */
  readonly referenceTime?: number;
}

/**
 * Makes valid user records fast: field values come from precomputed {@link Pools} and a seeded
 * {@link Random}, ids are random UUIDs drawn from the same seeded source.
 */
export class UserGenerator {
  private readonly random: Random;
  private readonly pools: Pools;
  private readonly sequenceClock: boolean;
  private readonly referenceTime: number;
  private index = 0;
  /** Numeric times of the last record (see {@link lastTimes}). */
  private readonly times = { dobDays: 0, registeredAt: 0, eventTime: 0 };

  constructor(options: GeneratorOptions) {
    this.random = new Random(options.seed);
    this.pools = buildPools(options.seed);
    this.sequenceClock = (options.eventTime ?? "clock") === "sequence";
    this.referenceTime = options.referenceTime ?? defaultReferenceTime;
  }

  /** Number of records made so far. */
  get generated(): number {
    return this.index;
  }

  /**
   * The numeric forms of the last record's dates (days since the epoch, epoch milliseconds), so
   * that binary encoders need not parse the text forms back. Overwritten by each {@link next}.
   */
  get lastTimes(): { readonly dobDays: number; readonly registeredAt: number; readonly eventTime: number } {
    return this.times;
  }

  /** Makes the next record. */
  next(): User {
    const random = this.random;
    const pools = this.pools;
    const eventTime = this.sequenceClock ? this.referenceTime + this.index : Date.now();
    this.index++;
    const id = random.uuid();
    const locale = random.pick(pools.locales);
    const female = (random.uint32() & 1) === 0;
    const firstNames: NamePool = female ? locale.femaleFirstNames : locale.maleFirstNames;
    const firstIndex = Math.floor(random.float() * firstNames.names.length);
    const lastIndex = Math.floor(random.float() * locale.lastNames.names.length);
    const firstSlug = firstNames.slugs[firstIndex]!;
    const lastSlug = locale.lastNames.slugs[lastIndex]!;
    const number = random.integer(1, 999);
    const birth =
      eventTime - minimumAgeMilliseconds - random.float() * (maximumAgeMilliseconds - minimumAgeMilliseconds);
    const registeredAt = eventTime - Math.floor(random.float() * maximumMembershipMilliseconds);
    const times = this.times;
    times.dobDays = Math.floor(birth / dayMilliseconds);
    times.registeredAt = registeredAt;
    times.eventTime = eventTime;
    const digits = random.integer(0, 9999).toString().padStart(4, "0");
    const separator = number % 3 === 0 ? "_" : ".";
    return {
      id,
      first_name: firstNames.names[firstIndex]!,
      last_name: locale.lastNames.names[lastIndex]!,
      gender: female ? "female" : "male",
      street_number: random.integer(1, number < 900 ? 999 : 99_999),
      street_name: random.pick(locale.streetNames),
      city: random.pick(locale.cities),
      state: random.pick(locale.states),
      postcode: random.pick(locale.postcodes),
      country: locale.country,
      email: `${firstSlug}.${lastSlug}${number}@${random.pick(pools.emailDomains)}`,
      username: `${firstSlug}${separator}${lastSlug}${number}`,
      dob: formatDate(birth),
      registered_at: formatTimestamp(registeredAt),
      phone: random.pick(locale.phonePrefixes) + digits,
      picture: random.pick(female ? pools.femalePortraits : pools.malePortraits),
      event_time: formatTimestamp(eventTime),
    };
  }
}
