import { test, expect, type Page } from "@playwright/test";
import { DashboardProcess } from "../dashboard";
import {
  SUBSCRIPTION,
  collectPanics,
  fillProvisionForm,
  openDevice,
  seriousA11yViolations,
  uniqueName,
} from "./support";

// Creates that wait for an admin (issue 39), on a dashboard of its own whose rule holds any
// create over 500 USD/month in the default resource group: an operator asks, an admin in
// another browser decides from the live queue, and the operator's page follows.

const RULES = { APPROVAL_RULES: `${SUBSCRIPTION}/rg-aks-dev>500`, ARMSIM_CREATE_SECONDS: "6", JOB_POLL_MAX_SECONDS: "2" };

/** The operator fills the form with ≈ 996 USD/month (3 × D8s_v3 in koreacentral) and presses Create. */
async function askForBigCluster(page: Page, cluster: string) {
  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  await fillProvisionForm(page, { cluster_name: cluster, region: "koreacentral", node_sku: "Standard_D8s_v3" });
  await fillProvisionForm(page, { node_count: "3" });
  await modal.locator("#pm-system_node_count").focus();
  const approval = modal.locator('[data-testid="preflight-check"][data-check="approval"]');
  await expect(approval).toHaveAttribute("data-status", "warn");
  await expect(approval).toContainText("Needs approval: over 500.00 USD/month in rg-aks-dev");
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await modal.getByTestId("create-button").click();
  await expect(modal).toHaveCount(0);
  const waiting = page.locator(`[data-testid="approval-card"][data-cluster="${cluster}"]`);
  await expect(waiting).toHaveAttribute("data-status", "pending");
  await expect(waiting).toContainText("Waiting for an admin's approval");
}

test("an admin in another browser approves from the live queue and the operator's page shows the create", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const server = await DashboardProcess.start(RULES);
  try {
    const cluster = uniqueName("aks-approve");
    const operator = await openDevice(browser, uniqueName("e2e-op"), { baseURL: server.baseURL }, "operator");
    const admin = await openDevice(browser, uniqueName("e2e-admin"), { baseURL: server.baseURL }, "admin");
    const panics = [...collectPanics(operator.page), ...collectPanics(admin.page)];
    await expect(admin.page.getByTestId("approval-queue")).toHaveCount(0);

    // The admin's tab is in the background, with notifications allowed (the browser's own
    // Notification stands in for a recorder).
    await admin.page.evaluate(() => {
      const shown: { title: string; body?: string }[] = [];
      (window as any).__shown = shown;
      class Recorder {
        static get permission() { return "granted"; }
        static requestPermission() { return Promise.resolve("granted"); }
        onclick: unknown = null;
        constructor(title: string, options?: { body?: string }) { shown.push({ title, body: options?.body }); }
        close() {}
      }
      (window as any).Notification = Recorder;
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    });

    await askForBigCluster(operator.page, cluster);

    // A notification says who asks for what.
    await expect
      .poll(() => admin.page.evaluate(() => (window as any).__shown.map((n: { title: string }) => n.title)))
      .toEqual([`Approval requested: ${cluster}`]);
    await admin.page.evaluate(() => Object.defineProperty(document, "hidden", { configurable: true, get: () => false }));

    // The admin's page, open all along, shows it: a count and the request with who and why.
    const queue = admin.page.getByTestId("approval-queue");
    await expect(queue).toBeVisible();
    await expect(admin.page.getByTestId("approval-count")).toHaveText("1");
    const request = queue.locator(`[data-testid="approval-item"][data-cluster="${cluster}"]`);
    await expect(request).toContainText("over 500.00 USD/month in rg-aks-dev");
    await expect(request).toContainText("≈ 996.45 USD/month");
    expect(await seriousA11yViolations(admin.page)).toEqual([]);
    await admin.page.screenshot({ path: testInfo.outputPath("admin-queue.png"), fullPage: true });

    await request.getByTestId("approve-button").click();
    await expect(queue).toHaveCount(0);

    // The operator's page, without a reload: the request is gone and the create is under way.
    await expect(operator.page.getByTestId("approval-card")).toHaveCount(0);
    const progress = operator.page.locator(`[data-testid="provision-progress"][data-cluster="${cluster}"]`);
    await expect(progress).toBeVisible();
    await operator.page.screenshot({ path: testInfo.outputPath("operator-creating.png"), fullPage: true });
    expect(panics).toEqual([]);
    await operator.context.close();
    await admin.context.close();
  } finally {
    await server.stop();
  }
});

test("a denial shows the operator who denied it and why, with Edit & retry", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const server = await DashboardProcess.start(RULES);
  try {
    const cluster = uniqueName("aks-deny");
    const adminName = uniqueName("e2e-admin");
    const operator = await openDevice(browser, uniqueName("e2e-op"), { baseURL: server.baseURL }, "operator");
    const admin = await openDevice(browser, adminName, { baseURL: server.baseURL }, "admin");
    const panics = [...collectPanics(operator.page), ...collectPanics(admin.page)];

    await askForBigCluster(operator.page, cluster);

    const request = admin.page.locator(`[data-testid="approval-item"][data-cluster="${cluster}"]`);
    const deny = request.getByTestId("deny-button");
    await expect(deny).toBeDisabled();
    await request.getByLabel("Note (the requester sees it; needed to deny)").fill("Use 1 node of D2s_v3 for tests");
    await deny.click();
    await expect(admin.page.getByTestId("approval-queue")).toHaveCount(0);

    const card = operator.page.locator(`[data-testid="approval-card"][data-cluster="${cluster}"]`);
    await expect(card).toHaveAttribute("data-status", "denied");
    await expect(card).toContainText(`${adminName} denied creating ${cluster}`);
    await expect(card).toContainText("Use 1 node of D2s_v3 for tests");
    await expect(card.getByTestId("time-ago")).toBeVisible();
    // A denial is not a failure: no "last attempt failed" banner.
    await expect(operator.page.getByTestId("last-failed-banner")).toHaveCount(0);
    expect(await seriousA11yViolations(operator.page)).toEqual([]);
    await operator.page.screenshot({ path: testInfo.outputPath("operator-denied.png"), fullPage: true });

    // Edit & retry opens the form with the request as asked.
    await card.getByTestId("edit-retry").click();
    const modal = operator.page.getByTestId("provision-modal");
    await expect(modal.locator("#pm-cluster_name")).toHaveValue(cluster);
    await expect(modal.locator("#pm-node_sku")).toHaveValue("Standard_D8s_v3");
    expect(panics).toEqual([]);
    await operator.context.close();
    await admin.context.close();
  } finally {
    await server.stop();
  }
});
