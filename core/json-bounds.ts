// One depth bound for every JSON value that enters the host (HTTP bodies, link frames, rule output).

/**
 * How deeply objects and arrays may nest in untrusted JSON: the root container is level 0, so a
 * value may hold 64 levels of containers below it. Far beyond any work item a person shapes, and
 * far below what recursive code (JSON.stringify, canonical comparison) can walk without overflowing.
 */
export const MAX_JSON_DEPTH = 64;

export interface JsonDepthProblem {
  /** Where the first container past the bound sits, e.g. `fields.custom.a.b` or `replica.x[3]`. */
  path: string;
  message: string;
}

/**
 * Finds the first container nested deeper than `maxDepth`, or the first key `__proto__` (which an
 * assignment anywhere later would turn into a prototype change), walking iteratively so that the
 * check itself cannot overflow the stack. Only own enumerable keys are followed, as JSON.stringify does.
 * @example jsonDepthProblem(JSON.parse(body), MAX_JSON_DEPTH, 'body') // null when within bounds
 */
export function jsonDepthProblem(
  value: unknown,
  maxDepth: number = MAX_JSON_DEPTH,
  root = '',
): JsonDepthProblem | null {
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: value, depth: 0, path: root }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) {
      return { path: path || '(root)', message: `is nested more than ${maxDepth} levels deep` };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ v: v[i], depth: depth + 1, path: `${path}[${i}]` });
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        if (k === '__proto__')
          return { path: path ? `${path}.${k}` : k, message: 'is a key that is not allowed' };
        stack.push({
          v: (v as Record<string, unknown>)[k],
          depth: depth + 1,
          path: path ? `${path}.${k}` : k,
        });
      }
    }
  }
  return null;
}

export type BoundedParse =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'syntax' | 'depth'; problem: JsonDepthProblem };

/**
 * Parses JSON text and checks its depth. V8's JSON.parse is iterative, so parsing itself is safe;
 * it is what later code does with a deep value that is not.
 */
export function parseBoundedJson(text: string, maxDepth: number = MAX_JSON_DEPTH, root = ''): BoundedParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      reason: 'syntax',
      problem: { path: root || '(root)', message: err instanceof Error ? err.message : 'is not valid JSON' },
    };
  }
  const problem = jsonDepthProblem(value, maxDepth, root);
  return problem ? { ok: false, reason: 'depth', problem } : { ok: true, value };
}
