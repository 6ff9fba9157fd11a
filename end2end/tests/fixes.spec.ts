import { test, expect, type Page } from "@playwright/test";
import { DashboardProcess } from "../dashboard";
import {
  BLOCKED_SIZE,
  blockedSizeRequest,
  collectPanics,
  openDevice,
  provisionViaApi,
  quotaBreakingRequest,
  signIn,
  uniqueName,
} from "./support";

/** Every pre-flight row of the modal says ok. */
async function allChecksOk(page: Page) {
  const modal = page.getByTestId("provision-modal");
  const rows = modal.getByTestId("preflight-check");
  await expect(rows.first()).toBeVisible();
  await expect(modal.locator('[data-testid="preflight-check"]:not([data-status="ok"])')).toHaveCount(0);
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
}

// The create of this test takes eastus' last vCPUs: a server of its own keeps the shared one's
// quota as the other specs expect it.
test("a quota failure offers 'Use 1 node'; one click fills the form, the checks pass, Create succeeds", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const server = await DashboardProcess.start({ ARMSIM_CREATE_SECONDS: "6", JOB_POLL_MAX_SECONDS: "2" });
  try {
    const user = uniqueName("e2e-fix");
    const cluster = uniqueName("aks-fit");
    const { context, page } = await openDevice(browser, user, { baseURL: server.baseURL });
    const panics = collectPanics(page);
    await provisionViaApi(page, quotaBreakingRequest(cluster));
    await page.reload();

    const banner = page.getByTestId("last-failed-banner");
    const fix = banner.locator('[data-testid="fix-action"][data-fix="node_count"]');
    await expect(fix).toHaveText(/^Use 1 node/);
    // The fixes come before Edit & retry.
    const actions = banner.locator('[data-testid="fix-action"], [data-testid="edit-retry"]');
    await expect(actions.last()).toHaveAttribute("data-testid", "edit-retry");
    await page.screenshot({ path: testInfo.outputPath("fix-offered.png"), fullPage: true });

    await fix.click();
    const modal = page.getByTestId("provision-modal");
    await expect(modal).toBeVisible();
    await expect(modal.locator("#pm-node_count")).toHaveValue("1");
    await expect(modal.locator("#pm-region")).toHaveValue("eastus");
    await expect(modal.locator("#pm-cluster_name")).toHaveValue(cluster);
    await allChecksOk(page);
    await expect(modal.locator('[data-testid="preflight-check"][data-check="name"]')).toHaveAttribute(
      "data-status",
      "ok",
    );

    await modal.getByTestId("create-button").click();
    await expect(page.locator(`[data-testid="cluster-row"][data-name="${cluster}"]`)).toHaveAttribute(
      "data-state",
      "Succeeded",
      { timeout: 60_000 },
    );
    expect(panics).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
  }
});

test("a blocked size offers a size or region that passes pre-flight, inline in the form too", async ({ page }) => {
  const panics = collectPanics(page);
  const user = uniqueName("e2e-fix");
  const cluster = uniqueName("aks-gpu");
  await signIn(page, user);
  await provisionViaApi(page, blockedSizeRequest(cluster, 1));
  await page.reload();
  const banner = page.getByTestId("last-failed-banner");
  const offered = banner.locator('[data-testid="fix-action"][data-fix="vm_size"], [data-testid="fix-action"][data-fix="region"]');
  await expect(offered.first()).toBeVisible();

  // Edit & retry keeps the blocked size: the failing row offers the same fixes inline.
  await banner.getByTestId("edit-retry").click();
  const modal = page.getByTestId("provision-modal");
  const skus = modal.locator('[data-testid="preflight-check"][data-check="skus"]');
  await expect(skus).toHaveAttribute("data-status", "fail");
  const inline = skus.locator('[data-testid="fix-action"][data-fix="vm_size"]');
  await expect(inline).toBeVisible();
  await inline.click();
  await expect(modal.locator("#pm-node_sku")).not.toHaveValue(BLOCKED_SIZE);
  await allChecksOk(page);

  // The banner's region fix passes pre-flight as proposed.
  await page.keyboard.press("Escape");
  await expect(modal).toHaveCount(0);
  const region = banner.locator('[data-testid="fix-action"][data-fix="region"]');
  await expect(region).toHaveText(/^Create in westeurope/);
  await region.click();
  await expect(modal.locator("#pm-region")).toHaveValue("westeurope");
  await allChecksOk(page);
  expect(panics).toEqual([]);
});
