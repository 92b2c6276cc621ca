// Reads a successful rule run's output, as the isolate wrote it, into a result for the engine.
import { jsonDepthProblem, MAX_JSON_DEPTH } from '../json-bounds.ts';
import type { FlatEntity, Replica, RuleResult, ScriptName } from './sandbox.ts';

const MAX_WARNINGS = 20;

/**
 * Parses `{"ok":true,"unlink":..,"warnings":[..],"out":{..}}`. The prelude checked the value is a plain
 * JSON object within the size limit (and that an entity has a type); the host checks shape and
 * depth again on what it parsed, since everything past this point walks the value recursively.
 */
export function parseRuleOutput(script: ScriptName, text: string): RuleResult {
  let parsed: { unlink?: unknown; warnings?: unknown; out?: unknown; delete?: unknown; missing?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    return outputFailure(script, 'The rule returned something that is not JSON');
  }
  const out = parsed.out;
  if (out === null || typeof out !== 'object' || Array.isArray(out))
    return outputFailure(script, 'The rule returned something that is not an object');
  const deep = jsonDepthProblem(out, MAX_JSON_DEPTH, script === 'outgoing' ? 'replica' : 'entity');
  if (deep) return outputFailure(script, `${deep.path} ${deep.message}`);
  const warnings = Array.isArray(parsed.warnings) ? parsed.warnings.slice(0, MAX_WARNINGS).map(String) : [];
  if (script === 'outgoing') return { ok: true, script, replica: out as Replica, warnings };
  const result: RuleResult = {
    ok: true,
    script,
    entity: out as FlatEntity,
    unlink: parsed.unlink === true,
    warnings,
  };
  if (parsed.delete === true) result.delete = true;
  if (Array.isArray(parsed.missing) && parsed.missing.length)
    result.missing = parsed.missing.slice(0, 50).map((m) => String(m).slice(0, 200));
  return result;
}

function outputFailure(script: ScriptName, message: string): RuleResult {
  return { ok: false, error: { script, kind: 'output', message } };
}
