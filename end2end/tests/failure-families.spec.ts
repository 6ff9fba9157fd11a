import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { DashboardProcess } from "../dashboard";
import { collectPanics, fillProvisionForm, openDevice, uniqueName } from "./support";

// Failures from Microsoft's AKS troubleshooting catalogue, as a person meets them: Azure fails
// the accepted create because the nodes could not reach the internet (an exit status inside the
// message), or refuses it for the cluster's own service principal. The card says what happened
// in the error's own facts and never points at the dashboard's sign-in.
const catalogue = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(__dirname, "../../tests/fixtures/azure/catalogue", name), "utf8"));

test("a node bootstrap failure and a cluster identity refusal are explained with their facts", async ({ browser }) => {
  test.setTimeout(120_000);
  const armsim = await DashboardProcess.startSimulator({ ARMSIM_CREATE_SECONDS: "6" });
  const server = await DashboardProcess.start({ ARM_ENDPOINT: armsim.baseURL, ARM_TOKEN: "any", JOB_POLL_MAX_SECONDS: "2" });
  try {
    const { context, page } = await openDevice(browser, uniqueName("e2e-families"), { baseURL: server.baseURL });
    const panics = collectPanics(page);
    const nodes = uniqueName("aks-cse");
    const identity = uniqueName("aks-sp");
    const cse = catalogue("cse-exit-50-outbound-conn-fail.json");
    const sp = catalogue("sp-profile-invalid-aadsts7000222-expired-badrequest.json");
    for (const fault of [
      { operation: "operation_status", cluster_name: nodes, raw_body: JSON.stringify(cse.body), for_seconds: 600 },
      { operation: "create", cluster_name: identity, status: sp.status, raw_body: JSON.stringify(sp.body), for_seconds: 600 },
    ]) {
      const added = await page.request.post(`${armsim.baseURL}/_armsim/faults`, { data: fault });
      expect(added.ok(), await added.text()).toBe(true);
    }

    for (const [cluster, category, facts] of [
      [nodes, "node_bootstrap", ["could not join the cluster", "exit status 50"]],
      [identity, "cluster_identity", ["cluster's service principal", "AADSTS7000222"]],
    ] as const) {
      await page.getByTestId("add-cluster").click();
      const modal = page.getByTestId("provision-modal");
      await fillProvisionForm(page, { cluster_name: cluster, region: "koreacentral", node_sku: "Standard_D2s_v3" });
      await fillProvisionForm(page, { node_count: "1" });
      await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
      await modal.getByTestId("create-button").click();

      const card = modal.getByTestId("provision-error-card");
      await expect(card).toHaveAttribute("data-category", category, { timeout: 60_000 });
      for (const fact of facts) await expect(card.getByTestId("error-headline")).toContainText(fact);
      await expect(card).not.toContainText("dashboard could not sign in");
      await modal.getByRole("button", { name: "Close", exact: true }).last().click();
      await expect(modal).toHaveCount(0);
    }
    expect(panics).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
    await armsim.stop();
  }
});
