/**
 * Pinned image versions. Never `latest`: a tag here changes only in a reviewed commit.
 */

/** Confluent Platform 7.9.x: the last line that still ships ZooKeeper mode (KRaft is an option). */
export const confluentPlatformVersion = "7.9.5";

/** The Confluent image repository for a component (`cp-kafka`, `cp-zookeeper`, ...). */
export function confluentImage(repository: string, version: string): string {
  return `confluentinc/${repository}:${version}`;
}

/** Entrypoint of every Confluent image (needed when the target wraps the start-up). */
export const confluentEntrypoint = ["/etc/confluent/docker/run"] as const;

/** Confluent images run as `appuser` (uid/gid 1000): Kubernetes runs them non-root as that user. */
export const confluentUser = { uid: 1000, gid: 1000 } as const;

/** Apache Cassandra 5.0.x: the official image (same version the test harness runs from Maven Central). */
export const cassandraVersion = "5.0.9";

/** Apache Spark 3.5.x (Scala 2.12, Java 17, Python 3): the official image; pyspark and the connectors match it. */
export const sparkVersion = "3.5.7";

/** The official Spark image for a version. */
export function sparkImage(version: string): string {
  return `apache/spark:${version}-scala2.12-java17-python3-ubuntu`;
}

/** The official Spark image runs as `spark` (uid/gid 185). */
export const sparkUser = { uid: 185, gid: 185 } as const;

/**
 * The official Cassandra image's `cassandra` user (uid/gid 999). The image starts as root and drops to
 * it with gosu; started as it directly (Pod Security `restricted` forbids root), the entrypoint skips
 * that step, and `fsGroup` 999 makes the data volume writable.
 */
export const cassandraUser = { uid: 999, gid: 999 } as const;
