// The Initiate connection wizard's state: every step's fields, and a pure reducer for what the admin does.
import type { Created, Mode } from '../../../api.ts';
import { type Destination, slug } from './destination.ts';

export type Step = 'destination' | 'information' | 'invitation';

export interface InitiateState {
  step: Step;
  url: string;
  /** The admin has no destination URL: the invitation is bound to no node. */
  noUrl: boolean;
  /** This node's public URL: null when it has none, undefined until known. */
  ownUrl: string | null | undefined;
  /** What the destination (or, without a URL, this node) offers; null until known. */
  dest: Destination | null;
  mode: Mode | '';
  localName: string;
  remoteName: string;
  name: string;
  /** The admin typed a connection name: it is no longer made from the short names. */
  nameTouched: boolean;
  /** The names this host's connections have, so the suggested name is one the host would give. */
  takenNames: readonly string[];
  description: string;
  /** Hours until the invitation expires, as typed. */
  expires: string;
  created: Created | null;
}

export type InitiateAction =
  | { type: 'urlEdited'; url: string }
  | { type: 'noUrlChosen'; noUrl: boolean }
  /** The destination answered the probe. */
  | { type: 'probed'; dest: Destination }
  /** Without a URL, the modes this node supports are offered. */
  | { type: 'ownModesFound'; modes: Mode[] }
  | { type: 'modeChosen'; mode: Mode }
  /** This node's name and public URL arrived: the name makes the default local short name. */
  | { type: 'nodeNamed'; name: string; publicUrl?: string | null }
  | { type: 'edited'; field: 'localName' | 'remoteName' | 'description' | 'expires'; value: string }
  | { type: 'nameEdited'; name: string }
  /** The names of this host's connections arrived. */
  | { type: 'namesKnown'; names: readonly string[] }
  | { type: 'next' }
  | { type: 'previous' }
  | { type: 'created'; created: Created };

export const INITIAL_STATE: InitiateState = {
  step: 'destination',
  url: '',
  noUrl: false,
  ownUrl: undefined,
  dest: null,
  mode: '',
  localName: '',
  remoteName: '',
  name: '',
  nameTouched: false,
  takenNames: [],
  description: '',
  expires: '72',
  created: null,
};

export function stepNumber(step: Step): number {
  return step === 'destination' ? 1 : step === 'information' ? 2 : 3;
}

/**
 * The state after one thing the admin did (or one answer that came); pure, so each step is testable alone.
 * `initiateReducer(INITIAL_STATE, { type: 'urlEdited', url: 'https://partner.example' })`
 */
export function initiateReducer(s: InitiateState, a: InitiateAction): InitiateState {
  return withDefaultName(apply(s, a));
}

function apply(s: InitiateState, a: InitiateAction): InitiateState {
  switch (a.type) {
    case 'urlEdited':
      return { ...s, url: a.url, dest: null, mode: '' };
    case 'noUrlChosen':
      return { ...s, noUrl: a.noUrl, dest: null, mode: '' };
    case 'probed':
      return {
        ...s,
        dest: a.dest,
        mode: a.dest.modes.length === 1 ? a.dest.modes[0]! : '',
        remoteName: a.dest.name && !s.remoteName ? slug(a.dest.name) : s.remoteName,
      };
    case 'ownModesFound':
      return { ...s, dest: { name: null, nodeId: null, fingerprint: null, self: false, modes: a.modes } };
    case 'modeChosen':
      return { ...s, mode: a.mode };
    case 'nodeNamed':
      return {
        ...s,
        localName: s.localName || slug(a.name),
        ...(a.publicUrl !== undefined ? { ownUrl: a.publicUrl } : {}),
      };
    case 'edited':
      return { ...s, [a.field]: a.value };
    case 'nameEdited':
      return { ...s, name: a.name, nameTouched: true };
    case 'namesKnown':
      return { ...s, takenNames: a.names };
    case 'next':
      return s.step === 'destination' && s.dest && s.mode && !unreachable(s)
        ? { ...s, step: 'information' }
        : s;
    case 'previous':
      return s.step === 'information' ? { ...s, step: 'destination' } : s;
    case 'created':
      return { ...s, created: a.created, step: 'invitation' };
  }
}

/**
 * Neither side could dial the other: no destination URL and this node has no public URL. Said in step 1,
 * before the admin fills in step 2 only to have the host refuse it.
 */
export function unreachable(s: Pick<InitiateState, 'noUrl' | 'ownUrl'>): boolean {
  return s.noUrl && s.ownUrl === null;
}

/** `base`, or the first of `base_2`, `base_3`... no connection has: what the host picks (connection-names.ts). */
export function freeName(base: string, taken: readonly string[]): string {
  const names = new Set(taken);
  if (!names.has(base)) return base;
  for (let n = 2; ; n++) if (!names.has(`${base}_${n}`)) return `${base}_${n}`;
}

/**
 * Until the admin names the connection, its name follows the short names: `acme_to_globex` (the host
 * makes it free with `_2`, `_3`... when sent without a name, as the information step does then).
 */
function withDefaultName(s: InitiateState): InitiateState {
  if (s.nameTouched || !s.localName || !s.remoteName) return s;
  const name = freeName(`${s.localName}_to_${s.remoteName}`, s.takenNames);
  return name === s.name ? s : { ...s, name };
}
