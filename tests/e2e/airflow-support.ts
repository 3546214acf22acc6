/**
 * The users_pipeline DAG's connections for the harness' services, shared by the e2e DAG run and the
 * Airflow image test: the same JSON the Airflow component writes (components/airflow-environment.ts),
 * with the `airflow` principal's SASL/SCRAM login in kafka_default's extra (librdkafka keys).
 */
import { cassandraConnection, kafkaConnection } from "../../components/airflow-environment";
import type { KafkaSecurity } from "../harness";
import type { CassandraEndpoint } from "../harness/services/cassandra";

/** kafka_default logged in as `airflow`: the component's own connection with that principal's login. */
export function harnessKafkaConnection(kafka: KafkaSecurity): Record<string, unknown> {
  return kafkaConnection(kafka.bootstrap, kafka.principals.airflow);
}

/** `AIRFLOW_CONN_KAFKA_DEFAULT` and `AIRFLOW_CONN_CASSANDRA_DEFAULT` for `kafka` and `cassandra`. */
export function harnessConnections(
  kafka: KafkaSecurity,
  cassandra: CassandraEndpoint,
  keyspace: string,
): { AIRFLOW_CONN_KAFKA_DEFAULT: string; AIRFLOW_CONN_CASSANDRA_DEFAULT: string } {
  return {
    AIRFLOW_CONN_KAFKA_DEFAULT: JSON.stringify(harnessKafkaConnection(kafka)),
    AIRFLOW_CONN_CASSANDRA_DEFAULT: JSON.stringify(
      cassandraConnection({
        hosts: cassandra.contactPoints.join(","),
        port: cassandra.port,
        username: cassandra.username,
        password: cassandra.password,
        keyspace,
        datacenter: cassandra.localDataCenter,
      }),
    ),
  };
}

/** The producer's login for the DAG's produce task (`AIRFLOW_VAR_PRODUCER_SASL_*`). */
export function harnessProducerLogin(kafka: KafkaSecurity): {
  AIRFLOW_VAR_PRODUCER_SASL_USERNAME: string;
  AIRFLOW_VAR_PRODUCER_SASL_PASSWORD: string;
} {
  const login = kafka.principals.producer;
  return {
    AIRFLOW_VAR_PRODUCER_SASL_USERNAME: login.username,
    AIRFLOW_VAR_PRODUCER_SASL_PASSWORD: login.password,
  };
}
