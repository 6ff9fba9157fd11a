import { test, expect } from "@playwright/test";
import { collectPageErrors, openDashboard } from "./support";

test("the dashboard hydrates and shows who is signed in", async ({ page }, testInfo) => {
  const errors = collectPageErrors(page);
  await openDashboard(page);

  await expect(page.getByTestId("signed-in-user")).toHaveText("dev");
  await expect(page.getByTestId("cluster-card")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Kubernetes clusters" })).toBeVisible();

  // The stylesheet is applied: the top bar is dark, not a browser default.
  const topbarColour = await page
    .locator(".topbar")
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(topbarColour).toBe("rgb(16, 42, 67)");

  await page.screenshot({ path: testInfo.outputPath("dashboard.png"), fullPage: true });
  expect(errors).toEqual([]);
});

test("switching user through /auth/dev changes who is signed in", async ({ page }, testInfo) => {
  await openDashboard(page, "/auth/dev?user=alice&next=/");
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("signed-in-user")).toHaveText("alice");

  // The session sticks across reloads.
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("signed-in-user")).toHaveText("alice");
  await page.screenshot({ path: testInfo.outputPath("signed-in-as-alice.png") });
});
