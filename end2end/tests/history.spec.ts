import { test, expect } from "@playwright/test";
import { DashboardProcess } from "../dashboard";
import { collectPanics, fillProvisionForm, openDevice, seriousA11yViolations, uniqueName } from "./support";

// A server of its own: its creates take long enough to be stopped, and the fixed create takes
// eastus' last vCPUs, which the shared servers' specs count on.
test("create, Stop, retry with a fix: the History page lists the four steps with their actors, and its address reproduces a filtered view", async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const server = await DashboardProcess.start({ ARMSIM_CREATE_SECONDS: "40", JOB_POLL_MAX_SECONDS: "2" });
  try {
    const user = uniqueName("e2e-hist");
    const first = uniqueName("aks-hist");
    const second = uniqueName("aks-fixed");
    const { context, page } = await openDevice(browser, user, { baseURL: server.baseURL });
    const panics = collectPanics(page);

    // Create.
    await page.getByTestId("add-cluster").click();
    const modal = page.getByTestId("provision-modal");
    await fillProvisionForm(page, { cluster_name: first, region: "koreacentral", node_sku: "Standard_D2s_v3" });
    await fillProvisionForm(page, { node_count: "1" });
    await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
    await modal.getByTestId("create-button").click();
    await expect(modal.getByTestId("progress-cluster-state")).toHaveText("Creating", { timeout: 30_000 });

    // Stop.
    await modal.getByTestId("stop-button").click();
    await modal.getByTestId("confirm-stop").click();
    const card = modal.getByTestId("provision-error-card");
    await expect(card.getByTestId("error-headline")).toContainText(/cancelled/i, { timeout: 30_000 });
    // The ended screen's short timeline: who asked, how Azure answered, who stopped it.
    const timeline = card.getByTestId("job-timeline");
    await expect(timeline.locator('li[data-kind="create_requested"]')).toContainText(`by ${user}`);
    await expect(timeline.locator('li[data-kind="stop_requested"]')).toContainText(`by ${user}`);
    await expect(timeline.locator('li[data-kind="abort_sent"]')).toContainText("aborted");

    // Retry with a fix: a size that does not fit eastus' quota, and the check's one-click fix.
    await card.getByTestId("edit-retry").click();
    await fillProvisionForm(page, { cluster_name: second, region: "eastus", node_sku: "Standard_D4s_v3" });
    await fillProvisionForm(page, { node_count: "3" });
    const quota = modal.locator('[data-testid="preflight-check"][data-check="quota"]');
    await expect(quota).toHaveAttribute("data-status", "fail", { timeout: 15_000 });
    await quota.locator('[data-testid="fix-action"][data-fix="node_count"]').click();
    await expect(modal.locator("#pm-node_count")).toHaveValue("1");
    await expect(modal.getByTestId("create-button")).toHaveText("Create cluster", { timeout: 15_000 });
    await modal.getByTestId("create-button").click();
    await expect(modal.getByTestId("provision-creating")).toBeVisible();

    // The History page, in another tab as a person would open it.
    const history = await context.newPage();
    await history.goto("/history");
    const mine = history.locator(`[data-testid="history-entry"][data-actor="${user}"]`);
    await expect(mine.first()).toBeVisible();
    const kinds = await mine.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")));
    // Newest first: the fixed create, the fix, the Stop, the first create.
    expect(kinds).toEqual(["create_requested", "fix_applied", "stop_requested", "create_requested"]);
    for (const row of await mine.all()) {
      await expect(row.locator("td.who")).toHaveText(user);
    }
    // What the runner did is there too, by `system`.
    await expect(history.locator('[data-testid="history-entry"][data-kind="abort_sent"]').first()).toContainText("system");
    // Each time reads both ways: how long ago, and the moment in a <time datetime>.
    await expect(mine.first().locator("time[datetime]")).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT/);
    // An entry opens to its details from the keyboard.
    const fixRow = history.locator('[data-testid="history-entry"][data-kind="fix_applied"]');
    await fixRow.locator("summary").focus();
    await history.keyboard.press("Enter");
    await expect(fixRow.locator(".entry-details")).toBeVisible();
    await expect(fixRow.locator(".entry-details")).toContainText('"node_count"');
    expect(await seriousA11yViolations(history)).toEqual([]);
    await history.screenshot({ path: testInfo.outputPath("history.png"), fullPage: true });

    // A filter, typed and applied with the mouse: the address says it, and opened again it
    // shows the same view.
    await history.getByLabel("What").selectOption("stop_requested");
    await history.getByLabel("Cluster").fill(first);
    await history.getByRole("button", { name: "Apply filters" }).click();
    await expect(history).toHaveURL(/kind=stop_requested/);
    await expect(history).toHaveURL(new RegExp(`cluster=${first}`));
    const filtered = history.getByTestId("history-entry");
    await expect(filtered).toHaveCount(1);
    await expect(filtered).toHaveAttribute("data-kind", "stop_requested");
    const shown = await filtered.evaluateAll((rows) => rows.map((r) => r.textContent));
    const again = await context.newPage();
    await again.goto(history.url());
    await expect(again.getByTestId("history-entry")).toHaveCount(1);
    expect(await again.getByTestId("history-entry").evaluateAll((rows) => rows.map((r) => r.textContent))).toEqual(shown);
    await expect(again.getByLabel("What")).toHaveValue("stop_requested");

    // The export of the same view.
    const csv = await again.request.get(`/api/history?kind=stop_requested&cluster=${first}&format=csv`);
    expect(csv.headers()["content-type"]).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("stop_requested");
    expect(panics).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
  }
});
