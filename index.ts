/**
 * data-pipeline: the package root. Components (what runs), the two targets (how it runs) and the
 * stack-config helpers, for Pulumi programs that build their own pipeline.
 */
export * from "./components";
export * from "./infra/docker";
export * from "./infra/kubernetes";
export { parseStackConfig, rawStackConfig, StackConfigError, configNamespace } from "./infra/config";
export type { StackConfig } from "./infra/config";
export { createTarget, deployStack, pipelineArgsFrom } from "./infra/stack";
export type { StackOutputs } from "./infra/stack";
