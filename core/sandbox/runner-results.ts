// How the runner turns what an isolate returned or threw into a rule result (positions in the user's script).
import { USER_LINE_OFFSET } from './prelude.ts';
import type { RunLimits, RunOutcome } from './protocol.ts';
import type { RuleFailure, RuleResult, ScriptName } from './sandbox.ts';

/** A failed result, with the line and column in the user's script when known. */
export function failure(
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
export function stackPosition(err: unknown, script: ScriptName): { line?: number; column?: number } {
  const m = new RegExp(`(?:\\(|at )${script}:(\\d+):(\\d+)`).exec(String((err as Error)?.stack ?? ''));
  return m ? { line: Number(m[1]) - USER_LINE_OFFSET, column: Number(m[2]) } : {};
}

const OK_PREFIX = '{"ok":true,';

/**
 * A successful run is passed on as the isolate's text (the host parses it once); the prelude already
 * checked its shape and size. Failures are read here.
 */
export function toResult(script: ScriptName, raw: string, limits: RunLimits): RuleResult | string {
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

/** A result as it travels to the host: a success as the isolate's text, a failure as a value. */
export function outcome(index: number, result: RuleResult | string): RunOutcome {
  return typeof result === 'string' ? { index, output: result } : { index, result };
}
