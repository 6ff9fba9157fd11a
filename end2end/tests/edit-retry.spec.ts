import { test, expect } from "@playwright/test";
import { BLOCKED_SIZE, RESOURCE_GROUP, blockedSizeRequest, collectPanics, provisionViaApi, signIn, uniqueName } from "./support";

test("Edit & retry reopens the form with the failed values, and the checks block the size again", async ({ page }, testInfo) => {
  const panics = collectPanics(page);
  const user = uniqueName("e2e-retry");
  const cluster = uniqueName("aks-gpu");
  await signIn(page, user);

  // An attempt with a size this subscription may not use in koreacentral.
  await provisionViaApi(page, blockedSizeRequest(cluster, 2));
  await page.reload();
  const banner = page.getByTestId("last-failed-banner");
  await expect(banner.getByTestId("error-headline")).toContainText(BLOCKED_SIZE);

  await banner.getByTestId("edit-retry").click();
  const modal = page.getByTestId("provision-modal");
  await expect(modal).toBeVisible();
  await expect(modal).toHaveAttribute("role", "dialog");
  await expect(modal).toHaveAttribute("aria-modal", "true");
  await expect(modal.locator("#pm-cluster_name")).toBeFocused();
  await expect(modal.locator("#pm-cluster_name")).toHaveValue(cluster);
  await expect(modal.locator("#pm-region")).toHaveValue("koreacentral");
  await expect(modal.locator("#pm-node_sku")).toHaveValue(BLOCKED_SIZE);
  await expect(modal.locator("#pm-node_count")).toHaveValue("2");
  await expect(modal.locator("#pm-system_vm_size")).toHaveValue("Standard_D2s_v3");
  await expect(modal.locator("#pm-resource_group")).toHaveValue(RESOURCE_GROUP);

  const skus = modal.locator('[data-testid="preflight-check"][data-check="skus"]');
  await expect(skus).toHaveAttribute("data-status", "fail");
  await expect(modal.getByTestId("create-button")).toHaveText("Fix errors above");
  await expect(modal.getByTestId("create-button")).toBeDisabled();
  await page.screenshot({ path: testInfo.outputPath("edit-retry-blocked-size.png"), fullPage: true });

  // Keyboard focus stays inside the dialog, both ways.
  const focusInModal = () =>
    page.evaluate(() => !!document.activeElement?.closest('[data-testid="provision-modal"]'));
  for (let i = 0; i < 20; i++) await page.keyboard.press("Tab");
  expect(await focusInModal()).toBe(true);
  for (let i = 0; i < 7; i++) await page.keyboard.press("Shift+Tab");
  expect(await focusInModal()).toBe(true);
  await modal.locator("#pm-cluster_name").focus();

  // A size that is offered clears the checks; renaming alone does not run them again.
  await modal.locator("#pm-node_sku").selectOption("Standard_D2s_v3");
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await expect(skus).toHaveAttribute("data-status", "ok");
  let preflights = 0;
  page.on("request", (r) => {
    if (r.url().includes("/api/aks/preflight")) preflights += 1;
  });
  await modal.locator("#pm-cluster_name").fill(`${cluster}-2`);
  await page.waitForTimeout(900);
  expect(preflights).toBe(0);

  // Escape closes the form (nothing is being created) and gives the focus back.
  await page.keyboard.press("Escape");
  await expect(modal).toHaveCount(0);
  await expect(banner.getByTestId("edit-retry")).toBeFocused();
  expect(panics).toEqual([]);
});
