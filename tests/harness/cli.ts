/**
 * `npm run services -- up|down|status|fetch [--services kafka,registry] [--kraft] [--json]`
 *
 * up      starts the services detached (state in <repo>/.cache/harness/cli) and prints endpoints
 * down    stops them (SIGTERM, then SIGKILL) and removes their data directories
 * status  prints the endpoints and whether each recorded process still runs
 * fetch   downloads the artifacts only (warms the cache)
 */
import { parseArgs } from "node:util";
import { describeRun, isServiceName, serviceCatalog, startServices, startOrder } from "./index";
import type { RunDescription, ServiceName } from "./index";
import { HarnessError, cleanupStaleRuns, cliRun, runDirectory, runLogDirectory, stopRun } from "./lib";
import type { ServiceModule } from "./lib";

const usage = `usage: npm run services -- <up|down|status|fetch> [--services ${Object.keys(serviceCatalog).join(",")}] [--kraft] [--json]
  up      start the services detached and print their endpoints
  down    stop them and remove their data directories
  status  print endpoints and process state
  fetch   download artifacts only
  --services  comma-separated subset (default: every service except zookeeper, which Kafka pulls in)
  --kraft     Kafka in KRaft mode, without ZooKeeper
  --json      print endpoints as JSON`;

/** Parsed command line. */
interface Command {
  readonly action: "up" | "down" | "status" | "fetch";
  readonly services: ServiceName[];
  readonly kraft: boolean;
  readonly json: boolean;
}

function parse(argv: readonly string[]): Command | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        services: { type: "string" },
        kraft: { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean" },
      },
    });
  } catch (error) {
    return (error as Error).message;
  }
  if (parsed.values.help) return "";
  const [action, ...extra] = parsed.positionals;
  if (action !== "up" && action !== "down" && action !== "status" && action !== "fetch") {
    return action ? `unknown command "${action}"` : "missing command";
  }
  if (extra.length > 0) return `unexpected argument "${extra[0]}"`;
  const requested = parsed.values.services
    ?.split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const services = requested ?? Object.keys(serviceCatalog).filter((name) => name !== "zookeeper");
  const unknown = services.find((name) => !isServiceName(name));
  if (unknown !== undefined) return `unknown service "${unknown}"`;
  return {
    action,
    services: services as ServiceName[],
    kraft: parsed.values.kraft ?? false,
    json: parsed.values.json ?? false,
  };
}

function printRun(description: Omit<RunDescription, "processes">, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(description.endpoints, null, 2)}\n`);
    return;
  }
  for (const [service, endpoint] of Object.entries(description.endpoints)) {
    const fields = Object.entries(endpoint as object).map(
      ([key, value]) => `${key}=${typeof value === "object" ? JSON.stringify(value) : String(value)}`,
    );
    process.stdout.write(`${service.padEnd(10)} ${fields.join("  ")}\n`);
  }
  process.stdout.write(`logs       ${runLogDirectory(description.run)}\n`);
}

async function up(command: Command): Promise<number> {
  const existing = describeRun(cliRun);
  if (existing && existing.processes.length > 0 && existing.processes.every((entry) => entry.alive)) {
    process.stderr.write("services already up (npm run services -- down to stop them)\n");
    printRun(existing, command.json);
    return 0;
  }
  const started = Date.now();
  const harness = await startServices({
    services: command.services,
    kraft: command.kraft,
    run: cliRun,
    detached: true,
  });
  process.stderr.write(`[harness] up in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  printRun({ run: cliRun, kraft: command.kraft, endpoints: harness.endpoints }, command.json);
  return 0;
}

async function down(): Promise<number> {
  const stopped = await stopRun(cliRun);
  const cleaned = await cleanupStaleRuns();
  process.stdout.write(
    `stopped ${stopped.length} process(es)${stopped.length ? ` (${stopped.join(", ")})` : ""}; removed ${runDirectory(cliRun)}\n`,
  );
  if (cleaned.length) process.stdout.write(`cleaned stale runs: ${cleaned.join(", ")}\n`);
  return 0;
}

function status(command: Command): number {
  const description = describeRun(cliRun);
  if (!description) {
    process.stdout.write("no services up (npm run services -- up)\n");
    return 1;
  }
  printRun(description, command.json);
  for (const entry of description.processes) {
    const memory = entry.alive
      ? `  rss=${entry.residentMiB ?? "?"}MiB peak=${entry.peakResidentMiB ?? "?"}MiB`
      : "";
    process.stdout.write(`pid ${entry.pid} ${entry.alive ? "running" : "GONE"}${memory}  ${entry.pidFile}\n`);
  }
  const peak = description.processes.reduce((sum, entry) => sum + (entry.peakResidentMiB ?? 0), 0);
  process.stdout.write(`memory     peak RSS of all services together <= ${peak} MiB\n`);
  return description.processes.every((entry) => entry.alive) ? 0 : 1;
}

async function fetchArtifacts(command: Command): Promise<number> {
  const options = { kraft: command.kraft, tuned: false };
  for (const name of startOrder(command.services, options)) {
    await (serviceCatalog[name] as ServiceModule<unknown>).prepare?.(options);
  }
  process.stdout.write("artifacts cached\n");
  return 0;
}

async function main(): Promise<number> {
  const command = parse(process.argv.slice(2));
  if (typeof command === "string") {
    process.stderr.write(`${command ? `error: ${command}\n` : ""}${usage}\n`);
    return command ? 2 : 0;
  }
  switch (command.action) {
    case "up":
      return up(command);
    case "down":
      return down();
    case "status":
      return status(command);
    case "fetch":
      return fetchArtifacts(command);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof HarnessError ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  },
);
