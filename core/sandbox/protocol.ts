// Messages between the host and the rule-runner child process (structured clones over the IPC channel).
import type { CompileProblem, RuleProgram, RuleResult, ScriptName } from './sandbox.ts';

/** Limits the runner applies to every isolate and call; chosen by the host, sent with each request. */
export interface RunLimits {
  /** Heap limit of each connection's isolate, in MB (isolated-vm's minimum is 8). */
  memoryMb: number;
  /** CPU-bound time a call may run before it is terminated. */
  timeoutMs: number;
  /** Wall-clock time a call may take, awaited promises and host look-ups included. */
  wallMs: number;
  /** Largest replica/entity a call may return, as JSON characters. */
  maxOutputBytes: number;
}

export interface IndexedCall {
  index: number;
  script: ScriptName;
  /** The call as JSON, made by the host: the runner hands it to the isolate as it is. */
  input: string;
}

export type ToRunner =
  | {
      type: 'run';
      batch: number;
      connectionId: string;
      program: RuleProgram;
      calls: IndexedCall[];
      limits: RunLimits;
      /** Whether the host answers `userByEmail` look-ups for this batch. */
      host: boolean;
      /**
       * Report each result as soon as it is known. Otherwise results are sent a few milliseconds'
       * worth at a time (one IPC message cost more than a rule run); after a crash or a stuck call the
       * host re-runs eagerly, so the call it blames is the one that was running.
       */
      eager: boolean;
    }
  | { type: 'check'; id: number; program: Pick<RuleProgram, 'outgoing' | 'incoming'>; limits: RunLimits }
  | { type: 'dispose'; id: number; connectionId: string }
  | { type: 'hostReply'; id: number; ok: boolean; value?: string | null; message?: string };

/**
 * One call's outcome. A successful run travels as the isolate's JSON text (`{"ok":true,...,"out":{...}}`),
 * parsed once by the host (see `parseRuleOutput`); failures travel as results.
 */
export type RunOutcome = { index: number; result: RuleResult } | { index: number; output: string };

export type FromRunner =
  | { type: 'ready' }
  /** The batch's first call has started; every later call starts when the one before reports its result. */
  | { type: 'started'; batch: number; index: number }
  /** Results in run order; the call after the last one is running now, unless `done` ends the batch. */
  | { type: 'results'; batch: number; results: RunOutcome[]; done: boolean }
  | { type: 'checked'; id: number; problems: CompileProblem[] }
  | { type: 'disposed'; id: number }
  | { type: 'hostCall'; id: number; batch: number; fn: 'userByEmail'; arg: string };
