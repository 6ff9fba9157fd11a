import { test, expect, type Page } from "@playwright/test";
import { collectPageErrors, openDashboard, signIn, uniqueName, SUBSCRIPTION, RESOURCE_GROUP } from "./support";

/**
 * Records every Content-Security-Policy violation the page reports, from the first script on
 * (the browser's own `securitypolicyviolation` event, and its console message).
 */
async function collectCspViolations(page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) fromConsole.push(msg.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (e) =>
      seen.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sample})`),
    );
  });
  return async () => {
    const fromEvents = await page.evaluate(
      () => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [],
    );
    return [...fromEvents, ...fromConsole];
  };
}

test("the page hydrates under its Content-Security-Policy, without a violation", async ({ page }) => {
  const violations = await collectCspViolations(page);
  const errors = collectPageErrors(page);

  const response = await page.goto("/");
  const headers = response!.headers();
  const policy = headers["content-security-policy"];
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");

  // Hydrated means interactive: the modal opens and its live pre-flight talks to the server.
  await page.getByTestId("add-cluster").click();
  await expect(page.getByTestId("provision-modal")).toBeVisible();
  await expect(page.getByTestId("preflight-check").first()).toBeVisible();

  expect(await violations()).toEqual([]);
  expect(errors).toEqual([]);
});

test("a provision in flight renders its progress bar without a violation", async ({ page }) => {
  const violations = await collectCspViolations(page);
  const user = uniqueName("csp");
  await signIn(page, user);
  const started = await page.request.post("/api/aks/provision", {
    data: {
      subscription_id: SUBSCRIPTION,
      resource_group: RESOURCE_GROUP,
      region: "koreacentral",
      cluster_name: uniqueName("aks-csp"),
      node_sku: "Standard_D2s_v3",
      node_count: 1,
      system_vm_size: "Standard_D2s_v3",
      system_node_count: 1,
    },
  });
  expect(started.status(), await started.text()).toBe(202);

  // The server renders the banner with the bar's width as a style attribute; then it hydrates.
  await openDashboard(page);
  await expect(page.getByTestId("provision-progress")).toBeVisible();
  expect(await violations()).toEqual([]);
});

test("another site cannot frame the dashboard", async ({ page }) => {
  const violations = await collectCspViolations(page);
  await openDashboard(page);
  // A frame of the dashboard inside the dashboard is refused by `frame-ancestors 'none'`.
  await page.evaluate(() => {
    const frame = document.createElement("iframe");
    frame.src = "/";
    frame.id = "framed";
    document.body.appendChild(frame);
  });
  await expect
    .poll(async () => (await violations()).join("\n"), { timeout: 10_000 })
    .toMatch(/frame-ancestors/);
  const framed = page.frameLocator("#framed");
  await expect(framed.getByTestId("cluster-card")).toHaveCount(0);
});
