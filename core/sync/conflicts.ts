// Concurrent edits in Basic and Visual: per-field last writer wins by hybrid logical clock.
import type { Replica } from '../sandbox/sandbox.ts';
import { own, sameJson } from './json.ts';

export interface LwwInput {
  /** Fields the incoming rule would change on the local entity. */
  patch: Record<string, unknown>;
  /** The local entity's fields now. */
  current: Record<string, unknown>;
  /** The local fields as sync last saw them (sent or applied); a difference is a local edit not yet sent. */
  snapshot: Record<string, unknown> | null;
  /** When each local field was last written, as far as sync knows. */
  fieldClocks: Record<string, string>;
  replica: Replica;
  previous: Replica | null;
  /** When the peer last changed each replica field. */
  remoteClocks: Record<string, string>;
  eventClock: string;
  now: () => string;
}

export interface LwwResult {
  patch: Record<string, unknown>;
  fieldClocks: Record<string, string>;
  /** Fields where the local value won. */
  kept: string[];
}

/**
 * Keeps a remote field change only if it is newer than the local write of that field; both sides
 * compare the same two stamps, so both end with the same value.
 * @example resolveLww({ patch: { summary: 'b' }, fieldClocks: { summary: t1 }, remoteClocks: { summary: t0 }, ... })
 */
export function resolveLww(input: LwwInput): LwwResult {
  const changed = Object.keys(input.replica).filter(
    (k) => !input.previous || !sameJson(input.replica[k], own(input.previous, k)),
  );
  const newestChanged = changed
    .map((k) => own(input.remoteClocks, k) ?? input.eventClock)
    .sort()
    .at(-1);
  const fieldClocks = { ...input.fieldClocks };
  const patch: Record<string, unknown> = {};
  const kept: string[] = [];
  for (const [field, value] of Object.entries(input.patch)) {
    const remote = Object.hasOwn(input.replica, field)
      ? (own(input.remoteClocks, field) ?? input.eventClock)
      : (newestChanged ?? input.eventClock);
    const unsent =
      input.snapshot !== null && !sameJson(own(input.current, field), own(input.snapshot, field));
    const local = unsent ? input.now() : (own(fieldClocks, field) ?? '');
    if (remote > local) {
      patch[field] = value;
      fieldClocks[field] = remote;
    } else {
      kept.push(field);
      fieldClocks[field] = local;
    }
  }
  return { patch, fieldClocks, kept };
}

/** Clocks of a replica about to be sent: changed fields get `clock`, unchanged ones keep theirs. */
export function replicaClocks(
  replica: Replica,
  lastSent: Replica | null,
  lastClocks: Record<string, string>,
  clock: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(replica)) {
    const same = lastSent !== null && Object.hasOwn(lastSent, k) && sameJson(replica[k], lastSent[k]);
    out[k] = same ? (own(lastClocks, k) ?? clock) : clock;
  }
  return out;
}

/** Local field clocks after a send: fields changed since the snapshot were written at `clock`. */
export function localClocks(
  fields: Record<string, unknown>,
  snapshot: Record<string, unknown> | null,
  clocks: Record<string, string>,
  clock: string,
): Record<string, string> {
  const out = { ...clocks };
  for (const [k, v] of Object.entries(fields)) {
    if (!snapshot || !sameJson(v, own(snapshot, k))) out[k] = clock;
  }
  return out;
}
