// Reads a peer's well-known document and checks that its node id is the thumbprint of its key.
import { z } from 'zod';
import { assertHttpUrl } from '../config.ts';
import { TandemError } from '../errors.ts';
import { nodeIdOf } from '../identity/node-identity.ts';

const wellKnown = z.object({
  nodeId: z.string().min(40).max(50),
  name: z.string().max(200),
  version: z.string().max(50),
  protocol: z.number().int(),
  modes: z.array(z.string().max(50)).max(20),
  publicKey: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string().min(40).max(50) }),
  linkPath: z.string().max(200),
});

export type WellKnown = z.infer<typeof wellKnown>;

/** Normalises an admin-typed base URL (no trailing slash); refuses anything but http(s). */
export function baseUrl(value: string, what = 'destination URL'): string {
  const url = assertHttpUrl(value.trim(), what);
  url.hash = '';
  url.search = '';
  return url.toString().replace(/\/+$/, '');
}

/**
 * Fetches `{url}/.well-known/tandem` with a time-out.
 * @example const doc = await probePeer('https://globex.example'); doc.nodeId
 */
export async function probePeer(url: string, timeoutMs = 5000): Promise<WellKnown> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl(url)}/.well-known/tandem`, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    if (err instanceof TandemError) throw err;
    throw new TandemError('PEER_UNREACHABLE', 502, `Could not reach ${url}: ${(err as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new TandemError('PEER_UNREACHABLE', 502, `${url} answered HTTP ${res.status}`);
  let parsed: ReturnType<typeof wellKnown.safeParse>;
  try {
    parsed = wellKnown.safeParse(JSON.parse(text.slice(0, 64 * 1024)));
  } catch {
    parsed = wellKnown.safeParse(undefined);
  }
  if (!parsed.success) throw new TandemError('NOT_A_TANDEM_HOST', 502, `${url} is not a Tandem host`);
  if ((await nodeIdOf(parsed.data.publicKey)) !== parsed.data.nodeId) {
    throw new TandemError('NOT_A_TANDEM_HOST', 502, `${url} publishes a node id that is not its key's`);
  }
  return parsed.data;
}
