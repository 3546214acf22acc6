// ava config for the e2e tier (real services via tests/harness): same tsx settings as the unit
// tier in package.json, one test file at a time (each file starts its own services), long timeout.
export default {
  extensions: { ts: "commonjs" },
  nodeArguments: ["--import=tsx", "--conditions=development"],
  workerThreads: false,
  files: ["tests/e2e/**/*.test.ts"],
  concurrency: 1,
  timeout: "10m",
  verbose: true,
};
