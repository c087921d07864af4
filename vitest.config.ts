import { defineConfig } from "vitest/config";

/**
 * One run covers: unit tests; the integration suite (API and engine) on each of the three
 * database drivers; and the end-to-end tests in headless Chromium.
 */
const integration = (name: string, driver: string) => ({
  extends: true as const,
  test: {
    name,
    include: ["test/api/**/*.test.ts", "test/integration/**/*.test.ts"],
    env: { BATON_TEST_DB: driver },
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  resolve: { alias: { "@": new URL(".", import.meta.url).pathname } },
  test: {
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "kinds", include: ["test/kinds/**/*.test.ts"] } },
      integration("pglite", "pglite"),
      integration("postgres", "pg"),
      integration("neon", "neon"),
      {
        extends: true,
        test: {
          name: "cli",
          include: ["test/cli/**/*.test.ts"],
          env: { BATON_TEST_DB: "pg" },
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          env: { BATON_TEST_DB: "pg" },
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 90_000,
          hookTimeout: 60_000,
          // Worker processes are heavy on a small machine: one file at a time.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
