// The tracker's credentials form in a real browser: a ServiceNow host (the fake instance) whose user name comes from
// the environment and whose password is entered in General settings → Tracker; the tracker comes up without a restart, and
// an entity's status and priority are the instance's choice lists.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServiceNow, startFakeServiceNow } from '../support/fake-servicenow.ts';
import { type HostProcess, startHostProcess, stopAllHosts, tempDir } from '../support/host-process.ts';
import { type Browser, go, launchBrowser, screenshot, signIn } from './browser.ts';

const PASSWORD = 'Typed-In-The-Console-5e71';

let sn: FakeServiceNow;
let host: HostProcess;
let browser: Browser;

beforeAll(async () => {
  sn = await startFakeServiceNow();
  sn.addUser({ userName: 'tandem', password: PASSWORD, roles: ['itil'] });
  const config = path.join(tempDir('tandem-sn-config-'), 'servicenow.json');
  fs.writeFileSync(config, JSON.stringify({ entityTypes: ['incident'] }));
  [host, browser] = await Promise.all([
    startHostProcess({
      name: 'ServiceNow Desk',
      args: ['--tracker', 'servicenow', '--tracker-config', config],
      // The user name from the environment; the password is left for the console.
      env: { TANDEM_SERVICENOW_URL: sn.url, TANDEM_SERVICENOW_USER: 'tandem', TANDEM_LOG_LEVEL: 'debug' },
    }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
  await sn?.close();
});

describe('the tracker credentials form', () => {
  it('shows the environment’s user read-only, takes a password it never shows again, and brings the tracker up', async () => {
    const page = await browser.newPage();
    await signIn(page, host.url, host.token);
    await go(page, 'General settings');
    const section = page.getByRole('region', { name: 'Tracker' });
    await section.locator('dd', { hasText: 'ServiceNow' }).waitFor();
    await expect.poll(() => section.locator('.badge').getAttribute('data-status')).toBe('down');
    const check = section.getByRole('list', { name: 'Tracker checks' }).getByRole('listitem').first();
    expect(await check.locator('strong').first().textContent()).toBe('Credentials configured');
    expect(await check.textContent()).toContain(
      'TANDEM_SERVICENOW_PASSWORD must be set with TANDEM_SERVICENOW_USER',
    );
    expect(await check.locator('.fix').textContent()).toContain('General settings → Tracker');

    const form = page.getByRole('form', { name: 'Credentials' });
    await form.waitFor();
    // Set in the environment: shown, not editable.
    const user = form.locator('[data-credential="TANDEM_SERVICENOW_USER"]');
    expect(await user.textContent()).toContain('Set from the environment (TANDEM_SERVICENOW_USER)');
    expect(await user.locator('input').count()).toBe(0);
    const password = form.getByLabel('Password', { exact: true });
    expect(await password.getAttribute('type')).toBe('password');
    expect(await password.inputValue()).toBe('');
    expect(await form.getByLabel('OAuth client secret').getAttribute('type')).toBe('password');
    expect(await form.getByLabel('OAuth client id').getAttribute('type')).toBe('text');
    expect(await form.getByRole('button', { name: 'Save credentials' }).isDisabled()).toBe(true);

    await password.fill(PASSWORD);
    await form.getByRole('button', { name: 'Save credentials' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved: the tracker uses them now.' }).waitFor();
    expect(await password.inputValue()).toBe('');
    await expect
      .poll(() => section.locator('.badge').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('ok');
    expect(await form.locator('#credential-TANDEM_SERVICENOW_PASSWORD-hint').textContent()).toContain(
      'Entered here (stored encrypted)',
    );
    await screenshot(page, 'settings-tracker-credentials');

    // After a reload the field is still empty: nothing sends the value back.
    await page.reload();
    await form.waitFor();
    expect(await form.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await expect.poll(() => section.locator('.badge').getAttribute('data-status')).toBe('ok');
    expect(await page.content()).not.toContain(PASSWORD);

    // The instance's states are a select (it takes nothing else), priorities named as it names them.
    const rec = sn.seed('incident', { short_description: 'Printer on fire', state: '2', priority: '1' });
    await page.goto(`${host.url}/#/entities/${rec.sys_id}`);
    await page.getByRole('heading', { level: 1, name: /Printer on fire/ }).waitFor();
    const status = page.locator('#ent-status');
    await status.locator('option[value="On Hold"]').waitFor({ state: 'attached' });
    expect(await status.evaluate((el) => el.tagName)).toBe('SELECT');
    expect(await status.locator('option').allTextContents()).toEqual([
      'New',
      'In Progress',
      'On Hold',
      'Resolved',
      'Closed',
      'Canceled',
    ]);
    expect(await status.inputValue()).toBe('In Progress');
    expect(await page.locator('#ent-priority option:checked').textContent()).toBe('1 - Critical');
    // A record never changed is version 0 in ServiceNow: its first edit saves too.
    await status.selectOption('On Hold');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(sn.record('incident', rec.sys_id!)?.state).toBe('3');

    // A new record's form offers the same lists, starting on the instance's first state.
    await go(page, 'Entities');
    await page.getByRole('button', { name: 'New entity' }).click();
    const newStatus = page.locator('#new-status');
    await newStatus.locator('option[value="On Hold"]').waitFor({ state: 'attached' });
    expect(await newStatus.evaluate((el) => el.tagName)).toBe('SELECT');
    await expect.poll(() => newStatus.inputValue()).toBe('New');
    expect(await page.locator('#new-priority option').allTextContents()).toContain('1 - Critical');
    await newStatus.selectOption('In Progress');
    await page.getByLabel('Summary').fill('Scanner jammed');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { level: 1, name: /Scanner jammed/ }).waitFor();
    const made = sn.records('incident').find((r) => r.short_description === 'Scanner jammed');
    expect(made?.state).toBe('2');
    await go(page, 'General settings');
    await form.waitFor();

    // Forgetting them takes the tracker down again at once.
    await form.getByRole('button', { name: 'Forget the stored credentials' }).click();
    await form
      .getByRole('status')
      .filter({ hasText: 'Forgotten: the tracker no longer has them.' })
      .waitFor();
    await expect
      .poll(() => section.locator('.badge').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('down');
    expect(page.problems).toEqual([]);
    await page.close();
    expect(host.stderr()).not.toContain(PASSWORD);
  });
});
