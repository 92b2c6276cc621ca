// The entity page's attachments and comments (issue 18): upload through the file chooser with progress, size and
// type shown, download, delete after confirming; a comment edited and deleted in place.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, startHostProcess, stopAllHosts, waitFor } from '../support/host-process.ts';
import { type Browser, launchBrowser, screenshot, signIn } from './browser.ts';

interface Entity {
  id: string;
  comments: Array<{ id: string; body: string }>;
  attachments: Array<{ id: string; filename: string; size: number }>;
}

let host: HostProcess;
let browser: Browser;

beforeAll(async () => {
  [host, browser] = await Promise.all([startHostProcess({ name: 'Acme' }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stopAllHosts();
});

const read = async (id: string) => (await host.api<Entity>('GET', `/api/entities/${id}`)).body;

describe('attachments on the entity page', () => {
  it('uploads a chosen file with progress, shows its size and type, downloads it and deletes it after confirming', async () => {
    const e = (
      await host.api<Entity>('POST', '/api/entities', {
        type: 'incident',
        fields: { summary: 'Logs attached' },
      })
    ).body;
    const p = await browser.newPage();
    await signIn(p, host.url, host.token);
    await p.goto(`${host.url}/#/entities/${e.id}`);
    await p.getByRole('heading', { name: 'Attachments (0)' }).waitFor();

    const bytes = Buffer.alloc(3 * 1024 * 1024, 'tandem ');
    const chooser = p.waitForEvent('filechooser');
    await p.getByText('Choose files').click();
    await (await chooser).setFiles({ name: 'server.log', mimeType: 'text/plain', buffer: bytes });
    const progress = p.getByRole('progressbar', { name: 'Upload of server.log' });
    await progress.waitFor();
    await p.getByText('Uploaded · 3.0 MB').waitFor();
    expect(Number(await progress.getAttribute('value'))).toBe(bytes.length);
    await p.getByRole('heading', { name: 'Attachments (1)' }).waitFor();
    const row = p.locator('.attachments li', { hasText: 'server.log' });
    expect(await row.textContent()).toContain('3.0 MB · text/plain');
    expect((await read(e.id)).attachments).toEqual([
      expect.objectContaining({ filename: 'server.log', size: bytes.length }),
    ]);

    const download = p.waitForEvent('download');
    await row.getByRole('link', { name: 'server.log' }).click();
    const file = await (await download).path();
    expect(fs.readFileSync(file!).equals(bytes)).toBe(true);
    await screenshot(p, 'entity-attachments');

    await row.getByRole('button', { name: 'Delete server.log' }).click();
    await row.getByRole('button', { name: 'Keep it' }).click();
    expect((await read(e.id)).attachments).toHaveLength(1);
    await row.getByRole('button', { name: 'Delete server.log' }).click();
    await row.getByRole('button', { name: 'Delete attachment' }).click();
    await p.getByRole('heading', { name: 'Attachments (0)' }).waitFor();
    expect((await read(e.id)).attachments).toEqual([]);
    expect(p.problems).toEqual([]);
  });

  it('edits a comment in place and deletes it after confirming', async () => {
    const e = (
      await host.api<Entity>('POST', '/api/entities', { type: 'incident', fields: { summary: 'Typos' } })
    ).body;
    await host.api('POST', `/api/entities/${e.id}/comments`, { body: 'Frist' });
    const p = await browser.newPage();
    await signIn(p, host.url, host.token);
    await p.goto(`${host.url}/#/entities/${e.id}`);
    const item = p.locator('.comments li', { hasText: 'Frist' });
    await item.getByRole('button', { name: 'Edit' }).click();
    // Editing, the text is in the field (the item no longer shows it as text).
    await p.getByLabel('Comment', { exact: true }).fill('First');
    await p.getByRole('button', { name: 'Save comment' }).click();
    await p.locator('.comments li', { hasText: 'First' }).waitFor();
    expect((await read(e.id)).comments.map((c) => c.body)).toEqual(['First']);
    const edited = p.locator('.comments li', { hasText: 'First' });
    await edited.getByRole('button', { name: 'Delete…' }).click();
    await edited.getByRole('button', { name: 'Delete comment' }).click();
    await p.getByRole('heading', { name: 'Comments (0)' }).waitFor();
    await waitFor(async () => (await read(e.id)).comments.length === 0);
    expect(p.problems).toEqual([]);
  });
});
