// Reference 1, the raw baseline: a bare `ws` socket into a bare better-sqlite3 table (see raw-receiver.ts).
import fs from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { startChild } from './child.ts';
import { makeRecord } from './payload.ts';
import { type LatencyFigure, latencyFigure, sleep } from './stats.ts';

export interface RawFigures {
  bulk: { records: number; seconds: number; perSecond: number };
  latency: LatencyFigure;
}

export async function runRawReference(
  workDir: string,
  opts: { records: number; rate: number; latencySamples: number },
): Promise<RawFigures> {
  const dir = path.join(workDir, 'raw');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const receiver = await startChild<{ port: number }>('bench/raw-receiver.ts', [dir]);
  const ws = new WebSocket(`ws://127.0.0.1:${receiver.ready.port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const t0s = new Map<number, number>();
    const latencies: number[] = [];
    let acked = 0;
    let waiter: { upTo: number; resolve: () => void } | undefined;
    ws.on('message', (data) => {
      const ack = JSON.parse(data.toString()) as { ack: number; at: number };
      for (let s = acked + 1; s <= ack.ack; s++) {
        const t0 = t0s.get(s);
        if (t0 !== undefined) {
          latencies.push(ack.at - t0);
          t0s.delete(s);
        }
      }
      acked = ack.ack;
      if (waiter && acked >= waiter.upTo) waiter.resolve();
    });
    const until = (upTo: number) =>
      acked >= upTo ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { upTo, resolve }));

    // Bulk: every record as its own message, as fast as the socket takes them.
    let seq = 0;
    const start = performance.now();
    for (let i = 0; i < opts.records; i++) {
      ws.send(JSON.stringify({ seq: ++seq, record: makeRecord(i) }));
      if (ws.bufferedAmount > 4 * 1024 * 1024) await sleep(1);
    }
    await until(seq);
    const seconds = (performance.now() - start) / 1000;

    // Latency: one change at a time at a fixed rate, send -> committed on the receiver.
    const interval = 1000 / opts.rate;
    const begin = performance.now();
    for (let i = 0; i < opts.latencySamples; i++) {
      const due = begin + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const rec = { ...makeRecord(i), status: `update-${i}` };
      t0s.set(++seq, Date.now());
      ws.send(JSON.stringify({ seq, record: rec }));
    }
    await until(seq);
    return {
      bulk: { records: opts.records, seconds, perSecond: Math.round(opts.records / seconds) },
      latency: latencyFigure(latencies, opts.rate),
    };
  } finally {
    ws.close();
    await receiver.stop();
  }
}
