// Sync through the console of two paired hosts: triggers with inline query checks, an incident crossing over, bulk sync, health and history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { pair, publicHost } from '../support/pairing-support.ts';
import { type Browser, go, launchBrowser, screenshot, signIn } from './browser.ts';

interface Entity {
  id: string;
  key: string;
  fields: Record<string, unknown>;
}

let acme: HostProcess;
let globex: HostProcess;
let browser: Browser;
let acmeConn: string;
/** Globex as the browser reaches it: cookies are per host name, so the second host goes through `localhost`. */
let globexUi: string;

beforeAll(async () => {
  [acme, globex, browser] = await Promise.all([publicHost('Acme'), publicHost('Globex'), launchBrowser()]);
  globexUi = globex.url.replace('127.0.0.1', 'localhost');
  const paired = await pair(acme, globex, true, { name: 'Acme to Globex' });
  acmeConn = paired.inviterConn.id;
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

async function globexEntities(): Promise<Entity[]> {
  return (await globex.api<{ items: Entity[] }>('GET', '/api/entities?type=incident')).body.items;
}

describe('sync in the console', () => {
  it('adds a trigger with inline query checks, and a new incident shows up on the other side', async () => {
    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/connections/${acmeConn}/triggers`);
    await a.getByRole('heading', { name: 'Triggers' }).waitFor();
    await a.getByText('No triggers yet.').waitFor();

    // Caught while typing: a comparison without a value.
    await a.getByLabel('Query').fill('priority <=');
    await a.locator('.field-error', { hasText: 'A comparison has no value' }).waitFor();
    expect(await a.getByRole('button', { name: 'Add trigger' }).isDisabled()).toBe(true);
    // Caught by the host: its message with the column, under the field.
    await a.getByLabel('Query').fill('priority <= 2 AND AND status = "new"');
    await a.getByRole('button', { name: 'Add trigger' }).click();
    await a.locator('.field-error', { hasText: /column \d+/ }).waitFor();
    expect(
      (await acme.api<{ items: unknown[] }>('GET', `/api/connections/${acmeConn}/triggers`)).body.items,
    ).toEqual([]);

    await a.getByLabel('Query').fill('priority <= 2');
    await a.getByRole('button', { name: 'Add trigger' }).click();
    const row = a.locator('table.data tbody tr');
    await waitFor(async () => (await row.count()) === 1);
    await row.getByText('priority <= 2').waitFor();
    await screenshot(a, 'connection-triggers');

    // A new urgent incident on Acme arrives at Globex.
    await go(a, 'Entities');
    await a.getByRole('button', { name: 'New entity' }).click();
    await a.locator('#new-priority').selectOption('1');
    await a.getByLabel('Summary').fill('Checkout is down');
    await a.getByRole('button', { name: 'Create' }).click();
    await a.getByRole('heading', { name: /Checkout is down/ }).waitFor();
    const arrived = (await waitFor(
      async () => (await globexEntities()).find((e) => e.fields.summary === 'Checkout is down'),
      20_000,
    )) as Entity;
    // Acme's sync panel lists the twin with the remote key.
    await a.locator('.twins li', { hasText: 'Acme to Globex' }).waitFor({ timeout: 20_000 });
    await a.locator('.twins li', { hasText: arrived.key }).waitFor({ timeout: 20_000 });
    await screenshot(a, 'entity-synced');

    const b = await browser.newPage();
    await signIn(b, globexUi, globex.token);
    await go(b, 'Entities');
    await b.getByRole('link', { name: arrived.key }).waitFor();
    await b.getByRole('link', { name: arrived.key }).click();
    await b.getByRole('heading', { name: /Checkout is down/ }).waitFor();
    expect(await b.getByLabel('Priority').inputValue()).toBe('1');

    // A comment added on Globex goes back to Acme.
    await b.getByLabel('Add a comment').fill('Payment provider confirms an outage');
    await b.getByRole('button', { name: 'Add comment' }).click();
    await b.locator('.comments li', { hasText: 'Payment provider confirms an outage' }).waitFor();
    const acmeId = (await acme.api<{ items: Entity[] }>('GET', '/api/entities?q=Checkout')).body.items[0]!.id;
    await waitFor(async () => {
      const e = (await acme.api<{ comments: { body: string }[] }>('GET', `/api/entities/${acmeId}`)).body;
      return e.comments.some((c) => c.body === 'Payment provider confirms an outage');
    }, 20_000);
    expect([...a.problems, ...b.problems]).toEqual([]);
    await a.close();
    await b.close();
  });

  it('bulk-syncs with a progress bar, toggles a trigger, validates health and lists the run with CSV reports', async () => {
    for (const summary of ['Slow search', 'Broken link', 'Typo on home page']) {
      const r = await acme.api('POST', '/api/entities', {
        type: 'problem',
        fields: { summary, priority: 4 },
      });
      expect(r.status).toBe(201);
    }
    const created = await acme.api<{ id: string }>('POST', `/api/connections/${acmeConn}/triggers`, {
      entityType: 'problem',
      query: 'priority >= 4',
      active: false,
    });
    expect(created.status).toBe(201);

    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/connections/${acmeConn}/triggers`);
    const problemRow = a.locator('tr', { hasText: 'priority >= 4' });
    const toggle = problemRow.getByRole('switch');
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(false);
    await toggle.click();
    await problemRow.getByText('Active', { exact: true }).waitFor();
    const t = (
      await acme.api<{ items: { id: string; active: boolean }[] }>(
        'GET',
        `/api/connections/${acmeConn}/triggers`,
      )
    ).body.items.find((x) => x.id === created.body.id);
    expect(t?.active).toBe(true);

    await problemRow.getByRole('button', { name: 'Bulk sync' }).click();
    const progress = problemRow.locator('.run-progress');
    await progress.locator('progress').waitFor();
    await waitFor(async () => (await progress.getAttribute('data-status')) !== 'running', 20_000);
    await progress.getByText(/3 processed/).waitFor({ timeout: 20_000 });
    await screenshot(a, 'bulk-sync');
    await waitFor(
      async () =>
        (await globex.api<{ items: Entity[] }>('GET', '/api/entities?type=problem')).body.items.length === 3,
      20_000,
    );

    await a.getByRole('link', { name: 'Health' }).click();
    await a.getByRole('heading', { name: 'Health checks' }).waitFor();
    await a.getByRole('button', { name: 'Validate' }).click();
    await a.locator('.checks li').first().waitFor();
    await a.getByText('All checks passed').waitFor();
    await screenshot(a, 'connection-health');

    await a.getByRole('link', { name: 'Queue' }).click();
    await a.getByRole('heading', { name: 'Sync queue' }).waitFor();
    await screenshot(a, 'connection-queue');

    await a.getByRole('link', { name: 'History' }).click();
    await a.getByRole('heading', { name: 'Sync history' }).waitFor();
    const runRow = a.locator('table.data tbody tr').first();
    await runRow.waitFor();
    const csvHref = await runRow.getByRole('link', { name: 'Data' }).getAttribute('href');
    expect(csvHref).toMatch(/^\/api\/runs\/.+\/report\.csv\?part=data$/);
    // The link works with the browser's session cookie alone.
    const csv = await a.evaluate(async (href) => {
      const r = await fetch(href!);
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
    }, csvHref);
    expect(csv.status).toBe(200);
    expect(csv.type).toContain('text/csv');
    expect(csv.body.split('\n').length).toBeGreaterThan(1);
    await screenshot(a, 'connection-history');
    expect(a.problems).toEqual([]);
    await a.close();
  });
});
