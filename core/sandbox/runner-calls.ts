// The runner's two run paths: one call on its own (sync or async, wall clock, memory probe) and a group of
// synchronous calls in one isolate call; both prepare the isolate and program through the pool.
import type { IndexedCall, RunLimits, RunOutcome } from './protocol.ts';
import type { Compiled, IsolatePool, ProgramContext, Slot } from './runner-isolates.ts';
import { failure, outcome, stackPosition, toResult } from './runner-results.ts';
import type { RuleProgram, RuleResult, ScriptName } from './sandbox.ts';

/** Most synchronous runs one isolate call makes (each entry into an isolate costs several µs). */
const MAX_RUNS_PER_CALL = 128;
/** A group's inputs (and so, usually, its outputs) stay a small part of the isolate's heap. */
const MAX_GROUP_INPUT_CHARS = 1_000_000;
/** Longest a memory failure's line probe may take (the host's watchdog grace is 3 s). */
const MEMORY_PROBE_MAX_MS = 1_000;

/** An isolate, program and compiled script ready to run. */
export type Prepared = { slot: Slot; program: ProgramContext; compiled: Extract<Compiled, { ok: true }> };

/** The batch a single call runs for: host look-ups go in its name; `beforeAsync` flushes held results. */
export interface CallBatch {
  id: number;
  host: boolean;
  beforeAsync(): void;
}

/**
 * Runs rule calls in a connection's isolate.
 * @example const p = calls.prepare(key, version, program, 'outgoing', limits);
 * const n = 'slot' in p ? calls.groupSize(items, 0, p, limits) : 1; // then runGroup, or runCall per item
 */
export interface CallRunner {
  /** The ready script, or the failure to report for the call (it does not compile, the isolate broke). */
  prepare(
    key: string,
    version: string,
    source: RuleProgram,
    script: ScriptName,
    limits: RunLimits,
  ): Prepared | RuleResult;
  /** How many calls from `at` on may run as one group (1: run the call on its own). */
  groupSize(calls: IndexedCall[], at: number, p: Prepared, limits: RunLimits): number;
  /** The group's outcomes, or undefined if it did not finish (run its calls one by one then). */
  runGroup(key: string, p: Prepared, group: IndexedCall[], limits: RunLimits): RunOutcome[] | undefined;
  /** One call's result (a success as the isolate's text). */
  runCall(
    key: string,
    source: RuleProgram,
    item: IndexedCall,
    limits: RunLimits,
    batch: CallBatch,
    prepared: Prepared | RuleResult,
  ): Promise<RuleResult | string>;
}

export function createCallRunner(pool: IsolatePool): CallRunner {
  /**
   * isolated-vm disposes an isolate that runs out of memory without a stack. To name the line, the call
   * runs once more in a throwaway isolate with twice the memory, stopped by a time-out at a quarter of
   * the time the first run lived, where it is still spending memory the way the first run did; the
   * time-out's stack has the line. Rules only compute, so a second run changes nothing (host look-ups
   * answer null in it). Empty when the second run ends any other way. Bounded well inside the host's
   * watchdog grace, so the probe never gets the runner restarted.
   */
  async function memoryPosition(
    key: string,
    source: RuleProgram,
    item: IndexedCall,
    limits: RunLimits,
    elapsedMs: number,
  ): Promise<{ line?: number; column?: number }> {
    const { script } = item;
    const probeKey = `\u0000memory:${key}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      const slot = pool.slot(probeKey, { ...limits, memoryMb: limits.memoryMb * 2 });
      const program = pool.program(slot, 'memory-probe', source, limits);
      const compiled = pool.compile(slot, program, script);
      if (!compiled.ok) return {};
      const run = program.dispatch.apply(
        undefined,
        ['run', compiled.factory.derefInto(), script, item.input, limits.maxOutputBytes],
        { timeout: Math.max(1, Math.floor(elapsedMs / 4)), result: { promise: true, copy: true } },
      ) as Promise<string>;
      const wall = new Promise<'wall'>((resolve) => {
        timer = setTimeout(() => resolve('wall'), MEMORY_PROBE_MAX_MS);
      });
      await Promise.race([run, wall]);
      return {};
    } catch (err) {
      return /timed out/i.test(String((err as Error)?.message ?? err)) ? stackPosition(err, script) : {};
    } finally {
      clearTimeout(timer);
      pool.dispose(probeKey);
    }
  }

  type Prepared = { slot: Slot; program: ProgramContext; compiled: Extract<Compiled, { ok: true }> };

  function prepare(
    key: string,
    version: string,
    source: RuleProgram,
    script: ScriptName,
    limits: RunLimits,
  ): Prepared | RuleResult {
    let slot: Slot;
    let program: ProgramContext;
    let compiled: Compiled;
    try {
      slot = pool.slot(key, limits);
      program = pool.program(slot, version, source, limits);
      compiled = pool.compile(slot, program, script);
    } catch (err) {
      pool.dispose(key);
      return failure(
        script,
        'crash',
        `The rule could not be prepared: ${String((err as Error)?.message ?? err)}`,
      );
    }
    if (!compiled.ok) {
      const p = compiled.problem;
      return failure(script, 'throw', `The ${script} script does not compile: ${p.message}`, p);
    }
    return { slot, program, compiled };
  }

  function noteRunCost(program: ProgramContext, us: number): void {
    program.runUs = program.runUs * 0.7 + us * 0.3;
  }

  /**
   * How many of the calls from `at` on may run in one isolate call: consecutive calls of the same
   * synchronous script, as many as fit a quarter of the CPU time-out at the program's recent cost,
   * and no more input than a fraction of the heap.
   */
  function groupSize(calls: IndexedCall[], at: number, p: Prepared, limits: RunLimits): number {
    if (!p.compiled.sync) return 1;
    const fit = Math.floor((limits.timeoutMs * 1000) / 4 / Math.max(1, p.program.runUs));
    const most = Math.min(MAX_RUNS_PER_CALL, fit, calls.length - at);
    let n = 1;
    let chars = calls[at]!.input.length;
    while (n < most && calls[at + n]!.script === calls[at]!.script) {
      chars += calls[at + n]!.input.length;
      if (chars > MAX_GROUP_INPUT_CHARS) break;
      n++;
    }
    return n;
  }

  /**
   * Runs a group of synchronous calls in one isolate call under one CPU time-out. Undefined when the
   * group did not finish (a time-out, the memory limit): the caller then runs each call on its own,
   * which names the call at fault; rules only compute, so running one again changes nothing.
   */
  function runGroup(
    key: string,
    p: Prepared,
    group: IndexedCall[],
    limits: RunLimits,
  ): RunOutcome[] | undefined {
    const { slot, program, compiled } = p;
    const script = group[0]!.script;
    slot.syncRun = true;
    const started = process.hrtime.bigint();
    try {
      const raws = program.dispatch.applySync(
        undefined,
        [
          'runSyncMany',
          compiled.factory.derefInto(),
          script,
          `[${group.map((c) => c.input).join(',')}]`,
          limits.maxOutputBytes,
        ],
        { timeout: limits.timeoutMs, result: { copy: true } },
      ) as string[];
      noteRunCost(program, Number(process.hrtime.bigint() - started) / 1000 / group.length);
      return group.map((item, i) => outcome(item.index, toResult(script, raws[i] ?? '', limits)));
    } catch {
      if (slot.isolate.isDisposed) pool.dispose(key);
      program.runUs = Math.max(program.runUs, (limits.timeoutMs * 1000) / 4);
      return undefined;
    } finally {
      slot.syncRun = false;
    }
  }

  async function runCall(
    key: string,
    source: RuleProgram,
    item: IndexedCall,
    limits: RunLimits,
    batch: CallBatch,
    prepared: Prepared | RuleResult,
  ): Promise<RuleResult | string> {
    const { script } = item;
    if (!('slot' in prepared)) return prepared;
    const { slot, program, compiled } = prepared;
    const input = item.input;
    slot.batch = batch;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      if (compiled.sync) {
        // isolated-vm's CPU time-out covers the whole synchronous call: no wall clock is needed.
        slot.syncRun = true;
        const at = process.hrtime.bigint();
        const raw = program.dispatch.applySync(
          undefined,
          ['runSync', compiled.factory.derefInto(), script, input, limits.maxOutputBytes],
          { timeout: limits.timeoutMs },
        ) as string;
        noteRunCost(program, Number(process.hrtime.bigint() - at) / 1000);
        return toResult(script, raw, limits);
      }
      // Results held back go out first: a call that waits may be the one that never returns.
      batch.beforeAsync();
      const wall = new Promise<'wall'>((resolve) => {
        timer = setTimeout(() => resolve('wall'), limits.wallMs);
      });
      const raw = await Promise.race([
        program.dispatch.apply(
          undefined,
          ['run', compiled.factory.derefInto(), script, input, limits.maxOutputBytes],
          {
            timeout: limits.timeoutMs,
            result: { promise: true, copy: true },
          },
        ) as Promise<string>,
        wall,
      ]);
      if (raw === 'wall') {
        // A promise that never settles, or work after an await that isolated-vm's timer cannot see:
        // the isolate may still be busy, so throw it away; the next call builds a fresh one.
        pool.dispose(key);
        return failure(script, 'timeout', `The ${script} script did not finish within ${limits.wallMs} ms`);
      }
      return toResult(script, raw, limits);
    } catch (err) {
      const message = String((err as Error)?.message ?? err);
      if (slot.isolate.isDisposed || /memory limit/i.test(message)) {
        pool.dispose(key);
        return failure(
          script,
          'memory',
          `The ${script} script exceeded the memory limit of ${limits.memoryMb} MB`,
          await memoryPosition(key, source, item, limits, Date.now() - started),
        );
      }
      if (/timed out/i.test(message)) {
        return failure(
          script,
          'timeout',
          `The ${script} script ran longer than ${limits.timeoutMs} ms`,
          stackPosition(err, script),
        );
      }
      return failure(script, 'throw', message.slice(0, 2000), stackPosition(err, script));
    } finally {
      clearTimeout(timer);
      slot.syncRun = false;
      slot.batch = undefined;
    }
  }

  return { prepare, groupSize, runGroup, runCall };
}
