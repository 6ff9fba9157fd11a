// The browser bundle's size: measuring it, reporting it, and holding it to its budget (issue 13).
//
// This file owns the budget (the one place its limits are written) and how sizes are counted:
// every `.wasm` the site serves from its pkg folder, added up, raw and compressed. Compression is
// computed here, not read from cargo-leptos' `--precompress` files, so a build without that flag
// measures the same: brotli at quality 11 with a 4 MiB window (brotli's defaults, which
// cargo-leptos' precompression also uses: the result is within a few bytes of the `.br` it
// serves) and gzip at zlib level 9.
//
//   node scripts/wasm-size.mjs check PKG_DIR                 exit 1 when over the budget
//   node scripts/wasm-size.mjs report PKG_DIR TWIGGY_DIR OUT  writes the size report (Markdown)
//   node scripts/wasm-size.mjs levers LIST OUT                writes the levers table (Markdown)
//
// The shell scripts `wasm-budget.sh`, `wasm-size.sh` and `wasm-levers.sh` are the entry points.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

/** The goal of issue 13 for all `.wasm` files the site serves, added up (1 KB = 1,000 B). */
const GOAL = { raw: 450_000, brotli: 150_000 };

/**
 * What CI holds the bundle to. While the bundle was over the goal it was a ratchet (the size on
 * main when the bundle last shrank, plus 1 %); the bundle is within the goal now, so the
 * ceiling is the goal itself: CI fails when the total grows past it. Raising it needs a reason
 * in the commit message.
 */
const CEILING = GOAL;

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
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const f of files) for (const k of Object.keys(total)) total[k] += f[k];
  return { files, total };
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
  const { files, total } = bundle(pkgDir);
  for (const f of files) console.log(`${f.name}: ${n(f.raw)} B raw, ${n(f.brotli)} B brotli`);
  let ok = true;
  for (const v of verdict(total, CEILING)) {
    const word = v.ok ? "within" : "OVER";
    console.log(`wasm total ${v.what}: ${n(v.bytes)} B, ${word} the ceiling of ${n(v.limit)} B`);
    ok &&= v.ok;
  }
  for (const v of verdict(total, GOAL)) {
    if (!v.ok) console.log(`  (the goal is ${n(v.limit)} B ${v.what}: ${n(v.bytes - v.limit)} B to go)`);
  }
  if (!ok) {
    console.log("The browser bundle grew past its ceiling (limits: scripts/wasm-size.mjs, report: scripts/wasm-size.sh).");
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

function report(pkgDir, twiggyDir, out) {
  const { files, total } = bundle(pkgDir);
  const meta = JSON.parse(fs.readFileSync(path.join(twiggyDir, "meta.json"), "utf8"));
  const top = readCsv(path.join(twiggyDir, "top.csv")).map((r) => ({
    name: r.Name,
    size: Number(r.ShallowSize),
  }));
  const code = top.filter((it) => !isNames(it.name));
  const codeTotal = code.reduce((s, it) => s + it.size, 0);
  const monos = readCsv(path.join(twiggyDir, "monos.csv"));
  const dominators = fs.readFileSync(path.join(twiggyDir, "dominators.txt"), "utf8");

  const L = [];
  L.push("# Browser bundle size");
  L.push("");
  L.push(`Generated by \`scripts/wasm-size.sh\` on ${meta.date} from commit \`${meta.commit}\`${meta.dirty ? " (with uncommitted changes)" : ""}; the bundle compiled by ${meta.toolchain} (\`leptos_release_build\`, scripts/env.sh). Reproduce with:`);
  L.push("");
  L.push("```sh");
  L.push("scripts/wasm-size.sh            # builds the release site's front end first; --no-build measures what is built");
  L.push("```");
  L.push("");
  L.push("What each build lever bought, measured from one baseline: [LEVERS.md](LEVERS.md). The plan that");
  L.push("reaches the budget: [docs/bundle.md](../docs/bundle.md).");
  L.push("");
  L.push("## What the site serves");
  L.push("");
  L.push(`Every \`.wasm\` in \`${meta.pkgDir}\`. gzip: zlib level 9; brotli: quality 11, window 22 (what`);
  L.push("`--precompress` serves, within a few bytes). 1 KB = 1,000 B.");
  L.push("");
  L.push("| file | raw | gzip -9 | brotli |");
  L.push("| --- | ---: | ---: | ---: |");
  for (const f of files) L.push(`| \`${f.name}\` | ${n(f.raw)} | ${n(f.gzip)} | ${n(f.brotli)} |`);
  L.push(`| **total** | **${n(total.raw)}** | **${n(total.gzip)}** | **${n(total.brotli)}** |`);
  L.push("");
  L.push("| limit (`scripts/wasm-size.mjs`) | raw / brotli | now | |");
  L.push("| --- | ---: | ---: | --- |");
  for (const [name, limits] of [["goal (issue 13)", GOAL], ["ceiling (CI fails above it)", CEILING]]) {
    for (const v of verdict(total, limits)) {
      const state = v.ok
        ? `within, ${n(v.limit - v.bytes)} B to spare`
        : `over by ${n(v.bytes - v.limit)} B (${pct(v.bytes - v.limit, v.limit)} %)`;
      L.push(`| ${name}, ${v.what} | ${n(v.limit)} | ${n(v.bytes)} | ${state} |`);
    }
  }
  L.push("");
  L.push("## Where the bytes go (twiggy)");
  L.push("");
  L.push("twiggy reads the main module as wasm-bindgen writes it from the `wasm-release` build, optimised");
  L.push(`with the same wasm-opt flags but keeping names (\`wasm-opt ${meta.wasmOpt} -g\`): its code and data`);
  L.push(`come to ${n(codeTotal)} B, ${pct(Math.abs(codeTotal - meta.servedRaw), meta.servedRaw)} % off the ${n(meta.servedRaw)} B served, so the shares below are`);
  L.push("those of the served file. Percentages are of that code-and-data total.");
  L.push("");
  L.push("### By crate (shallow bytes of every item, grouped by the first path in its name)");
  L.push("");
  L.push("Generic code counts where it is defined: the view and reactive code instantiated for our");
  L.push("components shows under `tachys` and `reactive_graph`, a struct's JSON decoder under `serde_json`.");
  L.push("");
  L.push("| crate | bytes | % |");
  L.push("| --- | ---: | ---: |");
  for (const [k, s] of grouped(code, crateOf).slice(0, 20)) L.push(`| ${k} | ${n(s)} | ${pct(s, codeTotal)} |`);
  L.push("");
  L.push("### Our own modules (items named `aks_dashboard::…`)");
  L.push("");
  L.push("| module | bytes | % |");
  L.push("| --- | ---: | ---: |");
  for (const [k, s] of grouped(code, ourModuleOf).slice(0, 15)) L.push(`| \`${k}\` | ${n(s)} | ${pct(s, codeTotal)} |`);
  L.push("");
  L.push("### `twiggy top`: the 25 largest items");
  L.push("");
  L.push("| bytes | % | item |");
  L.push("| ---: | ---: | --- |");
  for (const it of code.slice(0, 25)) L.push(`| ${n(it.size)} | ${pct(it.size, codeTotal)} | ${cell(shortName(it.name))} |`);
  L.push("");
  L.push("### `twiggy monos`: generic functions with the most copies");
  L.push("");
  L.push("| bloat bytes | total bytes | generic |");
  L.push("| ---: | ---: | --- |");
  for (const m of monos.filter((m) => !m.Generic.startsWith("... and")).slice(0, 12)) {
    L.push(`| ${n(Number(m.ApproximateMonomorphizationBloatBytes))} | ${n(Number(m.TotalSize))} | ${cell(shortName(m.Generic))} |`);
  }
  L.push("");
  L.push("### `twiggy dominators`");
  L.push("");
  L.push("Nearly everything is reached through the indirect-call table (`table[0]` → `elem[0]`): closures,");
  L.push("trait objects and the view tree's callbacks. So removing one function rarely frees more than");
  L.push("itself, and the dominator tree is flat below the table; the wins are whole features that");
  L.push("stop being hydrated, not single functions.");
  L.push("");
  L.push("```");
  L.push(dominators.trimEnd());
  L.push("```");
  L.push("");
  fs.writeFileSync(out, L.join("\n"));
  console.log(`wrote ${out}: ${n(total.raw)} B raw, ${n(total.brotli)} B brotli`);
}

// ---- levers --------------------------------------------------------------------------------

/**
 * The levers table. LIST has one lever a line, tab-separated: name, what was changed, the wasm
 * it produced (after wasm-bindgen and wasm-opt). The first line is the baseline.
 */
function levers(list, out) {
  const lines = fs.readFileSync(list, "utf8").split("\n").filter(Boolean);
  const rows = lines.map((line) => {
    const [name, change, file, note] = line.split("\t");
    return { name, change, note: note ?? "", ...sizes(file) };
  });
  const [base] = rows;
  const delta = (x, b) => (x === b ? "±0" : `${x > b ? "+" : "−"}${n(Math.abs(x - b))} (${x > b ? "+" : "−"}${pct(Math.abs(x - b), b)} %)`);
  const L = [];
  L.push("| lever | change from the baseline | raw | Δ raw | brotli | Δ brotli | note |");
  L.push("| --- | --- | ---: | ---: | ---: | ---: | --- |");
  for (const r of rows) {
    const isBase = r === base;
    L.push(
      `| ${r.name} | ${r.change} | ${n(r.raw)} | ${isBase ? "" : delta(r.raw, base.raw)} | ${n(r.brotli)} | ${isBase ? "" : delta(r.brotli, base.brotli)} | ${r.note} |`,
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
