// Outcomes in the console of two paired hosts (issue 16): error cards that name the record, mark the partner's errors
// and retry all for a filter; the Runs pages with live progress and cancel; the queue's richer items; an entity's
// sync history and the partner's comments.
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
let globexConn: string;
/** Globex as the browser reaches it: cookies are per host name, so the second host goes through `localhost`. */
let globexUi: string;
let original: { outgoing: string; incoming: string };

beforeAll(async () => {
  [acme, globex, browser] = await Promise.all([publicHost('Acme'), publicHost('Globex'), launchBrowser()]);
  globexUi = globex.url.replace('127.0.0.1', 'localhost');
  const paired = await pair(acme, globex, true, { name: 'Acme to Globex' });
  acmeConn = paired.inviterConn.id;
  globexConn = paired.acceptorConn.id;
  original = (await globex.api<{ published: typeof original }>('GET', `/api/connections/${globexConn}/rules`))
    .body.published;
  await poisonGlobex();
});

/** Globex's incoming rule throws on a replica whose summary starts with `poison`. */
const poisonGlobex = () =>
  globexIncoming(
    `if (String(replica.summary).startsWith('poison')) throw new Error('refused ' + replica.summary);\n${original.incoming}`,
  );

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

async function globexIncoming(incoming: string) {
  const r = await globex.api('PUT', `/api/connections/${globexConn}/rules`, {
    ...original,
    incoming,
    publish: true,
  });
  expect(r.status).toBe(200);
}

async function incident(summary: string): Promise<Entity> {
  const r = await acme.api<Entity>('POST', '/api/entities', { type: 'incident', fields: { summary } });
  expect(r.status).toBe(201);
  return r.body;
}

/** A bulk sync on Acme of the incidents whose summary contains `text` (an inactive trigger); its run id. */
async function bulk(text: string): Promise<string> {
  const t = await acme.api<{ id: string }>('POST', `/api/connections/${acmeConn}/triggers`, {
    entityType: 'incident',
    query: `summary ~ "${text}"`,
    active: false,
  });
  return (await acme.api<{ runId: string }>('POST', `/api/triggers/${t.body.id}/bulk-sync`)).body.runId;
}

const runOf = async (id: string) =>
  (await acme.api<{ status: string; finishedAt: string | null; pending: number }>('GET', `/api/runs/${id}`))
    .body;

describe('outcomes in the console', () => {
  it("marks the partner's errors on our records, and retries all of a filter at the partner with a confirm", async () => {
    const made = [
      await incident('poison alpha card'),
      await incident('poison beta card'),
      await incident('fine card'),
    ];
    await incident('poison never sent');
    const runId = await bulk('card');
    await waitFor(async () => (await runOf(runId)).finishedAt, 20_000);

    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await go(a, 'Errors');
    const atPartner = a.locator('.error-item[data-side="peer"]');
    await waitFor(async () => (await atPartner.count()) === 2, 15_000);
    const alpha = atPartner.filter({ hasText: 'poison alpha' });
    await alpha.getByText('At partner', { exact: true }).waitFor();
    await alpha.getByRole('link', { name: `${made[0]!.key} · poison alpha card` }).waitFor();
    await alpha.getByText('Tried once').waitFor();
    await alpha.getByText(/retried or resolved there/).waitFor();
    expect(await alpha.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    // Filtered to the partner's errors with a text: only that card.
    await a.getByLabel('Where').selectOption('peer');
    await a.getByLabel('Search').fill('beta');
    await a.getByRole('button', { name: 'Filter' }).click();
    await waitFor(async () => (await a.locator('.error-item').count()) === 1);
    expect(a.url()).toContain('side=peer');
    await screenshot(a, 'errors-at-partner');

    // At Globex: the cards name the partner's record; fixed rules, then Retry all for this connection.
    const b = await browser.newPage();
    await signIn(b, globexUi, globex.token);
    await b.goto(`${globexUi}/#/connections/${globexConn}/errors`);
    const here = b.locator('.error-item[data-side="here"]');
    await waitFor(async () => (await here.count()) === 2, 15_000);
    await here.filter({ hasText: 'poison alpha' }).getByText(`partner's ${made[0]!.key}`).waitFor();
    await globexIncoming(original.incoming);
    await b.getByRole('button', { name: 'Retry all…' }).click();
    await b.getByText(/Retry every open error this filter shows/).waitFor();
    await screenshot(b, 'errors-retry-all-confirm');
    await b.getByRole('button', { name: 'Retry all', exact: true }).click();
    await b.getByRole('status').filter({ hasText: 'Retried 2: 2 resolved, 0 still failing.' }).waitFor();
    await b.getByText('No open errors. Everything flows.').waitFor();

    // Back at Acme: resolved, by whom and how.
    await a.goto(`${acme.url}/#/errors?status=resolved&side=peer`);
    const done = a.locator('.error-item', { hasText: 'poison alpha' });
    await done.waitFor({ timeout: 15_000 });
    await done.getByText(/Resolved by\s+partner: admin-token/).waitFor();
    await done.getByText(/retried successfully/).waitFor();
    await screenshot(a, 'errors-resolved-at-partner');
    expect([...a.problems, ...b.problems]).toEqual([]);
    await a.close();
    await b.close();
  });

  it('lists runs node-wide; a run page shows live progress, cancels, and stays right when you come back', async () => {
    await globex.api('POST', `/api/connections/${globexConn}/deactivate`);
    await waitFor(
      async () =>
        (await acme.api<{ state: string }>('GET', `/api/connections/${acmeConn}`)).body.state ===
        'deactivated',
    );
    for (const n of [1, 2, 3]) await incident(`paused run ${n}`);
    const runId = await bulk('paused run');
    await waitFor(async () => (await runOf(runId)).pending === 3, 20_000);

    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await go(a, 'Runs');
    const row = a.locator(`tr[data-run="${runId}"]`);
    await row.locator('[data-run-status="running"]').waitFor();
    await row.getByText('Acme to Globex').waitFor();
    await row.getByRole('link', { name: /^Run of/ }).click();
    await a.getByRole('heading', { level: 1, name: 'Sync run' }).waitFor();
    const page = a.locator(`.run-page[data-run="${runId}"]`);
    await page.getByText('0 of 3 processed, 3 waiting for the partner').waitFor();
    await screenshot(a, 'run-running');

    await page.getByRole('button', { name: 'Cancel…' }).click();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('[data-run-status="cancelled"]').waitFor();
    await page.getByText(/Cancelled: nothing more is sent/).waitFor();

    // Away and back: the page reads the run from the host again.
    await go(a, 'Entities');
    await a.goBack();
    await page.locator('[data-run-status="cancelled"]').waitFor();
    await globex.api('POST', `/api/connections/${globexConn}/activate`);
    await page.getByText('Cancelled: 3 of 3 processed').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-count="created"]').textContent()).toBe('3');
    await screenshot(a, 'run-cancelled-ended');
    await go(a, 'Runs');
    await a.getByLabel('Status').selectOption('cancelled');
    await a.locator(`tr[data-run="${runId}"]`).waitFor();
    expect(a.problems).toEqual([]);
    await a.close();
  });

  it("shows the queue's entity, event, age, and a failed event's reason with a link to its error", async () => {
    await poisonGlobex();
    const stuck = await incident('poison queue');
    await acme.api('POST', `/api/connections/${acmeConn}/sync`, { entityIds: [stuck.id] });
    // Its next change waits behind the failed one at Globex.
    await waitFor(async () => {
      const q = await globex.api<{ items: unknown[] }>(
        'GET',
        `/api/connections/${globexConn}/queue?direction=in`,
      );
      return q.body.items.length === 1;
    }, 20_000);
    await acme.api('PATCH', `/api/entities/${stuck.id}`, { fields: { description: 'second change' } });

    const b = await browser.newPage();
    await signIn(b, globexUi, globex.token);
    await b.goto(`${globexUi}/#/connections/${globexConn}/queue?direction=in`);
    const failed = b.locator('table.data tbody tr', { has: b.locator('.badge', { hasText: /^Failed$/ }) });
    await failed.waitFor({ timeout: 20_000 });
    await failed.getByText(`Partner's ${stuck.key}`).waitFor();
    await failed.getByText('Change', { exact: true }).waitFor();
    await failed.getByText(/refused poison queue/).waitFor();
    await failed.getByText(/ago|now/).waitFor();
    const held = b.locator('table.data tbody tr', { has: b.locator('.badge', { hasText: /^Held$/ }) });
    await held
      .getByText(/Waits behind event \d+ of the same entity, which failed/)
      .waitFor({ timeout: 20_000 });
    await screenshot(b, 'queue-incoming');
    await failed.getByRole('link', { name: 'Open its error' }).click();
    await b.getByRole('heading', { name: 'Errors', exact: true }).waitFor();
    await b.locator('.error-item', { hasText: 'refused poison queue' }).waitFor();
    expect(await b.locator('.error-item').count()).toBe(1);

    // Acme's outgoing queue while Globex is paused: the entity by key and summary.
    await globex.api('POST', `/api/connections/${globexConn}/deactivate`);
    const waiting = await incident('queued while paused');
    await acme.api('POST', `/api/connections/${acmeConn}/sync`, { entityIds: [waiting.id] });
    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/connections/${acmeConn}/queue?direction=out`);
    const out = a.locator('table.data tbody tr', { hasText: 'queued while paused' });
    await out.waitFor({ timeout: 20_000 });
    await out.getByRole('link', { name: `${waiting.key} · queued while paused` }).waitFor();
    await out.locator('.badge', { hasText: /^Queued$/ }).waitFor();
    await screenshot(a, 'queue-outgoing');
    await globex.api('POST', `/api/connections/${globexConn}/activate`);
    expect([...a.problems, ...b.problems]).toEqual([]);
    await a.close();
    await b.close();
  });

  it("shows an entity's sync history each way with outcomes, and marks the partner's comments", async () => {
    const e = await incident('history case');
    await acme.api('POST', `/api/connections/${acmeConn}/sync`, { entityIds: [e.id] });
    const there = (await waitFor(async () => {
      const r = await globex.api<{ items: Entity[] }>('GET', '/api/entities?q=history%20case');
      return r.body.items[0];
    }, 20_000)) as Entity;
    await acme.api('POST', `/api/entities/${e.id}/comments`, { body: 'Seen on our side', author: 'ann' });
    await globex.api('POST', `/api/entities/${there.id}/comments`, { body: 'Ours here', author: 'gus' });

    const b = await browser.newPage();
    await signIn(b, globexUi, globex.token);
    await b.goto(`${globexUi}/#/entities/${there.id}`);
    await b.getByRole('heading', { level: 1, name: /history case/ }).waitFor();
    const partner = b.locator('.comments li', { hasText: 'Seen on our side' });
    await partner.locator('[data-from-partner]').waitFor({ timeout: 20_000 });
    expect(await partner.locator('[data-from-partner]').textContent()).toMatch(/^From partner · /);
    const ours = b.locator('.comments li', { hasText: 'Ours here' });
    expect(await ours.locator('[data-from-partner]').count()).toBe(0);
    const history = b.getByRole('region', { name: 'Sync history' });
    const received = history.locator('tr[data-direction="in"][data-outcome="applied"]');
    await waitFor(async () => (await received.count()) >= 2, 20_000);
    await received.last().getByText('created').waitFor();
    await screenshot(b, 'entity-history-partner-comments');

    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/entities/${e.id}`);
    const sent = a.getByRole('region', { name: 'Sync history' }).locator('tr[data-direction="out"]');
    await sent.last().getByText('Applied').waitFor({ timeout: 20_000 });
    await sent.last().getByText('at the partner').waitFor();
    await a.locator('[data-twin-status="synced"]').waitFor({ timeout: 20_000 });
    expect([...a.problems, ...b.problems]).toEqual([]);
    await a.close();
    await b.close();
  });
});
