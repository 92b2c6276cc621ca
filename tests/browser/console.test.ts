// The admin console in a real browser against a real host: sign-in, settings, entities and comments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, startHostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { type Browser, go, launchBrowser, screenshot, signIn } from './browser.ts';

interface Entity {
  id: string;
  key: string;
  type: string;
  fields: Record<string, unknown>;
  comments: { body: string; internal: boolean }[];
}

let host: HostProcess;
let browser: Browser;

beforeAll(async () => {
  [host, browser] = await Promise.all([startHostProcess({ name: 'Acme Service Desk' }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

describe('admin console', () => {
  it('refuses a wrong token, signs in with the right one, and signs out', async () => {
    const page = await browser.newPage();
    await page.goto(`${host.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'sign-in');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The admin token is not valid' }).waitFor();

    await page.getByLabel('Admin token').fill(host.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The dashboard is the landing page after sign-in.
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await page.locator('.node-name', { hasText: 'Acme Service Desk' }).waitFor();
    // The session is an HttpOnly cookie: the page script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await browser.context.cookies(host.url);
    expect(cookies.find((c) => c.name === 'tandem_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    await screenshot(page, 'landing');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('edits the node name and public URL in General settings and shows the key fingerprint', async () => {
    const page = await browser.newPage();
    await signIn(page, host.url, host.token);
    await go(page, 'General settings');
    const node = (await host.api<{ fingerprint: string; nodeId: string }>('GET', '/api/node')).body;
    await page.locator('.fingerprint', { hasText: node.fingerprint }).waitFor();
    // The one process of this host, at its own listen URL, in the processes table.
    const processes = page.getByRole('region', { name: 'Processes' });
    await processes.getByText('One process runs this node.').waitFor();
    await processes.getByRole('cell', { name: host.url }).waitFor();

    await page.getByLabel('Public URL').fill('not a url');
    await page.getByLabel('Node name').fill('Acme Support');
    // The browser's own URL check stops the form: nothing is sent.
    await page.getByRole('button', { name: 'Save' }).click();
    expect((await host.api<{ name: string }>('GET', '/api/node')).body.name).toBe('Acme Service Desk');

    await page.getByLabel('Public URL').fill('https://acme.example/tandem');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.locator('.node-name', { hasText: 'Acme Support' }).waitFor();
    const after = (await host.api<{ name: string; publicUrl: string }>('GET', '/api/node')).body;
    expect(after).toMatchObject({ name: 'Acme Support', publicUrl: 'https://acme.example/tandem' });
    await screenshot(page, 'general-settings');
    await page.close();
  });

  it('creates, edits and comments on an entity, and finds it by type and search', async () => {
    const page = await browser.newPage();
    await signIn(page, host.url, host.token);
    await go(page, 'Entities');
    await page.getByText('There are no entities yet.').waitFor();

    await page.getByRole('button', { name: 'New entity' }).click();
    await page.getByLabel('Type').first().waitFor();
    await page.locator('#new-type').selectOption('incident');
    await page.locator('#new-priority').selectOption('2');
    await page.getByLabel('Summary').fill('Printer on fire');
    await page.getByLabel('Description').fill('Third floor, next to the kitchen');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: /Printer on fire/ }).waitFor();

    const list = (await host.api<{ items: Entity[] }>('GET', '/api/entities')).body.items;
    expect(list).toHaveLength(1);
    const created = list[0]!;
    expect(created).toMatchObject({
      type: 'incident',
      fields: { summary: 'Printer on fire', priority: 2, status: 'new' },
    });
    expect(page.url()).toContain(`#/entities/${created.id}`);

    await page.getByLabel('Summary').fill('Printer on fire (contained)');
    await page.getByLabel('Status', { exact: true }).fill('in_progress');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

    await page.getByLabel('Add a comment').fill('Fire brigade called');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.locator('.comments li', { hasText: 'Fire brigade called' }).waitFor();
    await page.getByLabel('Add a comment').fill('Blame the intern');
    await page.getByLabel(/Internal note/).check();
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.locator('.comments li.internal', { hasText: 'Blame the intern' }).waitFor();
    const syncApi = await host.api('GET', `/api/entities/${created.id}/sync`);
    await page
      .getByText(
        syncApi.status === 200 ? 'Not synced with any connection.' : 'not available on this host yet',
      )
      .waitFor();
    await screenshot(page, 'entity');

    const stored = (await host.api<Entity>('GET', `/api/entities/${created.id}`)).body;
    expect(stored.fields).toMatchObject({ summary: 'Printer on fire (contained)', status: 'in_progress' });
    expect(stored.comments.map((c) => [c.body, c.internal])).toEqual([
      ['Fire brigade called', false],
      ['Blame the intern', true],
    ]);

    // A second entity of another type, then filter and search.
    await host.api('POST', '/api/entities', { type: 'change', fields: { summary: 'Replace the printer' } });
    await go(page, 'Entities');
    const rows = page.locator('table.data tbody tr');
    await waitFor(async () => (await rows.count()) === 2);
    await page.locator('#filter-type').selectOption('change');
    await waitFor(
      async () =>
        (await rows.count()) === 1 && ((await rows.first().textContent()) ?? '').includes('Replace'),
    );
    await page.locator('#filter-type').selectOption('');
    await page.getByLabel('Search').fill('contained');
    await page.getByRole('button', { name: 'Search' }).click();
    await waitFor(
      async () =>
        (await rows.count()) === 1 && ((await rows.first().textContent()) ?? '').includes('contained'),
    );
    await screenshot(page, 'entities');

    // Bad input gets the field's message from the API, not a crash.
    await page.getByRole('button', { name: 'New entity' }).click();
    await page.getByLabel('Summary').fill('   ');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('.field-error', { hasText: 'must not be empty' }).waitFor();
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('works from the keyboard and stays readable on a narrow screen', async () => {
    const page = await browser.newPage();
    await signIn(page, host.url, host.token);
    // The first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // Tab through to the navigation link, follow it with Enter; focus lands on the new page's heading.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Entities' }).focus();
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Entities' }).waitFor();
    // The page moves focus once it has rendered: wait for that, not for a moment.
    await page.waitForFunction(() => document.activeElement?.id === 'page-title', undefined, {
      timeout: 5000,
    });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    // Every form control on the page has a label.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);

    await page.setViewportSize({ width: 390, height: 800 });
    for (const [route, name] of [
      ['/entities', 'narrow-entities'],
      ['/connections', 'narrow-connections'],
      ['/settings', 'narrow-settings'],
    ] as const) {
      await page.goto(`${host.url}/#${route}`);
      await page.locator('#page-title').waitFor();
      // No sideways scrolling of the page itself (wide tables scroll inside their own box).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, route).toBeLessThanOrEqual(0);
      await screenshot(page, name);
    }
    await page.close();
  });

  it('serves the console shell for page paths and keeps API and asset misses as 404s', async () => {
    const shell = await fetch(`${host.url}/connections/anything`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toContain('text/html');
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    const html = await shell.text();
    const asset = /src="(\/assets\/app-[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const js = await fetch(`${host.url}${asset}`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${host.url}/assets/missing-1234.js`)).status).toBe(404);
    const api = await fetch(`${host.url}/api/nothing-here`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('problem+json');
  });
});
