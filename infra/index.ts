/**
 * The Pulumi program of this repository (`pulumi up -s dev|staging`).
 */
import * as pulumi from "@pulumi/pulumi";
import { rawStackConfig } from "./config";
import { deployStack } from "./stack";

const outputs = deployStack(rawStackConfig(pulumi.runtime.allConfig()));

export const target = outputs.target;
export const bootstrapServers = outputs.bootstrapServers;
export const hostBootstrapServers = outputs.hostBootstrapServers;
export const schemaRegistryUrl = outputs.schemaRegistryUrl;
export const schemaRegistryHostUrl = outputs.schemaRegistryHostUrl;
export const controlCenterUrl = outputs.controlCenterUrl;
export const topics = outputs.topics;
export const deadLetterTopic = outputs.deadLetterTopic;
export const cassandraContactPoints = outputs.cassandraContactPoints;
export const cassandraHostContactPoint = outputs.cassandraHostContactPoint;
export const cassandraUsername = outputs.cassandraUsername;
export const cassandraPassword = outputs.cassandraPassword;
export const cassandraAdminPassword = outputs.cassandraAdminPassword;
export const sparkMasterUrl = outputs.sparkMasterUrl;
export const sparkMasterUiUrl = outputs.sparkMasterUiUrl;
export const producerImage = outputs.producerImage;
export const streamingJobImage = outputs.streamingJobImage;
export const airflowUrl = outputs.airflowUrl;
export const airflowAdminUsername = outputs.airflowAdminUsername;
export const airflowAdminPassword = outputs.airflowAdminPassword;
