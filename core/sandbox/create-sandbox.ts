// The host side of the sandbox: batches calls to the supervised rule runner, watches deadlines, recovers crashes.
import { TandemError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createSerialQueue } from '../util/serial-queue.ts';
import type { FromRunner, RunLimits } from './protocol.ts';
import { parseRuleOutput } from './rule-output.ts';
import { type RunnerExit, type RunnerProcess, spawnRunner } from './runner-process.ts';
import type {
  CompileProblem,
  RuleCall,
  RuleFailure,
  RuleHostApi,
  RuleProgram,
  RuleResult,
  Sandbox,
  ScriptName,
} from './sandbox.ts';

export interface SandboxOptions {
  /** Heap limit of each connection's isolate (default 64 MB). */
  memoryLimitMb?: number;
  /** CPU-bound time per call (default 200 ms). */
  timeoutMs?: number;
  /** Wall-clock time per call, awaited promises and host look-ups included (default 2000 ms). */
  wallTimeoutMs?: number;
  /** Largest replica or entity a call may produce, in JSON characters (default 256 KiB). */
  maxOutputBytes?: number;
  /** Extra time past a call's wall limit before the host declares the runner stuck and restarts it. */
  watchdogGraceMs?: number;
  log?: Logger;
}

export interface SandboxStats {
  runnerPid: number | undefined;
  restarts: number;
}

/** A `Sandbox` plus what an operator (and a test) may look at. */
export type ManagedSandbox = Sandbox & { stats(): SandboxStats; start(): Promise<void> };

interface Batch {
  id: number;
  connectionId: string;
  program: RuleProgram;
  calls: RuleCall[];
  results: (RuleResult | undefined)[];
  host: RuleHostApi | undefined;
  current: number | undefined;
  /**
   * The indices sent to the runner, in the order it runs them: it says when a batch starts, and
   * each result means the next call has started (one message a call, not two).
   */
  sent: number[];
  /** Calls that were running when the runner died once already: a second death marks them. */
  suspects: Set<number>;
  /** Results one by one: set once the runner died or stuck under this batch, so blame is exact. */
  eager: boolean;
  watchdog: NodeJS.Timeout | undefined;
  done: (results: RuleResult[]) => void;
}

interface Pending<T> {
  resolve: (v: T) => void;
  resend: () => void;
}

const MAX_EMAIL = 320;
const MAX_HOST_REPLY = 64 * 1024;
const CRASH_WINDOW_MS = 10_000;
const MAX_CRASHES_IN_WINDOW = 6;

function fail(script: ScriptName, kind: RuleFailure['kind'], message: string): RuleResult {
  return { ok: false, error: { script, kind, message } };
}

function validCall(call: unknown): call is RuleCall {
  if (call === null || typeof call !== 'object') return false;
  const c = call as Record<string, unknown>;
  if (c.script === 'outgoing') return typeof c.entity === 'object' && c.entity !== null;
  if (c.script === 'incoming') return typeof c.replica === 'object' && c.replica !== null;
  return false;
}

/**
 * Creates the sandbox; the runner process starts on first use (or `start()`).
 * @example
 * const sandbox = createSandbox({ timeoutMs: 200 });
 * const [r] = await sandbox.run('c1', { version: '1', outgoing, incoming }, [{ script: 'outgoing', entity, connection }]);
 */
export function createSandbox(opts: SandboxOptions = {}): ManagedSandbox {
  const limits: RunLimits = {
    memoryMb: opts.memoryLimitMb ?? 64,
    timeoutMs: opts.timeoutMs ?? 200,
    wallMs: opts.wallTimeoutMs ?? Math.max(2_000, (opts.timeoutMs ?? 200) * 5),
    maxOutputBytes: opts.maxOutputBytes ?? 256 * 1024,
  };
  const grace = opts.watchdogGraceMs ?? 3_000;
  const log = opts.log;
  let runner: RunnerProcess | undefined;
  let closed = false;
  let restarts = 0;
  let crashTimes: number[] = [];
  let nextId = 1;
  const batches = new Map<number, Batch>();
  const checks = new Map<number, Pending<CompileProblem[]>>();
  const disposals = new Map<number, Pending<void>>();
  /** Runs of one connection go to the runner one batch at a time. */
  const serial = createSerialQueue();

  function ensureRunner(): RunnerProcess {
    if (closed) throw new TandemError('SANDBOX_CLOSED', 503, 'The rule sandbox is shut down');
    runner ??= spawnRunner(onMessage, onExit);
    return runner;
  }

  function sendWhenReady(send: (r: RunnerProcess) => void): void {
    const r = ensureRunner();
    r.ready.then(
      () => send(r),
      () => {}, // the exit handler re-dispatches everything in flight
    );
  }

  function dispatch(batch: Batch): void {
    const calls = batch.calls.flatMap((call, index) =>
      batch.results[index] === undefined ? [{ index, script: call.script, input: JSON.stringify(call) }] : [],
    );
    if (calls.length === 0) {
      finish(batch);
      return;
    }
    batch.current = undefined;
    batch.sent = calls.map((c) => c.index);
    sendWhenReady((r) =>
      r.send({
        type: 'run',
        batch: batch.id,
        connectionId: batch.connectionId,
        program: batch.program,
        calls,
        limits,
        host: batch.host !== undefined,
        eager: batch.eager,
      }),
    );
  }

  function finish(batch: Batch): void {
    clearTimeout(batch.watchdog);
    batches.delete(batch.id);
    batch.done(
      batch.calls.map((c, i) => batch.results[i] ?? fail(c.script, 'crash', 'The rule was not run')),
    );
  }

  /** Call `index` of the batch is running now: it must finish within its limits plus a grace. */
  function watch(batch: Batch, index: number): void {
    batch.current = index;
    clearTimeout(batch.watchdog);
    batch.watchdog = setTimeout(() => stuck(batch, index), limits.wallMs + grace);
  }

  function onMessage(msg: FromRunner): void {
    switch (msg.type) {
      case 'started': {
        const batch = batches.get(msg.batch);
        if (!batch) return;
        watch(batch, msg.index);
        return;
      }
      case 'results': {
        const batch = batches.get(msg.batch);
        if (!batch) return;
        clearTimeout(batch.watchdog);
        batch.current = undefined;
        for (const o of msg.results) {
          const script = batch.calls[o.index]?.script ?? 'outgoing';
          batch.results[o.index] ??= 'output' in o ? parseRuleOutput(script, o.output) : o.result;
        }
        if (msg.done) {
          if (batch.results.every((r) => r !== undefined)) finish(batch);
          return;
        }
        const last = msg.results.at(-1);
        const next = last && batch.sent[batch.sent.indexOf(last.index) + 1];
        if (next !== undefined) watch(batch, next);
        return;
      }
      case 'checked':
        checks.get(msg.id)?.resolve(msg.problems);
        checks.delete(msg.id);
        return;
      case 'disposed':
        disposals.get(msg.id)?.resolve();
        disposals.delete(msg.id);
        return;
      case 'hostCall':
        void answerHost(msg);
        return;
    }
  }

  async function answerHost(msg: Extract<FromRunner, { type: 'hostCall' }>): Promise<void> {
    const from = runner; // a restarted runner numbers its look-ups afresh: answer only the asker
    const reply = (r: { ok: boolean; value?: string | null; message?: string }) => {
      if (from && runner === from) from.send({ type: 'hostReply', id: msg.id, ...r });
    };
    const host = batches.get(msg.batch)?.host;
    if (!host) return reply({ ok: true, value: null });
    const email = msg.arg;
    if (typeof email !== 'string' || email.length > MAX_EMAIL || !/^[^@\s]+@[^@\s]+$/.test(email)) {
      return reply({ ok: false, message: 'not a valid e-mail address' });
    }
    try {
      const user = await host.userByEmail(email);
      const value = user === null ? null : JSON.stringify(user);
      if (value !== null && value.length > MAX_HOST_REPLY)
        return reply({ ok: false, message: 'the user record is too large' });
      reply({ ok: true, value });
    } catch (err) {
      log?.warn({ err }, 'rule host look-up failed');
      reply({ ok: false, message: 'the look-up failed on the host' });
    }
  }

  /** The runner did not finish a call long after its own limits: it is wedged, so end it. */
  function stuck(batch: Batch, index: number): void {
    if (batch.results[index] !== undefined || !batches.has(batch.id)) return;
    if (!batch.eager) {
      // Results that came in groups leave the running call uncertain: run the rest again one by one.
      log?.warn({ connectionId: batch.connectionId }, 'rule runner stuck; restarting it');
      runner?.kill();
      return;
    }
    const script = batch.calls[index]?.script ?? 'outgoing';
    batch.results[index] = fail(
      script,
      'timeout',
      `The ${script} script did not finish in time; the rule runner was restarted`,
    );
    log?.warn({ connectionId: batch.connectionId }, 'rule runner stuck; restarting it');
    runner?.kill();
  }

  function onExit(exit: RunnerExit): void {
    runner = undefined;
    if (closed) return;
    restarts++;
    const now = Date.now();
    crashTimes = [...crashTimes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    const memory = /out of memory|heap limit|allocation failed/i.test(exit.stderr);
    log?.warn({ code: exit.code, signal: exit.signal, memory }, 'rule runner exited; restarting it');
    const crashLoop = crashTimes.length > MAX_CRASHES_IN_WINDOW;
    for (const batch of [...batches.values()]) {
      clearTimeout(batch.watchdog);
      batch.eager = true;
      const i = batch.current;
      if (i !== undefined && batch.results[i] === undefined) {
        const script = batch.calls[i]!.script;
        if (batch.suspects.has(i) || crashLoop) {
          batch.results[i] = memory
            ? fail(script, 'memory', `The ${script} script exhausted the rule runner's memory`)
            : fail(script, 'crash', `The rule runner crashed while running the ${script} script`);
        } else {
          batch.suspects.add(i);
        }
      }
      if (crashLoop) {
        batch.calls.forEach((c, j) => {
          batch.results[j] ??= fail(c.script, 'crash', 'The rule runner keeps crashing; try again later');
        });
      }
      dispatch(batch);
    }
    for (const p of checks.values()) p.resend();
    for (const p of disposals.values()) p.resolve(); // a dead runner holds no isolates
    disposals.clear();
  }

  return {
    async start() {
      await ensureRunner().ready;
    },

    stats: () => ({ runnerPid: runner?.pid, restarts }),

    check(program) {
      if (typeof program?.outgoing !== 'string' || typeof program.incoming !== 'string') {
        throw new TandemError('VALIDATION_FAILED', 422, 'A program needs outgoing and incoming source text');
      }
      const id = nextId++;
      return new Promise<CompileProblem[]>((resolve) => {
        let tries = 0;
        const resend = () => {
          if (++tries > 2) {
            checks.delete(id);
            resolve([{ script: 'outgoing', line: 1, column: 1, message: 'The rule runner is unavailable' }]);
            return;
          }
          sendWhenReady((r) =>
            r.send({
              type: 'check',
              id,
              program: { outgoing: program.outgoing, incoming: program.incoming },
              limits,
            }),
          );
        };
        checks.set(id, { resolve, resend });
        resend();
      });
    },

    run(connectionId, program, calls, host) {
      if (typeof connectionId !== 'string' || connectionId === '' || connectionId.startsWith('\u0000')) {
        throw new TandemError('VALIDATION_FAILED', 422, 'A connection id is required to run rules');
      }
      if (
        typeof program?.version !== 'string' ||
        typeof program.outgoing !== 'string' ||
        typeof program.incoming !== 'string'
      ) {
        throw new TandemError(
          'VALIDATION_FAILED',
          422,
          'A program needs a version and outgoing and incoming source text',
        );
      }
      if (calls.length === 0) return Promise.resolve([]);
      return serial.run(connectionId, () => {
        const results: (RuleResult | undefined)[] = calls.map((c) =>
          validCall(c)
            ? undefined
            : fail(
                (c as { script?: ScriptName })?.script === 'incoming' ? 'incoming' : 'outgoing',
                'throw',
                'The call is malformed',
              ),
        );
        return new Promise<RuleResult[]>((done) => {
          const batch: Batch = {
            id: nextId++,
            connectionId,
            program,
            calls,
            results,
            host,
            current: undefined,
            sent: [],
            suspects: new Set(),
            eager: false,
            watchdog: undefined,
            done,
          };
          batches.set(batch.id, batch);
          try {
            dispatch(batch);
          } catch (err) {
            batches.delete(batch.id);
            throw err;
          }
        });
      });
    },

    async dispose(connectionId) {
      if (!runner) return;
      const id = nextId++;
      await new Promise<void>((resolve) => {
        disposals.set(id, { resolve, resend: () => resolve() });
        sendWhenReady((r) => r.send({ type: 'dispose', id, connectionId }));
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      const r = runner;
      runner = undefined;
      r?.kill();
      for (const batch of [...batches.values()]) {
        batch.calls.forEach((c, j) => {
          batch.results[j] ??= fail(c.script, 'crash', 'The rule sandbox was shut down');
        });
        finish(batch);
      }
      for (const p of checks.values())
        p.resolve([{ script: 'outgoing', line: 1, column: 1, message: 'The rule sandbox was shut down' }]);
      checks.clear();
      for (const p of disposals.values()) p.resolve();
      disposals.clear();
    },
  } satisfies ManagedSandbox;
}
