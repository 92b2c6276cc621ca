// What the wizard knows of the destination: the probe's answer read whatever its shape, the modes, short names.
import type { Mode, WellKnown } from '../../../api.ts';

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

/** What the probe tells about the destination, whatever the exact shape of the answer. */
export interface Destination {
  name: string | null;
  nodeId: string | null;
  fingerprint: string | null;
  self: boolean;
  modes: Mode[];
}

export function normalizeProbe(r: Record<string, unknown>): Destination {
  const doc = (r.wellKnown ?? r.node ?? r.destination ?? r.document ?? r.remote ?? r) as Partial<WellKnown>;
  const modes = (r.commonModes ?? r.sharedModes ?? r.modes ?? doc.modes ?? []) as string[];
  return {
    name: doc.name ?? null,
    nodeId: doc.nodeId ?? null,
    fingerprint: typeof r.fingerprint === 'string' ? r.fingerprint : null,
    self: r.self === true,
    modes: ALL_MODES.filter((m) => modes.includes(m)),
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
