/**
 * Differential test: contracts/validate.ts and the Spark job's decoder (spark/users_stream) give the
 * same verdict on every generated record (unparsable, valid, or invalid naming the same fields),
 * and use the same Unicode tables for the name rule and for reason escapes. The job's side runs in
 * one Python process (spark/tests/differential_peer.py) that answers JSON lines.
 */
import test from "ava";
import fc from "fast-check";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { validateUserJson } from "../../contracts/validate";
import { repoRoot } from "../harness/lib";
import { ensureVenv } from "../harness/services/venv";
import { arbitraryBytes, jsonDocumentValue, mutatedUserValue } from "./support/poison-records";

const runsPerKind = 3_000;
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const unknownField = ": is not a field of the contract";

interface PeerVerdict {
  readonly kind: "unparsable" | "parsed";
  readonly reason?: string;
  readonly problems?: string[];
  readonly fields?: string[];
  readonly decoderAgrees: boolean;
  readonly decoderReason: string | null;
}

class Peer {
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on("line", (line) => this.waiting.shift()?.(line));
  }

  ask<T>(command: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.child.once("exit", (code) => reject(new Error(`the Python peer exited (${code})`)));
      this.waiting.push((line) => resolve(JSON.parse(line) as T));
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
    this.lines.close();
  }
}

let peer: Peer;

test.before(async () => {
  const { python } = await ensureVenv();
  const child = spawn(python, [join(repoRoot(), "spark", "tests", "differential_peer.py")], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  peer = new Peer(child);
});

test.after.always(() => peer?.close());

function fieldOf(problem: string): string {
  return problem.endsWith(unknownField) ? problem.slice(0, -unknownField.length) : problem.split(":", 1)[0]!;
}

function show(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("utf8");
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}… (${bytes.length} bytes)` : text);
}

for (const [label, arbitrary] of [
  ["arbitrary bytes", arbitraryBytes],
  ["arbitrary JSON documents", jsonDocumentValue],
  ["mutated valid users", mutatedUserValue],
] as const) {
  test.serial(`both validators give the same verdict on ${runsPerKind} ${label}`, async (t) => {
    const values = fc.sample(arbitrary, { numRuns: runsPerKind, seed });
    const { verdicts } = await peer.ask<{ verdicts: PeerVerdict[] }>({
      values: values.map((bytes) => Buffer.from(bytes).toString("base64")),
    });
    t.is(verdicts.length, values.length);
    const mismatches: string[] = [];
    const tally = { unparsable: 0, valid: 0, invalid: 0 };
    values.forEach((bytes, index) => {
      const ours = validateUserJson(bytes);
      const theirs = verdicts[index]!;
      if (!theirs.decoderAgrees) mismatches.push(`decoder disagrees with its own validator: ${show(bytes)}`);
      if (ours.kind !== theirs.kind) {
        mismatches.push(`${ours.kind} here, ${theirs.kind} in the job: ${show(bytes)} (${theirs.reason})`);
        return;
      }
      if (ours.kind === "unparsable") {
        tally.unparsable++;
        return;
      }
      const fields = [...new Set(ours.problems.map(fieldOf))].sort();
      if (ours.problems.length === 0) tally.valid++;
      else tally.invalid++;
      // Sorted alike here (Python sorts by code point, JavaScript by UTF-16 unit).
      if (JSON.stringify(fields) !== JSON.stringify([...(theirs.fields ?? [])].sort())) {
        mismatches.push(
          `fields ${JSON.stringify(fields)} here, ${JSON.stringify(theirs.fields)} in the job: ${show(bytes)}\n` +
            `  here: ${ours.problems.join("; ")}\n  job:  ${theirs.problems?.join("; ")}`,
        );
      }
    });
    t.log(`seed ${seed}: ${JSON.stringify(tally)}`);
    t.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} mismatches (FC_SEED=${seed})`);
  });
}

function ranges(pattern: RegExp): [number, number][] {
  const found: [number, number][] = [];
  for (let code = 0; code < 0x110000; code++) {
    if (!pattern.test(String.fromCodePoint(code))) continue;
    const last = found[found.length - 1];
    if (last && last[1] === code - 1) last[1] = code;
    else found.push([code, code]);
  }
  return found;
}

test.serial(
  "the name rule and reason escapes use the same Unicode tables on both sides (every code point)",
  async (t) => {
    const theirs = await peer.ask<{ letterOrMark: [number, number][]; escaped: [number, number][] }>({
      classes: true,
    });
    t.deepEqual(ranges(/^[\p{L}\p{M}]$/u), theirs.letterOrMark, "letters and marks (name rule)");
    t.deepEqual(ranges(/^(?! )[\p{M}\p{C}\p{Z}]$/u), theirs.escaped, "characters escaped in reasons");
  },
);
