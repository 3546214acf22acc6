/**
 * `scramJaasConfig` (components/kafka-security.ts) quotes as Kafka's JAAS parser reads, with the
 * same cases as the Spark job's `scram_jaas_config` (spark/tests/test_kafka_security.py), so the
 * job and the other clients write one login the same way.
 */
import test from "ava";
import { scramJaasConfig } from "../../components/kafka-security";

const cases: [string, string, string][] = [
  ["producer", "abc123", 'username="producer" password="abc123";'],
  ['we"ird', "back\\slash", 'username="we\\"ird" password="back\\\\slash";'],
  ["a b", 'p"w\\', 'username="a b" password="p\\"w\\\\";'],
];

for (const [username, password, options] of cases) {
  test(`scramJaasConfig(${JSON.stringify(username)}, ${JSON.stringify(password)})`, (t) => {
    t.is(
      scramJaasConfig(username, password),
      `org.apache.kafka.common.security.scram.ScramLoginModule required ${options}`,
    );
  });
}
