import { test, expect, type Page } from "@playwright/test";
import {
  collectPanics,
  lastFailedBanner as banner,
  passingRequest,
  provisionViaApi,
  quotaBreakingRequest,
  signIn,
  uniqueName,
} from "./support";

// Issue 36, R-1: runs against the slow-create server. While "Delete partial cluster" keeps a
// failure's card on screen (to say how the delete went), a newer failure that arrives is not
// thrown away: it shows once that card is dismissed.

/** A create of `page`'s user stopped once Azure shows the cluster: a failure with a partial cluster. */
async function stoppedWithPartialCluster(page: Page, cluster: string): Promise<string> {
  const started = await page.request.post("/api/aks/provision", { data: passingRequest(cluster) });
  expect(started.status()).toBe(202);
  const { task_id, job_id } = await started.json();
  await expect
    .poll(async () => (await (await page.request.get(`/api/tasks/${task_id}`)).json()).progress?.cluster_state, { timeout: 30_000 })
    .toBe("Creating");
  const stop = await page.request.post(`/api/aks/cancel-provision/${task_id}`);
  expect(stop.status()).toBe(200);
  await expect
    .poll(async () => (await (await page.request.get(`/api/tasks/${task_id}`)).json()).status, { timeout: 30_000 })
    .toBe("cancelled");
  return job_id;
}

test("a newer failure that comes while a partial cluster's delete is on screen shows once that card is dismissed", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  const panics = collectPanics(page);
  const first = uniqueName("aks-partial");
  const second = uniqueName("aks-newer");
  await signIn(page, uniqueName("e2e-newer"));
  const firstJob = await stoppedWithPartialCluster(page, first);
  const card = banner(page).getByTestId("provision-error-card");
  await expect(card).toHaveAttribute("data-job-id", firstJob, { timeout: 30_000 });

  await banner(page).getByTestId("delete-partial").click();
  await banner(page).getByTestId("confirm-delete-partial").click();
  await expect(banner(page).getByTestId("delete-partial-status")).toContainText(/deleting|gone/i);

  // A newer failure, from elsewhere: the page reads it.
  const read = page.waitForResponse(async (res) => {
    if (!res.url().includes("/api/aks/recent-failed-provisions")) return false;
    return (await res.text()).includes(second);
  });
  const { job_id: secondJob } = await provisionViaApi(page, quotaBreakingRequest(second));
  await read;
  // The delete's card stays, saying how the delete went.
  await expect(card).toHaveAttribute("data-job-id", firstJob);
  await expect(banner(page).getByTestId("delete-partial-status")).toBeVisible();

  // Dismissed, it gives way to the newer failure, without a reload.
  await banner(page).getByTestId("dismiss-error").click();
  await expect(card).toHaveAttribute("data-job-id", secondJob);
  await expect(banner(page)).toContainText(second);
  await page.screenshot({ path: testInfo.outputPath("newer-failure-shown.png"), fullPage: true });
  expect(panics).toEqual([]);
});
