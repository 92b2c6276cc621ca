// The rule-runner child process: the IPC loop; batches run one at a time per connection, results grouped.
// Runs with `--no-node-snapshot`; imports no host code (only the sandbox's own files and the serial queue).
import { createSerialQueue } from '../util/serial-queue.ts';
import type { FromRunner, RunOutcome, ToRunner } from './protocol.ts';
import { createCallRunner } from './runner-calls.ts';
import { createHostCalls } from './runner-host-calls.ts';
import { createIsolatePool } from './runner-isolates.ts';
import { outcome } from './runner-results.ts';
import type { CompileProblem, ScriptName } from './sandbox.ts';

const SCRIPTS: ScriptName[] = ['outgoing', 'incoming'];
const IDLE_DISPOSE_MS = 10 * 60_000;

function send(msg: FromRunner): void {
  process.send?.(msg);
}

const queue = createSerialQueue();
const hostCalls = createHostCalls(send);
const pool = createIsolatePool(hostCalls.ask);
const { prepare, groupSize, runGroup, runCall } = createCallRunner(pool);

/** How long results may wait to share one message (the host's watchdog allows seconds). */
const RESULTS_FLUSH_MS = 5;

async function runBatch(msg: Extract<ToRunner, { type: 'run' }>): Promise<void> {
  // The host learns a batch has started from the first call; each result then starts the next.
  const first = msg.calls[0];
  if (first) send({ type: 'started', batch: msg.batch, index: first.index });
  let pending: RunOutcome[] = [];
  let since = Date.now();
  const flush = (done: boolean) => {
    if (pending.length || done) send({ type: 'results', batch: msg.batch, results: pending, done });
    pending = [];
    since = Date.now();
  };
  const { calls, limits } = msg;
  let at = 0;
  /** The calls of a group that did not finish run one by one, up to here. */
  let singlesUntil = 0;
  while (at < calls.length) {
    // After a crash or a stuck call (eager), every call runs on its own so blame stays exact.
    const item = calls[at]!;
    const p = prepare(msg.connectionId, msg.program.version, msg.program, item.script, limits);
    const size = 'slot' in p && !msg.eager && at >= singlesUntil ? groupSize(calls, at, p, limits) : 1;
    if (size > 1 && 'slot' in p) {
      const done = runGroup(msg.connectionId, p, calls.slice(at, at + size), limits);
      if (done) {
        pending.push(...done);
        at += size;
        if (Date.now() - since >= RESULTS_FLUSH_MS) flush(false);
        continue;
      }
      singlesUntil = at + size;
      continue; // the group's calls one by one, each prepared afresh (the isolate may be gone)
    }
    const batch = { id: msg.batch, host: msg.host, beforeAsync: () => flush(false) };
    const result = await runCall(msg.connectionId, msg.program, item, limits, batch, p);
    pending.push(outcome(item.index, result));
    at++;
    if (msg.eager || Date.now() - since >= RESULTS_FLUSH_MS) flush(false);
  }
  flush(true);
}

/** Calls of one connection run one after another; different connections run side by side. */
function enqueue(key: string, job: () => Promise<void>): void {
  queue.run(key, job).catch((err: unknown) => {
    process.stderr.write(`rule runner job failed: ${String((err as Error)?.stack ?? err)}\n`);
  });
}

function check(msg: Extract<ToRunner, { type: 'check' }>): void {
  const key = '\u0000check';
  const problems: CompileProblem[] = [];
  try {
    const slot = pool.slot(key, msg.limits);
    const program = pool.program(slot, `check:${Date.now()}:${Math.random()}`, msg.program, msg.limits);
    for (const script of SCRIPTS) {
      const c = pool.compile(slot, program, script);
      if (!c.ok) problems.push(c.problem);
    }
    pool.dispose(key);
  } catch (err) {
    pool.dispose(key);
    problems.push({
      script: 'outgoing',
      line: 1,
      column: 1,
      message: String((err as Error)?.message ?? err),
    });
  }
  send({ type: 'checked', id: msg.id, problems });
}

process.on('message', (msg: ToRunner) => {
  switch (msg.type) {
    case 'run':
      enqueue(msg.connectionId, () => runBatch(msg));
      break;
    case 'check':
      enqueue('\u0000check', async () => check(msg));
      break;
    case 'dispose':
      enqueue(msg.connectionId, async () => {
        pool.dispose(msg.connectionId);
        send({ type: 'disposed', id: msg.id });
      });
      break;
    case 'hostReply':
      hostCalls.answer(msg);
      break;
  }
});

// The host is gone: nothing left to serve.
process.on('disconnect', () => process.exit(0));

setInterval(() => pool.sweep(IDLE_DISPOSE_MS), 60_000).unref();

send({ type: 'ready' });
