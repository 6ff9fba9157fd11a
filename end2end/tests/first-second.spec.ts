import { test, expect, type Page } from "@playwright/test";
import {
  collectPanics,
  lastFailedBanner as banner,
  pendingDismisses,
  provisionViaApi,
  quotaBreakingRequest,
  signIn,
  uniqueName,
  waitLive,
} from "./support";

// Issue 36: no click is lost in the first second. On a slow link the page is painted long before
// its browser bundle has hydrated it; a button pressed then is kept, shows it was heard, and is
// carried out once the page is live. The page's wasm is held back here until the press has been
// made (and seen to be heard), so the press surely comes before hydration.

/** 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency (as the first-load bench). */
const SLOW_LINK = { offline: false, latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8 };

/** Throttles the page's link and holds every `.wasm` answer until `release` is called. */
async function slowLinkWithWasmHeld(page: Page): Promise<{ release: () => void }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", SLOW_LINK);
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/.*\.wasm$/, async (route) => {
    await released;
    // A request of a page that has navigated away meanwhile is gone.
    await route.continue().catch(() => {});
  });
  return { release };
}

test("Add cluster clicked right after the first paint opens the form once the page is live", async ({ page }, testInfo) => {
  const panics = collectPanics(page);
  await signIn(page, uniqueName("e2e-first-click"));
  const { release } = await slowLinkWithWasmHeld(page);

  await page.goto("/", { waitUntil: "commit" });
  const add = page.getByTestId("add-cluster");
  await add.click();
  // Heard: the page says the form is on its way, before any wasm has arrived.
  await expect(page.getByText("Opening the form…")).toBeVisible();
  await expect(page.locator("html")).not.toHaveAttribute("data-hydrated", "true");
  await page.screenshot({ path: testInfo.outputPath("add-cluster-pending.png") });

  release();
  await expect(page.getByTestId("provision-modal")).toBeVisible({ timeout: 60_000 });
  await expect(page.locator("#pm-cluster_name")).toBeFocused();
  await expect(page.getByText("Opening the form…")).toHaveCount(0);
  // The press is not pressed again by a reload.
  expect(new URL(page.url()).searchParams.get("do")).toBeNull();
  expect(panics).toEqual([]);
});

test("Add cluster pressed from the keyboard before the page is live opens the form too", async ({ page }) => {
  const panics = collectPanics(page);
  await signIn(page, uniqueName("e2e-first-key"));
  const { release } = await slowLinkWithWasmHeld(page);

  await page.goto("/", { waitUntil: "commit" });
  await page.getByTestId("add-cluster").focus();
  await page.keyboard.press("Space");
  await expect(page.getByText("Opening the form…")).toBeVisible();
  release();
  await expect(page.getByTestId("provision-modal")).toBeVisible({ timeout: 60_000 });
  await expect(page.locator("#pm-cluster_name")).toBeFocused();
  expect(panics).toEqual([]);
});

test("Dismiss clicked right after the first paint dismisses once the page is live", async ({ page }, testInfo) => {
  const panics = collectPanics(page);
  const cluster = uniqueName("aks-first-dismiss");
  await signIn(page, uniqueName("e2e-first-dismiss"));
  const { job_id } = await provisionViaApi(page, quotaBreakingRequest(cluster));
  const { release } = await slowLinkWithWasmHeld(page);

  await page.goto("/", { waitUntil: "commit" });
  await expect(banner(page)).toContainText(cluster);
  await banner(page).getByTestId("dismiss-error").click();
  await expect(banner(page).getByText("Dismissing…")).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("dismiss-pending.png") });

  release();
  await expect(banner(page)).toHaveCount(0, { timeout: 60_000 });
  // On every device: the server no longer lists it.
  await expect
    .poll(async () => {
      const listed = await (await page.request.get("/api/aks/recent-failed-provisions")).json();
      return listed.jobs.map((j: { job_id: string }) => j.job_id);
    })
    .not.toContain(job_id);
  expect(panics).toEqual([]);
});

test("a press named in an address typed or linked from elsewhere is not made for the user", async ({ page }) => {
  const cluster = uniqueName("aks-linked");
  await signIn(page, uniqueName("e2e-linked"));
  const { job_id } = await provisionViaApi(page, quotaBreakingRequest(cluster));
  // Not a form of the dashboard: the browser says the navigation came from no page of this site.
  await page.goto(`/?do=dismiss:${job_id}`);
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await waitLive(page);
  expect(await pendingDismisses(page)).toEqual([]);
  await expect(banner(page)).toContainText(cluster);
  await expect(banner(page).getByText("Dismissing…")).toHaveCount(0);
  const listed = await (await page.request.get("/api/aks/recent-failed-provisions")).json();
  expect(listed.jobs.map((j: { job_id: string }) => j.job_id)).toContain(job_id);
});
