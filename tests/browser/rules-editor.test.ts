// The rules editor (issue 16): a test run runs what is in the editor and says so; full width and line wrap;
// version history with a diff and roll back; re-sync of linked entities after publishing; Basic rules as a
// readable mapping and health checks by name; the Visual table fits 1280 px with field pick-lists.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { pair, publicHost } from '../support/pairing-support.ts';
import { type Browser, launchBrowser, screenshot, signIn } from './browser.ts';

interface RulesView {
  mode: string;
  version: number;
  draft?: Record<string, unknown>;
  published: { outgoing?: string; incoming?: string; mappings?: { local: string; remote: string }[] };
}

let acme: HostProcess;
let globex: HostProcess;
let browser: Browser;
let scriptConn: string;
let visualConn: string;
let basicConn: string;

beforeAll(async () => {
  [acme, globex, browser] = await Promise.all([publicHost('Acme'), publicHost('Globex'), launchBrowser()]);
  scriptConn = (await pair(acme, globex, true, { name: 'Script link' })).inviterConn.id;
  visualConn = (await pair(acme, globex, true, { name: 'Visual link', mode: 'visual' })).inviterConn.id;
  basicConn = (await pair(acme, globex, true, { name: 'Basic link', mode: 'basic' })).inviterConn.id;
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

async function setScript(page: Page, which: 'outgoing' | 'incoming', text: string): Promise<void> {
  await page.locator(`[data-editor=${which}] .cm-content`).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

const rulesOf = async (conn: string) =>
  (await acme.api<RulesView>('GET', `/api/connections/${conn}/rules`)).body;

async function openRules(conn: string): Promise<Page & { problems: string[] }> {
  const p = await browser.newPage();
  await signIn(p, acme.url, acme.token);
  await p.goto(`${acme.url}/#/connections/${conn}/rules`);
  await p.getByRole('heading', { name: 'Rules', exact: true }).waitFor();
  return p;
}

describe('the rules editor', () => {
  it('test-runs the unsaved rules in the editor, saying so, and the published ones when nothing changed', async () => {
    const made = await acme.api<{ id: string }>('POST', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Editor run', priority: 4, status: 'new' },
    });
    const p = await openRules(scriptConn);
    await p.locator('[data-editor=outgoing] .cm-content', { hasText: 'replica' }).waitFor();
    await p.getByLabel('Entity', { exact: true }).selectOption(made.body.id);
    await p.getByRole('button', { name: 'Run test' }).click();
    await p
      .getByTestId('test-result')
      .getByText(/Ran the published rules \(version \d+\)/)
      .waitFor();

    const before = await rulesOf(scriptConn);
    await setScript(
      p,
      'outgoing',
      `${before.published.outgoing}\nreplica.summary = "[unsaved] " + entity.summary;\n`,
    );
    await p.getByRole('button', { name: 'Run test' }).click();
    const result = p.getByTestId('test-result');
    await result.getByText('Ran the rules in the editor (unsaved)').waitFor();
    expect(await result.getByLabel('Replica').textContent()).toContain('[unsaved] Editor run');
    await screenshot(p, 'rules-editor-unsaved-test-run');
    const after = await rulesOf(scriptConn);
    expect(after.version).toBe(before.version);
    expect(after.draft).toBeUndefined();
    expect(p.problems).toEqual([]);
    await p.close();
  });

  it('goes full width with wrapped lines, publishes, offers to re-sync linked entities, diffs and rolls back', async () => {
    const t = await acme.api('POST', `/api/connections/${scriptConn}/triggers`, {
      entityType: 'incident',
      query: 'priority <= 2',
      active: true,
    });
    expect(t.status).toBe(201);
    const linked = await acme.api<{ id: string }>('POST', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Linked one', priority: 1, status: 'new' },
    });
    await waitFor(async () => {
      const twins = await acme.api<{ items: { entityId: string }[] }>(
        'GET',
        `/api/connections/${scriptConn}/twins`,
      );
      return twins.body.items.some((x) => x.entityId === linked.body.id);
    }, 20_000);

    const p = await openRules(scriptConn);
    await p.locator('[data-editor=outgoing] .cm-content', { hasText: 'replica' }).waitFor();
    const narrow = (await p.locator('[data-editor=outgoing]').boundingBox())!.width;
    await p.getByLabel('Full width').check();
    await p.locator('.script-rules.full-width').waitFor();
    const wide = (await p.locator('[data-editor=outgoing]').boundingBox())!.width;
    expect(wide).toBeGreaterThan(narrow * 1.5);
    await p.getByLabel('Wrap lines').check();
    await p.locator('[data-editor=outgoing] .cm-lineWrapping').waitFor();

    const v1 = (
      await acme.api<{ items: { version: number; rules: RulesView['published'] }[] }>(
        'GET',
        `/api/connections/${scriptConn}/rules/versions`,
      )
    ).body.items.at(-1)!;
    const before = await rulesOf(scriptConn);
    await setScript(p, 'outgoing', `${before.published.outgoing}\nreplica.note = "version two";\n`);
    await p.getByRole('button', { name: 'Publish' }).click();
    const offer = p.getByTestId('resync-offer');
    await offer.waitFor();
    await offer.getByRole('button', { name: 'Re-sync linked entities now' }).click();
    await offer.getByText(/Re-syncing \d+ linked entit/).waitFor();
    await screenshot(p, 'rules-editor-resync');

    const versions = p.getByTestId('rule-versions');
    await versions.locator('summary').click();
    const newest = versions.locator(`[data-version="${before.version + 1}"]`);
    await newest.getByRole('button', { name: `Changes from version ${before.version}` }).click();
    await newest.locator('.diff-added', { hasText: 'replica.note = "version two";' }).waitFor();
    await screenshot(p, 'rules-editor-versions');

    await versions.getByRole('button', { name: 'Roll back to version 1' }).click();
    await p
      .getByText(`Published version ${before.version + 2}`)
      .first()
      .waitFor();
    const now = await rulesOf(scriptConn);
    expect(now.version).toBe(before.version + 2);
    expect(now.published.outgoing).toBe(v1.rules.outgoing);
    // The editor and the prefs follow: the rolled back script is shown, still full width.
    await p.locator('[data-editor=outgoing] .cm-content', { hasText: 'helpers.comments.merge' }).waitFor();
    // Both versions hold that line: the editor shows the rolled back one once 'version two' is gone.
    await waitFor(
      async () =>
        !(await p.locator('[data-editor=outgoing] .cm-content').textContent())?.includes('version two'),
    );
    expect(await p.getByLabel('Full width').isChecked()).toBe(true);
    expect(p.problems).toEqual([]);
    await p.close();
  });

  it('shows Basic rules as a readable mapping and health checks by human names', async () => {
    const p = await openRules(basicConn);
    const table = p.getByRole('table', { name: 'Basic rules' });
    await table.waitFor();
    expect(await table.locator('[data-field=summary] td').first().textContent()).toBe('Summary');
    expect(await table.locator('[data-field=comments]').textContent()).toContain('Public comments');
    expect(await p.locator('pre.json').count()).toBe(0);
    await screenshot(p, 'rules-editor-basic');

    await p.goto(`${acme.url}/#/connections/${basicConn}/health`);
    await p.getByRole('heading', { name: 'Health checks' }).waitFor();
    await p.locator('[data-check=peer_reachable]', { hasText: 'Partner reachable' }).waitFor();
    const names = await p.locator('.checks li strong').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(n).not.toMatch(/_/);
    expect(p.problems).toEqual([]);
    await p.close();
  });

  it('fits the Visual table in 1280 px and picks field names from the known fields', async () => {
    await acme.api('POST', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Custom one', priority: 3, status: 'new', region: 'emea' },
    });
    const p = await openRules(visualConn);
    const table = p.locator('table.mappings');
    await table.waitFor();
    expect(p.viewportSize()?.width).toBe(1280);
    const sizes = await p.evaluate(() => {
      const wrap = document.querySelector('.visual-rules .table-wrap')!;
      return {
        wrap: wrap.clientWidth,
        table: wrap.scrollWidth,
        page: document.documentElement.scrollWidth,
      };
    });
    expect(sizes.table).toBeLessThanOrEqual(sizes.wrap);
    expect(sizes.page).toBeLessThanOrEqual(1280);
    // Still so with value pairs open on a row.
    const statusRow = p.locator('table.mappings tbody tr', {
      has: p.locator('option:checked', { hasText: 'status' }),
    });
    await statusRow.locator('.value-map summary').click();
    await statusRow.getByRole('button', { name: 'Add pair' }).click();
    await statusRow.getByRole('button', { name: 'Add pair' }).click();
    await statusRow.getByLabel(/^Value here 1,/).fill('in progress');
    await statusRow.getByLabel(/^Value there 1,/).fill('In Progress');
    const withPairs = await p.evaluate(() => {
      const wrap = document.querySelector('.visual-rules .table-wrap')!;
      return { wrap: wrap.clientWidth, table: wrap.scrollWidth, page: document.documentElement.scrollWidth };
    });
    expect(withPairs.table).toBeLessThanOrEqual(withPairs.wrap);
    expect(withPairs.page).toBeLessThanOrEqual(1280);

    // The stored mappings show as picked fields once the known fields are there.
    await p
      .getByLabel('alpha field, row 2', { exact: true })
      .locator('option')
      .first()
      .waitFor({ state: 'attached' });
    expect(await p.getByLabel('alpha field, row 2', { exact: true }).inputValue()).toBe('summary');
    expect(await p.locator('table.mappings tbody tr').first().locator('select').count()).toBe(3);
    await p.getByRole('button', { name: 'Add mapping' }).click();
    const rows = await p.locator('table.mappings tbody tr').count();
    const local = p.getByLabel(`alpha field, row ${rows}`, { exact: true });
    await waitFor(async () => (await local.locator('option', { hasText: 'region' }).count()) === 1);
    const options = await local.locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['summary', 'status', 'priority', 'region']));
    await local.selectOption('region');
    await p.getByLabel(`beta field, row ${rows}`, { exact: true }).selectOption('Other field…');
    await p.getByLabel(`beta field, row ${rows}`, { exact: true }).fill('u_region');
    await screenshot(p, 'rules-editor-visual');
    await p.getByRole('button', { name: 'Save draft' }).click();
    await p.getByRole('status').filter({ hasText: 'Draft saved' }).waitFor();
    const draft = (await rulesOf(visualConn)).draft as { mappings: { local: string; remote: string }[] };
    expect(draft.mappings).toContainEqual(expect.objectContaining({ local: 'region', remote: 'u_region' }));
    expect(p.problems).toEqual([]);
    await p.close();
  });
});
