// The browser bundle's size: measuring it, reporting it, and holding it to its limits (issue 24).
//
// The limits live in scripts/bundle-budget.json (goal and CI's ceiling, for the first load and
// for everything). The site's wasm is split (`cargo leptos build --split`): the first load is the
// main `aks-dashboard.<hash>.wasm`, which the page fetches before it is hydrated (the browser spec
// end2end/tests/bundle.spec.ts checks that nothing else is); everything is every `.wasm` the site
// serves, the create form's part included. Compression is computed here, not read from
// cargo-leptos' `--precompress` files, so a build without that flag measures the same: brotli at
// quality 11 with a 4 MiB window (what cargo-leptos' precompression writes, within a few bytes)
// and gzip at zlib level 9.
//
//   node scripts/wasm-size.mjs check PKG_DIR                  exit 1 when over the ceiling
//   node scripts/wasm-size.mjs report PKG_DIR TWIGGY_DIR OUT  writes the size report (Markdown)
//   node scripts/wasm-size.mjs levers LIST OUT                writes the levers table (Markdown)
//
// The shell scripts `wasm-budget.sh`, `wasm-size.sh` and `wasm-levers.sh` are the entry points.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const here = path.dirname(new URL(import.meta.url).pathname);
const LIMITS = JSON.parse(fs.readFileSync(path.join(here, "bundle-budget.json"), "utf8"));
const { goal: GOAL, ceiling: CEILING } = LIMITS;

const KB = 1000;

/** Raw, gzip and brotli bytes of one file. */
function sizes(file) {
  const bytes = fs.readFileSync(file);
  const brotli = zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 22,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  const gzip = zlib.gzipSync(bytes, { level: 9 });
  return { raw: bytes.length, gzip: gzip.length, brotli: brotli.length };
}

/** Every `.wasm` in the pkg folder (hashed names included), with its sizes, and their total. */
function bundle(pkgDir) {
  const files = fs
    .readdirSync(pkgDir)
    .filter((name) => name.endsWith(".wasm"))
    .sort()
    .map((name) => ({ name, ...sizes(path.join(pkgDir, name)) }));
  if (files.length === 0) {
    throw new Error(`no .wasm in ${pkgDir}: build the site first (cargo leptos build --release)`);
  }
  const sum = (list) => {
    const t = { raw: 0, gzip: 0, brotli: 0 };
    for (const f of list) for (const k of Object.keys(t)) t[k] += f[k];
    return t;
  };
  // The main module: what the page's island script loads; the others are split parts.
  const main = files.filter((f) => !f.name.startsWith("split_"));
  return { files, firstLoad: sum(main), everything: sum(files) };
}

/** A total against a set of limits: one line per measure. */
function verdict(total, limits) {
  return ["raw", "brotli"].map((k) => ({
    what: k,
    bytes: total[k],
    limit: limits[k],
    ok: total[k] <= limits[k],
  }));
}

const n = (x) => x.toLocaleString("en-US");
const kb = (x) => (x / KB).toFixed(1);
const pct = (x, of) => ((100 * x) / of).toFixed(1);

function check(pkgDir) {
  const b = bundle(pkgDir);
  for (const f of b.files) console.log(`${f.name}: ${n(f.raw)} B raw, ${n(f.brotli)} B brotli`);
  let ok = true;
  for (const part of ["firstLoad", "everything"]) {
    for (const v of verdict(b[part], CEILING[part])) {
      const word = v.ok ? "within" : "OVER";
      console.log(`${part} ${v.what}: ${n(v.bytes)} B, ${word} the ceiling of ${n(v.limit)} B`);
      ok &&= v.ok;
    }
    for (const v of verdict(b[part], GOAL[part])) {
      if (!v.ok) console.log(`  (the goal is ${n(v.limit)} B ${v.what}: ${n(v.bytes - v.limit)} B to go)`);
    }
  }
  if (!ok) {
    console.log("The browser bundle grew past its ceiling (limits: scripts/bundle-budget.json, report: scripts/wasm-size.sh).");
  }
  return ok ? 0 : 1;
}

// ---- twiggy output ------------------------------------------------------------------------

/** Rows of a CSV written by twiggy (quoted fields with doubled quotes). */
function readCsv(file) {
  const text = fs.readFileSync(file, "utf8");
  const rows = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const fields = [];
    let i = 0;
    while (i <= line.length) {
      if (line[i] === '"') {
        let value = "";
        i += 1;
        while (i < line.length) {
          if (line[i] === '"' && line[i + 1] === '"') {
            value += '"';
            i += 2;
          } else if (line[i] === '"') {
            i += 1;
            break;
          } else {
            value += line[i++];
          }
        }
        fields.push(value);
        i += 1; // the comma
      } else {
        const end = line.indexOf(",", i);
        const stop = end === -1 ? line.length : end;
        fields.push(line.slice(i, stop));
        i = stop + 1;
      }
    }
    rows.push(fields);
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j] ?? ""])));
}

/** The name section holds names only twiggy needs; the served wasm has none. */
const isNames = (name) => name.endsWith('names" subsection');

/** The crate an item's code comes from: the first path in its name (`<&mut serde_json::…`). */
function crateOf(name) {
  if (name.startsWith("data segment")) return "(static data)";
  const m = name.match(/([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::/);
  if (!m) return "(glue and unnamed)";
  if (["core", "alloc", "std", "dlmalloc", "compiler_builtins"].includes(m[1])) return "std (core, alloc, dlmalloc)";
  return m[1];
}

/**
 * Which of our modules an item belongs to: `aks_dashboard::components::modal::Modal` →
 * `components::modal`, `aks_dashboard::app::mark_hydrated::{{closure}}` → `app` (a second
 * segment counts as a module only when a named item follows it).
 */
function ourModuleOf(name) {
  const m = name
    .replace(/::h[0-9a-f]{16}$/, "")
    .replace(/\[[0-9a-f]+\]/g, "") // the crate hashes of v0 symbol names
    .match(/aks_dashboard::([a-z][a-z0-9_]*)(?:::([a-z][a-z0-9_]*)::[A-Za-z_])?/);
  if (!m) return null;
  return m[2] ? `${m[1]}::${m[2]}` : m[1];
}

function grouped(items, key) {
  const by = new Map();
  for (const it of items) {
    const k = key(it.name);
    if (k === null) continue;
    by.set(k, (by.get(k) ?? 0) + it.size);
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}

const shortName = (name) => {
  const s = name.replace(/\[[0-9a-f]{16}\]/g, "").replace(/::h[0-9a-f]{16}$/, "");
  return s.length > 140 ? s.slice(0, 137) + "…" : s;
};
const cell = (s) => "`" + s.replace(/`/g, "'").replace(/\|/g, "\\|") + "`";

/** twiggy's findings of one module (its folder under TWIGGY_DIR: top.csv, monos.csv, dominators.txt). */
function twiggyOf(dir) {
  const top = readCsv(path.join(dir, "top.csv")).map((r) => ({ name: r.Name, size: Number(r.ShallowSize) }));
  const code = top.filter((it) => !isNames(it.name));
  return {
    code,
    codeTotal: code.reduce((s, it) => s + it.size, 0),
    monos: readCsv(path.join(dir, "monos.csv")),
    dominators: fs.readFileSync(path.join(dir, "dominators.txt"), "utf8"),
  };
}

/** The section of one module: by crate, by our module, the largest items, the most copied generics. */
function moduleSection(L, title, t, full) {
  L.push(`### ${title}: by crate`);
  L.push("");
  L.push("| crate | bytes | % |");
  L.push("| --- | ---: | ---: |");
  for (const [k, s] of grouped(t.code, crateOf).slice(0, 16)) L.push(`| ${k} | ${n(s)} | ${pct(s, t.codeTotal)} |`);
  L.push("");
  L.push(`### ${title}: our own modules (items named \`aks_dashboard::…\`)`);
  L.push("");
  L.push("| module | bytes | % |");
  L.push("| --- | ---: | ---: |");
  for (const [k, s] of grouped(t.code, ourModuleOf).slice(0, 15)) L.push(`| \`${k}\` | ${n(s)} | ${pct(s, t.codeTotal)} |`);
  L.push("");
  L.push(`### ${title}: the 20 largest items`);
  L.push("");
  L.push("| bytes | % | item |");
  L.push("| ---: | ---: | --- |");
  for (const it of t.code.slice(0, 20)) L.push(`| ${n(it.size)} | ${pct(it.size, t.codeTotal)} | ${cell(shortName(it.name))} |`);
  L.push("");
  if (!full) return;
  L.push(`### ${title}: generic functions with the most copies (\`twiggy monos\`)`);
  L.push("");
  L.push("| bloat bytes | total bytes | generic |");
  L.push("| ---: | ---: | --- |");
  for (const m of t.monos.filter((m) => !m.Generic.startsWith("... and")).slice(0, 12)) {
    L.push(`| ${n(Number(m.ApproximateMonomorphizationBloatBytes))} | ${n(Number(m.TotalSize))} | ${cell(shortName(m.Generic))} |`);
  }
  L.push("");
}

function report(pkgDir, twiggyDir, out) {
  const b = bundle(pkgDir);
  const meta = JSON.parse(fs.readFileSync(path.join(twiggyDir, "meta.json"), "utf8"));
  const main = twiggyOf(path.join(twiggyDir, "main"));
  const split = fs.existsSync(path.join(twiggyDir, "split")) ? twiggyOf(path.join(twiggyDir, "split")) : null;
  const firstLoadRun = path.join(here, "..", "bench", "first-load.json");
  const timing = fs.existsSync(firstLoadRun) ? JSON.parse(fs.readFileSync(firstLoadRun, "utf8")) : null;

  const L = [];
  L.push("# Browser bundle size");
  L.push("");
  L.push(`Generated by \`scripts/wasm-size.sh\` on ${meta.date} from commit \`${meta.commit}\`${meta.dirty ? " (with uncommitted changes)" : ""}; the bundle built on stable Rust by \`cargo leptos build --release --split\` (\`leptos_release_build\`, scripts/env.sh). Reproduce with:`);
  L.push("");
  L.push("```sh");
  L.push("scripts/wasm-size.sh            # builds the release site's front end first; --no-build measures what is built");
  L.push("(cd end2end && npx playwright test -c bench/playwright.config.ts first-load)   # the slow-connection timings");
  L.push("```");
  L.push("");
  L.push("Where the bundle stands against its budget, and what each lever bought: [docs/bundle.md](../docs/bundle.md).");
  L.push("");
  L.push("## What the site serves");
  L.push("");
  L.push(`Every \`.wasm\` in \`${meta.pkgDir}\`: the main module (the first load: the page fetches it before it is`);
  L.push("hydrated) and the create form's part (fetched once the page is idle after hydration, when the pointer");
  L.push("or the focus reaches a button that opens the form, or at the latest when it opens). gzip: zlib level 9;");
  L.push("brotli: quality 11, window 22 (what `--precompress` serves, within a few bytes). 1 KB = 1,000 B.");
  L.push("");
  L.push("| file | raw | gzip -9 | brotli |");
  L.push("| --- | ---: | ---: | ---: |");
  for (const f of b.files) L.push(`| \`${f.name}\` | ${n(f.raw)} | ${n(f.gzip)} | ${n(f.brotli)} |`);
  L.push(`| **first load** | **${n(b.firstLoad.raw)}** | **${n(b.firstLoad.gzip)}** | **${n(b.firstLoad.brotli)}** |`);
  L.push(`| **everything** | **${n(b.everything.raw)}** | **${n(b.everything.gzip)}** | **${n(b.everything.brotli)}** |`);
  L.push("");
  L.push("| limit (`scripts/bundle-budget.json`) | bytes | now | |");
  L.push("| --- | ---: | ---: | --- |");
  for (const [name, limits] of [["goal", GOAL], ["ceiling (CI fails above it)", CEILING]]) {
    for (const part of ["firstLoad", "everything"]) {
      for (const v of verdict(b[part], limits[part])) {
        const state = v.ok
          ? `within, ${n(v.limit - v.bytes)} B to spare`
          : `over by ${n(v.bytes - v.limit)} B (${pct(v.bytes - v.limit, v.limit)} %)`;
        L.push(`| ${name}, ${part === "firstLoad" ? "first load" : "everything"} ${v.what} | ${n(v.limit)} | ${n(v.bytes)} | ${state} |`);
      }
    }
  }
  L.push("");
  if (timing) {
    L.push("## As a user on a slow connection meets it");
    L.push("");
    L.push(`${timing.network}; ${timing.runs.length} runs on ${timing.date}, commit \`${timing.commit}\` (\`${timing.command}\`).`);
    L.push("Times from the navigation's start, medians; bytes as they crossed the network (brotli).");
    L.push("");
    L.push("| what | median |");
    L.push("| --- | ---: |");
    L.push(`| first contentful paint | ${n(timing.median.fcpMs)} ms |`);
    L.push(`| the R-1 banner in the document at first paint (server HTML) | ${timing.bannerAtFirstPaint ? "yes, every run" : "NO"} |`);
    L.push(`| hydrated (\`data-hydrated\`) | ${n(timing.median.hydratedMs)} ms |`);
    L.push(`| Add cluster, clicked once hydrated, shows the form | ${n(timing.median.formOpenMs)} ms |`);
    if (timing.median.formOpenEarlyClickMs !== undefined) {
      L.push(`| Add cluster, clicked as soon as it is painted (the click kept until the page is live), shows the form | ${n(timing.median.formOpenEarlyClickMs)} ms |`);
    }
    L.push(`| wasm before hydrated | ${n(timing.median.firstLoadWasmBytes)} B |`);
    L.push(`| wasm of the form's part | ${n(timing.median.formWasmBytes)} B |`);
    L.push(`| wasm on a repeat visit | ${n(timing.median.repeatVisitWasmBytes)} B |`);
    L.push("");
  }
  L.push("## Where the bytes go (twiggy)");
  L.push("");
  L.push("twiggy reads each module as the site serves it but with names kept (`wasm-opt … -g`: the same");
  L.push("build and flags, `LEPTOS_WASM_OPT_FEATURES`). Generic code counts where it is defined: the view");
  L.push("and reactive code instantiated for our components shows under `tachys` and `reactive_graph`, a");
  L.push("struct's JSON decoder under `serde_json`. Percentages are of the module's code and data.");
  L.push("");
  moduleSection(L, "First load (the main module)", main, true);
  if (split) moduleSection(L, "The create form's part", split, false);
  L.push("### `twiggy dominators` (main module)");
  L.push("");
  L.push("```");
  L.push(main.dominators.trimEnd());
  L.push("```");
  L.push("");
  fs.writeFileSync(out, L.join("\n"));
  console.log(`wrote ${out}: first load ${n(b.firstLoad.raw)} B raw / ${n(b.firstLoad.brotli)} B brotli; everything ${n(b.everything.raw)} / ${n(b.everything.brotli)}`);
}

// ---- levers --------------------------------------------------------------------------------

/**
 * The levers table. LIST has one lever a line, tab-separated: name, what was changed, the pkg
 * folder of the site it built (split, after wasm-bindgen and wasm-opt, as served), a note. The
 * first line is the baseline. Each row: the first load and everything, raw and brotli.
 */
function levers(list, out) {
  const lines = fs.readFileSync(list, "utf8").split("\n").filter(Boolean);
  const rows = lines.map((line) => {
    const [name, change, pkgDir, note] = line.split("\t");
    const b = bundle(pkgDir);
    return { name, change, note: note ?? "", first: b.firstLoad, all: b.everything };
  });
  const [base] = rows;
  const delta = (x, b) => (x === b ? "±0" : `${x > b ? "+" : "−"}${n(Math.abs(x - b))} (${x > b ? "+" : "−"}${pct(Math.abs(x - b), b)} %)`);
  const cell = (r, part, k) => `${n(r[part][k])}${r === base ? "" : ` (${delta(r[part][k], base[part][k])})`}`;
  const L = [];
  L.push("| lever | change from the baseline | first load raw | first load brotli | everything raw | everything brotli | note |");
  L.push("| --- | --- | ---: | ---: | ---: | ---: | --- |");
  for (const r of rows) {
    L.push(
      `| ${r.name} | ${r.change} | ${cell(r, "first", "raw")} | ${cell(r, "first", "brotli")} | ${cell(r, "all", "raw")} | ${cell(r, "all", "brotli")} | ${r.note} |`,
    );
  }
  fs.writeFileSync(out, L.join("\n") + "\n");
  console.log(L.join("\n"));
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === "check" && args.length === 1) process.exitCode = check(args[0]);
  else if (cmd === "report" && args.length === 3) report(...args);
  else if (cmd === "levers" && args.length === 2) levers(...args);
  else {
    console.error("usage: wasm-size.mjs check PKG_DIR | report PKG_DIR TWIGGY_DIR OUT | levers LIST OUT");
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`wasm-size: ${e.message}`);
  process.exitCode = 2;
}
