import { test, expect } from "@playwright/test";
import { collectPanics, openDevice, passingRequest, uniqueName } from "./support";

// Runs against the slow-create server: another user's create stays in flight long enough for an
// admin to stop it.

test("an Admin sees another user's create, whose it is, and stops it; the owner sees it end", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const owner = uniqueName("e2e-owner");
  const cluster = uniqueName("aks-theirs");
  const otto = await openDevice(browser, owner);
  const ada = await openDevice(browser, uniqueName("e2e-admin"), {}, "admin");
  const rita = await openDevice(browser, uniqueName("e2e-reader"), {}, "reader");
  const panics = collectPanics(ada.page);

  const started = await otto.page.request.post("/api/aks/provision", { data: passingRequest(cluster) });
  expect(started.status()).toBe(202);
  const { task_id } = await started.json();

  // The admin's page shows it live, with its owner; a reader's does not show it at all.
  const banner = ada.page.locator(`[data-testid="provision-progress"][data-cluster="${cluster}"]`);
  await expect(banner).toBeVisible();
  await expect(banner.getByTestId("progress-owner")).toHaveText(`by ${owner}`);
  await expect(banner.getByTestId("progress-cluster-state")).toHaveText("Creating", { timeout: 30_000 });
  await expect(rita.page.locator(`[data-testid="provision-progress"][data-cluster="${cluster}"]`)).toHaveCount(0);

  await banner.getByTestId("stop-button").click();
  await banner.getByTestId("confirm-stop").click();
  await expect(banner).toHaveCount(0, { timeout: 30_000 });
  await expect(ada.page.getByTestId("passing-notice")).toContainText(`${owner}'s cluster ${cluster} was stopped`);
  await ada.page.screenshot({ path: testInfo.outputPath("admin-stopped.png") });
  // The admin's own last failure is not the other user's.
  await expect(ada.page.getByTestId("last-failed-banner")).toHaveCount(0);

  // The owner's page hears the end: their create is their last attempt, cancelled.
  const ownerBanner = otto.page.getByTestId("last-failed-banner");
  await expect(ownerBanner).toContainText(cluster, { timeout: 30_000 });
  await expect(ownerBanner).toContainText("Last attempt cancelled");
  const task = await otto.page.request.get(`/api/tasks/${task_id}`);
  expect((await task.json()).status).toBe("cancelled");
  expect(panics).toEqual([]);
  for (const d of [otto, ada, rita]) await d.context.close();
});
