/**
 * The users_pipeline DAG's connections for the harness' services, shared by the e2e DAG run and the
 * Airflow image test: the same JSON the Airflow component writes (components/airflow-environment.ts).
 */
import { cassandraConnection, kafkaConnection } from "../../components/airflow-environment";
import type { CassandraEndpoint } from "../harness/services/cassandra";

/** `AIRFLOW_CONN_KAFKA_DEFAULT` and `AIRFLOW_CONN_CASSANDRA_DEFAULT` for `bootstrap` and `cassandra`. */
export function harnessConnections(
  bootstrap: string,
  cassandra: CassandraEndpoint,
  keyspace: string,
): { AIRFLOW_CONN_KAFKA_DEFAULT: string; AIRFLOW_CONN_CASSANDRA_DEFAULT: string } {
  return {
    AIRFLOW_CONN_KAFKA_DEFAULT: JSON.stringify(kafkaConnection(bootstrap)),
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
