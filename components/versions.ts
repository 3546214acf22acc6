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
