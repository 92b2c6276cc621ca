import { describe, expect, it } from 'vitest';
import { checkLabel } from './check-names.ts';

describe('checkLabel', () => {
  it('names the known check ids in words, spells out other ids, and keeps names that are words already', () => {
    expect(checkLabel('peer_reachable')).toBe('Partner reachable');
    expect(checkLabel('clock_skew')).toBe('Clocks agree');
    expect(checkLabel('tracker_healthy')).toBe('System of record (tracker) healthy');
    expect(checkLabel('tables_readable')).toBe('Tables readable');
    expect(checkLabel('Local store readable')).toBe('Local store readable');
    expect(checkLabel('reachable')).toBe('reachable');
  });
});
