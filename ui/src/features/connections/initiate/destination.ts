// What the wizard knows of the destination: the probe's answer, the modes, short names.
import type { Mode, Probe } from '../../../api.ts';

export const MODE_TEXT: Record<Mode, { title: string; text: string }> = {
  basic: {
    title: 'Basic',
    text: 'A fixed mapping of the common fields. Nothing to configure; not editable.',
  },
  visual: {
    title: 'Visual',
    text: 'Map fields and values for both sides from one place, with defaults and a scope.',
  },
  script: {
    title: 'Script',
    text: 'Your own outgoing and incoming JavaScript on each side. Starts with rules that sync at once.',
  },
};
export const ALL_MODES: Mode[] = ['basic', 'visual', 'script'];

/** What the probe tells about the destination (or, without a URL, only the modes of this node). */
export interface Destination {
  name: string | null;
  nodeId: string | null;
  fingerprint: string | null;
  self: boolean;
  modes: Mode[];
}

/** `GET /api/probe`'s answer as the wizard uses it: the modes both hosts offer, in the console's order. */
export function normalizeProbe(r: Probe): Destination {
  return {
    name: r.name,
    nodeId: r.nodeId,
    fingerprint: r.fingerprint,
    self: r.self,
    modes: ALL_MODES.filter((m) => r.commonModes.includes(m)),
  };
}

/** A short name from a node's name: `Acme Service Desk` -> `acme-service-desk`. */
export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}
