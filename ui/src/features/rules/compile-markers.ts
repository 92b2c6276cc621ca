// Where a rule script went wrong, as editor markers: compile problems of a 422 answer, by script.
import type { ApiError } from '../../api.ts';
import type { Marker } from '../../components/code-editor.tsx';

export type Script = 'outgoing' | 'incoming';

/** A marker for one of the two scripts. */
export interface ScriptMarker {
  script: Script;
  marker: Marker;
}

/** Compile problems from a 422 answer, whatever the exact shape: `{script, line, column}` or `errors: [...]`. */
export function compileMarkers(err: ApiError | undefined): Record<Script, Marker[]> {
  const out: Record<Script, Marker[]> = { outgoing: [], incoming: [] };
  if (err?.status !== 422) return out;
  const entries: Record<string, unknown>[] = [];
  if (typeof err.body.line === 'number') entries.push(err.body);
  const list = err.body.problems ?? err.body.errors ?? err.body.compileErrors ?? err.body.diagnostics;
  if (Array.isArray(list)) entries.push(...(list as Record<string, unknown>[]));
  for (const e of entries) {
    if (typeof e.line !== 'number') continue;
    const which = String(e.script ?? e.program ?? e.part ?? e.which ?? e.path ?? '');
    const script: Script = which.includes('incoming') ? 'incoming' : 'outgoing';
    out[script].push({
      line: e.line,
      column: typeof e.column === 'number' ? e.column : undefined,
      message: String(e.message ?? err.message),
    });
  }
  return out;
}
