// Finds the published operation a request is for (method and path against the OpenAPI templates), for the guard.
import { type Operation, templateOf } from './contract.ts';

export interface MatchedOperation {
  op: Operation;
  /** `/api/connections/{id}/rules` */
  template: string;
  params: Record<string, string>;
}

/**
 * The operations at their mount prefixes, matched by method and path; a literal segment beats a parameter
 * (`/api/entities/match` is not `/api/entities/{id}`).
 * @example routeIndex(GENERATED).find('PUT', '/api/connections/c1/rules')?.op.operationId // 'putRules'
 */
export interface RouteIndex {
  find(method: string, path: string): MatchedOperation | undefined;
  readonly operations: readonly (Operation & { template: string })[];
}

export function routeIndex(mounted: ReadonlyArray<[prefix: string, ops: readonly Operation[]]>): RouteIndex {
  const entries = mounted.flatMap(([prefix, ops]) =>
    ops.map((op) => {
      const template = templateOf(prefix, op.path);
      const segments = template.split('/').filter(Boolean);
      const literal = segments.filter((s) => !s.startsWith('{')).length;
      return { op, template, segments, literal };
    }),
  );
  // Most literal segments first, so the first match is the most specific.
  entries.sort((a, b) => b.literal - a.literal);
  return {
    operations: entries.map((e) => ({ ...e.op, template: e.template })),
    find(method, path) {
      const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
      const parts = path.split('/').filter(Boolean);
      for (const e of entries) {
        if (e.op.method !== m || e.segments.length !== parts.length) continue;
        const params: Record<string, string> = {};
        const ok = e.segments.every((s, i) => {
          if (!s.startsWith('{')) return s === parts[i];
          params[s.slice(1, -1)] = safeDecode(parts[i]!);
          return true;
        });
        if (ok) return { op: e.op, template: e.template, params };
      }
      return undefined;
    },
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
