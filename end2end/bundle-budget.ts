// The browser bundle's limits (scripts/bundle-budget.json, the one place they are written) and how
// a file's compressed size is counted: brotli at quality 11 with a 4 MiB window, as cargo-leptos'
// `--precompress` writes the `.br` the server sends.
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

interface Limits {
  raw: number;
  brotli: number;
}

interface Budget {
  firstLoad: Limits;
  everything: Limits;
}

const limits: { goal: Budget; ceiling: Budget } = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, "..", "scripts", "bundle-budget.json"), "utf8"),
);

/** Issue 24's budget. */
export const GOAL = limits.goal;
/** What CI holds the bundle to (the goal once it is met). */
export const CEILING = limits.ceiling;

export function brotliSize(bytes: Buffer): number {
  return zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 22,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length;
}
