// The link directions a connection shows: not onboarded until paired, null while deactivated, else the link's health.
import { describe, expect, it } from 'vitest';
import { directionStatus, SLOW_RTT_MS } from './connection-view.ts';

const paired = { peer_public_jwk: '{"kty":"OKP"}' };
const up = { up: true, since: null, rttMs: 20 };
const down = { up: false, since: null, rttMs: null };

describe('direction status', () => {
  it('is null while deactivated, whether or not the socket is up', () => {
    expect(directionStatus({ ...paired, state: 'deactivated' }, up)).toBeNull();
    expect(directionStatus({ ...paired, state: 'deactivated' }, down)).toBeNull();
  });

  it('is the live link otherwise', () => {
    expect(directionStatus({ peer_public_jwk: null, state: 'pending' }, down)).toBe('not_onboarded');
    expect(directionStatus({ ...paired, state: 'active' }, up)).toBe('up');
    expect(directionStatus({ ...paired, state: 'active' }, { ...up, rttMs: SLOW_RTT_MS + 1 })).toBe('slow');
    expect(directionStatus({ ...paired, state: 'active' }, down)).toBe('down');
    expect(directionStatus({ ...paired, state: 'error' }, down)).toBe('down');
  });
});
