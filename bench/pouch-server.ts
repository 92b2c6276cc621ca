// Reference 2, one side of PouchDB: pouchdb-node (LevelDB) behind express-pouchdb, plus bench controls.
// POST /_bench/load {n} writes n records locally; POST /_bench/replicate {from} runs a one-shot
// PouchDB.replicate(from -> local) and answers its duration; POST /_bench/live {from} starts a live
// replication and records, for each arriving doc, now - doc.t0; POST /_bench/emit {rate, count}
// updates docs locally at a fixed rate stamping t0; GET /_bench/latencies answers the samples.

import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { makeRecord } from './payload.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS reference peers, bench only
type Any = any;
const PouchDB: Any = require('pouchdb-node');
const expressPouchDB: Any = require('express-pouchdb');
const express: Any = require('express');

const dir = process.argv[2];
if (!dir) throw new Error('usage: pouch-server.ts DIR');
const LocalPouch = PouchDB.defaults({ prefix: `${dir}${path.sep}` });
const db = new LocalPouch('bench');

const app = express();
const latencies: number[] = [];
let live: Any;

app.post('/_bench/load', express.json(), async (req: Any, res: Any) => {
  const n = Number(req.body.n);
  for (let i = 0; i < n; i += 500) {
    const docs = [];
    for (let j = i; j < Math.min(n, i + 500); j++) {
      const r = makeRecord(j);
      docs.push({ ...r, _id: r.id });
    }
    await db.bulkDocs(docs);
  }
  res.json({ ok: true });
});

app.post('/_bench/replicate', express.json(), async (req: Any, res: Any) => {
  const start = performance.now();
  const result = await PouchDB.replicate(req.body.from, db);
  res.json({ ms: performance.now() - start, docsWritten: result.docs_written });
});

app.post('/_bench/live', express.json(), (req: Any, res: Any) => {
  latencies.length = 0;
  db.changes({ since: 'now', live: true, include_docs: true }).on('change', (ch: Any) => {
    if (ch.doc?.t0) latencies.push(Date.now() - ch.doc.t0);
  });
  live = PouchDB.replicate(req.body.from, db, { live: true, retry: true });
  res.json({ ok: true });
});

app.post('/_bench/emit', express.json(), async (req: Any, res: Any) => {
  const { rate, count } = req.body as { rate: number; count: number };
  const interval = 1000 / rate;
  const begin = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = begin + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const r = makeRecord(i);
    const current = await db.get(r.id).catch(() => null);
    await db.put({
      ...r,
      _id: r.id,
      ...(current ? { _rev: current._rev } : {}),
      status: `live-${i}`,
      t0: Date.now(),
    });
  }
  res.json({ ok: true });
});

app.get('/_bench/latencies', (_req: Any, res: Any) => res.json({ latencies }));
app.get('/_bench/count', async (_req: Any, res: Any) => res.json({ count: (await db.info()).doc_count }));

app.use('/', expressPouchDB(LocalPouch, { mode: 'minimumForPouchDB', logPath: path.join(dir, 'log.txt') }));

const server: Server = app.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  if (typeof addr === 'object' && addr) process.stdout.write(`${JSON.stringify({ port: addr.port })}\n`);
});
process.on('SIGTERM', () => {
  live?.cancel();
  server.close();
  void db.close().finally(() => process.exit(0));
});
