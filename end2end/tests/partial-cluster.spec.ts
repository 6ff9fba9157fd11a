import { test, expect } from "@playwright/test";
import { collectPanics, fillProvisionForm, signIn, uniqueName } from "./support";

// Runs against the slow-create server (creates take a minute): Stop lands while Azure is
// still creating, after the cluster resource is already visible.

const TOOLTIP =
  "The cluster create may have started on Azure even though the task was cancelled — verify in the portal and delete if needed.";

test("Stop after the cluster shows Creating leaves a partial cluster the card can open and delete", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  const panics = collectPanics(page);
  const user = uniqueName("e2e-stop");
  const cluster = uniqueName("aks-stop");
  await signIn(page, user);

  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  await expect(modal).toBeVisible();
  await fillProvisionForm(page, { cluster_name: cluster, region: "koreacentral", node_sku: "Standard_D2s_v3" });
  // The node count defaults to the most that fits the quota.
  await expect(modal.locator('[data-testid="preflight-check"][data-check="quota"]')).toHaveAttribute("data-status", "ok");
  await expect(modal.locator("#pm-node_count")).not.toHaveValue("1");
  await fillProvisionForm(page, { node_count: "2" });
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await page.screenshot({ path: testInfo.outputPath("modal-ready.png") });
  await modal.getByTestId("create-button").click();
  // The steps show until Azure lists the cluster (often only briefly in the simulator).
  await page.screenshot({ path: testInfo.outputPath("modal-after-create.png") });

  // The modal follows the steps; once Azure shows the cluster, it is closed and the dashboard
  // follows the create (closing while creating asks first).
  await expect(modal.getByTestId("progress-cluster-state")).toHaveText("Creating", { timeout: 30_000 });
  await modal.getByRole("button", { name: "Close", exact: true }).last().click();
  await page.getByTestId("confirm-close").click();
  await expect(modal).toHaveCount(0);
  const row = page.locator(`[data-testid="cluster-row"][data-name="${cluster}"]`);
  await expect(row).toContainText("Creating", { timeout: 20_000 });
  const progress = page.locator(`[data-testid="provision-progress"][data-cluster="${cluster}"]`);
  await expect(progress).toBeVisible();
  await expect(progress).toContainText(/of 3/);
  await page.screenshot({ path: testInfo.outputPath("creating.png"), fullPage: true });
  // The banner's elapsed time runs on between redraws.
  const elapsed = progress.getByTestId("progress-elapsed");
  const first = await elapsed.textContent();
  await expect(elapsed).not.toHaveText(first ?? "", { timeout: 5_000 });

  await progress.getByTestId("stop-button").click();
  await expect(progress).toContainText(/a partial cluster may remain/i);
  await progress.getByTestId("confirm-stop").click();

  const banner = page.getByTestId("last-failed-banner");
  await expect(banner.getByTestId("error-headline")).toContainText(/cancelled/i, { timeout: 30_000 });
  await expect(progress).toHaveCount(0);
  const portal = banner.getByTestId("open-portal-partial");
  await expect(portal).toBeVisible();
  await expect(portal).toHaveText(/Open cluster in Azure portal/);
  await expect(portal).toHaveAttribute("title", TOOLTIP);
  await expect(portal).toHaveAttribute("href", /portal\.azure\.com/);
  // Warning accent: the amber border of the warning action.
  expect(await portal.evaluate((el) => getComputedStyle(el).borderLeftColor)).toBe("rgb(242, 169, 0)");
  await page.screenshot({ path: testInfo.outputPath("cancelled-with-partial.png"), fullPage: true });

  // The raw answer, once opened, stays open while the delete is asked, put off and done: the
  // card changes in place. The question takes the focus; "Keep it" gives it back.
  const raw = banner.locator("details.raw-response");
  await raw.locator("summary").click();
  await expect(raw).toHaveAttribute("open", "");
  await banner.getByTestId("delete-partial").click();
  await expect(banner.getByTestId("confirm-delete-partial")).toBeFocused();
  await expect(raw).toHaveAttribute("open", "");
  await banner.getByRole("button", { name: "Keep it" }).click();
  await expect(banner.getByTestId("delete-partial")).toBeFocused();
  await banner.getByTestId("delete-partial").click();
  await banner.getByTestId("confirm-delete-partial").click();
  await expect(banner.getByTestId("delete-partial-status")).toContainText(/deleting|gone/i);
  await expect(raw).toHaveAttribute("open", "");
  await expect(row).toHaveCount(0, { timeout: 45_000 });
  await page.screenshot({ path: testInfo.outputPath("partial-deleted.png"), fullPage: true });
  expect(panics).toEqual([]);
});

test("Stop in the modal after the cluster shows Creating keeps the modal open on the cancelled card", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  const panics = collectPanics(page);
  const user = uniqueName("e2e-modal-stop");
  const cluster = uniqueName("aks-modal-stop");
  await signIn(page, user);

  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  await fillProvisionForm(page, { cluster_name: cluster, region: "koreacentral", node_sku: "Standard_D2s_v3" });
  await fillProvisionForm(page, { node_count: "2" });
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await modal.getByTestId("create-button").click();

  // Azure shows the cluster; the modal stays on the steps.
  await expect(modal.getByTestId("progress-cluster-state")).toHaveText("Creating", { timeout: 30_000 });
  await modal.getByTestId("stop-button").click();
  await expect(modal).toContainText(/a partial cluster may remain/i);
  await modal.getByTestId("confirm-stop").click();

  // The modal stays open on the cancelled card, with the portal action and its tooltip.
  const card = modal.getByTestId("provision-error-card");
  await expect(card.getByTestId("error-headline")).toContainText(/cancelled/i, { timeout: 30_000 });
  await expect(modal).toBeVisible();
  const portal = card.getByTestId("open-portal-partial");
  await expect(portal).toBeVisible();
  await expect(portal).toHaveText(/Open cluster in Azure portal/);
  await expect(portal).toHaveAttribute("title", TOOLTIP);
  await expect(card.getByTestId("delete-partial")).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("modal-cancelled-card.png"), fullPage: true });

  // Behind it, the dashboard shows the same attempt as the last one, cancelled with a cluster left.
  await modal.getByRole("button", { name: "Close", exact: true }).last().click();
  await expect(modal).toHaveCount(0);
  const banner = page.getByTestId("last-failed-banner");
  await expect(banner.getByTestId("open-portal-partial")).toHaveAttribute("title", TOOLTIP);
  expect(panics).toEqual([]);
});
