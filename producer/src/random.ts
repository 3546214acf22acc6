import { randomBytes } from "node:crypto";

/**
 * A small, fast, seedable pseudo-random generator (sfc32, seeded through splitmix32) and the field
 * helpers built on it. Not for cryptography: it makes test data, reproducibly.
 */

const hexByte: readonly string[] = Array.from({ length: 256 }, (_, value) =>
  value.toString(16).padStart(2, "0"),
);

/** Seeded pseudo-random source; the same seed always yields the same sequence. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any 32-bit integer (other numbers are truncated to 32 bits). */
  constructor(seed: number) {
    let state = seed >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let mixed = state ^ (state >>> 16);
      mixed = Math.imul(mixed, 0x21f0aaad);
      mixed ^= mixed >>> 15;
      mixed = Math.imul(mixed, 0x735a2d97);
      return (mixed ^ (mixed >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let warmup = 0; warmup < 12; warmup++) this.uint32();
  }

  /** The next unsigned 32-bit integer. */
  uint32(): number {
    const result = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + result) | 0;
    return result >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** An integer in [minimum, maximum] (both inclusive; the span must be below 2^32). */
  integer(minimum: number, maximum: number): number {
    return minimum + Math.floor(this.float() * (maximum - minimum + 1));
  }

  /** One element of a non-empty array. */
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.float() * values.length)] as T;
  }

  /** A random (version 4, RFC 9562 variant) UUID in lower case. */
  uuid(): string {
    const first = this.uint32();
    const second = this.uint32();
    const third = this.uint32();
    const fourth = this.uint32();
    return (
      hexByte[first >>> 24]! +
      hexByte[(first >>> 16) & 0xff]! +
      hexByte[(first >>> 8) & 0xff]! +
      hexByte[first & 0xff]! +
      "-" +
      hexByte[second >>> 24]! +
      hexByte[(second >>> 16) & 0xff]! +
      "-" +
      hexByte[0x40 | ((second >>> 8) & 0x0f)]! +
      hexByte[second & 0xff]! +
      "-" +
      hexByte[0x80 | ((third >>> 24) & 0x3f)]! +
      hexByte[(third >>> 16) & 0xff]! +
      "-" +
      hexByte[(third >>> 8) & 0xff]! +
      hexByte[third & 0xff]! +
      hexByte[fourth >>> 24]! +
      hexByte[(fourth >>> 16) & 0xff]! +
      hexByte[(fourth >>> 8) & 0xff]! +
      hexByte[fourth & 0xff]!
    );
  }
}

/** A fresh 32-bit seed from the system's cryptographic source (for runs without `--seed`). */
export function randomSeed(): number {
  return randomBytes(4).readUInt32BE(0);
}
