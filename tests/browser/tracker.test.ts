// The Tracker section of General settings in a real browser: the built-in store, and a tracker module reporting
// an instance URL, a last poll, API calls, a rate-limit wait and a failed check (refreshed every 10 s).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, startHostProcess, stopAllHosts } from '../support/host-process.ts';
import { type Browser, go, launchBrowser, screenshot, signIn } from './browser.ts';
import type { Report } from './reporting-tracker.ts';

const REPORTING = fileURLToPath(new URL('./reporting-tracker.ts', import.meta.url));
const SECRET = 'hunter2-never-shown-0123456789';

let builtin: HostProcess;
let reporting: HostProcess;
let browser: Browser;

beforeAll(async () => {
  [builtin, reporting, browser] = await Promise.all([
    startHostProcess({ name: 'Built-in Desk' }),
    startHostProcess({
      name: 'Acme Desk',
      args: ['--tracker', REPORTING],
      // A secret the tracker could read: it never reaches the console.
      env: { TANDEM_ACME_PASSWORD: SECRET },
    }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

/** The Tracker section's facts: `{Kind: 'Built-in store', ...}` as the page shows them. */
async function facts(page: Page): Promise<Record<string, string>> {
  const dl = page.getByRole('region', { name: 'Tracker' }).locator('dl');
  const names = await dl.locator('dt').allTextContents();
  const values = await dl.locator('dd').allTextContents();
  return Object.fromEntries(names.map((n, i) => [n.trim(), values[i]?.trim() ?? '']));
}

function writeReport(host: HostProcess, report: Report): void {
  const file = path.join(host.dataDir, 'report.json');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(report));
  fs.renameSync(`${file}.tmp`, file);
}

describe('Tracker section of General settings', () => {
  it('shows the built-in store, status OK and its "Local store readable" check passing', async () => {
    const page = await browser.newPage();
    await signIn(page, builtin.url, builtin.token);
    await go(page, 'General settings');
    const section = page.getByRole('region', { name: 'Tracker' });
    await section.getByRole('heading', { level: 2, name: 'Tracker' }).waitFor();
    await section.locator('dd', { hasText: 'Built-in store' }).waitFor();

    expect(await facts(page)).toEqual({
      Kind: 'Built-in store',
      Instance: '—',
      Status: 'OK',
      'Last poll': 'never',
      'API calls': '0 in the last minute, 0 in total',
    });
    await expect.poll(() => section.locator('.badge').getAttribute('data-status')).toBe('ok');
    const checks = section.getByRole('list', { name: 'Tracker checks' }).getByRole('listitem');
    await expect.poll(() => checks.count()).toBe(1);
    const check = checks.first();
    expect(await check.getAttribute('class')).toBe('ok');
    expect(await check.locator('strong').first().textContent()).toBe('Local store readable');
    expect(await check.textContent()).toContain('passed');
    expect(await check.locator('.check-mark').textContent()).toBe('✓');
    expect(await section.getByText('Rate limited by the instance').count()).toBe(0);
    await screenshot(page, 'settings-tracker-builtin');
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('shows a reporting tracker: instance, last poll, calls, the rate-limit wait while it lasts, a failed check with its fix; refreshes every 10 s', async () => {
    const until = new Date(Date.now() + 60 * 60_000).toISOString();
    writeReport(reporting, {
      url: 'https://acme.service-now.com',
      status: 'degraded',
      lastPollAt: new Date(Date.now() - 3 * 60_000).toISOString(),
      calls: { total: 1234, lastMinute: 17 },
      rateLimitedUntil: until,
      checks: [
        { name: 'ServiceNow reachable', ok: true, detail: 'HTTP 200 in 80 ms' },
        {
          name: 'Table incident writable',
          ok: false,
          detail: 'PATCH answered 403',
          fix: 'Give the integration user write access to table incident',
        },
      ],
    });
    const page = await browser.newPage();
    await signIn(page, reporting.url, reporting.token);
    await go(page, 'General settings');
    const section = page.getByRole('region', { name: 'Tracker' });
    await section.locator('dd', { hasText: 'acme-desk' }).waitFor();

    expect(await facts(page)).toEqual({
      Kind: 'acme-desk',
      Instance: 'https://acme.service-now.com',
      Status: 'Degraded',
      'Last poll': '3 minutes ago',
      'API calls': '17 in the last minute, 1,234 in total',
    });
    expect(await section.locator('.badge').getAttribute('class')).toBe('badge tone-wait');
    const wait = section.getByRole('status').filter({ hasText: 'Rate limited by the instance until' });
    expect(await wait.textContent()).toMatch(/^Rate limited by the instance until \d\d:\d\d:\d\d$/);
    expect(await wait.locator('time').getAttribute('datetime')).toBe(until);
    const expected = await page.evaluate(
      (at) =>
        new Date(at).toLocaleTimeString(undefined, {
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
          hourCycle: 'h23',
        }),
      until,
    );
    expect(await wait.locator('time').textContent()).toBe(expected);

    const checks = section.getByRole('list', { name: 'Tracker checks' }).getByRole('listitem');
    expect(await checks.count()).toBe(2);
    expect(await checks.nth(0).getAttribute('class')).toBe('ok');
    expect(await checks.nth(0).locator('.fix').count()).toBe(0);
    const failed = checks.nth(1);
    expect(await failed.getAttribute('class')).toBe('bad');
    expect(await failed.locator('.check-mark').textContent()).toBe('✗');
    expect(await failed.textContent()).toContain('failed');
    expect(await failed.textContent()).toContain('PATCH answered 403');
    expect(await failed.locator('.fix').textContent()).toBe(
      'How to fix: Give the integration user write access to table incident',
    );
    await screenshot(page, 'settings-tracker-reporting');
    expect(await page.content()).not.toContain(SECRET);

    // The next poll (within 10 s) shows what the tracker says now; a wait that ends takes its line away.
    const shortly = new Date(Date.now() + 18_000).toISOString();
    writeReport(reporting, {
      url: 'https://acme.service-now.com',
      status: 'ok',
      lastPollAt: new Date().toISOString(),
      calls: { total: 1240, lastMinute: 3 },
      rateLimitedUntil: shortly,
      checks: [{ name: 'ServiceNow reachable', ok: true, detail: 'HTTP 200 in 75 ms' }],
    });
    await section
      .locator('dd', { hasText: '3 in the last minute, 1,240 in total' })
      .waitFor({ timeout: 14_000 });
    expect(await facts(page)).toMatchObject({
      Status: 'OK',
      'Last poll': expect.stringMatching(/now|second/),
    });
    expect(await checks.count()).toBe(1);
    expect(await wait.locator('time').getAttribute('datetime')).toBe(shortly);
    await wait.waitFor({ state: 'detached', timeout: 25_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(shortly).getTime());

    // A wait already over is not shown at all.
    writeReport(reporting, { rateLimitedUntil: new Date(Date.now() - 1000).toISOString() });
    await page.reload();
    await section.locator('dd', { hasText: '0 in the last minute, 0 in total' }).waitFor();
    expect(await facts(page)).toMatchObject({ Instance: '—', Status: 'OK', 'Last poll': 'never' });
    expect(await section.getByText('Rate limited by the instance').count()).toBe(0);
    expect(page.problems).toEqual([]);
    await page.close();
  });
});
