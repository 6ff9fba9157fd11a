import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "@playwright/test";

/** Opens a page and waits until the browser has hydrated it. */
export async function openDashboard(page: Page, path = "/") {
  await page.goto(path);
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
}

/** Collects errors the page logs, so a test can assert there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  return errors;
}

/** Errors that mean the page broke: uncaught exceptions and Rust panics (not failed requests). */
export function collectPanics(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => {
    const text = msg.text();
    if (msg.type() === "error" && /panicked|hydration|unreachable/i.test(text)) errors.push(text);
  });
  return errors;
}

/** A name no other test uses: lowercase letters, digits and '-', valid for users and clusters. */
export function uniqueName(prefix: string): string {
  const rand = Math.random().toString(36).slice(2, 7);
  return `${prefix}-${Date.now().toString(36)}${rand}`.toLowerCase();
}

/**
 * Signs the page's browser context in as `user` (dev auth; with `roles`, e.g. "reader" or
 * "admin", else an operator) and opens the dashboard.
 */
export async function signIn(page: Page, user: string, roles?: string) {
  // A first visit gets the default dev session; switching from it is what users do.
  await page.request.get("/");
  const asRoles = roles ? `&roles=${encodeURIComponent(roles)}` : "";
  await openDashboard(page, `/auth/dev?user=${encodeURIComponent(user)}${asRoles}&next=/`);
  await expect(page.getByTestId("signed-in-user")).toHaveText(user);
}

export const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
export const RESOURCE_GROUP = "rg-aks-dev";

export interface ProvisionBody {
  subscription_id: string;
  resource_group: string;
  region: string;
  cluster_name: string;
  node_sku: string;
  node_count: number;
  system_vm_size: string;
  system_node_count: number;
}

/** The request of the quota scenario: eastus has 6 free DSv3 vCPUs, this needs 14. */
export function quotaBreakingRequest(clusterName: string): ProvisionBody {
  return {
    subscription_id: SUBSCRIPTION,
    resource_group: RESOURCE_GROUP,
    region: "eastus",
    cluster_name: clusterName,
    node_sku: "Standard_D4s_v3",
    node_count: 3,
    system_vm_size: "Standard_D2s_v3",
    system_node_count: 1,
  };
}

/** A GPU size the default world does not offer this subscription in koreacentral. */
export const BLOCKED_SIZE = "Standard_NC24ads_A100_v4";

/** The request of the blocked-size scenario: the A100 size is not available to this subscription in koreacentral. */
export function blockedSizeRequest(clusterName: string, nodeCount: number): ProvisionBody {
  return {
    subscription_id: SUBSCRIPTION,
    resource_group: RESOURCE_GROUP,
    region: "koreacentral",
    cluster_name: clusterName,
    node_sku: BLOCKED_SIZE,
    node_count: nodeCount,
    system_vm_size: "Standard_D2s_v3",
    system_node_count: 1,
  };
}

/** A request that Azure (the simulator) accepts and completes: a small cluster in koreacentral. */
export function passingRequest(clusterName: string): ProvisionBody {
  return {
    subscription_id: SUBSCRIPTION,
    resource_group: RESOURCE_GROUP,
    region: "koreacentral",
    cluster_name: clusterName,
    node_sku: "Standard_D2s_v3",
    node_count: 1,
    system_vm_size: "Standard_D2s_v3",
    system_node_count: 1,
  };
}

/**
 * Starts a provision through the JSON API — with a page's own session, or as an API client of
 * the same account — and waits until its task has ended in one of `until`.
 */
export async function provisionViaApi(
  client: Page | APIRequestContext,
  body: ProvisionBody,
  until: string[] = ["failed"],
): Promise<{ job_id: string; task_id: string; status: string; updated_at: number; error?: { code: string } }> {
  const request = "request" in client ? client.request : client;
  const started = await request.post("/api/aks/provision", { data: body });
  expect(started.status(), await started.text()).toBe(202);
  const accepted = await started.json();
  let task: any = null;
  await expect
    .poll(
      async () => {
        const res = await request.get(`/api/tasks/${accepted.task_id}`);
        task = await res.json();
        return task.status;
      },
      { timeout: 30_000, intervals: [250, 500, 1000] },
    )
    .toMatch(new RegExp(`^(${until.join("|")})$`));
  return { ...accepted, ...task };
}

/**
 * Makes this page's pre-flight answer "all clear", so that a request Azure will refuse can be
 * submitted from the form — as when quota changed between the check and the create.
 */
export async function stubPreflightAllClear(page: Page) {
  await page.route("**/api/aks/preflight", (route) =>
    route.fulfill({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({
        ok: true,
        checks: [
          { name: "skus", status: "ok", message: "Available.", details: null },
          { name: "quota", status: "ok", message: "Enough vCPU quota.", details: null },
          { name: "resource_group", status: "ok", message: "Exists.", details: null },
        ],
        portal_url: "https://portal.azure.com/",
        max_node_count: null,
      }),
    }),
  );
}

/** Fills the provision modal's fields that are given. */
export async function fillProvisionForm(
  page: Page,
  values: Partial<Record<"cluster_name" | "region" | "node_sku" | "node_count" | "system_vm_size" | "system_node_count", string>>,
) {
  const modal = page.getByTestId("provision-modal");
  if (values.cluster_name !== undefined) await modal.locator("#pm-cluster_name").fill(values.cluster_name);
  if (values.region !== undefined) await modal.locator("#pm-region").selectOption(values.region);
  if (values.node_sku !== undefined) await modal.locator("#pm-node_sku").selectOption(values.node_sku);
  if (values.system_vm_size !== undefined)
    await modal.locator("#pm-system_vm_size").selectOption(values.system_vm_size);
  if (values.node_count !== undefined) await modal.locator("#pm-node_count").fill(values.node_count);
  if (values.system_node_count !== undefined)
    await modal.locator("#pm-system_node_count").fill(values.system_node_count);
}

/** The local copy of the last failure in this page's browser, parsed (null when absent). */
export async function localLastFailure(page: Page): Promise<any> {
  const raw = await page.evaluate(() => window.localStorage.getItem("elb_last_failed_provision_v1"));
  return raw === null ? null : JSON.parse(raw);
}

/** The dismisses this page's browser keeps until the server has them, as job ids. */
export async function pendingDismisses(page: Page): Promise<string[]> {
  const raw = await page.evaluate(() => window.localStorage.getItem("elb_pending_dismisses_v1"));
  return raw === null ? [] : JSON.parse(raw).map((p: { job_id: string }) => p.job_id);
}

/** The "last attempt" banner of a page. */
export const lastFailedBanner = (page: Page) => page.getByTestId("last-failed-banner");

/** Waits until the page hears the server's live events (its `EventSource` is open). */
export async function waitLive(page: Page) {
  await expect(page.getByTestId("cluster-card")).toHaveAttribute("data-events", "open");
}

/** Marks the page's document, so that a test can tell later that it was never reloaded. */
export async function markDocument(page: Page) {
  await page.evaluate(() => ((window as any).__sameDocument = true));
}

export async function isSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as any).__sameDocument === true);
}

/** One device of a user: its own browser context, signed in, dashboard open and live. */
export async function openDevice(
  browser: Browser,
  user: string,
  options: BrowserContextOptions = {},
  roles?: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await signIn(page, user, roles);
  await waitLive(page);
  return { context, page };
}

/**
 * The serious and critical accessibility violations axe-core finds on the page as it is now
 * (WCAG 2.1 A and AA rules), one line each: rule, what it asks, and where.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
