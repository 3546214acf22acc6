import type { EndpointOf } from "./lib";
import { cassandraService } from "./services/cassandra";
import { kafkaService } from "./services/kafka";
import { schemaRegistryService } from "./services/schema-registry";
import { sparkService } from "./services/spark";
import { zookeeperService } from "./services/zookeeper";

/**
 * Every service the harness can start, by CLI name. To add one: write
 * tests/harness/services/<name>.ts with `defineService(...)`, import it here and add one entry;
 * the `ServiceName` union, the typed handle of `startServices` and the CLI pick it up.
 * Order matters only for `status` output; dependencies decide the start order.
 */
export const serviceCatalog = {
  zookeeper: zookeeperService,
  kafka: kafkaService,
  registry: schemaRegistryService,
  cassandra: cassandraService,
  spark: sparkService,
} as const;

/** Name of a service the harness can start (`zookeeper`, `kafka`, `registry`, ...). */
export type ServiceName = keyof typeof serviceCatalog;

/** Endpoint type of each service, e.g. `ServiceEndpoints["kafka"]` is `KafkaEndpoint`. */
export type ServiceEndpoints = { [Name in ServiceName]: EndpointOf<(typeof serviceCatalog)[Name]> };

/** True when `name` is in the catalog. */
export function isServiceName(name: string): name is ServiceName {
  return Object.prototype.hasOwnProperty.call(serviceCatalog, name);
}
