// The host side of the sandbox: checks requests and composes the runner's supervisor, the batches in flight
// and the host look-ups into a `Sandbox`.
import { TandemError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createSerialQueue } from '../util/serial-queue.ts';
import { answerLookup } from './host-lookups.ts';
import type { FromRunner, RunLimits } from './protocol.ts';
import { type RunnerDeath, superviseRunner } from './runner-supervisor.ts';
import type { CompileProblem, RuleCall, RuleResult, Sandbox, ScriptName } from './sandbox.ts';
import { createSandboxBatches, fail } from './sandbox-batches.ts';

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

interface Pending<T> {
  resolve: (v: T) => void;
  resend: () => void;
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
  const log = opts.log;
  let closed = false;
  let nextId = 1;
  const checks = new Map<number, Pending<CompileProblem[]>>();
  const disposals = new Map<number, Pending<void>>();
  /** Runs of one connection go to the runner one batch at a time. */
  const serial = createSerialQueue();

  const runner = superviseRunner({ onMessage, onDeath, log });
  const batches = createSandboxBatches({
    limits,
    graceMs: opts.watchdogGraceMs ?? 3_000,
    sendWhenReady: runner.sendWhenReady,
    kill: runner.kill,
    log,
  });

  function onMessage(msg: FromRunner): void {
    switch (msg.type) {
      case 'started':
      case 'results':
        batches.receive(msg);
        return;
      case 'checked':
        checks.get(msg.id)?.resolve(msg.problems);
        checks.delete(msg.id);
        return;
      case 'disposed':
        disposals.get(msg.id)?.resolve();
        disposals.delete(msg.id);
        return;
      case 'hostCall': {
        const from = runner.current; // a restarted runner numbers its look-ups afresh: answer only the asker
        void answerLookup(batches.host(msg.batch), msg.arg, log).then((reply) => {
          if (from && runner.current === from) from.send({ type: 'hostReply', id: msg.id, ...reply });
        });
        return;
      }
    }
  }

  function onDeath(death: RunnerDeath): void {
    batches.recover(death);
    for (const p of checks.values()) p.resend();
    for (const p of disposals.values()) p.resolve(); // a dead runner holds no isolates
    disposals.clear();
  }

  return {
    async start() {
      await runner.ensure().ready;
    },

    stats: () => ({ runnerPid: runner.pid, restarts: runner.restarts }),

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
          runner.sendWhenReady((r) =>
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
          batches.start({ id: nextId++, connectionId, program, calls, results, host, done });
        });
      });
    },

    async dispose(connectionId) {
      if (!runner.current) return;
      const id = nextId++;
      await new Promise<void>((resolve) => {
        disposals.set(id, { resolve, resend: () => resolve() });
        runner.sendWhenReady((r) => r.send({ type: 'dispose', id, connectionId }));
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      runner.close();
      batches.endAll('The rule sandbox was shut down');
      for (const p of checks.values())
        p.resolve([{ script: 'outgoing', line: 1, column: 1, message: 'The rule sandbox was shut down' }]);
      checks.clear();
      for (const p of disposals.values()) p.resolve();
      disposals.clear();
    },
  } satisfies ManagedSandbox;
}
