import { defineConfig } from "@playwright/test";
import { chromiumLaunch } from "../dashboard";

// The cross-device propagation benchmark: not part of the test suite (it starts its own
// servers, and writes numbers to bench/PROPAGATION.md instead of asserting on time).
//   (cd end2end && npx playwright test -c bench/playwright.config.ts)
export default defineConfig({
  testDir: ".",
  testMatch: /propagation\.bench\.ts/,
  outputDir: "./bench-results",
  timeout: 30 * 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: { browserName: "chromium", launchOptions: chromiumLaunch, trace: "off" },
});
