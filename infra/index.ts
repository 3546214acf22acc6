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
