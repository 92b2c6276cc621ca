// The `Mode` extension point: what a connection's rules are, and how they become a sandbox program.
import type { RuleProgram } from './sandbox/sandbox.ts';

export type ModeId = 'basic' | 'visual' | 'script';

export interface ModeContext {
  localName: string;
  remoteName: string;
}

/**
 * One way of producing rules. Basic is fixed, Visual compiles a mapping, Script is the user's code.
 * @example
 * const mode = modes.script;
 * const rules = mode.defaults(ctx);
 * const program = mode.compile(mode.parse(rules), ctx);
 */
export interface Mode<Rules = unknown> {
  id: ModeId;
  editable: boolean;
  /** The rules a new connection starts with, so it syncs at once. */
  defaults(ctx: ModeContext): Rules;
  /** Validates a rule set from the edge (HTTP body, link frame); throws a TandemError (422) when invalid. */
  parse(input: unknown): Rules;
  /** Turns rules into the two programs the sandbox runs (without `version`, which the caller assigns). */
  compile(rules: Rules, ctx: ModeContext): Omit<RuleProgram, 'version'>;
}
