import { test, expect, type Page } from "@playwright/test";
import {
  collectPanics,
  fillProvisionForm,
  localLastFailure,
  openDashboard,
  provisionViaApi,
  quotaBreakingRequest,
  signIn,
  stubPreflightAllClear,
  uniqueName,
} from "./support";

// the last failed attempt is on every surface — after a reload, in another
// browser of the same user, live in the other tabs — and never in another user's.

const banner = (page: Page) => page.getByTestId("last-failed-banner");

/** Where the banner sits in the raw HTML: before `</main>` means rendered in place, not streamed later. */
function bannerIsInPlace(html: string): boolean {
  const at = html.indexOf('data-testid="last-failed-banner"');
  return at >= 0 && at < html.indexOf("</main>");
}

test("a quota failure survives a reload: the banner is in the first HTML", async ({ page, browser }, testInfo) => {
  const panics = collectPanics(page);
  const user = uniqueName("e2e-reload");
  const cluster = uniqueName("aks-quota");
  await signIn(page, user);
  await expect(banner(page)).toHaveCount(0);

  const task = await provisionViaApi(page, quotaBreakingRequest(cluster));
  expect(task.status).toBe("failed");

  const response = await page.reload();
  const html = (await response?.text()) ?? "";
  expect(bannerIsInPlace(html), "the banner is rendered by the server, in place").toBe(true);
  expect(html).toContain(cluster);
  expect(html).toMatch(/Not enough vCPU quota in eastus/);

  await expect(banner(page)).toBeVisible();
  await expect(banner(page).getByTestId("provision-error-card")).toHaveAttribute("role", "alert");
  await expect(banner(page).getByTestId("error-headline")).toContainText("Not enough vCPU quota in eastus");
  await expect(banner(page).getByTestId("error-action").first()).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  // Hydrated, the server's failure became this browser's local copy.
  await expect.poll(async () => (await localLastFailure(page))?.failure?.cluster_name).toBe(cluster);

  // Without any JavaScript the banner is there too: no wait for the browser bundle.
  const state = await page.context().storageState();
  const noJs = await browser.newContext({ javaScriptEnabled: false, storageState: state });
  const plain = await noJs.newPage();
  await plain.goto("/");
  await expect(plain.getByTestId("last-failed-banner")).toBeVisible();
  await expect(plain.getByTestId("error-headline")).toContainText("Not enough vCPU quota");
  await noJs.close();

  await page.screenshot({ path: testInfo.outputPath("reload-survives.png"), fullPage: true });
  expect(panics).toEqual([]);
});

test("a failure in one browser shows in another browser of the same user, from the server", async ({ browser }, testInfo) => {
  const user = uniqueName("e2e-devices");
  const cluster = uniqueName("aks-laptop");

  const laptop = await browser.newContext();
  const laptopPage = await laptop.newPage();
  await signIn(laptopPage, user);
  await provisionViaApi(laptopPage, quotaBreakingRequest(cluster));

  // The tablet: a fresh context, nothing in its storage.
  const tablet = await browser.newContext({ viewport: { width: 768, height: 1024 } });
  const tabletPage = await tablet.newPage();
  const panics = collectPanics(tabletPage);
  await tabletPage.request.get("/");
  const signInResponse = await tabletPage.request.get(`/auth/dev?user=${user}&next=/`, { maxRedirects: 0 });
  expect([302, 303, 307]).toContain(signInResponse.status());
  const response = await tabletPage.goto("/");
  const html = (await response?.text()) ?? "";
  expect(bannerIsInPlace(html)).toBe(true);
  expect(html).toContain(cluster);

  await expect(tabletPage.locator("html")).toHaveAttribute("data-hydrated", "true");
  await expect(tabletPage.getByTestId("signed-in-user")).toHaveText(user);
  await expect(banner(tabletPage)).toBeVisible();
  await expect(banner(tabletPage)).toContainText(cluster);
  await expect.poll(async () => (await localLastFailure(tabletPage))?.failure?.cluster_name).toBe(cluster);

  await tabletPage.screenshot({ path: testInfo.outputPath("cross-browser-tablet.png"), fullPage: true });

  // The form reads at tablet width too.
  await banner(tabletPage).getByTestId("edit-retry").click();
  await expect(tabletPage.getByTestId("provision-modal")).toBeVisible();
  await expect(tabletPage.locator("#pm-cluster_name")).toHaveValue(cluster);
  await expect(tabletPage.getByTestId("create-button")).toHaveText("Fix errors above");
  await tabletPage.screenshot({ path: testInfo.outputPath("tablet-modal.png"), fullPage: true });
  await tabletPage.keyboard.press("Escape");
  await expect(tabletPage.getByTestId("provision-modal")).toHaveCount(0);
  expect(panics).toEqual([]);
  await laptop.close();
  await tablet.close();
});

test("a failure and its dismissal in one tab show in the other tab without a reload", async ({ context }, testInfo) => {
  const user = uniqueName("e2e-tabs");
  const cluster = uniqueName("aks-tabs");
  const tabA = await context.newPage();
  const panicsA = collectPanics(tabA);
  await signIn(tabA, user);
  const tabB = await context.newPage();
  const panicsB = collectPanics(tabB);
  await openDashboard(tabB);
  await expect(banner(tabB)).toHaveCount(0);
  // Marks tab B's document: still there at the end means it was never reloaded.
  await tabB.evaluate(() => ((window as any).__sameDocument = true));

  // Tab A creates a cluster Azure refuses for quota (the form's checks are told all is clear).
  await stubPreflightAllClear(tabA);
  await tabA.getByTestId("add-cluster").click();
  const modal = tabA.getByTestId("provision-modal");
  await expect(modal).toBeVisible();
  await fillProvisionForm(tabA, {
    cluster_name: cluster,
    region: "eastus",
    node_sku: "Standard_D4s_v3",
    node_count: "3",
  });
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await modal.getByTestId("create-button").click();
  await expect(modal.getByTestId("provision-error-card")).toBeVisible({ timeout: 30_000 });
  await expect(modal.getByTestId("error-headline")).toContainText("Not enough vCPU quota");

  // Tab B shows it at once, through the storage event.
  await expect(banner(tabB)).toBeVisible();
  await expect(banner(tabB)).toContainText(cluster);
  await tabB.screenshot({ path: testInfo.outputPath("tab-b-shows-failure.png"), fullPage: true });

  // Dismiss in tab A: tab B's banner goes too.
  await modal.getByRole("button", { name: "Close", exact: true }).last().click();
  await expect(modal).toHaveCount(0);
  await expect(banner(tabA)).toBeVisible();
  await banner(tabA).getByTestId("dismiss-error").click();
  await expect(banner(tabA)).toHaveCount(0);
  await expect(banner(tabB)).toHaveCount(0);
  expect(await tabB.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // And it stays dismissed, on reload of either tab.
  for (const tab of [tabA, tabB]) {
    const response = await tab.reload();
    expect(await response?.text()).not.toContain('data-testid="last-failed-banner"');
    await expect(tab.locator("html")).toHaveAttribute("data-hydrated", "true");
    await expect(banner(tab)).toHaveCount(0);
  }
  expect(await localLastFailure(tabA)).toBeNull();
  await tabB.screenshot({ path: testInfo.outputPath("tab-b-after-dismiss.png"), fullPage: true });
  expect([...panicsA, ...panicsB]).toEqual([]);
});

test("another user never sees my last failure", async ({ browser }, testInfo) => {
  const alice = uniqueName("e2e-alice");
  const bob = uniqueName("e2e-bob");
  const cluster = uniqueName("aks-alice");

  const aliceContext = await browser.newContext();
  const alicePage = await aliceContext.newPage();
  await signIn(alicePage, alice);
  await provisionViaApi(alicePage, quotaBreakingRequest(cluster));
  await alicePage.reload();
  await expect(banner(alicePage)).toContainText(cluster);

  // Bob, in his own browser.
  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  await bobPage.request.get("/");
  await bobPage.request.get(`/auth/dev?user=${bob}&next=/`, { maxRedirects: 0 });
  const response = await bobPage.goto("/");
  expect(await response?.text()).not.toContain(cluster);
  await expect(bobPage.locator("html")).toHaveAttribute("data-hydrated", "true");
  await expect(bobPage.getByTestId("signed-in-user")).toHaveText(bob);
  await expect(banner(bobPage)).toHaveCount(0);
  await bobPage.screenshot({ path: testInfo.outputPath("bob-own-browser.png"), fullPage: true });

  // Bob, signed in on Alice's browser: her local copy is there but not his to see.
  expect((await localLastFailure(alicePage))?.failure?.cluster_name).toBe(cluster);
  await signIn(alicePage, bob);
  await expect(banner(alicePage)).toHaveCount(0);
  await alicePage.waitForTimeout(500);
  await expect(banner(alicePage)).toHaveCount(0);
  expect(await alicePage.content()).not.toContain(cluster);
  await alicePage.screenshot({ path: testInfo.outputPath("bob-on-alices-browser.png"), fullPage: true });

  await aliceContext.close();
  await bobContext.close();
});
