import test from "ava";
import { scramCredentialConfig } from "../../components/kafka-security";
import {
  generatePassword,
  harnessBrokerSecurity,
  kraftAdminScramArguments,
} from "../harness/services/kafka-auth";

test("harness passwords: 32 alphanumeric characters, accepted by scramCredentialConfig", (t) => {
  for (let index = 0; index < 500; index++) {
    const password = generatePassword();
    t.regex(password, /^[A-Za-z0-9]{32}$/);
    t.notThrows(() => scramCredentialConfig(password));
  }
});

test("harness passwords skip bytes >= 248 so that every character is equally likely", (t) => {
  // 248..255 would map onto "A".."H" a fifth time; they are dropped, and the next draw fills up.
  const draws = [Buffer.from([248, 255, 0, 61]), Buffer.from([1, 2, 3, 4])];
  t.is(
    generatePassword(4, () => draws.shift()!),
    "A9BC",
  );
});

test("the harness broker gets the product's security settings for its one INTERNAL listener", (t) => {
  const zookeeper = harnessBrokerSecurity("zookeeper", "secret1");
  t.like(zookeeper, {
    "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
    "allow.everyone.if.no.acl.found": "false",
    "super.users": "User:admin",
    "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
    "listener.name.internal.sasl.enabled.mechanisms": "SCRAM-SHA-512",
  });
  t.regex(
    zookeeper["listener.name.internal.scram-sha-512.sasl.jaas.config"] ?? "",
    /ScramLoginModule required username="admin" password="secret1";$/,
  );
  t.is(zookeeper["listener.name.controller.plain.sasl.jaas.config"], undefined);
  const kraft = harnessBrokerSecurity("kraft", "secret1");
  t.is(kraft["authorizer.class.name"], "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
  t.is(kraft["sasl.mechanism.controller.protocol"], "PLAIN");
  t.regex(kraft["listener.name.controller.plain.sasl.jaas.config"] ?? "", /user_admin="secret1";$/);
  t.deepEqual(kraftAdminScramArguments("secret1"), [
    "--add-scram",
    "SCRAM-SHA-512=[name=admin,password=secret1]",
  ]);
});
