import { test, expect, type Page } from "@playwright/test";
import { DashboardProcess } from "../dashboard";
import {
  collectPanics,
  lastFailedBanner as banner,
  localLastFailure,
  openDevice,
  passingRequest,
  pendingDismisses,
  provisionViaApi,
  quotaBreakingRequest,
  uniqueName,
  waitLive,
} from "./support";

// Scenarios that need a dashboard of their own: one that is stopped and started again, and one
// that takes provisions but runs none (they stay queued until stopped).

test("a Dismiss made while the server is down survives its restart and reaches every device", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const server = await DashboardProcess.start({ ARMSIM_CREATE_SECONDS: "6" });
  try {
    const user = uniqueName("e2e-restart");
    const cluster = uniqueName("aks-restart");
    const laptop = await openDevice(browser, user, { baseURL: server.baseURL });
    const tablet = await openDevice(browser, user, { baseURL: server.baseURL });
    const panics = collectPanics(laptop.page);
    const { job_id } = await provisionViaApi(laptop.page, quotaBreakingRequest(cluster));
    for (const d of [laptop, tablet]) await expect(banner(d.page)).toContainText(cluster);

    // The server goes away (killed, as in a crash); both pages notice.
    await server.stop();
    for (const d of [laptop, tablet]) {
      await expect(d.page.getByTestId("cluster-card")).toHaveAttribute("data-events", "down");
    }

    // Dismiss on the laptop: gone at once, kept as pending.
    await banner(laptop.page).getByTestId("dismiss-error").click();
    await expect(banner(laptop.page)).toHaveCount(0);
    expect(await pendingDismisses(laptop.page)).toEqual([job_id]);
    expect(await localLastFailure(laptop.page)).toBeNull();
    await laptop.page.screenshot({ path: testInfo.outputPath("dismissed-while-down.png"), fullPage: true });

    // The server is back (same database): the dismiss is sent, the tablet drops the failure.
    await server.resume();
    await waitLive(laptop.page);
    await expect.poll(() => pendingDismisses(laptop.page), { timeout: 20_000 }).toEqual([]);
    await expect(banner(tablet.page)).toHaveCount(0, { timeout: 20_000 });

    for (const d of [laptop, tablet]) {
      const response = await d.page.reload();
      expect(await response?.text()).not.toContain(cluster);
      await waitLive(d.page);
      await expect(banner(d.page)).toHaveCount(0);
    }
    expect(panics).toEqual([]);
    await laptop.context.close();
    await tablet.context.close();
  } finally {
    await server.stop();
  }
});

test("a provision stopped before Azure created anything is a passing notice, not a last attempt", async ({ browser }, testInfo) => {
  // This server takes provisions but runs none: they stay queued until stopped.
  const server = await DashboardProcess.start({ JOB_MAX_IN_FLIGHT: "0" });
  try {
    const user = uniqueName("e2e-plain-cancel");
    const cluster = uniqueName("aks-queued");
    const laptop = await openDevice(browser, user, { baseURL: server.baseURL });
    const tablet = await openDevice(browser, user, { baseURL: server.baseURL });
    const started = await laptop.page.request.post("/api/aks/provision", { data: passingRequest(cluster) });
    expect(started.status()).toBe(202);

    const progress = (page: Page) => page.locator(`[data-testid="provision-progress"][data-cluster="${cluster}"]`);
    // Both devices see the provision, live.
    for (const d of [laptop, tablet]) await expect(progress(d.page)).toBeVisible();

    await progress(laptop.page).getByTestId("stop-button").click();
    await progress(laptop.page).getByTestId("confirm-stop").click();
    for (const d of [laptop, tablet]) {
      await expect(progress(d.page)).toHaveCount(0);
      await expect(d.page.getByTestId("passing-notice")).toContainText(`Creating ${cluster} was stopped before Azure created anything`);
      await expect(banner(d.page)).toHaveCount(0);
    }
    await tablet.page.screenshot({ path: testInfo.outputPath("passing-notice.png"), fullPage: true });
    expect(await localLastFailure(laptop.page)).toBeNull();

    for (const d of [laptop, tablet]) {
      await d.page.reload();
      await waitLive(d.page);
      await expect(banner(d.page)).toHaveCount(0);
      await expect(d.page.getByTestId("passing-notice")).toHaveCount(0);
    }
    await laptop.context.close();
    await tablet.context.close();
  } finally {
    await server.stop();
  }
});
