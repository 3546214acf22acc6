/**
 * The Pulumi program of this repository (`pulumi up -s dev|staging`). Its exports are the stack
 * outputs (see `StackOutputs`); an output this stack does not have is left out, not exported as undefined.
 */
import * as pulumi from "@pulumi/pulumi";
import { rawStackConfig } from "./config";
import { definedOutputs, deployStack } from "./stack";

export = definedOutputs(deployStack(rawStackConfig(pulumi.runtime.allConfig())));
