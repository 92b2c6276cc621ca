// Human keys per entity type, ServiceNow style: INC0001001, CHG0001001, ...
import type { EntityType } from '../tracker.ts';

export const KEY_PREFIX: Record<EntityType, string> = {
  incident: 'INC',
  case: 'CS',
  change: 'CHG',
  problem: 'PRB',
  ci: 'CI',
  request: 'REQ',
  user: 'USR',
};

export const FIRST_KEY_NUMBER = 1001;

export function formatKey(type: EntityType, n: number): string {
  return `${KEY_PREFIX[type]}${String(n).padStart(7, '0')}`;
}

export const DEFAULT_STATUS: Record<EntityType, string> = {
  incident: 'new',
  case: 'new',
  change: 'new',
  problem: 'new',
  ci: 'operational',
  request: 'submitted',
  user: 'active',
};
