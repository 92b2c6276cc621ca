// The connection pages in real Chromium: names edited, a pending invitation shown again and replaced, the accept
// preview of verified codes only, "Off" while deactivated, and the initiate wizard on a host without a public URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { accept, initiate, pair, privateHost, publicHost } from '../support/pairing-support.ts';
import { type Browser, launchBrowser, screenshot, signIn } from './browser.ts';

interface Conn {
  id: string;
  name: string;
  description: string;
  state: string;
}

let acme: HostProcess;
let globex: HostProcess;
let browser: Browser;
/** Globex as the browser reaches it: cookies are scoped by host name, so not 127.0.0.1 as Acme is. */
let globexUi: string;

beforeAll(async () => {
  [acme, globex, browser] = await Promise.all([publicHost('Acme'), publicHost('Globex'), launchBrowser()]);
  globexUi = globex.url.replace('127.0.0.1', 'localhost');
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

const conn = async (h: HostProcess, id: string) => (await h.api<Conn>('GET', `/api/connections/${id}`)).body;

describe('a connection page', () => {
  it('edits the name and description; a name another connection has is refused at the field', async () => {
    const first = (await initiate(acme, null)).connection as unknown as Conn;
    const second = (await initiate(acme, null)).connection as unknown as Conn;
    expect([first.name, second.name]).toEqual(['alpha_to_beta', 'alpha_to_beta_2']);
    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/connections/${second.id}`);
    await a.getByRole('heading', { level: 1, name: 'alpha_to_beta_2' }).waitFor();

    await a.getByRole('button', { name: 'Edit name and description' }).click();
    const form = a.getByRole('form', { name: 'Edit name and description' });
    const save = form.getByRole('button', { name: 'Save', exact: true });
    expect(await form.getByLabel('Connection name').inputValue()).toBe('alpha_to_beta_2');
    await form.getByLabel('Connection name').fill('alpha_to_beta');
    await save.click();
    await form.getByText('Another connection has this name.').waitFor();
    await screenshot(a, 'connection-edit-name-taken');
    await form.getByLabel('Connection name').fill('Incidents with Globex');
    await form.getByLabel('Description').fill('P1 and P2 both ways');
    await save.click();
    await a.getByRole('heading', { level: 1, name: 'Incidents with Globex' }).waitFor();
    await a.getByText('P1 and P2 both ways').first().waitFor();
    expect(await conn(acme, second.id)).toMatchObject({
      name: 'Incidents with Globex',
      description: 'P1 and P2 both ways',
    });
    await screenshot(a, 'connection-edited');

    // The wizard suggests the name the host will give: alpha_to_beta is taken, alpha_to_beta_2 is free again.
    await a.goto(`${acme.url}/#/connections/initiate`);
    await a.getByLabel("I don't have a URL").check();
    await a.getByRole('radio', { name: /Script/ }).check();
    await a.getByRole('button', { name: 'Next' }).click();
    await a.getByLabel('Local instance short name').fill('alpha');
    await a.getByLabel('Remote instance short name').fill('beta');
    await waitFor(async () => (await a.getByLabel('Connection name').inputValue()) === 'alpha_to_beta_2');
    await a.getByRole('button', { name: 'Next' }).click();
    await a.getByRole('heading', { name: 'Invitation code' }).waitFor();
    const all = (await acme.api<{ items: Conn[] }>('GET', '/api/connections')).body.items.map((x) => x.name);
    expect(all.sort()).toEqual(['Incidents with Globex', 'alpha_to_beta', 'alpha_to_beta_2']);
    expect(a.problems).toEqual([]);
    await a.close();
  });

  it('a pending connection shows its expiry, its code again, and a new code; the old one is then refused', async () => {
    const { connection, invitationCode } = await initiate(acme, null);
    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/connections/${connection.id}`);
    await a.getByTestId('invitation-expiry').filter({ hasText: 'The code expires' }).waitFor();

    await a.getByRole('button', { name: 'Show invitation code' }).click();
    expect(await a.getByLabel('Invitation code', { exact: true }).inputValue()).toBe(invitationCode);
    const fingerprint = await a.getByTestId('pending-fingerprint').textContent();
    expect(fingerprint).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);

    await a.getByRole('button', { name: 'New code…' }).click();
    await a.getByText('The current code stops working.').waitFor();
    await a.getByRole('button', { name: 'Make a new code' }).click();
    const fresh = a.getByLabel('New invitation code');
    await fresh.waitFor();
    const renewed = await fresh.inputValue();
    expect(renewed).not.toBe(invitationCode);
    await a.getByText('the previous code no longer works').waitFor();
    expect(await a.getByTestId('pending-fingerprint').textContent()).not.toBe(fingerprint);
    await screenshot(a, 'connection-pending-invitation');

    const old = await accept(globex, invitationCode);
    expect([old.status, old.body.code]).toEqual([410, 'invitation_replaced']);
    expect((await accept(globex, renewed)).status).toBe(201);
    // Once accepted, the actions go: nothing is pending any more.
    await a.locator('[data-testid=connection-state]', { hasText: 'Active' }).waitFor({ timeout: 20_000 });
    expect(await a.getByRole('button', { name: 'Show invitation code' }).count()).toBe(0);
    expect(a.problems).toEqual([]);
    await a.close();
  });

  it('a deactivated connection shows its directions as Off, not Up, on both sides', async () => {
    const { inviterConn, acceptorConn } = await pair(acme, globex, false);
    const a = await browser.newPage();
    await signIn(a, acme.url, acme.token);
    await a.goto(`${acme.url}/#/connections/${inviterConn.id}`);
    await a.getByTestId('outbound-status').getByText('Up').waitFor({ timeout: 20_000 });
    await a.getByRole('button', { name: 'Deactivate' }).click();
    await a.locator('[data-testid=connection-state]', { hasText: 'Deactivated' }).waitFor();
    await a.getByTestId('outbound-status').getByText('Off').waitFor();
    await a.getByTestId('inbound-status').getByText('Off').waitFor();
    await screenshot(a, 'connection-deactivated');

    const b = await browser.newPage();
    await signIn(b, globexUi, globex.token);
    await b.goto(`${globexUi}/#/connections/${acceptorConn.id}`);
    await b
      .locator('[data-testid=connection-state]', { hasText: 'Deactivated' })
      .waitFor({ timeout: 20_000 });
    await b.getByTestId('outbound-status').getByText('Off').waitFor();
    await b.getByTestId('inbound-status').getByText('Off').waitFor();
    expect(await b.getByTestId('outbound-status').getByText('Up').count()).toBe(0);

    await a.getByRole('button', { name: 'Activate' }).click();
    await a.getByTestId('outbound-status').getByText('Up').waitFor({ timeout: 20_000 });
    expect([...a.problems, ...b.problems]).toEqual([]);
    await a.close();
    await b.close();
  });
});

describe('the accept page', () => {
  it('shows the contents and fingerprint of a verified code only; garbage and a code for another host get neither', async () => {
    const { invitationCode } = await initiate(acme, null);
    const initech = await publicHost('Initech');
    const bound = await initiate(acme, initech);
    const b = await browser.newPage();
    await signIn(b, globexUi, globex.token);
    await b.goto(`${globexUi}/#/connections/accept`);
    const codeField = b.getByLabel('Invitation code');
    const acceptButton = b.getByRole('button', { name: 'Accept invitation' });

    await codeField.fill('this is not an invitation code');
    await b.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    expect(await b.getByTestId('code-fingerprint').count()).toBe(0);
    expect(await b.locator('[data-testid=inv-name]').count()).toBe(0);
    expect(await acceptButton.isDisabled()).toBe(true);
    await screenshot(b, 'accept-garbage');

    // Made for Initech: refused on Globex as accept refuses it.
    await codeField.fill(bound.invitationCode);
    await b.getByRole('alert').filter({ hasText: 'another host' }).waitFor();
    expect(await b.getByTestId('code-fingerprint').count()).toBe(0);
    expect(await acceptButton.isDisabled()).toBe(true);

    await codeField.fill(invitationCode);
    await b.locator('[data-testid=inv-name]').waitFor();
    await waitFor(async () =>
      /^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/.test((await b.getByTestId('code-fingerprint').textContent()) ?? ''),
    );
    expect(await acceptButton.isDisabled()).toBe(false);
    expect(b.problems).toEqual([]);
    await b.close();
    await initech.stop();
  });
});

describe('the initiate wizard on a host without a public URL', () => {
  it('says in step 1 that one side needs a reachable URL, with a link to General settings', async () => {
    const priv = await privateHost('Private');
    const p = await browser.newPage();
    await signIn(p, priv.url, priv.token);
    await p.goto(`${priv.url}/#/connections/initiate`);
    await p.getByLabel("I don't have a URL").check();
    const alert = p.getByTestId('needs-url');
    await alert.getByText('One side needs a URL the other can reach.').waitFor();
    expect(await p.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    expect(await p.getByText('Step 1 of 3').count()).toBe(1);
    await screenshot(p, 'initiate-no-url-private');

    // With a destination URL instead, the warning goes.
    await p.getByLabel("I don't have a URL").uncheck();
    expect(await alert.count()).toBe(0);
    await p.getByLabel("I don't have a URL").check();
    await alert.getByRole('link', { name: 'General settings' }).click();
    await p.getByRole('heading', { level: 1, name: 'General settings' }).waitFor();
    expect(p.problems).toEqual([]);
    await p.close();
    await priv.stop();
  });
});
