// Entity fields as the console shows them: type names, and the options of the type and priority selects.
import { ENTITY_TYPES, type EntityType } from '../../api.ts';

const TYPE_LABELS: Record<string, string> = {
  incident: 'Incident',
  case: 'Case',
  change: 'Change',
  problem: 'Problem',
  ci: 'Configuration item',
  request: 'Request',
  user: 'User',
};

export const typeLabel = (t: string) => TYPE_LABELS[t] ?? t;

/** The entity type a select (or the page's URL) names, if it is one. */
export const entityTypeOf = (v: string): EntityType | undefined => ENTITY_TYPES.find((t) => t === v);

/** One `<option>` per entity type, labelled. */
export function TypeOptions() {
  return (
    <>
      {ENTITY_TYPES.map((t) => (
        <option key={t} value={t}>
          {typeLabel(t)}
        </option>
      ))}
    </>
  );
}
