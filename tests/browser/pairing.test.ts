// Pairing through the console of two real hosts: the Initiate connection wizard, the invitation code, Accept invitation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, startHostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { type Browser, go, launchBrowser, screenshot, signIn } from './browser.ts';

const LINK_ENV = { TANDEM_LINK_BACKOFF_MAX_MS: '800', TANDEM_LINK_HEARTBEAT_MS: '1000' };

interface Conn {
  id: string;
  name: string;
  state: string;
  mode: string;
  localName: string;
  remoteName: string;
  description: string;
}

let acme: HostProcess;
let globex: HostProcess;
let browser: Browser;
/**
 * Globex as the browser reaches it. Cookies are scoped by host name, not port, so two hosts on
 * 127.0.0.1 would share one session cookie in one browser; the admin of Globex uses `localhost`.
 */
let globexUi: string;

async function publicHost(name: string): Promise<HostProcess> {
  const h = await startHostProcess({ name, env: LINK_ENV });
  const r = await h.api('PATCH', '/api/node', { publicUrl: h.url });
  expect(r.status).toBe(200);
  return h;
}

beforeAll(async () => {
  [acme, globex, browser] = await Promise.all([publicHost('Acme'), publicHost('Globex'), launchBrowser()]);
  globexUi = globex.url.replace('127.0.0.1', 'localhost');
  for (const origin of [acme.url, globexUi]) {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  }
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

describe('pairing in the console', () => {
  it('initiates on one host, copies the code, accepts it on the other, and both show Active', async () => {
    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await go(a, 'Connections');
    await a.getByText('You do not have any connection defined yet.').waitFor();
    await screenshot(a, 'connections-empty');

    // Step 1: destination URL, then the configuration types both hosts offer.
    await a.getByRole('link', { name: 'Initiate connection' }).first().click();
    await a.getByRole('heading', { name: 'Initiate connection' }).waitFor();
    await a.getByLabel('Destination instance URL').fill(globex.url);
    await a.getByRole('button', { name: 'Next' }).click();
    await a.getByRole('group', { name: 'Choose the configuration type' }).waitFor();
    await a.getByText('Destination: Globex').waitFor();
    expect(await a.getByRole('radio').count()).toBe(3);
    await a.getByRole('radio', { name: /Script/ }).check();
    await screenshot(a, 'initiate-1-destination');
    await a.getByRole('button', { name: 'Next' }).click();

    // Step 2: connection information, prefilled from both nodes' names.
    await a.getByRole('heading', { name: 'Connection information' }).waitFor();
    expect(await a.getByLabel('Local instance short name').inputValue()).toBe('acme');
    expect(await a.getByLabel('Remote instance short name').inputValue()).toBe('globex');
    expect(await a.getByLabel('Connection name').inputValue()).toBe('acme_to_globex');
    await a.getByLabel('Connection name').fill('Acme to Globex');
    await a.getByLabel('Description').fill('Incidents both ways');
    await screenshot(a, 'initiate-2-information');
    await a.getByRole('button', { name: 'Next' }).click();

    // Step 3: the invitation code, copied to the clipboard with a visible confirmation.
    await a.getByRole('heading', { name: 'Invitation code' }).waitFor();
    await a.getByText('On the "globex" side').waitFor();
    await a.getByRole('button', { name: 'Copy invitation code' }).click();
    await a.getByText('Invitation code copied to the clipboard.').waitFor();
    const shown = await a.getByLabel('Invitation code').inputValue();
    const copied = await a.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(shown);
    expect(copied.split('.')).toHaveLength(3);
    const fingerprint = await a.getByTestId('code-fingerprint').textContent();
    expect(fingerprint).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
    await screenshot(a, 'initiate-3-invitation');
    const pending = (await acme.api<{ items: Conn[] }>('GET', '/api/connections')).body.items;
    expect(pending).toEqual([
      expect.objectContaining({
        name: 'Acme to Globex',
        mode: 'script',
        state: 'pending',
        localName: 'acme',
      }),
    ]);
    await a.getByRole('button', { name: 'Done' }).click();
    await a.getByRole('heading', { level: 1, name: 'Acme to Globex' }).waitFor();
    await a.locator('[data-testid=connection-state]', { hasText: 'Pending' }).waitFor();

    // The other side: paste the code, the form shows what it says, confirm.
    const b = await browser.newPage();
    await signIn(b, globexUi, globex.token);
    await go(b, 'Connections');
    await b.getByRole('link', { name: 'Accept invitation' }).click();
    await b.getByRole('heading', { name: 'Accept invitation' }).waitFor();
    await b.getByLabel('Invitation code').fill(copied);
    await b.locator('[data-testid=inv-name]', { hasText: 'Acme to Globex' }).waitFor();
    await b.getByText('Incidents both ways').waitFor();
    // Both admins see the same code fingerprint, to compare over the phone.
    await b.getByTestId('code-fingerprint').filter({ hasText: fingerprint! }).waitFor();
    await screenshot(b, 'accept-invitation');
    await b.getByRole('button', { name: 'Accept invitation' }).click();
    await b.getByRole('heading', { level: 1, name: 'Acme to Globex' }).waitFor();

    // Both sides reach Active without a reload: the pages poll.
    await b.locator('[data-testid=connection-state]', { hasText: 'Active' }).waitFor({ timeout: 20_000 });
    await a.bringToFront();
    await a.locator('[data-testid=connection-state]', { hasText: 'Active' }).waitFor({ timeout: 20_000 });
    await screenshot(b, 'connection-active');
    await go(a, 'Connections');
    const row = a.locator('table.data tbody tr');
    await waitFor(async () => (await row.count()) === 1);
    await row.getByText('Active').waitFor();
    await row.getByText('Up').first().waitFor({ timeout: 20_000 });
    await screenshot(a, 'connections-list');

    const globexConns = (await globex.api<{ items: Conn[] }>('GET', '/api/connections')).body.items;
    expect(globexConns).toEqual([
      expect.objectContaining({
        name: 'Acme to Globex',
        state: 'active',
        localName: 'globex',
        remoteName: 'acme',
      }),
    ]);

    // The same code a second time is refused while reading it (as accept would refuse it), and the page says why.
    await b.goto(`${globexUi}/#/connections/accept`);
    await b.getByLabel('Invitation code').fill(copied);
    await b.getByRole('alert').filter({ hasText: 'already been used' }).waitFor();
    expect(await b.locator('[data-testid=inv-name]').count()).toBe(0);
    expect(await b.getByRole('button', { name: 'Accept invitation' }).isDisabled()).toBe(true);
    // A tampered code is refused while reading it: nothing to accept.
    await b.getByLabel('Invitation code').fill(`${copied.slice(0, -4)}AAAA`);
    await b.getByRole('alert').filter({ hasText: 'signature does not verify' }).waitFor();
    expect(await b.getByRole('button', { name: 'Accept invitation' }).isDisabled()).toBe(true);
    expect((await globex.api<{ items: Conn[] }>('GET', '/api/connections')).body.items).toHaveLength(1);
    expect([...a.problems, ...b.problems]).toEqual([]);
    await a.close();
    await b.close();
  });

  it("offers this node's modes without a URL and reports a destination that cannot be reached", async () => {
    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/connections/initiate`);
    await a.getByLabel('Destination instance URL').fill('http://127.0.0.1:9/');
    await a.getByRole('button', { name: 'Next' }).click();
    await a.getByRole('alert').filter({ hasText: /./ }).first().waitFor();
    expect(await a.getByRole('radio').count()).toBe(0);

    await a.getByLabel("I don't have a URL").check();
    expect(await a.getByLabel('Destination instance URL').isDisabled()).toBe(true);
    await a.getByRole('radio', { name: /Visual/ }).check();
    await a.getByRole('button', { name: 'Next' }).click();
    await a.getByLabel('Remote instance short name').fill('initech');
    await a.getByRole('button', { name: 'Next' }).click();
    await a.getByRole('heading', { name: 'Invitation code' }).waitFor();
    expect(await a.getByRole('link', { name: 'Go to remote' }).count()).toBe(0);
    const conns = (await acme.api<{ items: Conn[] }>('GET', '/api/connections')).body.items;
    expect(conns.find((c) => c.remoteName === 'initech')).toMatchObject({ mode: 'visual', state: 'pending' });
    await a.close();
  });
});
