// Rules in the console: a script that does not compile is marked at its line; a script that throws shows
// on the Errors tab with its line; fixed and retried from there, the change arrives.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { pair, publicHost } from '../support/pairing-support.ts';
import { type Browser, launchBrowser, screenshot, signIn } from './browser.ts';

interface RulesView {
  mode: string;
  version: number;
  draft?: { outgoing: string; incoming: string };
  published: { outgoing: string; incoming: string };
}
interface Entity {
  id: string;
  fields: Record<string, unknown>;
}

let acme: HostProcess;
let globex: HostProcess;
let browser: Browser;
let acmeConn: string;
let globexConn: string;
/** Globex as the browser reaches it: cookies are per host name, so the second host goes through `localhost`. */
let globexUi: string;

beforeAll(async () => {
  [acme, globex, browser] = await Promise.all([publicHost('Acme'), publicHost('Globex'), launchBrowser()]);
  globexUi = globex.url.replace('127.0.0.1', 'localhost');
  const paired = await pair(acme, globex, true, { name: 'Acme to Globex' });
  acmeConn = paired.inviterConn.id;
  globexConn = paired.acceptorConn.id;
  const t = await acme.api('POST', `/api/connections/${acmeConn}/triggers`, {
    entityType: 'incident',
    query: 'priority <= 2',
    active: true,
  });
  expect(t.status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

/** Replaces the text of one of the page's script editors (as a paste: no auto-closing brackets). */
async function setScript(page: Page, which: 'outgoing' | 'incoming', text: string): Promise<void> {
  const content = page.locator(`[data-editor=${which}] .cm-content`);
  await content.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

async function globexIncidents(): Promise<Entity[]> {
  return (await globex.api<{ items: Entity[] }>('GET', '/api/entities?type=incident')).body.items;
}

describe('rules in the console', () => {
  it('marks a compile error at its line, shows a failing rule on the Errors tab, and retries after the fix', async () => {
    const original = (await globex.api<RulesView>('GET', `/api/connections/${globexConn}/rules`)).body;
    expect(original.mode).toBe('script');

    const b = await browser.newPage();
    await signIn(b, globexUi, globex.token);
    await b.goto(`${globexUi}/#/connections/${globexConn}/rules`);
    await b.getByRole('heading', { name: 'Rules', exact: true }).waitFor();
    await b.locator('[data-editor=incoming] .cm-content').waitFor();
    // The editor shows the published incoming script with JavaScript highlighting.
    await b.locator('[data-editor=incoming] .cm-content', { hasText: 'helpers.comments.merge' }).waitFor();
    expect(await b.locator('[data-editor=incoming] .cm-content span[class^="ͼ"]').count()).toBeGreaterThan(0);

    // 1. A syntax error on line 3: refused with 422, marked at line 3, nothing published.
    await setScript(
      b,
      'incoming',
      'entity.summary = replica.summary;\nentity.status = replica.status;\nlet x = ;\n',
    );
    await b.getByRole('button', { name: 'Publish' }).click();
    const compileError = b.getByTestId('compile-error');
    await compileError.waitFor();
    expect(await compileError.textContent()).toContain('incoming script, line 3');
    await b.locator('[data-editor=incoming][data-marked-lines="3"]').waitFor();
    await b.locator('[data-editor=incoming] .cm-lintRange-error').waitFor();
    await b.locator('[data-editor=incoming] .cm-lint-marker-error').waitFor();
    const markedLine = await b
      .locator('[data-editor=incoming] .cm-line')
      .filter({ has: b.locator('.cm-lintRange-error') })
      .textContent();
    expect(markedLine).toBe('let x = ;');
    await screenshot(b, 'rules-compile-error');
    expect((await globex.api<RulesView>('GET', `/api/connections/${globexConn}/rules`)).body.version).toBe(
      original.version,
    );

    // 2. A script that compiles but throws on line 2: published, then an incident from Acme fails here.
    await setScript(
      b,
      'incoming',
      '// Refuse everything for now\nthrow new Error("incoming rule broken on purpose: " + replica.summary);\n',
    );
    await b.getByRole('button', { name: 'Publish' }).click();
    await b
      .getByRole('status')
      .filter({ hasText: /Published version \d+/ })
      .waitFor();
    expect(await b.getByTestId('compile-error').count()).toBe(0);

    const created = await acme.api<Entity>('POST', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Database failover', priority: 1, status: 'new' },
    });
    expect(created.status).toBe(201);

    await b
      .getByRole('link', { name: /^Errors/ })
      .last()
      .click();
    await b.getByRole('heading', { name: 'Errors', exact: true }).waitFor();
    const item = b.locator('.error-item', { hasText: 'incoming rule broken on purpose: Database failover' });
    await item.waitFor({ timeout: 20_000 });
    expect(await item.locator('.script-line').textContent()).toContain('incoming script, line 2');
    await screenshot(b, 'connection-errors');
    expect((await globexIncidents()).some((e) => e.fields.summary === 'Database failover')).toBe(false);

    // The script line links to the editor with that line selected.
    await item.locator('.script-line a').click();
    await b.getByRole('heading', { name: 'Rules', exact: true }).waitFor();
    expect(b.url()).toContain('script=incoming&line=2');
    await b.locator('[data-editor=incoming] .cm-content').waitFor();
    await waitFor(async () =>
      b.evaluate(() => window.getSelection()?.toString().startsWith('throw new Error')),
    );

    // 3. The fix: the original incoming script, published; then Retry on the Errors tab.
    await setScript(b, 'incoming', original.published.incoming);
    await b.getByRole('button', { name: 'Publish' }).click();
    await b
      .getByRole('status')
      .filter({ hasText: /Published version \d+/ })
      .waitFor();
    await b.goto(`${globexUi}/#/connections/${globexConn}/errors`);
    const again = b.locator('.error-item', { hasText: 'Database failover' });
    await again.waitFor();
    await again.getByRole('button', { name: 'Retry' }).click();
    await b.getByText('No open errors. Everything flows.').waitFor({ timeout: 20_000 });
    const arrived = await waitFor(
      async () => (await globexIncidents()).find((e) => e.fields.summary === 'Database failover'),
      20_000,
    );
    expect(arrived?.fields).toMatchObject({ priority: 1 });
    await b.locator('#error-status').selectOption('resolved');
    await b.locator('.error-item', { hasText: 'Database failover' }).waitFor();
    expect(b.problems).toEqual([]);
    await b.close();
  });

  it('test-runs the draft against a real entity: the replica and the change, nothing written', async () => {
    const made = await acme.api<Entity>('POST', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Mail queue stuck', priority: 3, status: 'new' },
    });
    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/connections/${acmeConn}/rules`);
    await a.locator('[data-editor=outgoing] .cm-content', { hasText: 'replica' }).waitFor();
    const before = (await acme.api<RulesView>('GET', `/api/connections/${acmeConn}/rules`)).body;

    await setScript(
      a,
      'outgoing',
      `${before.published.outgoing}\nreplica.summary = "[ACME] " + entity.summary;\n`,
    );
    await a.getByRole('button', { name: 'Save draft' }).click();
    await a.getByRole('status').filter({ hasText: 'Draft saved' }).waitFor();
    await a.getByText('Unpublished draft').waitFor();

    await a.getByLabel('Entity', { exact: true }).selectOption(made.body.id);
    await a.getByRole('button', { name: 'Run test' }).click();
    const result = a.getByTestId('test-result');
    await result.waitFor();
    expect(await result.getByLabel('Replica').textContent()).toContain('[ACME] Mail queue stuck');
    expect(await result.getByLabel('Resulting change').textContent()).toContain('[ACME] Mail queue stuck');
    await screenshot(a, 'rules-test-run');

    // A rule that throws in the test run is marked at its line too.
    await setScript(a, 'outgoing', 'replica.summary = entity.summary;\nnull.boom;\n');
    await a.getByRole('button', { name: 'Save draft' }).click();
    await a.getByRole('status').filter({ hasText: 'Draft saved' }).waitFor();
    await a.getByRole('button', { name: 'Run test' }).click();
    await a.locator('.test-failure', { hasText: 'outgoing script, line 2' }).waitFor();
    await a.locator('[data-editor=outgoing][data-marked-lines="2"]').waitFor();

    // Nothing was written, nothing published: the entity and the published version are unchanged.
    const after = (await acme.api<RulesView>('GET', `/api/connections/${acmeConn}/rules`)).body;
    expect(after.version).toBe(before.version);
    expect(after.published.outgoing).toBe(before.published.outgoing);
    const entity = (await acme.api<Entity>('GET', `/api/entities/${made.body.id}`)).body;
    expect(entity.fields.summary).toBe('Mail queue stuck');
    expect(a.problems).toEqual([]);
    await a.close();
  });
});
