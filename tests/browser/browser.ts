// Launches Debian's chromium through playwright-core with a fresh profile, and saves page screenshots.
import fs from 'node:fs';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { tempDir } from '../support/host-process.ts';

export const CHROMIUM = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-results/screenshots');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface Browser {
  context: BrowserContext;
  /** A new tab whose uncaught errors and console errors are collected in `problems`. */
  newPage(): Promise<Page & { problems: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = tempDir('tandem-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async newPage() {
      const page = (await context.newPage()) as Page & { problems: string[] };
      page.problems = [];
      page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        // Failed API calls are expected in some tests (401, 422); the page shows them itself.
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
          page.problems.push(`console: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the form with the host's admin token (unless the session cookie is there) and waits for the shell. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/#/getting-started`);
  const nav = page.getByRole('navigation', { name: 'Main' });
  const form = page.getByLabel('Admin token');
  await nav.or(form).first().waitFor();
  if (await form.isVisible()) {
    await form.fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await nav.waitFor();
}

/** Follows a link of the main navigation. */
export async function go(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: label, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}
