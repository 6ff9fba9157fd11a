import { test, expect } from "@playwright/test";
import { DashboardProcess } from "../dashboard";
import {
  collectPanics,
  openDevice,
  passingRequest,
  seriousA11yViolations,
  signIn,
  SUBSCRIPTION,
  uniqueName,
  waitLive,
} from "./support";

// Who may do what, where: signing in through the identity provider's page, what a Reader is
// offered, and an Operator working in a second subscription/resource-group scope.

test("signing in through the identity provider's page shows the user's name and role; Sign out ends it there too", async ({ browser }, testInfo) => {
  const server = await DashboardProcess.start({ AUTH_MODE: "oidc" });
  const context = await browser.newContext({ baseURL: server.baseURL });
  try {
    const page = await context.newPage();
    const panics = collectPanics(page);
    // Nobody is signed in: the dashboard sends the browser to the provider's sign-in page.
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    expect(new URL(page.url()).pathname).toMatch(/\/oauth2\/v2\.0\/authorize$/);
    await page.getByLabel("User name").fill("Olga Operator");
    await page.getByLabel("Operator").click();
    await page.getByRole("button", { name: "Sign in" }).click();

    // Back on the dashboard, signed in.
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
    expect(new URL(page.url()).origin).toBe(server.baseURL);
    await expect(page.getByTestId("signed-in-user")).toHaveText("Olga Operator");
    await expect(page.getByTestId("signed-in-role")).toHaveText("Operator");
    await expect(page.getByTestId("add-cluster")).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath("signed-in.png") });

    // Sign out ends the dashboard's session and the provider's: the browser comes back to the
    // dashboard, which asks who is signing in (nobody is signed back in silently).
    await page.getByTestId("sign-out").click();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    expect(new URL(page.url()).pathname).toMatch(/\/oauth2\/v2\.0\/authorize$/);
    // The session is gone on the server too.
    const session = await context.request.get(`${server.baseURL}/api/session`);
    expect(session.status()).toBe(401);
    expect(panics).toEqual([]);
  } finally {
    await context.close();
    await server.stop();
  }
});

test("a Reader sees the clusters and why Create is not offered, and no Create", async ({ page }, testInfo) => {
  const panics = collectPanics(page);
  await signIn(page, uniqueName("e2e-reader"), "reader");
  await waitLive(page);
  await expect(page.getByTestId("signed-in-role")).toHaveText("Reader");
  await expect(page.getByTestId("cluster-card")).toBeVisible();
  await expect(page.getByTestId("add-cluster")).toHaveCount(0);
  await expect(page.getByTestId("role-note")).toContainText("needs the Operator role");
  await page.screenshot({ path: testInfo.outputPath("reader.png") });
  expect(await seriousA11yViolations(page)).toEqual([]);
  // The server agrees: a create from this session is refused, naming the role.
  const refused = await page.request.post("/api/aks/provision", { data: passingRequest(uniqueName("aks-reader")) });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).needed_role).toBe("operator");
  expect(panics).toEqual([]);
});

test("an Operator creates in the second scope and the card shows the cluster under that scope", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const server = await DashboardProcess.start({
    AZURE_SCOPES: `${SUBSCRIPTION}/rg-aks-dev, ${SUBSCRIPTION}/rg-aks-test`,
    ARMSIM_CREATE_SECONDS: "4",
    JOB_POLL_MAX_SECONDS: "2",
  });
  try {
    const { context, page } = await openDevice(browser, uniqueName("e2e-scopes"), { baseURL: server.baseURL });
    const panics = collectPanics(page);
    const cluster = uniqueName("aks-second");
    const picker = page.getByTestId("scope-picker");
    const testScope = `${SUBSCRIPTION}/rg-aks-test`;
    await expect(picker.locator(`[data-scope="${SUBSCRIPTION}/rg-aks-dev"]`)).toHaveAttribute("aria-current", "page");

    // The second scope, by its link: the address keeps it, so a colleague's link opens it too.
    await picker.locator(`[data-scope="${testScope}"]`).click();
    await expect(page).toHaveURL(new RegExp(`scope=${encodeURIComponent(testScope).replace(/%2F/i, "(%2F|/)")}`));
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
    await expect(picker.locator(`[data-scope="${testScope}"]`)).toHaveAttribute("aria-current", "page");
    await waitLive(page);

    // The form starts in the scope shown; subscription and group are choices, not free text.
    await page.getByTestId("add-cluster").click();
    const modal = page.getByTestId("provision-modal");
    await expect(modal.locator("#pm-resource_group")).toHaveValue("rg-aks-test");
    expect(await modal.locator("#pm-resource_group").evaluate((el) => el.tagName)).toBe("SELECT");
    await modal.locator("#pm-cluster_name").click();
    await page.keyboard.type(cluster);
    await modal.locator("#pm-region").selectOption("koreacentral");
    await modal.locator("#pm-node_count").fill("1");
    await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
    await modal.getByTestId("create-button").click();
    await expect(modal.getByTestId("provision-creating")).toBeVisible();
    await modal.getByRole("button", { name: "Close", exact: true }).last().click();
    await page.getByTestId("confirm-close").click();
    await expect(modal).toHaveCount(0);

    // The banner names the scope; the card lists the cluster there once Azure has it.
    const banner = page.locator(`[data-testid="provision-progress"][data-cluster="${cluster}"]`);
    await expect(banner.getByTestId("progress-scope")).toHaveAttribute("data-scope", testScope);
    const row = page.locator(`[data-testid="cluster-row"][data-name="${cluster}"]`);
    await expect(row).toBeVisible({ timeout: 30_000 });
    await page.screenshot({ path: testInfo.outputPath("second-scope.png"), fullPage: true });

    // The first scope does not list it.
    await picker.locator(`[data-scope="${SUBSCRIPTION}/rg-aks-dev"]`).click();
    await expect(picker.locator(`[data-scope="${SUBSCRIPTION}/rg-aks-dev"]`)).toHaveAttribute("aria-current", "page");
    await expect(page.getByTestId("cluster-card")).toBeVisible();
    await expect(row).toHaveCount(0);
    expect(panics).toEqual([]);
    await context.close();
  } finally {
    await server.stop();
  }
});

test("an address naming a scope the user may not see says so and shows theirs", async ({ page }) => {
  await signIn(page, uniqueName("e2e-refused"));
  await page.goto(`/?scope=${SUBSCRIPTION}/rg-somewhere-else`);
  await expect(page.getByTestId("scope-refused")).toContainText("rg-somewhere-else");
  await expect(page.locator(".card-subtitle")).toContainText("rg-aks-dev");
});
