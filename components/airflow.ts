/**
 * Airflow 3 (official image + pinned providers + our DAGs): a Postgres 16 metadata database with a
 * persistent volume, a migration job, and api-server, scheduler, dag-processor and triggerer with
 * health checks; LocalExecutor; one generated Fernet key, JWT secret and API secret key shared by
 * every process; an admin login with a generated password (exported as a secret).
 *
 * Tasks start containers through the target's container launcher: a Docker API proxy on Docker, a
 * ServiceAccount that may only manage pods in the namespace on Kubernetes.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { airflowVariables, defaultOf } from "../contracts/interfaces";
import {
  airflowApiPort,
  airflowEnvironment,
  airflowMigrationScript,
  fernetKeyFrom,
} from "./airflow-environment";
import type { Cassandra } from "./cassandra";
import { withResourceError } from "./environment";
import { contentTag, repositoryRoot } from "./image-tag";
import type { Kafka } from "./kafka";
import { kafkaCredentialsProblem } from "./kafka-authentication";
import { kafkaPorts } from "./kafka";
import type { KafkaCredentials } from "./kafka-security";
import type { KafkaTopic } from "./kafka-topic";
import type { Producer } from "./producer";
import type { HealthCheckSpec, JobSpec, ResourceSpec, ServiceSpec, Workload } from "./spec";
import { connectionTo } from "./spec";
import type { Target } from "./target";
import { airflowBuildArgs, airflowVersion, postgresImage } from "./versions";

/**
 * The official Airflow image runs as uid 50000, group 0. Postgres' image starts as root and drops to
 * `postgres` (uid/gid 999) with gosu; started as 999 directly (Pod Security `restricted` forbids
 * root), its entrypoint skips that step and initializes PGDATA, a subdirectory of the volume that
 * `fsGroup` 999 makes writable.
 */
const airflowUser = { uid: 50000, gid: 0 } as const;
const postgresUser = { uid: 999, gid: 999 } as const;

/** Arguments of {@link Airflow}. */
export interface AirflowArgs {
  readonly target: Target;
  readonly kafka: Kafka;
  readonly topic: KafkaTopic;
  readonly cassandra: Cassandra;
  readonly producer: Producer;
  /** users_pipeline schedule (cron or preset). @default "@hourly" */
  readonly schedule?: string;
  /** Records the producer sends per DAG run. @default 10000 */
  readonly producerCount?: number;
  /** How long the verify task waits for the rows. @default 600 */
  readonly verifyTimeoutSeconds?: number;
  /** Host port of the api-server (UI) on Docker. @default undefined (not published) */
  readonly hostPort?: number;
  /** Size of the metadata database volume. @default "5Gi" */
  readonly databaseStorageSize?: string;
  /**
   * An Airflow image built elsewhere from airflow/Dockerfile (a CI pipeline, a registry mirror): used
   * as is, nothing is built. @default built here
   */
  readonly image?: pulumi.Input<string>;
  /** Image tag when built here. @default a content hash of airflow/ and dags/ */
  readonly imageTag?: string;
  /** Build context (the checkout root). @default this checkout's root */
  readonly buildContext?: string;
  /**
   * The principal the DAG's checks connect to Kafka as (`kafka_default`; a {@link KafkaUser}'s
   * credentials, allowed to describe the topic); required when the cluster authenticates. The
   * producer runs use the producer's own. @default undefined
   */
  readonly credentials?: KafkaCredentials;
}

function resources(memoryMiB: number, cpu: number): ResourceSpec {
  return { cpuRequest: cpu / 2, cpuLimit: cpu, memoryRequestMiB: memoryMiB, memoryLimitMiB: memoryMiB };
}

function jobCheck(jobType: string): HealthCheckSpec {
  return {
    probe: { kind: "command", command: ["airflow", "jobs", "check", "--job-type", jobType, "--local"] },
    intervalSeconds: 30,
    timeoutSeconds: 20,
    retries: 5,
    startPeriodSeconds: 60,
  };
}

/** Builds airflow/Dockerfile (our DAGs on the pinned Airflow image) through the target. */
function buildAirflowImage(args: AirflowArgs, parent: pulumi.Resource): pulumi.Output<string> {
  const context = args.buildContext ?? repositoryRoot();
  const buildArgs = airflowBuildArgs();
  const tag = args.imageTag ?? contentTag(airflowVersion, context, ["airflow", "dags"], buildArgs);
  return args.target.buildImage(
    { name: "data-pipeline-airflow", context, dockerfile: `${context}/airflow/Dockerfile`, tag, buildArgs },
    parent,
  );
}

/** An Airflow deployment. */
export class Airflow extends pulumi.ComponentResource {
  /** The UI/API URL for a browser: the host URL on Docker, the in-cluster URL on Kubernetes. */
  public readonly url: string;
  public readonly adminUsername = "admin";
  /** Generated admin password (secret). */
  public readonly adminPassword: pulumi.Output<string>;
  public readonly image: pulumi.Output<string>;
  public readonly database: Workload;
  public readonly migration: Workload;
  public readonly processes: Readonly<
    Record<"apiServer" | "scheduler" | "dagProcessor" | "triggerer", Workload>
  >;
  /** The neutral specs (for inspection and tests). */
  public readonly specs: readonly (ServiceSpec | JobSpec)[];

  constructor(name: string, args: AirflowArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:airflow:Airflow", name, {}, opts);
    const schedule = args.schedule ?? defaultOf(airflowVariables, "USERS_PIPELINE_SCHEDULE");
    const producerCount = args.producerCount ?? defaultOf(airflowVariables, "AIRFLOW_VAR_PRODUCER_COUNT");
    const verifyTimeoutSeconds =
      args.verifyTimeoutSeconds ?? defaultOf(airflowVariables, "AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS");
    const databaseStorageSize = args.databaseStorageSize ?? "5Gi";
    if (!Number.isInteger(producerCount) || producerCount < 1) {
      throw new pulumi.ResourceError(
        `Unable to create Airflow ${name}: producerCount ${producerCount} must be an integer >= 1.`,
        this,
      );
    }
    const credentialsProblem =
      kafkaCredentialsProblem(args.kafka, args.credentials) ??
      (args.kafka.authentication === "scram-sha-512" && !args.producer.credentials
        ? "the producer has no credentials. Create it with `credentials`"
        : undefined);
    if (credentialsProblem) {
      throw new pulumi.ResourceError(`Unable to create Airflow ${name}: ${credentialsProblem}.`, this);
    }
    const child = { parent: this };
    const password = (purpose: string, length: number) =>
      pulumi.secret(
        new random.RandomPassword(`${name}-${purpose}`, { length, special: false }, child).result,
      );
    const databasePassword = password("database-password", 32);
    this.adminPassword = password("admin-password", 24);
    // RandomBytes, not RandomId: a RandomId's resource ID is its value in plain text in the state,
    // and Pulumi cannot make an ID secret (it warns "The 'id' property cannot be made secret").
    const fernet = new random.RandomBytes(`${name}-fernet-key`, { length: 32 }, child);
    const secrets = {
      secretName: "airflow-secrets",
      databasePassword,
      fernetKey: pulumi.secret(fernet.base64.apply(fernetKeyFrom)),
      jwtSecret: password("jwt-secret", 64),
      apiSecretKey: password("api-secret-key", 64),
      adminPassword: this.adminPassword,
      cassandraPassword: args.cassandra.appPassword,
    };

    // A reference built elsewhere stays a plain string, so a target can pull it (Docker) or hand it on.
    const image = args.image ?? buildAirflowImage(args, this);
    this.image = pulumi.output(image);

    const databaseSpec: ServiceSpec = {
      name: "airflow-postgres",
      component: "airflow-postgres",
      image: postgresImage,
      replicas: 1,
      stateful: true,
      env: {
        POSTGRES_USER: "airflow",
        POSTGRES_DB: "airflow",
        POSTGRES_PASSWORD: {
          secret: { secretName: "airflow-database", key: "password", value: databasePassword },
        },
        PGDATA: "/var/lib/postgresql/data/pgdata",
      },
      ports: [{ name: "postgres", containerPort: 5432 }],
      volumes: [{ name: "data", mountPath: "/var/lib/postgresql/data", size: databaseStorageSize }],
      healthCheck: {
        probe: { kind: "command", command: ["pg_isready", "-U", "airflow", "-d", "airflow"] },
        startPeriodSeconds: 30,
      },
      resources: resources(512, 0.5),
      runAs: postgresUser,
    };
    this.database = args.target.deployService(databaseSpec, this);

    // The DAG labels the producer's containers with the producer's component name.
    const launcher = args.target.containerLauncher(this, [
      { component: args.producer.component, connectsTo: args.producer.connections },
    ]);
    const environment = withResourceError(this, `Unable to create Airflow ${name}: the DAG's variables`, () =>
      airflowEnvironment(
        {
          databaseHost: args.target.replicaHost("airflow-postgres", 0),
          apiServerHost: args.target.serviceHost("airflow-api-server"),
          schedule,
          // The connection is a Secret with credentials: a stable name keeps it as is when brokers are added.
          bootstrapServers: args.kafka.bootstrapService,
          topic: args.topic.topicName,
          producerImage: args.producer.image,
          producerEnvironment: args.producer.environment,
          producerCount,
          verifyTimeoutSeconds,
          cassandraHosts: args.cassandra.contactPoints,
          cassandraPort: args.cassandra.port,
          cassandraUsername: args.cassandra.appUsername,
          cassandraKeyspace: args.cassandra.keyspace,
          cassandraTable: args.cassandra.table,
          cassandraDatacenter: args.cassandra.datacenter,
          launcherVariables: launcher.variables,
          ...(args.credentials
            ? {
                kafkaCredentials: {
                  username: args.credentials.username,
                  password: args.credentials.password.value,
                },
              }
            : {}),
          ...(args.producer.credentials ? { producerCredentials: args.producer.credentials } : {}),
          secretsByName: launcher.secretsByName ?? false,
        },
        secrets,
      ),
    );

    // The migration job is the first user of the shared secret, so it declares every key of it.
    const migrationSpec: JobSpec = {
      name: "airflow-migrate",
      component: "airflow-migrate",
      image,
      args: ["bash", "-c", airflowMigrationScript],
      env: {
        ...environment,
        ADMIN_USERNAME: this.adminUsername,
        ADMIN_PASSWORD: {
          secret: { secretName: secrets.secretName, key: "admin-password", value: this.adminPassword },
        },
      },
      resources: resources(1024, 1),
      runAs: airflowUser,
      dependsOn: [{ workload: this.database }],
      backoffLimit: 6,
    };
    this.migration = args.target.runJob(migrationSpec, this);

    const airflowProcess = (
      processName: string,
      memoryMiB: number,
      healthCheck: HealthCheckSpec,
      extra: Partial<ServiceSpec> = {},
    ): ServiceSpec => ({
      name: `airflow-${processName}`,
      component: `airflow-${processName}`,
      image,
      args: [processName],
      env: environment,
      healthCheck,
      resources: resources(memoryMiB, 1),
      runAs: airflowUser,
      dependsOn: [{ workload: this.migration }, { workload: this.database }],
      ...extra,
    });
    const apiServerSpec = airflowProcess(
      "api-server",
      1024,
      {
        probe: { kind: "http", path: "/api/v2/monitor/health", port: airflowApiPort },
        startPeriodSeconds: 90,
      },
      {
        ports: [
          {
            name: "http",
            containerPort: airflowApiPort,
            ...(args.hostPort !== undefined ? { publish: { hostPort: args.hostPort } } : {}),
          },
        ],
      },
    );
    const apiServer = args.target.deployService(apiServerSpec, this);
    const schedulerSpec = airflowProcess("scheduler", 1536, jobCheck("SchedulerJob"), {
      // The scheduler runs the tasks (LocalExecutor), so it is the one that starts producer containers;
      // the tasks check the topic on the brokers and count rows in Cassandra.
      ...(launcher.serviceAccount ? { serviceAccount: launcher.serviceAccount } : {}),
      connectsTo: [
        connectionTo(args.kafka.workload, [kafkaPorts.internal]),
        connectionTo(args.cassandra.workload, [args.cassandra.port]),
      ],
      dependsOn: [
        { workload: this.migration },
        { workload: this.database },
        { workload: apiServer },
        ...(launcher.dependency ? [{ workload: launcher.dependency }] : []),
        // The tasks connect as Airflow's principal and start producers as the producer's.
        ...[args.credentials?.workload, args.producer.credentials?.workload]
          .filter((workload): workload is Workload => workload !== undefined)
          .map((workload) => ({ workload })),
      ],
    });
    // Every process is handed the execution API's URL (AIRFLOW__CORE__EXECUTION_API_SERVER_URL).
    const executionApi = { connectsTo: [connectionTo(apiServer, [airflowApiPort])] };
    const dagProcessorSpec = airflowProcess("dag-processor", 768, jobCheck("DagProcessorJob"), executionApi);
    const triggererSpec = airflowProcess("triggerer", 512, jobCheck("TriggererJob"), executionApi);
    this.processes = {
      apiServer,
      scheduler: args.target.deployService(schedulerSpec, this),
      dagProcessor: args.target.deployService(dagProcessorSpec, this),
      triggerer: args.target.deployService(triggererSpec, this),
    };
    this.specs = [databaseSpec, migrationSpec, apiServerSpec, schedulerSpec, dagProcessorSpec, triggererSpec];
    const publish = args.target.publishesHostPorts && args.hostPort !== undefined;
    this.url = publish
      ? `http://localhost:${args.hostPort}`
      : `http://${args.target.serviceHost("airflow-api-server")}:${airflowApiPort}`;
    this.registerOutputs({ url: this.url, adminPassword: this.adminPassword, image: this.image });
  }
}
