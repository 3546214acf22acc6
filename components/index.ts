/**
 * Public API of the components layer (re-exports only).
 */
export * from "./spec";
export * from "./target";
export * from "./versions";
export * from "./zookeeper";
export * from "./kafka";
export * from "./schema-registry";
export * from "./control-center";
export * from "./kafka-security";
export * from "./kafka-authentication";
export * from "./kafka-user";
export * from "./kafka-topic";
export * from "./pipeline";
export * from "./image-tag";
export * from "./cassandra-config";
export * from "./cassandra";
export * from "./spark-cluster";
export * from "./spark-streaming-job";
export * from "./producer";
export * from "./airflow-environment";
export { describedEnvironment } from "./environment";
export * from "./airflow";
