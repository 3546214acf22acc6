/**
 * The real Pulumi CLI on a throw-away copy of the checkout, with a file backend, a private
 * PULUMI_HOME, the real Kubernetes provider and our stand-ins installed as plugins, and nothing
 * fetched by the CLI itself. Every operation writes the engine's event log, which the tier reads to
 * assert what Pulumi did to each resource.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** One step the engine took (or planned) for one resource. */
export interface Step {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  /** The resource's name (last URN segment). */
  readonly name: string;
  readonly diffs: readonly string[];
}

export interface Operation {
  readonly status: number;
  /** stdout then stderr. */
  readonly output: string;
  readonly stdout: string;
  readonly seconds: number;
  /** Steps from resourcePreEvent events, in order (one per resource and operation). */
  readonly steps: readonly Step[];
  /** Warning and error diagnostics the engine reported. */
  readonly diagnostics: readonly { severity: string; message: string; urn?: string }[];
}

export interface PulumiOptions {
  readonly binaries: Readonly<Record<string, string>>;
  readonly versions: {
    readonly pulumi: string;
    readonly kubernetesPlugin: string;
    readonly randomPlugin: string;
  };
  readonly workDirectory: string;
  readonly checkout: string;
  readonly kubeconfig: string;
}

/** Tracked and untracked (not ignored) files of the checkout, node_modules linked. */
export function copyCheckout(source: string, target: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: source,
    encoding: "utf8",
  })
    .split("\0")
    // Regular files only (a node_modules symlink is not caught by a `node_modules/` ignore rule).
    .filter((file) => file && !file.split("/").includes("node_modules"))
    .filter(
      (file) => fs.existsSync(path.join(source, file)) && fs.lstatSync(path.join(source, file)).isFile(),
    );
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.copyFileSync(path.join(source, file), path.join(target, file));
  }
  fs.symlinkSync(path.join(source, "node_modules"), path.join(target, "node_modules"));
}

/** `urn:pulumi:<stack>::<project>::<parent types$>type::<name>` -> type. */
function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? qualified;
}

export class Pulumi {
  private readonly env: NodeJS.ProcessEnv;
  private counter = 0;
  private readonly cli: string;

  constructor(private readonly options: PulumiOptions) {
    const bin = path.join(options.workDirectory, "bin");
    fs.mkdirSync(bin, { recursive: true });
    // The CLI looks for its bundled language host beside its own executable (the resolved path, so
    // not through a symlink), under the plain name: link both into one directory.
    for (const name of ["pulumi", "pulumi-language-nodejs"]) {
      const source = options.binaries[name]!;
      try {
        fs.linkSync(source, path.join(bin, name));
      } catch {
        fs.copyFileSync(source, path.join(bin, name));
        fs.chmodSync(path.join(bin, name), 0o755);
      }
    }
    this.cli = path.join(bin, "pulumi");
    this.env = {
      ...process.env,
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
      PULUMI_HOME: path.join(options.workDirectory, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(options.workDirectory, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "deploy-tier",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      // Types are checked by `npm run typecheck`; transpiling only cuts a run from ~70 s to ~25 s.
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      // Enables --event-log on up, refresh and destroy (the engine's own event stream, one JSON per line).
      PULUMI_DEBUG_COMMANDS: "true",
      KUBECONFIG: options.kubeconfig,
      NO_COLOR: "1",
    };
    fs.mkdirSync(path.join(options.workDirectory, "state"), { recursive: true });
    fs.mkdirSync(path.join(options.workDirectory, "events"), { recursive: true });
  }

  /**
   * Installs the provider binaries as plugins under the versions the SDKs ask for.
   */
  installPlugins(): void {
    const plugins: [string, string, string, string][] = [
      ["resource", "kubernetes", this.options.versions.kubernetesPlugin, "pulumi-resource-kubernetes"],
      ["resource", "random", this.options.versions.randomPlugin, "pulumi-resource-random"],
    ];
    for (const [kind, name, version, binary] of plugins) {
      const file = this.options.binaries[binary]!;
      const result = this.run(["plugin", "install", kind, name, version, "--file", file]);
      if (result.status !== 0) throw new Error(`Unable to install plugin ${name}: ${result.output}`);
    }
  }

  /** Runs the CLI in the checkout copy; operations that take --event-log get one and are parsed. */
  run(args: readonly string[], { eventLog = false } = {}): Operation {
    const events = path.join(this.options.workDirectory, "events", `${++this.counter}-${args[0]}.jsonl`);
    // `preview` has no --event-log: its --json digest lists the same steps.
    const previewJson = eventLog && args[0] === "preview";
    const fullArgs = [
      ...args,
      "--non-interactive",
      ...(eventLog ? (previewJson ? ["--json"] : ["--event-log", events]) : []),
    ];
    const started = Date.now();
    const result = spawnSync(this.cli, fullArgs, {
      cwd: this.options.checkout,
      env: this.env,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      timeout: 20 * 60 * 1000,
    });
    const seconds = (Date.now() - started) / 1000;
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`;
    fs.writeFileSync(`${events}.out`, `$ pulumi ${fullArgs.join(" ")}\n${output}`);
    const steps: Step[] = [];
    const diagnostics: { severity: string; message: string; urn?: string }[] = [];
    if (previewJson) {
      try {
        const digest = JSON.parse(result.stdout ?? "") as {
          steps?: { op: string; urn: string; diffReasons?: string[] }[];
          diagnostics?: { severity: string; message: string; urn?: string }[];
        };
        for (const step of digest.steps ?? []) {
          steps.push({
            op: step.op,
            urn: step.urn,
            type: typeOfUrn(step.urn),
            name: step.urn.split("::").pop() ?? step.urn,
            diffs: step.diffReasons ?? [],
          });
        }
        for (const diagnostic of digest.diagnostics ?? []) {
          if (diagnostic.severity === "warning" || diagnostic.severity === "error") {
            diagnostics.push({
              severity: diagnostic.severity,
              message: diagnostic.message.trim(),
              ...(diagnostic.urn ? { urn: diagnostic.urn } : {}),
            });
          }
        }
      } catch {
        // not JSON: the preview failed before the digest; the output says why
      }
    } else if (eventLog && fs.existsSync(events)) {
      for (const line of fs.readFileSync(events, "utf8").split("\n")) {
        if (!line.trim()) continue;
        const event = JSON.parse(line) as {
          resourcePreEvent?: { metadata: { op: string; urn: string; type: string; diffs?: string[] } };
          diagnosticEvent?: { severity: string; message: string; urn?: string; ephemeral?: boolean };
        };
        const metadata = event.resourcePreEvent?.metadata;
        if (metadata) {
          steps.push({
            op: metadata.op,
            urn: metadata.urn,
            type: metadata.type,
            name: metadata.urn.split("::").pop() ?? metadata.urn,
            diffs: metadata.diffs ?? [],
          });
        }
        const diagnostic = event.diagnosticEvent;
        // Ephemeral diagnostics are the provider's progress while it awaits a rollout
        // ("[MinimumReplicasUnavailable] Deployment does not have minimum availability"), not findings.
        if (
          diagnostic &&
          !diagnostic.ephemeral &&
          (diagnostic.severity === "warning" || diagnostic.severity === "error")
        ) {
          diagnostics.push({
            severity: diagnostic.severity,
            message: diagnostic.message.trim(),
            ...(diagnostic.urn ? { urn: diagnostic.urn } : {}),
          });
        }
      }
    }
    return { status: result.status ?? -1, output, stdout: result.stdout ?? "", seconds, steps, diagnostics };
  }

  /** `pulumi config set --path data-pipeline:<key> <value>` (JSON values with --json... as plain text). */
  configSet(stack: string, key: string, value: string): void {
    const result = this.run(["config", "set", "-s", stack, "--path", `data-pipeline:${key}`, value]);
    if (result.status !== 0) throw new Error(`Unable to set ${key}: ${result.output}`);
  }

  /** The stack's outputs, secrets shown. */
  outputs(stack: string): Record<string, unknown> {
    const result = this.run(["stack", "output", "-s", stack, "--json", "--show-secrets"]);
    if (result.status !== 0) throw new Error(`Unable to read outputs: ${result.output}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** The stack's resources from `pulumi stack export` (type and name). */
  resources(stack: string): { type: string; name: string; id?: string }[] {
    const result = this.run(["stack", "export", "-s", stack, "--show-secrets"]);
    if (result.status !== 0) throw new Error(`Unable to export ${stack}: ${result.output}`);
    const state = JSON.parse(result.stdout) as {
      deployment: { resources?: { urn: string; type: string; id?: string }[] };
    };
    return (state.deployment.resources ?? []).map((resource) => ({
      type: resource.type,
      name: resource.urn.split("::").pop() ?? resource.urn,
      ...(resource.id ? { id: resource.id } : {}),
    }));
  }
}
