// Entity pages and triggers in the console (issue 16): an open entity page follows changes made elsewhere; a
// save that meets a newer version offers to reload and re-apply the edit; custom fields are editable; status and
// priority are pick-lists of the tracker's values, then those seen. Triggers are editable with a count of what
// matches now, and bulk synced from there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { pair, publicHost } from '../support/pairing-support.ts';
import { type Browser, launchBrowser, screenshot, signIn } from './browser.ts';

interface Entity {
  id: string;
  key: string;
  version: number;
  fields: Record<string, unknown>;
}

let acme: HostProcess;
let globex: HostProcess;
let browser: Browser;
let conn: string;

beforeAll(async () => {
  [acme, globex, browser] = await Promise.all([publicHost('Acme'), publicHost('Globex'), launchBrowser()]);
  conn = (await pair(acme, globex, true, { name: 'Entity link' })).inviterConn.id;
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

const create = async (fields: Record<string, unknown>) =>
  (await acme.api<Entity>('POST', '/api/entities', { type: 'incident', fields })).body;
const read = async (id: string) => (await acme.api<Entity>('GET', `/api/entities/${id}`)).body;

describe('entity pages', () => {
  it('follow changes, keep an edit through a version conflict, edit custom fields, pick status and priority', async () => {
    await create({ summary: 'Other one', status: 'in progress', priority: 4 });
    const e = await create({ summary: 'Printer jam', status: 'new', priority: 3, team: 'ops' });
    const p = await browser.newPage();
    await signIn(p, acme.url, acme.token);
    await p.goto(`${acme.url}/#/entities/${e.id}`);
    await p.getByRole('heading', { level: 1, name: /Printer jam/ }).waitFor();

    // Status and priority are pick-lists: the tracker's values first (the built-in store's incident statuses,
    // named), then those entities hold; another status may still be typed.
    const statuses = p.locator('#ent-status-values option');
    await p.locator('#ent-status-values option[value="in progress"]').waitFor({ state: 'attached' });
    expect(await statuses.evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([
      'new',
      'in_progress',
      'on_hold',
      'resolved',
      'closed',
      'canceled',
      'in progress',
    ]);
    expect(await p.locator('#ent-status-values option[value="on_hold"]').getAttribute('label')).toBe(
      'On hold',
    );
    expect(await p.locator('#ent-status').evaluate((el) => el.tagName)).toBe('INPUT');
    expect(await p.locator('#ent-priority option').allTextContents()).toEqual([
      'None',
      '1 - Critical',
      '2 - High',
      '3 - Moderate',
      '4 - Low',
      '5 - Planning',
    ]);

    // A change made elsewhere shows without a reload while the form is untouched.
    await acme.api('PATCH', `/api/entities/${e.id}`, { fields: { summary: 'Printer jam (tray 2)' } });
    await p.getByRole('heading', { level: 1, name: /Printer jam \(tray 2\)/ }).waitFor({ timeout: 10_000 });
    expect(await p.locator('#ent-summary').inputValue()).toBe('Printer jam (tray 2)');

    // An edit meets a newer version: the save is refused, the edit is kept and re-applied on the new version.
    await p.locator('#ent-description').fill('Paper stuck behind the fuser');
    await p.locator('#ent-custom-team').fill('facilities');
    await acme.api('PATCH', `/api/entities/${e.id}`, { fields: { status: 'in progress' } });
    await p.getByTestId('entity-conflict').waitFor({ timeout: 10_000 });
    expect(await p.locator('#ent-description').inputValue()).toBe('Paper stuck behind the fuser');
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.getByTestId('entity-conflict').getByText('your edit was not saved').waitFor();
    await screenshot(p, 'entity-conflict');
    await p.getByRole('button', { name: 'Reload and re-apply my edit' }).click();
    await p
      .getByRole('status')
      .filter({ hasText: /Your edit is re-applied on version \d+/ })
      .waitFor();
    expect(await p.locator('#ent-status').inputValue()).toBe('in progress');
    expect(await p.locator('#ent-description').inputValue()).toBe('Paper stuck behind the fuser');

    // Custom fields: one changed, one added; priority picked.
    await p.locator('#ent-new-field').fill('region');
    await p.getByRole('button', { name: 'Add field' }).click();
    await p.locator('#ent-custom-region').fill('emea');
    await p.locator('#ent-priority').selectOption('2');
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const saved = await read(e.id);
    expect(saved.fields).toMatchObject({
      summary: 'Printer jam (tray 2)',
      description: 'Paper stuck behind the fuser',
      status: 'in progress',
      priority: 2,
      team: 'facilities',
      region: 'emea',
    });

    // A new entity can carry custom fields from the start.
    await p.goto(`${acme.url}/#/entities`);
    await p.getByRole('button', { name: 'New entity' }).click();
    await p.locator('#new-summary').fill('Badge reader offline');
    await p.locator('#new-new-field').fill('building');
    await p.locator('#new-new-field').press('Enter');
    await p.locator('#new-custom-building').fill('B7');
    await p.getByRole('button', { name: 'Create' }).click();
    await p.getByRole('heading', { level: 1, name: /Badge reader offline/ }).waitFor();
    expect(await p.locator('#ent-custom-building').inputValue()).toBe('B7');
    expect(p.problems).toEqual([]);
    await p.close();
  });
});

describe('triggers', () => {
  it('preview how many entities match, are edited in place, and bulk sync from the edit', async () => {
    for (const priority of [1, 2, 5])
      await create({ summary: `Batch ${priority}`, priority, status: 'new', batch: 't1' });
    const p = await browser.newPage();
    await signIn(p, acme.url, acme.token);
    await p.goto(`${acme.url}/#/connections/${conn}/triggers`);
    await p.getByRole('heading', { name: 'Triggers', exact: true }).waitFor();

    await p.locator('#trigger-query').fill('batch = "t1" AND priority <= 2');
    await p.getByTestId('match-preview').getByText('2 entities match now').waitFor();
    await p.getByRole('button', { name: 'Add trigger' }).click();
    const row = p.locator('tr[data-trigger]', { hasText: 'batch = "t1" AND priority <= 2' });
    await row.waitFor();

    await row.getByRole('button', { name: 'Edit' }).click();
    const form = p.locator('form.trigger-form', {
      has: p.getByRole('heading', { name: 'Edit the trigger' }),
    });
    await form.waitFor();
    const query = form.getByLabel('Query');
    expect(await query.inputValue()).toBe('batch = "t1" AND priority <= 2');
    await query.fill('batch = "t1"');
    await form.getByTestId('match-preview').getByText('3 entities match now').waitFor();
    await screenshot(p, 'trigger-edit-preview');
    await form.getByRole('button', { name: 'Save and bulk sync 3' }).click();
    const edited = p.locator('tr[data-trigger]', { hasText: 'batch = "t1"' });
    await edited.getByText(/3 processed/).waitFor({ timeout: 20_000 });
    const triggers = await acme.api<{ items: { query: string }[] }>(
      'GET',
      `/api/connections/${conn}/triggers`,
    );
    expect(triggers.body.items.map((t) => t.query)).toEqual(['batch = "t1"']);
    await waitFor(async () => {
      const there = await globex.api<{ items: Entity[] }>('GET', '/api/entities?q=Batch');
      return there.body.items.length === 3;
    }, 20_000);
    expect(p.problems).toEqual([]);
    await p.close();
  });
});
