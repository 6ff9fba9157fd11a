// The dashboard under test as a process: the release binary built by `cargo leptos build
// --release`, with the environment every browser test gives it. Playwright's config starts the
// shared servers with `serverEnv`; a spec (or the benchmark) that needs a server of its own —
// to stop and start it again, to point two of them at one PostgreSQL database, or to run one
// without a job runner — starts a `DashboardProcess`.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const root = path.resolve(__dirname, "..");
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
export const bin = process.env.AKSDASH_BIN ?? path.join(targetDir, "release", "aks-dashboard");

/** How the browser tests start Debian's chromium (never a downloaded browser). */
export const chromiumLaunch = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

/** The environment of a dashboard on `port` keeping its data in `dir` (SQLite unless `env` says). */
export function serverEnv(port: number, dir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    LISTEN_ADDR: `127.0.0.1:${port}`,
    DATA_DIR: dir,
    DATABASE_URL: `sqlite://${path.join(dir, "e2e.db")}`,
    LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
    RUST_LOG: process.env.RUST_LOG ?? "info,tower_http=warn",
    ...env,
  };
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** One dashboard server process that a test starts, stops and starts again (same port, same data). */
export class DashboardProcess {
  readonly baseURL: string;
  readonly dataDir: string;
  private child: ChildProcess | null = null;
  private log = "";

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    dataDir: string,
    private readonly args: string[] = [],
    private readonly readyPath = "/readyz",
  ) {
    this.baseURL = `http://127.0.0.1:${port}`;
    this.dataDir = dataDir;
  }

  /** Starts a dashboard on a free port with a fresh data directory; `env` adds to or overrides `serverEnv`. */
  static async start(env: Record<string, string> = {}): Promise<DashboardProcess> {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "aksdash-e2e-own-"));
    const server = new DashboardProcess(port, serverEnv(port, dataDir, env), dataDir);
    await server.resume();
    return server;
  }

  /** Starts a standalone ARM simulator (`aks-dashboard armsim`) that several dashboards share. */
  static async startSimulator(env: Record<string, string> = {}): Promise<DashboardProcess> {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "aksdash-armsim-"));
    const simulator = new DashboardProcess(
      port,
      { RUST_LOG: "warn", ...env },
      dataDir,
      ["armsim", "--port", String(port)],
      "/_armsim/state",
    );
    await simulator.resume();
    return simulator;
  }

  /** Starts the process again after `stop`, and waits until it answers `/readyz`. */
  async resume(): Promise<void> {
    if (this.child) return;
    const child = spawn(bin, this.args, { env: { ...process.env, ...this.env }, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.child = child;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the dashboard exited (${child.exitCode}):\n${this.log}`);
      try {
        const res = await fetch(`${this.baseURL}${this.readyPath}`);
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the dashboard did not get ready on ${this.baseURL}:\n${this.log}`);
  }

  /** Stops the process (`SIGKILL`: as abruptly as a crash or a pulled plug) and waits for it to be gone. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  /** The last lines the process wrote, for a failing test's message. */
  output(): string {
    return this.log;
  }
}
