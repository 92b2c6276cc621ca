// Helpers for the pairing tests: public/private hosts, pairing through the admin API, waiting on state.
import { type HostProcess, type StartOptions, startHostProcess, waitFor } from './host-process.ts';

/** Fast link timings so reconnects happen within a test's patience. */
export const LINK_ENV = { TANDEM_LINK_BACKOFF_MAX_MS: '800', TANDEM_LINK_HEARTBEAT_MS: '1000' };

export interface Conn {
  id: string;
  state: string;
  mode: string;
  outbound: string | null;
  inbound: string | null;
  localName: string;
  remoteName: string;
  role: string;
  peer: { nodeId: string | null; url: string | null; name: string | null };
  link: { up: boolean; dials: boolean };
  onboarding: { message: string; at: string } | null;
  lastError: string | null;
  counts: Record<string, number>;
}

export interface Problem {
  code: string;
  status: number;
  detail: string;
}

/** A host whose public URL is its own listen URL (learned after start, set through PATCH /api/node). */
export async function publicHost(name: string, opts: StartOptions = {}): Promise<HostProcess> {
  const h = await startHostProcess({ name, ...opts, env: { ...LINK_ENV, ...opts.env } });
  const r = await h.api('PATCH', '/api/node', { publicUrl: h.url });
  if (r.status !== 200) throw new Error(`could not set the public URL: ${JSON.stringify(r.body)}`);
  return h;
}

/** A host with no public URL. */
export function privateHost(name: string, opts: StartOptions = {}): Promise<HostProcess> {
  return startHostProcess({ name, ...opts, env: { ...LINK_ENV, ...opts.env } });
}

export const portOf = (h: HostProcess): number => Number(new URL(h.url).port);

export async function initiate(
  inviter: HostProcess,
  destination: HostProcess | null,
  extra: Record<string, unknown> = {},
): Promise<{ connection: Conn; invitationCode: string }> {
  const r = await inviter.api<{ connection: Conn; invitationCode: string }>('POST', '/api/connections', {
    destinationUrl: destination ? destination.url : null,
    mode: 'script',
    localName: 'alpha',
    remoteName: 'beta',
    // No name: each host picks a free default (alpha_to_beta, alpha_to_beta_2...); explicit duplicates are 409.
    description: 'test pairing',
    ...extra,
  });
  if (r.status !== 201) throw new Error(`initiate failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function accept(acceptor: HostProcess, code: string) {
  return acceptor.api<{ connection: Conn } & Problem>('POST', '/api/invitations/accept', { code });
}

export async function connection(h: HostProcess, id: string): Promise<Conn> {
  const r = await h.api<Conn>('GET', `/api/connections/${id}`);
  if (r.status !== 200) throw new Error(`GET connection ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function list(h: HostProcess): Promise<Conn[]> {
  return (await h.api<{ items: Conn[] }>('GET', '/api/connections')).body.items;
}

export function waitConn(
  h: HostProcess,
  id: string,
  pred: (c: Conn) => boolean,
  timeoutMs = 10_000,
): Promise<Conn> {
  return waitFor(async () => {
    const c = await connection(h, id);
    return pred(c) ? c : undefined;
  }, timeoutMs) as Promise<Conn>;
}

/** Initiates on `inviter`, accepts on `acceptor`, waits until both sides are active with the link up. */
export async function pair(
  inviter: HostProcess,
  acceptor: HostProcess,
  bind: boolean,
  extra: Record<string, unknown> = {},
) {
  const { connection: mine, invitationCode } = await initiate(inviter, bind ? acceptor : null, extra);
  const r = await accept(acceptor, invitationCode);
  if (r.status !== 201) throw new Error(`accept failed: ${r.status} ${JSON.stringify(r.body)}`);
  const theirs = r.body.connection;
  const live = (c: Conn) => c.state === 'active' && c.link.up;
  const a = await waitConn(inviter, mine.id, live, 20_000);
  const b = await waitConn(acceptor, theirs.id, live, 20_000);
  return { inviterConn: a, acceptorConn: b, code: invitationCode };
}
