/**
 * Kafka's default key partitioning (murmur2 of the key bytes, made positive, modulo the partition
 * count), identical to the Java client's and kafkajs's DefaultPartitioner, but on 32-bit integer
 * arithmetic: computed in the generator worker so the Kafka client skips its own, slower, hash.
 */

const seed = 0x9747b28c;
const multiplier = 0x5bd1e995;

/** murmur2 (Kafka's variant) of `bytes[start, end)`, as a signed 32-bit integer. */
export function murmur2(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const length = end - start;
  let hash = (seed ^ length) | 0;
  const whole = start + (length & ~3);
  for (let index = start; index < whole; index += 4) {
    let k = bytes[index]! | (bytes[index + 1]! << 8) | (bytes[index + 2]! << 16) | (bytes[index + 3]! << 24);
    k = Math.imul(k, multiplier);
    k ^= k >>> 24;
    k = Math.imul(k, multiplier);
    hash = Math.imul(hash, multiplier) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) hash ^= bytes[whole + 2]! << 16;
  if (tail >= 2) hash ^= bytes[whole + 1]! << 8;
  if (tail >= 1) {
    hash ^= bytes[whole]!;
    hash = Math.imul(hash, multiplier);
  }
  hash ^= hash >>> 13;
  hash = Math.imul(hash, multiplier);
  hash ^= hash >>> 15;
  return hash | 0;
}

/** The partition Kafka's default partitioner picks for a key. */
export function partitionOfKey(bytes: Uint8Array, start: number, end: number, partitions: number): number {
  return (murmur2(bytes, start, end) & 0x7fffffff) % partitions;
}
