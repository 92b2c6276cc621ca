// People in the console, in a real browser against a real host: a viewer sees no write actions; an admin adds a
// user and makes an API token; the audit log filters and exports CSV; a webhook target sends a test.
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, startHostProcess, stopAllHosts } from '../support/host-process.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { type Browser, go, launchBrowser, screenshot, signIn } from './browser.ts';

let host: HostProcess;
let browser: Browser;
let receiver: WebhookReceiver;
let connectionId: string;
let entityId: string;
const password = 'viewer password 123';

beforeAll(async () => {
  [host, browser, receiver] = await Promise.all([
    startHostProcess({ name: 'Acme Service Desk', publicUrl: 'https://acme.example' }),
    launchBrowser(),
    startWebhookReceiver(),
  ]);
  expect(
    (await host.api('POST', '/api/users', { email: 'vi@example.com', name: 'Vi', role: 'viewer', password }))
      .status,
  ).toBe(201);
  const created = await host.api<{ connection: { id: string } }>('POST', '/api/connections', {
    destinationUrl: null,
    mode: 'script',
    localName: 'acme',
    remoteName: 'globex',
    name: 'Acme to Globex',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  connectionId = created.body.connection.id;
  entityId = (
    await host.api<{ id: string }>('POST', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Printer on fire' },
    })
  ).body.id;
});

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await stopAllHosts();
});

async function signInWithPassword(page: Page, email: string, pw: string) {
  await page.goto(`${host.url}/#/getting-started`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(pw);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

/** No button or link with this name on the page (after the page's content has loaded). */
async function absent(page: Page, name: string | RegExp) {
  expect(await page.getByRole('button', { name }).count(), String(name)).toBe(0);
  expect(await page.getByRole('link', { name }).count(), String(name)).toBe(0);
}

describe('people in the console', () => {
  it('shows a viewer no write actions, anywhere', async () => {
    const page = await browser.newPage();
    await signInWithPassword(page, 'vi@example.com', password);
    await page.getByTestId('signed-in').filter({ hasText: 'vi@example.com' }).waitFor();
    await page.getByTestId('signed-in').filter({ hasText: 'viewer' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'API tokens' }).waitFor();
    await page.getByText('An admin of this host sets up connections.').waitFor();
    await absent(page, 'Initiate connection');

    await go(page, 'Connections');
    await page.locator(`[data-connection="${connectionId}"]`).waitFor();
    await absent(page, 'Initiate connection');
    await absent(page, 'Accept invitation');

    await page.goto(`${host.url}/#/connections/${connectionId}/rules`);
    await page.getByText('Read only: your role can read these rules').waitFor();
    for (const name of [
      'Publish',
      'Save draft',
      'Run test',
      'Delete…',
      'Show invitation code',
      'New code…',
      'Edit name and description',
    ])
      await absent(page, name);
    await screenshot(page, 'viewer-connection');
    await page.goto(`${host.url}/#/connections/${connectionId}/triggers`);
    await page.getByRole('heading', { name: 'Triggers' }).waitFor();
    await absent(page, 'Add trigger');
    await page.goto(`${host.url}/#/connections/${connectionId}/health`);
    await page.getByRole('heading', { name: 'Health checks' }).waitFor();
    await absent(page, 'Validate');

    await go(page, 'Entities');
    await page.getByText('Printer on fire').first().waitFor();
    await absent(page, 'New entity');
    await page.goto(`${host.url}/#/entities/${entityId}`);
    await page.getByRole('heading', { name: 'Details' }).waitFor();
    expect(await page.getByLabel('Summary').isDisabled()).toBe(true);
    await absent(page, 'Save changes');
    await absent(page, 'Add comment');
    await absent(page, 'Sync now');

    await go(page, 'General settings');
    await page.getByText('Only an admin changes these settings.').waitFor();
    await absent(page, 'Save');
    await go(page, 'Notifications');
    await page.getByText('No webhook targets yet.').waitFor();
    await absent(page, 'Add webhook');
    // The server says the same: a write is refused with 403 forbidden, from the page's own session.
    const refused = await page.evaluate(async () => {
      const res = await fetch('/api/node', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: res.status, code: ((await res.json()) as { code: string }).code };
    });
    expect(refused).toEqual({ status: 403, code: 'forbidden' });
    await signOut(page);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('lets an admin add a user and make an API token that works once shown', async () => {
    const page = await browser.newPage();
    await signIn(page, host.url, host.token);
    await go(page, 'Users');
    await page.locator('[data-user="vi@example.com"]').waitFor();
    await page.getByLabel('Email').fill('ro@example.com');
    await page.getByLabel('Name').fill('Ro');
    await page.getByLabel('Role', { exact: true }).selectOption('rules');
    await page.getByLabel('Password').fill('rules person password');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('status').filter({ hasText: 'Added ro@example.com' }).waitFor();
    const row = page.locator('[data-user="ro@example.com"]');
    await row.waitFor();
    expect(await row.getByLabel('Role of ro@example.com').inputValue()).toBe('rules');
    const users = (await host.api<{ items: { email: string; role: string }[] }>('GET', '/api/users')).body
      .items;
    expect(users).toContainEqual(expect.objectContaining({ email: 'ro@example.com', role: 'rules' }));
    await screenshot(page, 'users');

    await go(page, 'API tokens');
    await page.getByText('You have no API tokens.').waitFor();
    await page.getByLabel('Token name').fill('ci-export');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    const token = (await shown.locator('code.token-once').textContent())!.trim();
    expect(token).toMatch(/^tdp_/);
    await page.locator('[data-token="ci-export"]').getByText('Never').waitFor();
    const res = await fetch(`${host.url}/api/account`, { headers: { authorization: `Bearer ${token}` } });
    expect(await res.json()).toMatchObject({
      actor: 'admin-token',
      role: 'admin',
      token: { name: 'ci-export' },
    });
    await page.reload();
    await page
      .locator('[data-token="ci-export"]')
      .getByText(/ago|now/)
      .waitFor();
    await screenshot(page, 'api-tokens');
    await page.getByRole('button', { name: 'Revoke ci-export' }).click();
    await page.getByText('You have no API tokens.').waitFor();
    expect(
      (await fetch(`${host.url}/api/node`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(401);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('filters the audit log and exports what it shows as CSV', async () => {
    const page = await browser.newPage();
    await signIn(page, host.url, host.token);
    await go(page, 'Audit log');
    await page.locator('[data-action="token.revoked"]').waitFor();
    await page.locator('[data-action="session.signed_in"]').first().waitFor();
    await page.getByLabel('Action').fill('user.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('[data-action="session.signed_in"]').first().waitFor({ state: 'detached' });
    const actions = await page
      .locator('tr[data-action]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions).toEqual(['user.created', 'user.created']);
    await page.locator('[data-action="user.created"]').filter({ hasText: 'ro@example.com' }).waitFor();
    expect(page.url()).toContain('#/audit?action=user.*');
    await screenshot(page, 'audit-log');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('id,at,actor,token,address,action,target,detail');
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines.slice(1).every((l) => l.includes(',user.created,'))).toBe(true);
    expect(csv).toContain('ro@example.com');
    expect(csv).not.toContain('rules person password');
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('adds a Slack webhook target and sends a test, shown with its delivery', async () => {
    const page = await browser.newPage();
    await signIn(page, host.url, host.token);
    await go(page, 'Notifications');
    await page.getByLabel('Webhook URL').fill(`${receiver.url}/services/T000/B000/secret-part`);
    await page.getByLabel('Format').selectOption('slack');
    await page.getByLabel('A sync run finished').check();
    await page.getByLabel('Signing secret').fill('webhook-secret-42');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const card = page.locator(`[data-target="${receiver.url}/services/…"]`);
    await card.waitFor();
    await card.getByText('signed (X-Tandem-Signature)').waitFor();
    await card.getByRole('button', { name: 'Send test' }).click();
    await card.getByTestId('test-result').filter({ hasText: 'Delivered (HTTP 200)' }).waitFor();
    const [hook] = await receiver.waitFor(1);
    expect(hook!.path).toBe('/services/T000/B000/secret-part');
    expect(hook!.json).toEqual({
      text: expect.stringContaining('*Test notification from Acme Service Desk*'),
    });
    expect(hook!.headers['x-tandem-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    await card.getByRole('button', { name: 'Deliveries' }).click();
    await card.getByRole('cell', { name: 'Delivered (HTTP 200)' }).waitFor();
    await screenshot(page, 'notifications');
    // Neither the secret nor the full URL comes back from the API.
    const listed = JSON.stringify((await host.api('GET', '/api/notifications')).body);
    expect(listed).not.toContain('webhook-secret-42');
    expect(listed).not.toContain('secret-part');
    expect(page.problems).toEqual([]);
    await page.close();
  });
});
