import { defineConfig } from "@playwright/test";
import { chromiumLaunch } from "../dashboard";

// The browser benchmarks: not part of the test suite (they start their own servers, and write
// numbers to bench/ instead of asserting on time). The cross-device propagation
// (bench/PROPAGATION.md) and the first load on a slow connection (bench/first-load.json, read into
// bench/BUNDLE.md):
//   (cd end2end && npx playwright test -c bench/playwright.config.ts propagation)
//   (cd end2end && npx playwright test -c bench/playwright.config.ts first-load)
export default defineConfig({
  testDir: ".",
  testMatch: /\.bench\.ts/,
  outputDir: "./bench-results",
  timeout: 30 * 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: { browserName: "chromium", launchOptions: chromiumLaunch, trace: "off" },
});
