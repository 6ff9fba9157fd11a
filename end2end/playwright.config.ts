import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bin, chromiumLaunch, serverEnv } from "./dashboard";

// The dashboard under test: the release binary built by `cargo leptos build --release`,
// started fresh on its own port with a throw-away database and the embedded ARM simulator.
const port = Number(process.env.E2E_PORT ?? 3107);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "aksdash-e2e-"));
// A second server whose simulated creates take a minute, for the tests that act on a cluster
// while Azure is still creating it (Stop after the cluster shows `Creating`).
const slowPort = Number(process.env.E2E_SLOW_PORT ?? 3108);
const slowDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "aksdash-e2e-slow-"));

export const baseURL = `http://127.0.0.1:${port}`;
export const slowBaseURL = `http://127.0.0.1:${slowPort}`;

function server(listenPort: number, dir: string, env: Record<string, string>) {
  return {
    command: `"${bin}"`,
    url: `http://127.0.0.1:${listenPort}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe" as const,
    stderr: "pipe" as const,
    gracefulShutdown: { signal: "SIGTERM" as const, timeout: 5_000 },
    env: serverEnv(listenPort, dir, env),
  };
}

/** Specs that need the slow-create server. */
const slowSpecs = /(partial-cluster|creating|admin-stop)\.spec\.ts/;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    browserName: "chromium",
    launchOptions: chromiumLaunch,
    viewport: { width: 1280, height: 860 },
    trace: "off",
  },
  projects: [
    { name: "default", testIgnore: slowSpecs },
    { name: "slow-create", testMatch: slowSpecs, use: { baseURL: slowBaseURL } },
  ],
  webServer: [
    // Creates that succeed are followed closely, so a test sees the end soon after Azure's.
    server(port, dataDir, { ARMSIM_CREATE_SECONDS: process.env.ARMSIM_CREATE_SECONDS ?? "6", JOB_POLL_MAX_SECONDS: "2" }),
    server(slowPort, slowDataDir, { ARMSIM_CREATE_SECONDS: "60", ARMSIM_DELETE_SECONDS: "3" }),
  ],
});
