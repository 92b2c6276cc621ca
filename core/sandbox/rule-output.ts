// Reads a successful rule run's output, as the isolate wrote it, into a result for the engine.
import type { FlatEntity, Replica, RuleResult, ScriptName } from './sandbox.ts';

const MAX_WARNINGS = 20;

/**
 * Parses `{"ok":true,"unlink":..,"warnings":[..],"out":{..}}`. The prelude checked the value is a plain
 * JSON object within the size limit (and that an entity has a type); this only guards the hop.
 */
export function parseRuleOutput(script: ScriptName, text: string): RuleResult {
  let parsed: { unlink?: unknown; warnings?: unknown; out?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    return outputFailure(script, 'The rule returned something that is not JSON');
  }
  const out = parsed.out;
  if (out === null || typeof out !== 'object' || Array.isArray(out))
    return outputFailure(script, 'The rule returned something that is not an object');
  const warnings = Array.isArray(parsed.warnings) ? parsed.warnings.slice(0, MAX_WARNINGS).map(String) : [];
  if (script === 'outgoing') return { ok: true, script, replica: out as Replica, warnings };
  return { ok: true, script, entity: out as FlatEntity, unlink: parsed.unlink === true, warnings };
}

function outputFailure(script: ScriptName, message: string): RuleResult {
  return { ok: false, error: { script, kind: 'output', message } };
}
