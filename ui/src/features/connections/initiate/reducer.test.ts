// The Initiate connection wizard's reducer: probing, modes, default names and the way through the steps.
import { describe, expect, it } from 'vitest';
import type { Created } from '../../../api.ts';
import type { Destination } from './destination.ts';
import {
  freeName,
  INITIAL_STATE,
  type InitiateAction,
  type InitiateState,
  initiateReducer,
  unreachable,
} from './reducer.ts';

const globex: Destination = {
  name: 'Globex Corp',
  nodeId: 'n-globex',
  fingerprint: 'AAAA-BBBB-CCCC-DDDD',
  self: false,
  modes: ['script'],
};

/** What `POST /api/connections` answers: the pending connection, its invitation code and the code's fingerprint. */
const created: Created = {
  connection: {
    id: 'c1',
    name: 'acme_to_globex-corp',
    description: '',
    mode: 'script',
    state: 'pending',
    outbound: null,
    inbound: null,
    localName: 'acme',
    remoteName: 'globex-corp',
    role: 'inviter',
    peer: { nodeId: 'n-globex', url: 'https://globex.example', name: null, fingerprint: null },
    link: { up: false, since: null, rttMs: null, dials: true },
    onboarding: null,
    lastError: null,
    invitation: { id: 'i1', expiresAt: '2026-12-04T12:00:00.000Z', usedAt: null },
    createdAt: '2026-12-01T12:00:00.000Z',
    updatedAt: '2026-12-01T12:00:00.000Z',
    counts: { queuedOut: 0, queuedIn: 0, errors: 0, twins: 0 },
  },
  invitationCode: 'a.b.c',
  invitationFingerprint: 'AAAA-BBBB-CCCC-DDDD',
};

const run = (...actions: InitiateAction[]): InitiateState => actions.reduce(initiateReducer, INITIAL_STATE);

describe('initiateReducer', () => {
  it('takes the only mode of a probed destination and its name as the remote short name', () => {
    const s = run({ type: 'urlEdited', url: 'https://globex.example' }, { type: 'probed', dest: globex });
    expect(s).toMatchObject({ dest: globex, mode: 'script', remoteName: 'globex-corp' });
  });

  it('leaves the choice to the admin when the destination offers several modes', () => {
    const s = run({ type: 'probed', dest: { ...globex, modes: ['visual', 'script'] } });
    expect(s.mode).toBe('');
    expect(
      run(
        { type: 'probed', dest: { ...globex, modes: ['visual', 'script'] } },
        { type: 'modeChosen', mode: 'visual' },
      ).mode,
    ).toBe('visual');
  });

  it('keeps a remote short name the admin typed', () => {
    const s = run({ type: 'edited', field: 'remoteName', value: 'gx' }, { type: 'probed', dest: globex });
    expect(s.remoteName).toBe('gx');
  });

  it('forgets the destination and the mode when the URL changes or the admin has no URL', () => {
    const probed = run({ type: 'probed', dest: globex });
    expect(initiateReducer(probed, { type: 'urlEdited', url: 'https://other.example' })).toMatchObject({
      dest: null,
      mode: '',
    });
    const noUrl = initiateReducer(probed, { type: 'noUrlChosen', noUrl: true });
    expect(noUrl).toMatchObject({ noUrl: true, dest: null, mode: '' });
    const offered = initiateReducer(noUrl, { type: 'ownModesFound', modes: ['basic', 'visual'] });
    expect(offered.dest).toEqual({
      name: null,
      nodeId: null,
      fingerprint: null,
      self: false,
      modes: ['basic', 'visual'],
    });
    expect(offered.mode).toBe('');
  });

  it('names the connection after both short names until the admin names it', () => {
    const named = run({ type: 'nodeNamed', name: 'Acme' }, { type: 'probed', dest: globex });
    expect(named.name).toBe('acme_to_globex-corp');
    const edited = initiateReducer(named, { type: 'edited', field: 'remoteName', value: 'globex' });
    expect(edited.name).toBe('acme_to_globex');
    const typed = initiateReducer(edited, { type: 'nameEdited', name: 'Acme to Globex' });
    const after = initiateReducer(typed, { type: 'edited', field: 'localName', value: 'acme-eu' });
    expect(after).toMatchObject({ name: 'Acme to Globex', localName: 'acme-eu' });
  });

  it('keeps a local short name that is already there when the node name arrives', () => {
    const s = run({ type: 'edited', field: 'localName', value: 'mine' }, { type: 'nodeNamed', name: 'Acme' });
    expect(s.localName).toBe('mine');
  });

  it('goes on to the information step only with a destination and a mode, and back again', () => {
    expect(run({ type: 'next' }).step).toBe('destination');
    expect(
      run({ type: 'probed', dest: { ...globex, modes: ['visual', 'script'] } }, { type: 'next' }).step,
    ).toBe('destination');
    const info = run({ type: 'probed', dest: globex }, { type: 'next' });
    expect(info.step).toBe('information');
    expect(initiateReducer(info, { type: 'previous' }).step).toBe('destination');
  });

  it('shows the invitation once the connection is created', () => {
    const s = run({ type: 'probed', dest: globex }, { type: 'next' }, { type: 'created', created });
    expect(s).toMatchObject({ step: 'invitation', created });
  });

  it('stops a private host without a destination URL in step 1: one side needs a reachable URL', () => {
    const noUrl = (publicUrl: string | null) =>
      [
        { type: 'nodeNamed', name: 'Acme', publicUrl },
        { type: 'noUrlChosen', noUrl: true },
        { type: 'ownModesFound', modes: ['script'] },
        { type: 'modeChosen', mode: 'script' },
      ] satisfies InitiateAction[];
    const stuck = noUrl(null).reduce(initiateReducer, INITIAL_STATE);
    expect(unreachable(stuck)).toBe(true);
    expect(initiateReducer(stuck, { type: 'next' }).step).toBe('destination');
    const publicHost = noUrl('https://acme.example').reduce(initiateReducer, INITIAL_STATE);
    expect(unreachable(publicHost)).toBe(false);
    expect(initiateReducer(publicHost, { type: 'next' }).step).toBe('information');
    // Not known yet, or with a destination URL: nothing to say.
    expect(unreachable({ noUrl: true, ownUrl: undefined })).toBe(false);
    expect(unreachable({ noUrl: false, ownUrl: null })).toBe(false);
  });

  it('suggests the name the host would give: the first free of name, name_2, name_3...', () => {
    expect(freeName('a_to_b', [])).toBe('a_to_b');
    expect(freeName('a_to_b', ['a_to_b', 'a_to_b_2', 'a_to_bee'])).toBe('a_to_b_3');
    const s = (
      [
        { type: 'namesKnown', names: ['acme_to_globex'] },
        { type: 'edited', field: 'localName', value: 'acme' },
        { type: 'edited', field: 'remoteName', value: 'globex' },
      ] satisfies InitiateAction[]
    ).reduce(initiateReducer, INITIAL_STATE);
    expect(s.name).toBe('acme_to_globex_2');
    expect(initiateReducer(s, { type: 'nameEdited', name: 'acme_to_globex' }).name).toBe('acme_to_globex');
  });
});
