// The rule-runner child process: one isolate per connection, compiled programs cached, calls run one by one.
// This is the only file that imports isolated-vm; it runs with `--no-node-snapshot` and talks over IPC.
import ivm from 'isolated-vm';
import { createSerialQueue } from '../util/serial-queue.ts';
import { PRELUDE, USER_LINE_OFFSET, wrapUserScript } from './prelude.ts';
import type { FromRunner, IndexedCall, RunLimits, RunOutcome, ToRunner } from './protocol.ts';
import type { CompileProblem, RuleFailure, RuleProgram, RuleResult, ScriptName } from './sandbox.ts';

const SCRIPTS: ScriptName[] = ['outgoing', 'incoming'];
/** Most synchronous runs one isolate call makes (each entry into an isolate costs several µs). */
const MAX_RUNS_PER_CALL = 128;
/** A group's inputs (and so, usually, its outputs) stay a small part of the isolate's heap. */
const MAX_GROUP_INPUT_CHARS = 1_000_000;
/** Cost assumed for a program's first runs, µs: starts with small groups. */
const FIRST_RUN_US = 5_000;
const MAX_PROGRAMS_PER_CONNECTION = 4;
const IDLE_DISPOSE_MS = 10 * 60_000;
/** Longest a memory failure's line probe may take (the host's watchdog grace is 3 s). */
const MEMORY_PROBE_MAX_MS = 1_000;

/** `sync`: the rule never awaits nor looks anything up on the host, so it runs in one synchronous call. */
type Compiled = { ok: true; factory: ivm.Reference; sync: boolean } | { ok: false; problem: CompileProblem };

interface ProgramContext {
  context: ivm.Context;
  dispatch: ivm.Reference;
  scripts: Partial<Record<ScriptName, Compiled>>;
  source: Pick<RuleProgram, 'outgoing' | 'incoming'>;
  /** Recent CPU cost of one synchronous run, µs: sizes the runs that share one isolate call. */
  runUs: number;
}

interface Slot {
  isolate: ivm.Isolate;
  prelude: ivm.Script;
  programs: Map<string, ProgramContext>;
  /** The batch being run, so host look-ups from inside the isolate reach the right caller. */
  batch: { id: number; host: boolean } | undefined;
  /** A synchronous run is under way: a host look-up now would wait on this very thread forever. */
  syncRun: boolean;
  lastUsed: number;
}

const slots = new Map<string, Slot>();
const queue = createSerialQueue();
const pendingHost = new Map<
  number,
  (reply: { ok: boolean; value?: string | null; message?: string }) => void
>();
let nextHostCall = 1;

function send(msg: FromRunner): void {
  process.send?.(msg);
}

function slotFor(key: string, limits: RunLimits): Slot {
  const existing = slots.get(key);
  if (existing && !existing.isolate.isDisposed) {
    existing.lastUsed = Date.now();
    return existing;
  }
  const isolate = new ivm.Isolate({
    memoryLimit: Math.max(8, limits.memoryMb),
    onCatastrophicError: (message) => {
      // V8 lost control of this isolate: nothing in this process can be trusted any more.
      process.stderr.write(`catastrophic isolate error: ${message}\n`);
      process.abort();
    },
  });
  const slot: Slot = {
    isolate,
    prelude: isolate.compileScriptSync(PRELUDE, { filename: 'tandem-prelude' }),
    programs: new Map(),
    batch: undefined,
    syncRun: false,
    lastUsed: Date.now(),
  };
  slots.set(key, slot);
  return slot;
}

function disposeSlot(key: string): void {
  const slot = slots.get(key);
  slots.delete(key);
  if (slot && !slot.isolate.isDisposed) slot.isolate.dispose();
}

function hostCallFor(slot: Slot, wallMs: number) {
  return new ivm.Reference((fn: string, arg: unknown): Promise<string | null> => {
    if (slot.syncRun) throw new Error('helpers.users.byEmail is not available here');
    return hostLookup(slot, wallMs, fn, arg);
  });
}

async function hostLookup(slot: Slot, wallMs: number, fn: string, arg: unknown): Promise<string | null> {
  const batch = slot.batch;
  if (!batch?.host || fn !== 'userByEmail' || typeof arg !== 'string') return null;
  const id = nextHostCall++;
  const reply = await new Promise<{ ok: boolean; value?: string | null; message?: string }>((resolve) => {
    const timer = setTimeout(() => {
      pendingHost.delete(id);
      resolve({ ok: false, message: 'the host did not answer in time' });
    }, wallMs);
    pendingHost.set(id, (r) => {
      clearTimeout(timer);
      resolve(r);
    });
    send({ type: 'hostCall', id, batch: batch.id, fn: 'userByEmail', arg });
  });
  if (!reply.ok) throw new Error(`helpers.users.byEmail failed: ${reply.message ?? 'unknown error'}`);
  return reply.value ?? null;
}

function programFor(
  slot: Slot,
  version: string,
  source: Pick<RuleProgram, 'outgoing' | 'incoming'>,
  limits: RunLimits,
) {
  const found = slot.programs.get(version);
  if (found && found.source.outgoing === source.outgoing && found.source.incoming === source.incoming) {
    slot.programs.delete(version);
    slot.programs.set(version, found); // most recently used last
    return found;
  }
  if (found) found.context.release();
  while (slot.programs.size >= MAX_PROGRAMS_PER_CONNECTION) {
    const [oldest, ctx] = slot.programs.entries().next().value as [string, ProgramContext];
    ctx.context.release();
    slot.programs.delete(oldest);
  }
  const context = slot.isolate.createContextSync();
  const init = slot.prelude.runSync(context, { reference: true, timeout: 5_000 }) as ivm.Reference;
  const dispatch = init.applySync(undefined, [hostCallFor(slot, limits.wallMs)], {
    result: { reference: true },
    timeout: 5_000,
  }) as ivm.Reference;
  const program: ProgramContext = { context, dispatch, scripts: {}, source, runUs: FIRST_RUN_US };
  slot.programs.set(version, program);
  return program;
}

function positionOf(message: string, script: ScriptName): { line: number; column: number } | undefined {
  const m = new RegExp(`\\[${script}:(\\d+):(\\d+)\\]`).exec(message);
  if (!m) return undefined;
  return { line: Math.max(1, Number(m[1]) - USER_LINE_OFFSET), column: Number(m[2]) };
}

function compile(slot: Slot, program: ProgramContext, script: ScriptName): Compiled {
  const cached = program.scripts[script];
  if (cached) return cached;
  const code = program.source[script];
  let result: Compiled;
  try {
    const compiled = slot.isolate.compileScriptSync(wrapUserScript(script, code), { filename: script });
    const broken = program.dispatch.applySync(undefined, ['check', code], { timeout: 1_000 }) as
      | string
      | null;
    if (broken) {
      result = {
        ok: false,
        problem: {
          script,
          line: 1,
          column: 1,
          message: `The script is not a valid body of statements: ${broken}`,
        },
      };
    } else {
      result = syncFactory(slot, program, script, code) ?? {
        ok: true,
        factory: compiled.runSync(program.context, { reference: true, timeout: 1_000 }) as ivm.Reference,
        sync: false,
      };
    }
    compiled.release();
  } catch (err) {
    const message = String((err as Error)?.message ?? err);
    const at = positionOf(message, script) ?? { line: 1, column: 1 };
    result = {
      ok: false,
      problem: { script, ...at, message: message.replace(/\s*\[\w+:\d+:\d+\]$/, '') },
    };
  }
  program.scripts[script] = result;
  return result;
}

/** The synchronous form of a rule that compiles as one (no `await`) and makes no host look-up. */
function syncFactory(
  slot: Slot,
  program: ProgramContext,
  script: ScriptName,
  code: string,
): Compiled | undefined {
  if (/\busers\b/.test(code)) return undefined;
  let compiled: ivm.Script;
  try {
    compiled = slot.isolate.compileScriptSync(wrapUserScript(script, code, true), { filename: script });
  } catch {
    return undefined; // it awaits: the async form runs it
  }
  try {
    const factory = compiled.runSync(program.context, { reference: true, timeout: 1_000 }) as ivm.Reference;
    return { ok: true, factory, sync: true };
  } finally {
    compiled.release();
  }
}

function failure(
  script: ScriptName,
  kind: RuleFailure['kind'],
  message: string,
  at?: { line?: number; column?: number },
): RuleResult {
  const error: RuleFailure = { script, kind, message };
  if (at?.line !== undefined && at.line >= 1) error.line = at.line;
  if (at?.column !== undefined) error.column = at.column;
  return { ok: false, error };
}

/** The line the isolate was at when isolated-vm stopped it (time-out), from the error's stack. */
function stackPosition(err: unknown, script: ScriptName): { line?: number; column?: number } {
  const m = new RegExp(`(?:\\(|at )${script}:(\\d+):(\\d+)`).exec(String((err as Error)?.stack ?? ''));
  return m ? { line: Number(m[1]) - USER_LINE_OFFSET, column: Number(m[2]) } : {};
}

const OK_PREFIX = '{"ok":true,';

/**
 * A successful run is passed on as the isolate's text (the host parses it once); the prelude already
 * checked its shape and size. Failures are read here.
 */
function toResult(script: ScriptName, raw: string, limits: RunLimits): RuleResult | string {
  if (raw.length > limits.maxOutputBytes + 12_000)
    return failure(script, 'output', 'The rule returned too much data');
  if (raw.startsWith(OK_PREFIX)) return raw;
  let parsed: { kind?: RuleFailure['kind']; message?: string; line?: number; column?: number };
  try {
    parsed = JSON.parse(raw);
  } catch {
    return failure(script, 'output', 'The rule returned something that is not JSON');
  }
  const kind = parsed.kind === 'output' ? 'output' : 'throw';
  const at: { line?: number; column?: number } = {};
  if (typeof parsed.line === 'number') at.line = parsed.line;
  if (typeof parsed.column === 'number') at.column = parsed.column;
  return failure(script, kind, String(parsed.message ?? 'The rule failed'), at);
}

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
    const slot = slotFor(probeKey, { ...limits, memoryMb: limits.memoryMb * 2 });
    const program = programFor(slot, 'memory-probe', source, limits);
    const compiled = compile(slot, program, script);
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
    disposeSlot(probeKey);
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
    slot = slotFor(key, limits);
    program = programFor(slot, version, source, limits);
    compiled = compile(slot, program, script);
  } catch (err) {
    disposeSlot(key);
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
    if (slot.isolate.isDisposed) disposeSlot(key);
    program.runUs = Math.max(program.runUs, (limits.timeoutMs * 1000) / 4);
    return undefined;
  } finally {
    slot.syncRun = false;
  }
}

function outcome(index: number, result: RuleResult | string): RunOutcome {
  return typeof result === 'string' ? { index, output: result } : { index, result };
}

async function runCall(
  key: string,
  source: RuleProgram,
  item: IndexedCall,
  limits: RunLimits,
  batch: { id: number; host: boolean; beforeAsync(): void },
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
      disposeSlot(key);
      return failure(script, 'timeout', `The ${script} script did not finish within ${limits.wallMs} ms`);
    }
    return toResult(script, raw, limits);
  } catch (err) {
    const message = String((err as Error)?.message ?? err);
    if (slot.isolate.isDisposed || /memory limit/i.test(message)) {
      disposeSlot(key);
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
    const slot = slotFor(key, msg.limits);
    const program = programFor(slot, `check:${Date.now()}:${Math.random()}`, msg.program, msg.limits);
    for (const script of SCRIPTS) {
      const c = compile(slot, program, script);
      if (!c.ok) problems.push(c.problem);
    }
    disposeSlot(key);
  } catch (err) {
    disposeSlot(key);
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
        disposeSlot(msg.connectionId);
        send({ type: 'disposed', id: msg.id });
      });
      break;
    case 'hostReply': {
      const resolve = pendingHost.get(msg.id);
      pendingHost.delete(msg.id);
      resolve?.(msg);
      break;
    }
  }
});

// The host is gone: nothing left to serve.
process.on('disconnect', () => process.exit(0));

setInterval(() => {
  const now = Date.now();
  for (const [key, slot] of slots) if (now - slot.lastUsed > IDLE_DISPOSE_MS && !slot.batch) disposeSlot(key);
}, 60_000).unref();

send({ type: 'ready' });
