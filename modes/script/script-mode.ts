// Script mode: the admin's own outgoing and incoming JavaScript, run as they are in the sandbox.
import { z } from 'zod';
import { validationFailed } from '../../core/errors.ts';
import type { Mode, ModeContext } from '../../core/mode.ts';
import { toIssues } from '../../core/trackers/builtin/entity-input.ts';
import { DEFAULT_INCOMING, DEFAULT_OUTGOING } from './defaults.ts';

/** Largest script accepted, in characters. */
export const MAX_SCRIPT_CHARS = 100_000;

export interface ScriptRules {
  outgoing: string;
  incoming: string;
}

const schema = z.strictObject({
  outgoing: z.string().max(MAX_SCRIPT_CHARS),
  incoming: z.string().max(MAX_SCRIPT_CHARS),
});

/**
 * Script rules compile to themselves; whether they compile in V8 is checked by the sandbox
 * (`sandbox.check`), which the rule service does before saving.
 * @example const program = scriptMode.compile(scriptMode.parse({ outgoing, incoming }), ctx);
 */
export const scriptMode = {
  id: 'script',
  editable: true,
  defaults: () => ({ outgoing: DEFAULT_OUTGOING, incoming: DEFAULT_INCOMING }),
  parse(input: unknown): ScriptRules {
    const parsed = schema.safeParse(input);
    if (!parsed.success)
      throw validationFailed(toIssues(parsed.error), 'A script rule set is {outgoing, incoming} text');
    return parsed.data;
  },
  compile: (rules: ScriptRules, _ctx?: ModeContext) => ({
    outgoing: rules.outgoing,
    incoming: rules.incoming,
  }),
} satisfies Mode<ScriptRules>;
