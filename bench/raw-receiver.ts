// Raw baseline receiver: a bare `ws` server committing each message into a bare better-sqlite3 table.
// Same durability as a Tandem host (WAL, synchronous=FULL); messages that arrive together are
// committed in one transaction (group commit) and acknowledged cumulatively after the commit.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { WebSocketServer } from 'ws';

const dir = process.argv[2];
if (!dir) throw new Error('usage: raw-receiver.ts DIR');
const db = new SQLite(path.join(dir, 'raw.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL)');
const upsert = db.prepare(
  'INSERT INTO records (id, seq, body) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, body = excluded.body',
);
const commit = db.transaction((rows: { id: string; seq: number; body: string }[]) => {
  for (const r of rows) upsert.run(r.id, r.seq, r.body);
});

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws) => {
  let pending: { id: string; seq: number; body: string }[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const rows = pending;
    pending = [];
    commit(rows);
    ws.send(JSON.stringify({ ack: rows[rows.length - 1]!.seq, at: Date.now(), n: rows.length }));
  };
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { seq: number; record: { id: string } };
    pending.push({ id: msg.record.id, seq: msg.seq, body: JSON.stringify(msg.record) });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
});
wss.on('listening', () => {
  const addr = wss.address();
  if (typeof addr === 'object' && addr) process.stdout.write(`${JSON.stringify({ port: addr.port })}\n`);
});
process.on('SIGTERM', () => {
  wss.close();
  db.close();
  process.exit(0);
});
