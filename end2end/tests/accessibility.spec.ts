import { test, expect } from "@playwright/test";
import { DashboardProcess } from "../dashboard";
import {
  collectPanics,
  fillProvisionForm,
  openDashboard,
  openDevice,
  passingRequest,
  provisionViaApi,
  quotaBreakingRequest,
  seriousA11yViolations,
  signIn,
  stubPreflightAllClear,
  uniqueName,
} from "./support";

// Issue 24: the dashboard as a person meets it — keyboard, mouse and screen reader.

test("the dashboard with a failure banner, and the form, have no serious accessibility violations", async ({ page }) => {
  const user = uniqueName("e2e-axe");
  await signIn(page, user);
  await provisionViaApi(page, quotaBreakingRequest(uniqueName("aks-axe")));
  await openDashboard(page);
  await expect(page.getByTestId("last-failed-banner")).toBeVisible();
  expect(await seriousA11yViolations(page)).toEqual([]);

  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  await expect(modal.getByTestId("preflight-check").first()).toBeVisible();
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  expect(await seriousA11yViolations(page)).toEqual([]);
});

test("an ended create with its error card has no serious accessibility violations", async ({ page }) => {
  const panics = collectPanics(page);
  await signIn(page, uniqueName("e2e-axe-ended"));
  await stubPreflightAllClear(page);
  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  await fillProvisionForm(page, { cluster_name: uniqueName("aks-ended"), region: "eastus", node_sku: "Standard_D4s_v3", node_count: "3" });
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await modal.getByTestId("create-button").click();
  await expect(modal.getByTestId("provision-error-card")).toBeVisible({ timeout: 30_000 });
  expect(await seriousA11yViolations(page)).toEqual([]);
  expect(panics).toEqual([]);
});

// The create of this test takes the most nodes that fit (what the form offers): a server of its
// own keeps the shared one's quota as the other specs expect it.
test("typing a name and clicking Create with the mouse starts the create", async ({ browser }, testInfo) => {
  const server = await DashboardProcess.start({ ARMSIM_CREATE_SECONDS: "6", JOB_POLL_MAX_SECONDS: "2" });
  try {
    const { context, page } = await openDevice(browser, uniqueName("e2e-mouse"), { baseURL: server.baseURL });
    const panics = collectPanics(page);
    await page.getByTestId("add-cluster").click();
    const modal = page.getByTestId("provision-modal");
    await expect(modal.locator("#pm-cluster_name")).toBeFocused();
    // The form is ready: every check passed for what it holds.
    await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
    const create = await modal.getByTestId("create-button").boundingBox();
    expect(create).not.toBeNull();

    // As a person does it: the name typed on the keyboard, then a click on Create where it is on
    // screen — no Tab, no Enter, and no waiting for the button between the two. Leaving the name
    // field starts the name check while the button is under the pointer.
    await page.keyboard.type(uniqueName("aks-mouse"));
    await page.mouse.click(create!.x + create!.width / 2, create!.y + create!.height / 2);

    await expect(modal.getByTestId("provision-creating")).toBeVisible({ timeout: 15_000 });
    await page.screenshot({ path: testInfo.outputPath("created-by-mouse.png") });
    expect(panics).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
  }
});

test("closing the form gives the focus back to Add cluster", async ({ page }) => {
  await signIn(page, uniqueName("e2e-focus"));
  const add = page.getByTestId("add-cluster");
  await add.click();
  const modal = page.getByTestId("provision-modal");
  await expect(modal.locator("#pm-cluster_name")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(modal).toHaveCount(0);
  await expect(add).toBeFocused();

  await add.click();
  await modal.getByRole("button", { name: "Cancel" }).click();
  await expect(modal).toHaveCount(0);
  await expect(add).toBeFocused();
});

// A simulator of its own holds the create's PUT for a few seconds: the banner is on screen
// before its progress moves on.
test("a banner's progress changes in place: its live region is not put back, only its text changes", async ({ browser }) => {
  test.setTimeout(120_000);
  const armsim = await DashboardProcess.startSimulator({ ARMSIM_CREATE_SECONDS: "60" });
  const server = await DashboardProcess.start({ ARM_ENDPOINT: armsim.baseURL, ARM_TOKEN: "any", JOB_POLL_MAX_SECONDS: "2" });
  try {
    const { context, page } = await openDevice(browser, uniqueName("e2e-live-region"), { baseURL: server.baseURL });
    const cluster = uniqueName("aks-region");
    const fault = await page.request.post(`${armsim.baseURL}/_armsim/faults`, {
      data: { operation: "create", cluster_name: cluster, delay_seconds: 4 },
    });
    expect(fault.ok(), await fault.text()).toBe(true);
    // Every live region added to the page, and every change of a banner's message.
    await page.evaluate(() => {
      const w = window as any;
      w.__liveRegionsAdded = 0;
      w.__messageChanges = 0;
      const live = "[role=status], [role=alert], [aria-live]";
      new MutationObserver((records) => {
        for (const r of records) {
          for (const n of Array.from(r.addedNodes)) {
            if (n instanceof Element && (n.matches(live) || n.querySelector(live))) w.__liveRegionsAdded += 1;
          }
          const at = r.target instanceof Element ? r.target : r.target.parentElement;
          if (at?.closest(".progress-message")) w.__messageChanges += 1;
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const started = await page.request.post("/api/aks/provision", { data: passingRequest(cluster) });
    expect(started.status()).toBe(202);

    const banner = page.locator(`[data-testid="provision-progress"][data-cluster="${cluster}"]`);
    const message = banner.locator(".progress-message");
    await expect(message).toHaveAttribute("role", "status");
    await expect(message).toContainText(`Asking Azure to create ${cluster}`);
    await expect(banner.getByTestId("progress-cluster-state")).toHaveText("Creating", { timeout: 30_000 });
    await expect(message).toContainText(`Azure is creating ${cluster}`);
    // The banner came once, with its one live region; the later steps changed its text only.
    expect(await page.evaluate(() => (window as any).__liveRegionsAdded)).toBe(1);
    expect(await page.evaluate(() => (window as any).__messageChanges)).toBeGreaterThan(0);
    await context.close();
  } finally {
    await server.stop();
    await armsim.stop();
  }
});
