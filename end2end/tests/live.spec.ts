import { test, expect, request, type Page } from "@playwright/test";
import {
  collectPanics,
  fillProvisionForm,
  isSameDocument,
  lastFailedBanner as banner,
  localLastFailure,
  markDocument,
  openDashboard,
  openDevice,
  passingRequest,
  pendingDismisses,
  provisionViaApi,
  quotaBreakingRequest,
  signIn,
  stubPreflightAllClear,
  uniqueName,
  waitLive,
} from "./support";

// Issue 11: the last failure tells the truth on every device, live. Two browser contexts of one
// user are two devices (a laptop and a tablet); the server pushes what changed to both.

/** The caller's recent failures as the server lists them. */
async function listedJobIds(page: Page): Promise<string[]> {
  const res = await page.request.get("/api/aks/recent-failed-provisions?hours=24&limit=20");
  expect(res.status()).toBe(200);
  const body = await res.json();
  return body.jobs.map((j: any) => j.job_id);
}

test("a failure made through the API shows live on both open devices", async ({ browser, baseURL }, testInfo) => {
  const user = uniqueName("e2e-live");
  const cluster = uniqueName("aks-api");
  const laptop = await openDevice(browser, user);
  const tablet = await openDevice(browser, user, { viewport: { width: 768, height: 1024 } });
  const panics = [...collectPanics(laptop.page), ...collectPanics(tablet.page)];
  for (const d of [laptop, tablet]) {
    await expect(banner(d.page)).toHaveCount(0);
    await markDocument(d.page);
  }

  // A CLI of the same account, neither of the two browsers.
  const cli = await request.newContext({ baseURL, extraHTTPHeaders: { "X-Dev-User": user } });
  const task = await provisionViaApi(cli, quotaBreakingRequest(cluster));

  for (const d of [laptop, tablet]) {
    await expect(banner(d.page)).toContainText(cluster);
    await expect(banner(d.page).getByTestId("provision-error-card")).toHaveAttribute("data-job-id", task.job_id);
    expect(await isSameDocument(d.page), "shown without a reload").toBe(true);
  }
  await tablet.page.screenshot({ path: testInfo.outputPath("tablet-live-failure.png"), fullPage: true });
  expect(panics).toEqual([]);
  await cli.dispose();
  await laptop.context.close();
  await tablet.context.close();
});

test("a Dismiss on one device hides the failure live on the other, and after reload", async ({ browser }) => {
  const user = uniqueName("e2e-dismiss");
  const cluster = uniqueName("aks-dismiss");
  const laptop = await openDevice(browser, user);
  const tablet = await openDevice(browser, user);
  await provisionViaApi(laptop.page, quotaBreakingRequest(cluster));
  for (const d of [laptop, tablet]) await expect(banner(d.page)).toContainText(cluster);
  await markDocument(laptop.page);

  await banner(tablet.page).getByTestId("dismiss-error").click();
  await expect(banner(tablet.page)).toHaveCount(0);
  await expect(banner(laptop.page)).toHaveCount(0);
  expect(await isSameDocument(laptop.page)).toBe(true);

  for (const d of [laptop, tablet]) {
    const response = await d.page.reload();
    expect(await response?.text()).not.toContain('data-testid="last-failed-banner"');
    await waitLive(d.page);
    await expect(banner(d.page)).toHaveCount(0);
    expect(await localLastFailure(d.page)).toBeNull();
  }
  await laptop.context.close();
  await tablet.context.close();
});

test("a failure watched live in the modal, then dismissed on another device, stays gone", async ({ browser }, testInfo) => {
  const user = uniqueName("e2e-watched");
  const cluster = uniqueName("aks-watched");
  const laptop = await openDevice(browser, user);
  const tablet = await openDevice(browser, user);
  const panics = collectPanics(laptop.page);

  // The laptop creates in its modal; Azure refuses for quota (the checks are told all is clear).
  await stubPreflightAllClear(laptop.page);
  await laptop.page.getByTestId("add-cluster").click();
  const modal = laptop.page.getByTestId("provision-modal");
  await fillProvisionForm(laptop.page, { cluster_name: cluster, region: "eastus", node_sku: "Standard_D4s_v3", node_count: "3" });
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await modal.getByTestId("create-button").click();
  await expect(modal.getByTestId("error-headline")).toContainText("Not enough vCPU quota", { timeout: 30_000 });
  await modal.getByRole("button", { name: "Close", exact: true }).last().click();
  await expect(banner(laptop.page)).toContainText(cluster);
  await expect(banner(tablet.page)).toContainText(cluster);

  // The laptop is closed; its browser keeps the local copy.
  await laptop.page.close();
  const kept = await laptop.context.storageState();
  const copy = kept.origins.flatMap((o) => o.localStorage).find((e) => e.name === "elb_last_failed_provision_v1");
  expect(copy?.value).toContain(cluster);

  // The tablet dismisses it.
  await banner(tablet.page).getByTestId("dismiss-error").click();
  await expect(banner(tablet.page)).toHaveCount(0);

  // The laptop opens the dashboard again: the server no longer lists it, so it is gone, local
  // copy and all, and does not come back.
  const again = await laptop.context.newPage();
  const response = await again.goto("/");
  expect(await response?.text()).not.toContain(cluster);
  await waitLive(again);
  await expect(banner(again)).toHaveCount(0);
  expect(await localLastFailure(again)).toBeNull();
  await again.waitForTimeout(1_000);
  await expect(banner(again)).toHaveCount(0);
  await again.screenshot({ path: testInfo.outputPath("laptop-reopened.png"), fullPage: true });
  expect(panics).toEqual([]);
  await laptop.context.close();
  await tablet.context.close();
});

test("another cluster's success leaves this failure shown, live and after reload; its own success clears it", async ({ browser }) => {
  test.setTimeout(180_000);
  const user = uniqueName("e2e-success");
  const failed = uniqueName("aks-failed");
  const other = uniqueName("aks-other");
  const laptop = await openDevice(browser, user);
  const tablet = await openDevice(browser, user);
  const { job_id } = await provisionViaApi(laptop.page, quotaBreakingRequest(failed));
  for (const d of [laptop, tablet]) await expect(banner(d.page)).toContainText(failed);

  // Another cluster is created successfully (the simulator takes a few seconds).
  await provisionViaApi(laptop.page, passingRequest(other), ["succeeded"]);
  for (const d of [laptop, tablet]) {
    // The pages have taken the success in: the cluster is listed, its progress is gone.
    await expect(d.page.locator(`[data-testid="cluster-row"][data-name="${other}"]`)).toHaveAttribute("data-state", "Succeeded");
    await expect(d.page.locator(`[data-testid="provision-progress"][data-cluster="${other}"]`)).toHaveCount(0);
    await expect(banner(d.page).getByTestId("provision-error-card")).toHaveAttribute("data-job-id", job_id);
  }
  for (const d of [laptop, tablet]) {
    await d.page.reload();
    await waitLive(d.page);
    await expect(banner(d.page)).toContainText(failed);
  }

  // The failed cluster itself is created successfully (elsewhere): its failure is resolved.
  await provisionViaApi(laptop.page, passingRequest(failed), ["succeeded"]);
  for (const d of [laptop, tablet]) await expect(banner(d.page)).toHaveCount(0);
  await tablet.page.reload();
  await waitLive(tablet.page);
  await expect(banner(tablet.page)).toHaveCount(0);
  await laptop.context.close();
  await tablet.context.close();
});

test("the error card shows when it failed in a <time> element, in the viewer's zone, kept current", async ({ browser }, testInfo) => {
  const user = uniqueName("e2e-time");
  const cluster = uniqueName("aks-time");
  const context = await browser.newContext({ timezoneId: "Asia/Seoul" });
  const page = await context.newPage();
  await page.clock.install();
  await page.request.get("/");
  await page.goto(`/auth/dev?user=${user}&next=/`);
  await waitLive(page);
  await provisionViaApi(page, quotaBreakingRequest(cluster));
  await expect(banner(page)).toContainText(cluster);

  const listed = await (await page.request.get("/api/aks/recent-failed-provisions")).json();
  const endedAt: number = listed.jobs[0].updated_at;
  const iso = new Date(endedAt).toISOString();
  // The card's own moment (the job's short timeline has times of its own).
  const time = banner(page).locator(".error-card-meta time");
  await expect(time).toHaveAttribute("datetime", iso);
  const expected = await page.evaluate((ms) => {
    const d = new Date(ms);
    return {
      short: d.toLocaleString("default", { dateStyle: "medium", timeStyle: "short" }),
      full: d.toLocaleString("default", { dateStyle: "full", timeStyle: "long" }),
    };
  }, endedAt);
  await expect(time).toHaveText(expected.short);
  await expect(time).toHaveAttribute("title", expected.full);
  // Seoul is UTC+9: the full timestamp names the viewer's zone, not UTC.
  expect(expected.full).not.toContain("UTC");
  await expect(banner(page).getByTestId("time-ago")).toHaveText("just now");

  // Five minutes later, without a reload.
  await page.clock.fastForward("05:00");
  await expect(banner(page).getByTestId("time-ago")).toHaveText("5 min ago");
  await page.screenshot({ path: testInfo.outputPath("time-element.png"), fullPage: true });

  // The first HTML has the same moment, in UTC until the browser knows the viewer's zone.
  const html = await (await page.request.get("/")).text();
  expect(html).toContain(`datetime="${iso}"`);
  expect(html).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await context.close();
});

/** Records notifications and permission requests, and lets the test hide the page. */
const NOTIFICATION_PROBE = () => {
  const w = window as any;
  w.__notifications = [];
  w.__permissionAsks = 0;
  w.__focused = 0;
  const Real = w.Notification;
  if (Real) {
    w.Notification = new Proxy(Real, {
      construct(target, args) {
        const n = Reflect.construct(target, args);
        w.__notifications.push({ title: args[0], body: args[1]?.body, tag: args[1]?.tag, n });
        return n;
      },
      get(target, prop) {
        if (prop === "requestPermission") {
          return (...a: any[]) => {
            w.__permissionAsks += 1;
            return target.requestPermission(...a);
          };
        }
        return Reflect.get(target, prop);
      },
    });
  }
  let hidden = false;
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  w.__setHidden = (h: boolean) => {
    hidden = h;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  const focus = window.focus.bind(window);
  window.focus = () => {
    w.__focused += 1;
    focus();
  };
};

test("a provision that ends while the page is hidden shows a notification; clicking it focuses the dashboard", async ({ browser, baseURL }, testInfo) => {
  const user = uniqueName("e2e-notify");
  const cluster = uniqueName("aks-notify");
  const context = await browser.newContext();
  await context.grantPermissions(["notifications"], { origin: baseURL });
  await context.addInitScript(NOTIFICATION_PROBE);
  const page = await context.newPage();
  await page.request.get("/");
  await page.goto(`/auth/dev?user=${user}&next=/`);
  await waitLive(page);

  // The tab goes to the background; a provision of this user fails meanwhile.
  await page.evaluate(() => (window as any).__setHidden(true));
  const task = await provisionViaApi(page, quotaBreakingRequest(cluster));
  await expect
    .poll(() => page.evaluate(() => (window as any).__notifications.map((n: any) => n.title)))
    .toEqual([`Creating ${cluster} failed`]);
  const shown = await page.evaluate(() => {
    const n = (window as any).__notifications[0];
    return { body: n.body, tag: n.tag };
  });
  expect(shown.body).toContain("vCPU quota");
  expect(shown.tag).toBe(`provision-${task.task_id}`);

  // A click on it brings the dashboard to the front.
  expect(await page.evaluate(() => (window as any).__focused)).toBe(0);
  await page.evaluate(() => (window as any).__notifications[0].n.onclick(new Event("click")));
  expect(await page.evaluate(() => (window as any).__focused)).toBe(1);

  // While the page is seen, an end is on screen already: no notification.
  await page.evaluate(() => (window as any).__setHidden(false));
  const second = uniqueName("aks-seen");
  await provisionViaApi(page, quotaBreakingRequest(second));
  await expect(banner(page)).toContainText(second);
  expect(await page.evaluate(() => (window as any).__notifications.length)).toBe(1);
  await page.screenshot({ path: testInfo.outputPath("after-notification.png"), fullPage: true });
  await context.close();
});

test("notification permission is asked on the first Create, never on page load", async ({ browser }) => {
  const user = uniqueName("e2e-permission");
  const context = await browser.newContext();
  await context.addInitScript(NOTIFICATION_PROBE);
  const page = await context.newPage();
  await page.request.get("/");
  await page.goto(`/auth/dev?user=${user}&next=/`);
  await waitLive(page);
  expect(await page.evaluate(() => Notification.permission)).toBe("default");
  expect(await page.evaluate(() => (window as any).__permissionAsks)).toBe(0);

  await stubPreflightAllClear(page);
  await page.getByTestId("add-cluster").click();
  const modal = page.getByTestId("provision-modal");
  await fillProvisionForm(page, { cluster_name: uniqueName("aks-perm"), region: "eastus", node_sku: "Standard_D4s_v3", node_count: "3" });
  await expect(modal.getByTestId("create-button")).toHaveText("Create cluster");
  await modal.getByTestId("create-button").click();
  await expect.poll(() => page.evaluate(() => (window as any).__permissionAsks)).toBe(1);
  await expect(modal.getByTestId("provision-error-card")).toBeVisible({ timeout: 30_000 });

  await page.reload();
  await waitLive(page);
  expect(await page.evaluate(() => (window as any).__permissionAsks)).toBe(0);
  await context.close();
});

test("a Dismiss the server did not get stays dismissed on reload, and is sent once it can be", async ({ browser }) => {
  const user = uniqueName("e2e-pending");
  const cluster = uniqueName("aks-pending");
  const laptop = await openDevice(browser, user);
  const tablet = await openDevice(browser, user);
  const { job_id } = await provisionViaApi(laptop.page, quotaBreakingRequest(cluster));
  for (const d of [laptop, tablet]) await expect(banner(d.page)).toContainText(cluster);

  // The laptop's dismisses do not reach the server.
  await laptop.page.route("**/api/aks/dismiss-failure", (route) => route.abort("connectionrefused"));
  await banner(laptop.page).getByTestId("dismiss-error").click();
  await expect(banner(laptop.page)).toHaveCount(0);
  expect(await pendingDismisses(laptop.page)).toEqual([job_id]);
  expect(await listedJobIds(laptop.page)).toContain(job_id);

  // A reload meanwhile: the server still lists the failure, the laptop keeps it dismissed.
  await laptop.page.reload();
  await waitLive(laptop.page);
  await expect(banner(laptop.page)).toHaveCount(0);
  await laptop.page.waitForTimeout(1_000);
  await expect(banner(laptop.page)).toHaveCount(0);
  await expect(banner(tablet.page)).toContainText(cluster);

  // The way to the server is open again: the dismiss goes through, and the tablet follows live.
  await laptop.page.unroute("**/api/aks/dismiss-failure");
  await expect(banner(tablet.page)).toHaveCount(0, { timeout: 20_000 });
  await expect.poll(() => pendingDismisses(laptop.page)).toEqual([]);
  expect(await listedJobIds(laptop.page)).not.toContain(job_id);
  await laptop.context.close();
  await tablet.context.close();
});

test("the tabs of one browser share one event stream, and another tab takes it over when its tab closes", async ({ browser }) => {
  test.setTimeout(120_000);
  const user = uniqueName("e2e-tabs-live");
  const context = await browser.newContext();
  // Counts the event streams each tab opens.
  await context.addInitScript(() => {
    const w = window as any;
    w.__streams = 0;
    const Real = w.EventSource;
    w.EventSource = new Proxy(Real, {
      construct(target, args) {
        w.__streams += 1;
        return Reflect.construct(target, args);
      },
    });
  });
  const first = await context.newPage();
  await signIn(first, user);
  await waitLive(first);
  // Eight tabs: more than the six connections a browser opens to one host over HTTP/1.1.
  const tabs = [first];
  for (let i = 0; i < 7; i++) {
    const tab = await context.newPage();
    await openDashboard(tab);
    await waitLive(tab);
    tabs.push(tab);
  }
  const streams = (of: Page[]) => Promise.all(of.map((t) => t.evaluate(() => (window as any).__streams as number)));
  const counts = await streams(tabs);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(1);

  // Live progress (only events bring it) reaches every tab.
  const progress = (page: Page, cluster: string) => page.locator(`[data-testid="provision-progress"][data-cluster="${cluster}"]`);
  const cluster = uniqueName("aks-tabs");
  const started = await first.request.post("/api/aks/provision", { data: passingRequest(cluster) });
  expect(started.status()).toBe(202);
  for (const tab of tabs) await expect(progress(tab, cluster)).toBeVisible();

  // The tab holding the stream closes: another one opens it, and events reach the rest.
  const holder = tabs[counts.indexOf(1)];
  await holder.close();
  const rest = tabs.filter((t) => t !== holder);
  await expect.poll(async () => (await streams(rest)).reduce((a, b) => a + b, 0)).toBe(1);
  for (const tab of rest) await waitLive(tab);
  const next = uniqueName("aks-tabs-next");
  const again = await rest[0].request.post("/api/aks/provision", { data: passingRequest(next) });
  expect(again.status()).toBe(202);
  for (const tab of rest) await expect(progress(tab, next)).toBeVisible();
  await context.close();
});
