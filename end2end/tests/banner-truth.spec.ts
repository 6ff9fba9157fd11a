import { test, expect, type Page } from "@playwright/test";
import {
  collectPanics,
  lastFailedBanner as banner,
  localLastFailure,
  openDashboard,
  pendingDismisses,
  provisionViaApi,
  quotaBreakingRequest,
  signIn,
  uniqueName,
  waitLive,
} from "./support";

// Issue 36: the "last attempt" banner tells the truth. Once the server has answered,
// what it lists wins over what a tab's storage says; an answer asked for before a Dismiss does
// not bring the dismissed card back.

/** How many of the page's reads of its recent failures have been answered. */
const readsAnswered = async (page: Page) => Number(await page.getByTestId("cluster-card").getAttribute("data-failures-read"));

test("localStorage cleared in another tab does not hide a failure the server still lists", async ({ context }, testInfo) => {
  const cluster = uniqueName("aks-cleared");
  const tabA = await context.newPage();
  const panics = collectPanics(tabA);
  await signIn(tabA, uniqueName("e2e-cleared"));
  await provisionViaApi(tabA, quotaBreakingRequest(cluster));
  await expect(banner(tabA)).toContainText(cluster);
  await waitLive(tabA);
  const tabB = await context.newPage();
  await openDashboard(tabB);
  await expect(banner(tabB)).toContainText(cluster);

  // Tab B's user clears the site's storage (a privacy tool, the developer console).
  const asked = tabA.waitForResponse((res) => res.url().includes("/api/aks/recent-failed-provisions"));
  await tabB.evaluate(() => window.localStorage.clear());
  // Tab A hears of it, and asks the server rather than taking the empty storage at its word.
  expect((await asked).status()).toBe(200);
  await expect(banner(tabA)).toContainText(cluster);
  // The server's list becomes the local copy again.
  await expect.poll(async () => (await localLastFailure(tabA))?.failure?.cluster_name).toBe(cluster);
  await expect(banner(tabB)).toContainText(cluster);
  await tabA.screenshot({ path: testInfo.outputPath("after-clear.png"), fullPage: true });
  expect(panics).toEqual([]);
});

test("an answer asked for before a Dismiss does not bring the dismissed card back", async ({ page }) => {
  const panics = collectPanics(page);
  const older = uniqueName("aks-older");
  const newer = uniqueName("aks-newer");
  await signIn(page, uniqueName("e2e-late"));
  await provisionViaApi(page, quotaBreakingRequest(older));
  const { job_id } = await provisionViaApi(page, quotaBreakingRequest(newer));
  // The dashboard signIn opened hears those failures and reads its list: it leaves before the
  // reads are held, so that every held read is one of the page under test.
  await page.goto("about:blank");

  // Push never arrives (the stream stays connecting), so no event asks again behind the test's
  // back; every read of the recent failures is answered only when the test says so, with what
  // the server said when it was asked.
  await page.route("**/api/events*", () => {});
  const held: { fulfil: () => Promise<void> }[] = [];
  await page.route("**/api/aks/recent-failed-provisions*", async (route) => {
    const response = await route.fetch();
    held.push({ fulfil: () => route.fulfill({ response }) });
  });
  await openDashboard(page);
  await expect(banner(page)).toContainText(newer);
  const before = await readsAnswered(page);

  // Shown again while push is down, the page reads its failures: the server still lists both.
  await page.evaluate(() => window.dispatchEvent(new Event("visibilitychange")));
  await expect.poll(() => held.length).toBe(1);

  // The user dismisses the newer one; the server takes it.
  const dismissed = page.waitForResponse((res) => res.url().includes("/api/aks/dismiss-failure"));
  await banner(page).getByTestId("dismiss-error").click();
  expect((await dismissed).status()).toBe(200);
  await expect.poll(() => pendingDismisses(page)).toEqual([]);
  await expect(banner(page)).toHaveCount(0);

  // The answer asked for before the Dismiss arrives now, listing it: it is stale.
  await held[0].fulfil();
  await expect(page.getByTestId("cluster-card")).toHaveAttribute("data-failures-read", String(before + 1));
  await expect(banner(page)).toHaveCount(0);
  expect(await localLastFailure(page)).toBeNull();
  const listed = await (await page.request.get("/api/aks/recent-failed-provisions")).json();
  expect(listed.jobs.map((j: { job_id: string }) => j.job_id)).not.toContain(job_id);
  expect(panics).toEqual([]);
});
