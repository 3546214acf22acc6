// ava config for the image tier (npm run test:images runs tests/images/run.sh, which starts the
// engine and builds first): same tsx settings as the other tiers, one file at a time, long timeout.
export default {
  extensions: { ts: "commonjs" },
  nodeArguments: ["--import=tsx", "--conditions=development"],
  workerThreads: false,
  files: ["tests/images/**/*.test.ts"],
  concurrency: 1,
  timeout: "15m",
  verbose: true,
};
