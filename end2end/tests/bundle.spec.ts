import { test, expect, type Page } from "@playwright/test";
import { CEILING, GOAL, brotliSize } from "../bundle-budget";
import { openDashboard, signIn, uniqueName } from "./support";

// Issue 24: the browser bundle as a user meets it. The wasm a browser fetches before the page
// says it is hydrated is the first load; the create form's part comes once the page is live
// (issue 36: when it is idle, or the user heads for a button that opens it); a repeat visit
// fetches no wasm at all. (The byte limits live in scripts/bundle-budget.json;
// timings on a slow connection are measured by end2end/bench/first-load.bench.ts.)

interface Fetched {
  url: string;
  raw: number;
  brotli: number;
}

/** Records every `.wasm` the page fetches, with its size as served and as brotli. */
function recordWasm(page: Page): Fetched[] {
  const fetched: Fetched[] = [];
  page.on("response", async (res) => {
    if (!new URL(res.url()).pathname.endsWith(".wasm")) return;
    const body = await res.body();
    fetched.push({ url: res.url(), raw: body.length, brotli: brotliSize(body) });
  });
  return fetched;
}

const total = (files: Fetched[], k: "raw" | "brotli") => files.reduce((sum, f) => sum + f[k], 0);

test("the first load is the main wasm within its budget; the form's part comes once the page is live", async ({ browser, baseURL }, testInfo) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page, uniqueName("e2e-bundle"));
  // A fresh page in a fresh cache.
  const cold = await browser.newContext({ baseURL, storageState: await context.storageState() });
  const first = await cold.newPage();
  // When the page says it is hydrated, on the page's own clock.
  // (The document's <html> may not be parsed yet when this runs: the whole document is watched.)
  await first.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.documentElement?.getAttribute("data-hydrated") === "true") {
        (window as any).__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
  });
  const fetched = recordWasm(first);
  await openDashboard(first);
  // The wasm asked for before the page was hydrated: the main module alone.
  const hydratedAt: number = await first.evaluate(() => (window as any).__hydratedAt);
  const askedBefore: string[] = await first.evaluate(
    (at) =>
      performance
        .getEntriesByType("resource")
        .filter((r) => r.name.endsWith(".wasm") && r.startTime < at)
        .map((r) => new URL(r.name).pathname),
    hydratedAt,
  );
  expect(askedBefore).toEqual([expect.stringMatching(/^\/pkg\/aks-dashboard\.[^/]+\.wasm$/)]);
  await expect.poll(() => fetched.filter((f) => f.url.endsWith(askedBefore[0])).length).toBe(1);
  const firstLoad = fetched.filter((f) => f.url.endsWith(askedBefore[0]));
  testInfo.annotations.push({ type: "first load", description: JSON.stringify(firstLoad) });
  const over = (k: "raw" | "brotli", files: Fetched[], goal: number) =>
    testInfo.annotations.push({ type: `${k} against the goal`, description: `${total(files, k)} B (goal ${goal} B)` });
  over("raw", firstLoad, GOAL.firstLoad.raw);
  over("brotli", firstLoad, GOAL.firstLoad.brotli);
  expect(total(firstLoad, "raw")).toBeLessThanOrEqual(CEILING.firstLoad.raw);
  expect(total(firstLoad, "brotli")).toBeLessThanOrEqual(CEILING.firstLoad.brotli);

  // Once the page is live and idle, the form's part is fetched without a hover or a click; the
  // click opens the form.
  await expect.poll(() => fetched.some((f) => /\/pkg\/split_[^/]*\.wasm$/.test(new URL(f.url).pathname))).toBe(true);
  await first.getByTestId("add-cluster").click();
  await expect(first.getByTestId("provision-modal")).toBeVisible();
  await expect(first.locator("#pm-cluster_name")).toBeFocused();
  over("raw", fetched, GOAL.everything.raw);
  over("brotli", fetched, GOAL.everything.brotli);
  expect(total(fetched, "raw")).toBeLessThanOrEqual(CEILING.everything.raw);
  expect(total(fetched, "brotli")).toBeLessThanOrEqual(CEILING.everything.brotli);
  await first.keyboard.press("Escape");
  await cold.close();
  await context.close();
});

test("a repeat visit fetches no wasm over the network", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page, uniqueName("e2e-repeat"));
  await page.getByTestId("add-cluster").hover();
  await page.getByTestId("add-cluster").click();
  await expect(page.getByTestId("provision-modal")).toBeVisible();

  // The second visit: the bytes each wasm request took on the wire, as the browser counts them.
  const visit = await context.newPage();
  const cdp = await context.newCDPSession(visit);
  await cdp.send("Network.enable");
  const wasm = new Map<string, { url: string; cached: boolean; bytes: number }>();
  cdp.on("Network.responseReceived", (e) => {
    if (new URL(e.response.url).pathname.endsWith(".wasm")) {
      wasm.set(e.requestId, { url: e.response.url, cached: !!(e.response.fromDiskCache || e.response.fromMemoryCache), bytes: 0 });
    }
  });
  cdp.on("Network.requestServedFromCache", (e) => {
    const known = wasm.get(e.requestId);
    if (known) known.cached = true;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const known = wasm.get(e.requestId);
    if (known && !known.cached) known.bytes = e.encodedDataLength;
  });
  await openDashboard(visit);
  await visit.getByTestId("add-cluster").hover();
  await visit.getByTestId("add-cluster").click();
  await expect(visit.getByTestId("provision-modal")).toBeVisible();
  const seen = [...wasm.values()];
  expect(seen.length, "the main wasm and the form's part were asked for").toBeGreaterThanOrEqual(2);
  expect(seen.filter((w) => !w.cached), JSON.stringify(seen)).toEqual([]);
  expect(seen.reduce((sum, w) => sum + w.bytes, 0)).toBe(0);
  await context.close();
});
