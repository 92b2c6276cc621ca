// The dashboard and a connection's Activity tab in real Chromium, on two real paired hosts: the landing page after
// sign-in, its empty state, a card per connection with state, both directions, last sync, open errors linked to
// the connection's errors, charts with text alternatives and hover values, and the charts over 24 hours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { initiate, pair, publicHost } from '../support/pairing-support.ts';
import { bySummary, createEntity, publishRules, syncAllIncidents } from '../support/sync.ts';
import { type Browser, launchBrowser, screenshot, signIn } from './browser.ts';

/** Samples every 200 ms (each sample rewrites its minute), so charts fill without waiting for minutes. */
const FAST = { env: { TANDEM_SYNC_TICK_MS: '200', TANDEM_ACTIVITY_SAMPLE_MS: '200' } };
const N = 8;

let acme: HostProcess;
let globex: HostProcess;
let browser: Browser;

beforeAll(async () => {
  [acme, globex, browser] = await Promise.all([
    publicHost('Acme', FAST),
    publicHost('Globex', FAST),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

describe('the dashboard', () => {
  it('is the landing page; a host without connections says how to make one', async () => {
    const page = await browser.newPage();
    await page.goto(`${acme.url}/`);
    await page.getByLabel('Admin token').fill(acme.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current')).toBe('page');
    await page.getByText('No connections yet.').waitFor();
    await page.getByRole('link', { name: 'Initiate a connection' }).waitFor();
    await screenshot(page, 'dashboard-empty');
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('shows each connection with its state, links, last sync, errors and last hour as charts', async () => {
    const { inviterConn } = await pair(acme, globex, true, { name: 'Incidents with Globex' });
    const id = inviterConn.id;
    await initiate(acme, null, { name: 'Changes with Initech', localName: 'acme', remoteName: 'initech' });
    await publishRules(acme, id, {
      outgoing:
        'if (entity.summary === "Printer on fire") throw new Error("no printers");\n' +
        'replica.type = entity.type;\nreplica.summary = entity.summary;\nreplica.priority = entity.priority;\n',
    });
    await syncAllIncidents(acme, id);
    const names = Array.from({ length: N }, (_, i) => `VPN down in office ${i + 1}`);
    for (const summary of names) await createEntity(acme, { summary, priority: 2 });
    await createEntity(acme, { summary: 'Printer on fire', priority: 1 });
    await waitFor(async () => {
      const there = await bySummary(globex);
      return names.every((n) => there.has(n));
    }, 20_000);

    const page = await browser.newPage();
    await signIn(page, acme.url, acme.token);
    await page.goto(`${acme.url}/#/dashboard`);
    const card = page.getByRole('article', { name: 'Incidents with Globex' });
    const events = card.getByRole('img', { name: /^Events per minute on Incidents with Globex/ });
    // Refreshed every few seconds until the sampler has recorded what was sent.
    await waitFor(
      async () => /8 events sent/.test((await events.getAttribute('aria-label')) ?? ''),
      20_000,
      250,
    );
    await card.getByText('Active').waitFor();
    expect(await card.locator('dd').filter({ hasText: 'Up' }).count()).toBe(2);
    await card
      .getByText(/ago|now/)
      .first()
      .waitFor();
    const errors = card.getByRole('link', { name: /1 open/ });
    await errors.waitFor();
    await card.getByRole('img', { name: /^Lag on Incidents with Globex/ }).waitFor();
    expect(
      await card.getByRole('img', { name: /^Link of Incidents with Globex/ }).getAttribute('aria-label'),
    ).toMatch(/Link up the whole time/);
    const pending = page.getByRole('article', { name: 'Changes with Initech' });
    await pending.getByText('Pending').waitFor();
    await pending.getByText('Never').waitFor();
    await page.getByRole('list', { name: 'This node at a glance' }).getByText('open errors').waitFor();

    // The value of a minute on hover, and with the keyboard.
    const box = (await events.boundingBox())!;
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    await card
      .locator('.chart-tip')
      .filter({ hasText: `Out: ${N}` })
      .waitFor();
    await screenshot(page, 'dashboard');
    await page.mouse.move(0, 0);
    await events.focus();
    await page.keyboard.press('End');
    await card
      .locator('.chart-tip')
      .filter({ hasText: `Out: ${N}` })
      .waitFor();
    await page.keyboard.press('ArrowLeft');
    await card.locator('.chart-tip').filter({ hasText: 'Not sampled' }).waitFor();

    await errors.click();
    await page.getByRole('heading', { level: 1, name: 'Incidents with Globex' }).waitFor();
    expect(page.url()).toContain(`#/connections/${id}/errors`);
    await page.getByText('no printers').first().waitFor();
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it("shows a connection's activity over 1 hour, 24 hours and 7 days with its numbers", async () => {
    const [conn] = (
      await acme.api<{ items: { id: string; name: string }[] }>('GET', '/api/connections')
    ).body.items.filter((c) => c.name === 'Incidents with Globex');
    const page = await browser.newPage();
    await signIn(page, acme.url, acme.token);
    await page.goto(`${acme.url}/#/dashboard`);
    await page
      .getByRole('article', { name: 'Incidents with Globex' })
      .getByRole('link', { name: 'Activity over 24 hours and 7 days' })
      .click();
    await page.getByRole('heading', { level: 2, name: 'Activity' }).waitFor();
    const tabs = page.getByRole('navigation', { name: 'Connection sections' });
    expect(await tabs.getByRole('link', { name: 'Activity' }).getAttribute('aria-current')).toBe('page');
    await page
      .getByRole('img', { name: /^Events per minute on Incidents with Globex over 1 hour/ })
      .waitFor();

    const ranges = page.getByRole('navigation', { name: 'Time range' });
    await ranges.getByRole('link', { name: '24 hours' }).click();
    const day = page.getByRole('img', {
      name: /^Events per 15 minutes on Incidents with Globex over 24 hours/,
    });
    await day.waitFor();
    expect(await day.getAttribute('aria-label')).toMatch(/8 events sent/);
    for (const name of [/^Lag on/, /^Queued events on/, /^Open errors on/, /^Link of/])
      await page.getByRole('img', { name }).waitFor();
    await page.getByText(/^The numbers/).click();
    const table = page.getByRole('table', { name: 'Activity per 15 minutes' });
    expect(await table.locator('tbody tr').first().locator('td').nth(1).textContent()).toBe(String(N));
    await screenshot(page, 'connection-activity');

    await ranges.getByRole('link', { name: '7 days' }).click();
    await page.getByRole('img', { name: /^Events per hour on Incidents with Globex over 7 days/ }).waitFor();
    expect(page.url()).toContain(`#/connections/${conn!.id}/activity?range=7d`);
    expect(page.problems).toEqual([]);
    await page.close();
  });
});
