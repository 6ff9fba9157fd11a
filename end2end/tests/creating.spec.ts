import { test, expect } from "@playwright/test";
import {
  collectPanics,
  fillProvisionForm,
  seriousA11yViolations,
  signIn,
  uniqueName,
} from "./support";

// Runs against the slow-create server (creates take a minute): a create stays on screen long
// enough to be looked at, stopped and read.

test("the creating screen is accessible, and Stop's confirmation takes and gives back the focus", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const panics = collectPanics(page);
  await signIn(page, uniqueName("e2e-creating"));
  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  await fillProvisionForm(page, { cluster_name: uniqueName("aks-creating"), region: "koreacentral", node_sku: "Standard_D2s_v3" });
  await fillProvisionForm(page, { node_count: "1" });
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await modal.getByTestId("create-button").click();
  await expect(modal.getByTestId("provision-creating")).toBeVisible();
  await expect(modal.getByTestId("progress-cluster-state")).toHaveText("Creating", { timeout: 30_000 });
  expect(await seriousA11yViolations(page)).toEqual([]);

  // Stop asks first; the question takes the focus, and "Keep creating" gives it back to Stop.
  const stop = modal.getByTestId("stop-button");
  await stop.click();
  await expect(modal.getByTestId("confirm-stop")).toBeFocused();
  await page.screenshot({ path: testInfo.outputPath("stop-asks.png") });
  await modal.getByRole("button", { name: "Keep creating" }).click();
  await expect(stop).toBeFocused();

  // Closing while creating asks too, as an alert dialog with the focus on its answer.
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("confirm-close")).toBeFocused();
  await page.getByTestId("confirm-close").click();
  await expect(modal).toHaveCount(0);
  expect(panics).toEqual([]);
});
