// The statuses the built-in store offers per entity type, and its priorities: suggestions, since any status is accepted.
import type { EntityType, FieldChoice } from '../tracker.ts';

/** Each type's usual statuses, in the order work goes; the first of each is its `DEFAULT_STATUS` (keys.ts). */
export const KNOWN_STATUSES: Record<EntityType, readonly string[]> = {
  incident: ['new', 'in_progress', 'on_hold', 'resolved', 'closed', 'canceled'],
  case: ['new', 'open', 'awaiting_info', 'resolved', 'closed', 'canceled'],
  change: ['new', 'draft', 'assess', 'authorize', 'scheduled', 'implement', 'review', 'closed', 'canceled'],
  problem: ['new', 'assess', 'root_cause_analysis', 'fix_in_progress', 'resolved', 'closed'],
  ci: ['operational', 'non_operational', 'retired'],
  request: ['submitted', 'approved', 'in_progress', 'fulfilled', 'closed', 'rejected'],
  user: ['active', 'inactive'],
};

/** `in_progress` -> `In progress`. */
const labelOf = (status: string) => {
  const words = status.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

export const statusChoices = (type: EntityType): FieldChoice[] =>
  KNOWN_STATUSES[type].map((value) => ({ value, label: labelOf(value) }));

/** Priority 1 (highest) to 5, named as ServiceNow names them. */
export const PRIORITY_CHOICES: readonly FieldChoice[] = [
  { value: 1, label: '1 - Critical' },
  { value: 2, label: '2 - High' },
  { value: 3, label: '3 - Moderate' },
  { value: 4, label: '4 - Low' },
  { value: 5, label: '5 - Planning' },
];
