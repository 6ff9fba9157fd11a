import { test, expect } from "@playwright/test";
import { collectPanics, fillProvisionForm, signIn, uniqueName } from "./support";

// The form offers the region's Kubernetes versions (AKS's default first); the create asks AKS for
// the one chosen, and the cluster list shows it.
test("a Kubernetes version is chosen from the region's versions and the cluster gets it", async ({ page }) => {
  test.setTimeout(90_000);
  const panics = collectPanics(page);
  await signIn(page, uniqueName("e2e-k8s"));
  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  const cluster = uniqueName("aks-k8s");
  await fillProvisionForm(page, { cluster_name: cluster, region: "koreacentral", node_sku: "Standard_D2s_v3" });
  await fillProvisionForm(page, { node_count: "1" });

  const select = modal.locator("#pm-kubernetes_version");
  await expect(select.locator("option").first()).toHaveText(/^AKS default \(1\.\d+\)$/);
  const versions = (await select.locator("option").allTextContents()).slice(1);
  expect(versions.length).toBeGreaterThan(1);
  const older = versions[versions.length - 1];
  await select.selectOption(older);
  await expect(modal.locator('[data-testid="preflight-check"][data-check="kubernetes_version"]')).toHaveAttribute(
    "data-status",
    "ok",
  );

  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await modal.getByTestId("create-button").click();
  const row = page.locator(`[data-testid="cluster-row"][data-name="${cluster}"]`);
  await expect(row).toHaveAttribute("data-state", "Succeeded", { timeout: 60_000 });
  await expect(row.locator('[data-label="Kubernetes"]')).toHaveText(new RegExp(`^${older.replace(".", "\\.")}\\.`));
  expect(panics).toEqual([]);
});
