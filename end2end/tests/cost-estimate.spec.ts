import { test, expect } from "@playwright/test";
import { collectPanics, fillProvisionForm, provisionViaApi, quotaBreakingRequest, signIn, uniqueName } from "./support";

// The simulator's fictional price list: DSv3 at 0.05 per vCPU-hour, × 1.1 in West Europe;
// a month is 730 hours. The system pool is one Standard_D2s_v3.
test("the estimate follows the size, the count and the region; a fix shows what it changes", async ({ page }) => {
  const panics = collectPanics(page);
  await signIn(page, uniqueName("e2e-cost"));
  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  const cost = modal.getByTestId("cost-estimate");

  await fillProvisionForm(page, { region: "westeurope", node_sku: "Standard_D4s_v3", node_count: "3" });
  // (3 × 0.22 + 0.11) × 730
  await expect(cost).toHaveAttribute("data-monthly", "562.10");
  await expect(cost.locator(".cost-total")).toHaveText("562.10 USD");
  await expect(cost).toContainText("simulated prices");
  await expect(cost).toContainText("Excludes OS disks, egress");
  await expect(modal.locator('[data-testid="preflight-check"][data-check="cost"]')).toHaveAttribute("data-status", "ok");

  // The count, typed as a person does; then another size.
  const count = modal.locator("#pm-node_count");
  await count.click();
  await count.press("Control+a");
  await count.pressSequentially("5");
  await expect(cost).toHaveAttribute("data-monthly", "883.30");
  await modal.locator("#pm-node_sku").selectOption("Standard_D8s_v3");
  await expect(cost).toHaveAttribute("data-monthly", "1686.30");

  // East US has 6 vCPUs free: 3 × D4s_v3 do not fit, and the fix says what it saves.
  await fillProvisionForm(page, { region: "eastus", node_sku: "Standard_D4s_v3", node_count: "3" });
  await expect(cost).toHaveAttribute("data-monthly", "511.00");
  const quota = modal.locator('[data-testid="preflight-check"][data-check="quota"]');
  await expect(quota).toHaveAttribute("data-status", "fail");
  const fix = quota.locator('[data-testid="fix-action"][data-fix="node_count"]');
  await expect(fix).toHaveText(/^Use 1 node — fits your 6 free vCPUs in eastus · ≈ 219\.00 USD\/month, 292\.00 USD less$/);
  await expect(fix).toHaveAttribute("data-cost-difference", "-292.00");
  await fix.click();
  await expect(count).toHaveValue("1");
  await expect(cost).toHaveAttribute("data-monthly", "219.00");
  expect(panics).toEqual([]);
});

test("a failed create's card says what it was expected to cost", async ({ page }) => {
  const panics = collectPanics(page);
  await signIn(page, uniqueName("e2e-cost"));
  const body = quotaBreakingRequest(uniqueName("aks-cost"));
  // As the form's pre-flight would, before the create: the prices are read and kept.
  const estimate = await page.request.get(
    `/api/aks/price-estimate?region=${body.region}&node_sku=${body.node_sku}&node_count=${body.node_count}` +
      `&system_vm_size=${body.system_vm_size}&system_node_count=${body.system_node_count}`,
  );
  expect(estimate.status()).toBe(200);
  await provisionViaApi(page, body);
  await page.reload();
  const card = page.getByTestId("last-failed-banner").getByTestId("error-estimate");
  await expect(card).toHaveText(/^Estimated when created: ≈ 511\.00 USD\/month for 4 nodes \(simulated prices as of \d{4}-\d\d-\d\d\)\.$/);
  expect(panics).toEqual([]);
});
