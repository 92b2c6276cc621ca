// A field's pick-list from the fields the host offers for a type: the tracker's values first, then those seen,
// with the tracker's names for them; `only` where the tracker takes nothing else.
import type { OfferedField } from '../../api.ts';

export interface PickList {
  values: string[];
  labels: Map<string, string>;
  only: boolean;
}

export function pickLists(items: readonly OfferedField[] | undefined) {
  const offered = new Map((items ?? []).map((f) => [f.name, f]));
  return {
    offered,
    pick(name: string, fallback: readonly (string | number)[] = []): PickList {
      const f = offered.get(name);
      return {
        values: (f?.values ?? fallback).map(String),
        labels: new Map((f?.choices ?? []).map((c) => [String(c.value), c.label])),
        only: f?.choicesOnly === true,
      };
    },
  };
}
