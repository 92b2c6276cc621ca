// The runner's isolates: one per connection (key), each with its compiled programs cached, most recent kept.
// The only file that imports isolated-vm's values; the rest of the runner uses its types.
import ivm from 'isolated-vm';
import { PRELUDE, USER_LINE_OFFSET, wrapUserScript } from './prelude.ts';
import type { RunLimits } from './protocol.ts';
import type { CompileProblem, RuleProgram, ScriptName } from './sandbox.ts';

/** Cost assumed for a program's first runs, µs: starts with small groups. */
export const FIRST_RUN_US = 5_000;
const MAX_PROGRAMS_PER_CONNECTION = 4;

/** `sync`: the rule never awaits nor looks anything up on the host, so it runs in one synchronous call. */
export type Compiled =
  | { ok: true; factory: ivm.Reference; sync: boolean }
  | { ok: false; problem: CompileProblem };

export interface ProgramContext {
  context: ivm.Context;
  dispatch: ivm.Reference;
  scripts: Partial<Record<ScriptName, Compiled>>;
  source: Pick<RuleProgram, 'outgoing' | 'incoming'>;
  /** Recent CPU cost of one synchronous run, µs: sizes the runs that share one isolate call. */
  runUs: number;
}

export interface Slot {
  isolate: ivm.Isolate;
  prelude: ivm.Script;
  programs: Map<string, ProgramContext>;
  /** The batch being run, so host look-ups from inside the isolate reach the right caller. */
  batch: { id: number; host: boolean } | undefined;
  /** A synchronous run is under way: a host look-up now would wait on this very thread forever. */
  syncRun: boolean;
  lastUsed: number;
}

/**
 * Isolates by key, and the programs compiled in each.
 * @example const slot = pool.slot(connectionId, limits); const program = pool.program(slot, version, source, limits); pool.compile(slot, program, 'outgoing');
 */
export interface IsolatePool {
  /** The key's isolate, made (with the prelude) if it has none or it was disposed. */
  slot(key: string, limits: RunLimits): Slot;
  dispose(key: string): void;
  /** The program's context in the slot, made if new or changed (the oldest of too many released). */
  program(
    slot: Slot,
    version: string,
    source: Pick<RuleProgram, 'outgoing' | 'incoming'>,
    limits: RunLimits,
  ): ProgramContext;
  /** The script compiled in the program's context (cached), or where it does not compile. */
  compile(slot: Slot, program: ProgramContext, script: ScriptName): Compiled;
  /** Disposes the isolates not used for `idleMs` and not running a batch. */
  sweep(idleMs: number): void;
}

/** `lookup` answers a rule's host look-up for the batch the slot is running. */
export function createIsolatePool(
  lookup: (batchId: number, email: string, wallMs: number) => Promise<string | null>,
): IsolatePool {
  const slots = new Map<string, Slot>();

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
      const batch = slot.batch;
      if (!batch?.host || fn !== 'userByEmail' || typeof arg !== 'string') return Promise.resolve(null);
      return lookup(batch.id, arg, wallMs);
    });
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

  return {
    slot: slotFor,
    dispose: disposeSlot,
    program: programFor,
    compile,
    sweep(idleMs) {
      const now = Date.now();
      for (const [key, slot] of slots) if (now - slot.lastUsed > idleMs && !slot.batch) disposeSlot(key);
    },
  };
}
