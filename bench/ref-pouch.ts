// Reference 2, PouchDB: two express-pouchdb servers; one-shot replicate for bulk, live for latency.
import fs from 'node:fs';
import path from 'node:path';
import { startChild } from './child.ts';
import { type LatencyFigure, latencyFigure, sleep } from './stats.ts';

export interface PouchFigures {
  bulk: { records: number; seconds: number; perSecond: number };
  latency: LatencyFigure;
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function runPouchReference(
  workDir: string,
  opts: { records: number; rate: number; latencySamples: number },
): Promise<PouchFigures> {
  const dirA = path.join(workDir, 'pouch-a');
  const dirB = path.join(workDir, 'pouch-b');
  for (const d of [dirA, dirB]) {
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
  }
  const a = await startChild<{ port: number }>('bench/pouch-server.ts', [dirA]);
  const b = await startChild<{ port: number }>('bench/pouch-server.ts', [dirB]);
  const A = `http://127.0.0.1:${a.ready.port}`;
  const B = `http://127.0.0.1:${b.ready.port}`;
  try {
    await post(`${A}/_bench/load`, { n: opts.records });
    const bulk = await post<{ ms: number; docsWritten: number }>(`${B}/_bench/replicate`, {
      from: `${A}/bench`,
    });
    if (bulk.docsWritten !== opts.records) throw new Error(`PouchDB replicated ${bulk.docsWritten} docs`);

    await post(`${B}/_bench/live`, { from: `${A}/bench` });
    await sleep(500);
    await post(`${A}/_bench/emit`, { rate: opts.rate, count: opts.latencySamples });
    const deadline = Date.now() + 30_000;
    let latencies: number[] = [];
    while (Date.now() < deadline) {
      latencies = ((await (await fetch(`${B}/_bench/latencies`)).json()) as { latencies: number[] })
        .latencies;
      if (latencies.length >= opts.latencySamples) break;
      await sleep(100);
    }
    const seconds = bulk.ms / 1000;
    return {
      bulk: { records: opts.records, seconds, perSecond: Math.round(opts.records / seconds) },
      latency: latencyFigure(latencies, opts.rate),
    };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}
