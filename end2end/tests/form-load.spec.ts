import { test, expect } from "@playwright/test";
import {
  collectPanics,
  lastFailedBanner as banner,
  openDashboard,
  provisionViaApi,
  quotaBreakingRequest,
  signIn,
  uniqueName,
} from "./support";

// Issue 36: the create form is a part of the bundle of its own, fetched when it is wanted. When
// that fetch fails (no network for a moment, a deploy in between) the page says so and offers
// Retry; nothing else on the page stops.

test("the form's code failing to load is a message with Retry, and the rest of the page goes on", async ({ page }, testInfo) => {
  const panics = collectPanics(page);
  const cluster = uniqueName("aks-form-load");
  // The form's part cannot be fetched, from the page's first load on (its fetch when the page
  // is idle fails too).
  let refuse = true;
  await page.route(/\/pkg\/split_[^/]*\.wasm$/, (route) => (refuse ? route.abort("connectionfailed") : route.continue()));
  await signIn(page, uniqueName("e2e-form-load"));
  await provisionViaApi(page, quotaBreakingRequest(cluster));
  await expect(banner(page)).toContainText(cluster);

  await page.getByTestId("add-cluster").click();
  const failed = page.getByTestId("form-load-error");
  await expect(failed).toBeVisible();
  await expect(failed).toContainText("Couldn't load the form");
  await expect(failed).toHaveAttribute("role", "alert");
  await expect(page.getByTestId("provision-modal")).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath("form-load-error.png") });

  // The page goes on: Dismiss still works, with the message on screen.
  await banner(page).getByTestId("dismiss-error").click();
  await expect(banner(page)).toHaveCount(0);

  // The network is back: Retry opens the form.
  refuse = false;
  await failed.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByTestId("provision-modal")).toBeVisible();
  await expect(page.locator("#pm-cluster_name")).toBeFocused();
  await expect(failed).toHaveCount(0);
  expect(panics).toEqual([]);
});

test("a second Add cluster after a failed fetch loads the form", async ({ page }) => {
  const panics = collectPanics(page);
  let refuse = true;
  await page.route(/\/pkg\/split_[^/]*\.wasm$/, (route) => (refuse ? route.abort("connectionfailed") : route.continue()));
  await signIn(page, uniqueName("e2e-form-again"));
  await page.getByTestId("add-cluster").click();
  await expect(page.getByTestId("form-load-error")).toBeVisible();
  refuse = false;
  await page.getByTestId("add-cluster").click();
  await expect(page.getByTestId("provision-modal")).toBeVisible();
  await expect(page.getByTestId("form-load-error")).toHaveCount(0);
  expect(panics).toEqual([]);
});

test("the form's code and data are fetched once the page is idle, before any click", async ({ page }) => {
  const asked: string[] = [];
  page.on("request", (req) => {
    const path = new URL(req.url()).pathname;
    if (/\/pkg\/split_[^/]*\.wasm$/.test(path) || path.startsWith("/api/aks/")) asked.push(path);
  });
  await signIn(page, uniqueName("e2e-idle"));
  await openDashboard(page);
  // Nothing pressed, nothing hovered: the form's part and what it opens on (in one request) are
  // on their way.
  await expect.poll(() => asked.some((p) => p.includes("/pkg/split_"))).toBe(true);
  await expect.poll(() => asked.includes("/api/aks/form-opening")).toBe(true);
  // Opened, the form shows the checks it was given without asking for them again.
  const before = asked.length;
  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  await expect(modal.locator('[data-testid="preflight-check"][data-check="quota"]')).toHaveAttribute("data-status", "ok");
  await expect(modal.getByTestId("cost-estimate")).toHaveAttribute("data-monthly", /^\d+\.\d\d$/);
  expect(asked.slice(before).filter((p) => p === "/api/aks/preflight")).toEqual([]);
});
