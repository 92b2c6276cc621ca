// Messages between the host and the rule-runner child process (JSON over the IPC channel).
import type { CompileProblem, RuleCall, RuleProgram, RuleResult } from './sandbox.ts';

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
  call: RuleCall;
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
    }
  | { type: 'check'; id: number; program: Pick<RuleProgram, 'outgoing' | 'incoming'>; limits: RunLimits }
  | { type: 'dispose'; id: number; connectionId: string }
  | { type: 'hostReply'; id: number; ok: boolean; value?: string | null; message?: string };

export type FromRunner =
  | { type: 'ready' }
  /** The batch's first call has started; every later call starts when the one before reports its result. */
  | { type: 'started'; batch: number; index: number }
  | { type: 'result'; batch: number; index: number; result: RuleResult }
  | { type: 'done'; batch: number }
  | { type: 'checked'; id: number; problems: CompileProblem[] }
  | { type: 'disposed'; id: number }
  | { type: 'hostCall'; id: number; batch: number; fn: 'userByEmail'; arg: string };
