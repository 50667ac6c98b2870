import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20000,
    hookTimeout: 20000,
    // the machine has 2 cores; interop and network tests open many sockets
    maxWorkers: 2,
    pool: "forks",
  },
});
