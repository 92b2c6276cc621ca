// The batches in flight in the rule runner: what was sent, which call runs, its deadline, and blame after a death.
import type { Logger } from '../log.ts';
import type { FromRunner, RunLimits } from './protocol.ts';
import { parseRuleOutput } from './rule-output.ts';
import type { RunnerProcess } from './runner-process.ts';
import type { RunnerDeath } from './runner-supervisor.ts';
import type { RuleCall, RuleFailure, RuleHostApi, RuleProgram, RuleResult, ScriptName } from './sandbox.ts';

export function fail(script: ScriptName, kind: RuleFailure['kind'], message: string): RuleResult {
  return { ok: false, error: { script, kind, message } };
}

/** A batch as `run` hands it over: results already known (malformed calls) are set, the rest undefined. */
export interface NewBatch {
  id: number;
  connectionId: string;
  program: RuleProgram;
  calls: RuleCall[];
  results: (RuleResult | undefined)[];
  host: RuleHostApi | undefined;
  done: (results: RuleResult[]) => void;
}

interface Batch extends NewBatch {
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
}

/**
 * Every batch from being sent to its last result; a running call past its wall limit plus a grace
 * means the runner is wedged, and it is killed.
 * @example batches.start({ id, connectionId, program, calls, results, host, done }); // done(results) later
 */
export interface SandboxBatches {
  /** Sends the batch; throws (and forgets it) if the runner cannot be started. */
  start(batch: NewBatch): void;
  /** The look-ups of the batch, if it is in flight and has any. */
  host(batchId: number): RuleHostApi | undefined;
  /** A `started` or `results` message from the runner. */
  receive(msg: Extract<FromRunner, { type: 'started' | 'results' }>): void;
  /** The runner died: blame the call it was running (twice, or in a crash loop), re-send the rest one by one. */
  recover(death: RunnerDeath): void;
  /** Ends every batch in flight, with `message` for every call not answered. */
  endAll(message: string): void;
}

export function createSandboxBatches(deps: {
  limits: RunLimits;
  graceMs: number;
  sendWhenReady: (send: (runner: RunnerProcess) => void) => void;
  /** Ends a wedged runner (its death then comes to `recover`). */
  kill: () => void;
  log?: Logger | undefined;
}): SandboxBatches {
  const { limits, log } = deps;
  const batches = new Map<number, Batch>();

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
    deps.sendWhenReady((r) =>
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
    batch.watchdog = setTimeout(() => stuck(batch, index), limits.wallMs + deps.graceMs);
  }

  /** The runner did not finish a call long after its own limits: it is wedged, so end it. */
  function stuck(batch: Batch, index: number): void {
    if (batch.results[index] !== undefined || !batches.has(batch.id)) return;
    if (batch.eager) {
      const script = batch.calls[index]?.script ?? 'outgoing';
      batch.results[index] = fail(
        script,
        'timeout',
        `The ${script} script did not finish in time; the rule runner was restarted`,
      );
    }
    // Results that came in groups leave the running call uncertain: the rest run again one by one.
    log?.warn({ connectionId: batch.connectionId }, 'rule runner stuck; restarting it');
    deps.kill();
  }

  return {
    start(fresh) {
      const batch: Batch = {
        ...fresh,
        current: undefined,
        sent: [],
        suspects: new Set(),
        eager: false,
        watchdog: undefined,
      };
      batches.set(batch.id, batch);
      try {
        dispatch(batch);
      } catch (err) {
        batches.delete(batch.id);
        throw err;
      }
    },

    host: (batchId) => batches.get(batchId)?.host,

    receive(msg) {
      const batch = batches.get(msg.batch);
      if (!batch) return;
      if (msg.type === 'started') {
        watch(batch, msg.index);
        return;
      }
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
    },

    recover({ memory, crashLoop }) {
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
    },

    endAll(message) {
      for (const batch of [...batches.values()]) {
        batch.calls.forEach((c, j) => {
          batch.results[j] ??= fail(c.script, 'crash', message);
        });
        finish(batch);
      }
    },
  };
}
