import type { Faker } from "@faker-js/faker";
import { allFakers } from "@faker-js/faker";

/**
 * Value pools built once from Faker's locale data, so that making a record is a handful of array
 * look-ups instead of a dozen Faker calls. Built with a seeded Faker, so the pools (and hence the
 * records) are reproducible.
 */

/** Names with their e-mail-safe ASCII form, precomputed once. */
export interface NamePool {
  /** Names as shown (may contain accents, apostrophes, hyphens, spaces). */
  readonly names: readonly string[];
  /** The same names lower-cased to [a-z], for e-mail addresses and usernames. */
  readonly slugs: readonly string[];
}

/** Everything needed to make users of one country. */
export interface LocalePool {
  /** Country name written into every record of this locale. */
  readonly country: string;
  /** Female given names. */
  readonly femaleFirstNames: NamePool;
  /** Male given names. */
  readonly maleFirstNames: NamePool;
  /** Family names. */
  readonly lastNames: NamePool;
  /** Street names. */
  readonly streetNames: readonly string[];
  /** City names. */
  readonly cities: readonly string[];
  /** States or regions. */
  readonly states: readonly string[];
  /** Postal codes. */
  readonly postcodes: readonly string[];
  /** International phone numbers without their last four digits (the generator appends them). */
  readonly phonePrefixes: readonly string[];
}

/** All pools of the generator. */
export interface Pools {
  /** One pool per supported country. */
  readonly locales: readonly LocalePool[];
  /** E-mail domains. */
  readonly emailDomains: readonly string[];
  /** Portrait URLs for female users. */
  readonly femalePortraits: readonly string[];
  /** Portrait URLs for male users. */
  readonly malePortraits: readonly string[];
}

/** Faker locales used, with the country their addresses belong to. */
const localeCountries: readonly (readonly [keyof typeof allFakers, string])[] = [
  ["en_US", "United States"],
  ["en_GB", "United Kingdom"],
  ["en_CA", "Canada"],
  ["en_AU", "Australia"],
  ["de", "Germany"],
  ["fr", "France"],
  ["es", "Spain"],
  ["nl", "Netherlands"],
];

const poolSize = 512;
const validName = /^[\p{L}][\p{L}' .-]{0,63}$/u;

/** Lower-case ASCII form of a name for e-mail addresses: "Zoë O'Hara" → "zoeohara". */
export function slugOf(name: string): string {
  const slug = name
    .normalize("NFD")
    .replace(/ß/g, "ss")
    .toLowerCase()
    .replace(/[^a-z]/g, "")
    .slice(0, 15);
  return slug.length > 0 ? slug : "user";
}

function namePool(names: readonly string[]): NamePool {
  const kept = [...new Set(names)].filter((name) => validName.test(name));
  return { names: kept, slugs: kept.map(slugOf) };
}

function distinct(count: number, make: () => string): string[] {
  const values = new Set<string>();
  for (let attempt = 0; attempt < count * 4 && values.size < count; attempt++) values.add(make());
  return [...values];
}

function localePool(faker: Faker, country: string): LocalePool {
  const person = faker.rawDefinitions.person;
  const firstNames = person?.first_name;
  const lastNames = person?.last_name?.generic ?? person?.last_name?.female ?? [];
  return {
    country,
    femaleFirstNames: namePool(firstNames?.female ?? firstNames?.generic ?? []),
    maleFirstNames: namePool(firstNames?.male ?? firstNames?.generic ?? []),
    lastNames: namePool(lastNames),
    streetNames: distinct(poolSize, () => faker.location.street()),
    cities: distinct(poolSize, () => faker.location.city()),
    states: distinct(poolSize, () => faker.location.state()),
    postcodes: distinct(poolSize, () => faker.location.zipCode().toUpperCase()),
    phonePrefixes: distinct(poolSize, () => faker.phone.number({ style: "international" }).slice(0, -4)),
  };
}

/** Builds every pool with Faker seeded by `seed`; the same seed gives the same pools. */
export function buildPools(seed: number): Pools {
  const locales = localeCountries.map(([locale, country], index) => {
    const faker = allFakers[locale];
    faker.seed(seed + index);
    return localePool(faker, country);
  });
  const faker = allFakers.en;
  faker.seed(seed);
  const freeEmail = faker.rawDefinitions.internet?.free_email ?? [];
  const portraits = (sex: "female" | "male"): string[] =>
    distinct(64, () => faker.image.personPortrait({ sex, size: 512 }));
  return {
    locales,
    emailDomains: [...freeEmail, "example.com", "example.org", "example.net"],
    femalePortraits: portraits("female"),
    malePortraits: portraits("male"),
  };
}
