// Visual mappings kept in step over the link: two rule services on real SQLite joined by an in-memory link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../tests/support/host-process.ts';
import { type InProcessHost, inProcessHost } from '../../tests/support/in-process.ts';
import type { FrameHandler, LinkFrame, LinkHub } from '../link/link-hub.ts';
import { createLogger } from '../log.ts';
import { createRuleService, type RuleService } from './rule-service.ts';
import { attachVisualRulesLink } from './visual-link.ts';

/** Two in-memory link hubs joined back to back: frames arrive in order, asynchronously, only while up. */
function hubPair() {
  let up = false;
  const make = () => {
    const handlers = new Map<string, FrameHandler>();
    const status = new Set<(id: string, up: boolean) => void>();
    let chain = Promise.resolve();
    const hub = {
      peer: undefined as unknown as { deliver(frame: LinkFrame): void },
      deliver(frame: LinkFrame) {
        chain = chain.then(async () => {
          await handlers.get(frame.ch)?.('conn', frame);
        });
      },
      link: {
        isUp: () => up,
        send: (_id: string, frame: LinkFrame) => {
          if (!up) return false;
          hub.peer.deliver(JSON.parse(JSON.stringify(frame)));
          return true;
        },
        bufferedAmount: () => 0,
        handle: (ch: string, h: FrameHandler) => void handlers.set(ch, h),
        onStatus: (l: (id: string, up: boolean) => void) => {
          status.add(l);
          return () => status.delete(l);
        },
      } satisfies LinkHub,
      setUp(v: boolean) {
        for (const l of status) l('conn', v);
      },
    };
    return hub;
  };
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return {
    a: a.link,
    b: b.link,
    setUp(v: boolean) {
      up = v;
      a.setUp(v);
      b.setUp(v);
    },
  };
}

interface Side {
  host: InProcessHost;
  rules: RuleService;
  nodeId: string;
}

let alpha: Side;
let beta: Side;
let hubs: ReturnType<typeof hubPair>;

async function side(nodeId: string, peerNodeId: string, mode = 'visual'): Promise<Side> {
  const host = await inProcessHost();
  const now = new Date().toISOString();
  for (const [id, m] of [
    ['conn', mode],
    ['other', 'script'],
  ] as const) {
    await host.services.db
      .insertInto('connections')
      .values({
        id,
        link_id: `link-${id}`,
        role: 'inviter',
        name: id,
        description: '',
        mode: m,
        state: 'active',
        local_name: nodeId,
        remote_name: peerNodeId,
        peer_node_id: peerNodeId,
        dials: 0,
        invitation_id: `inv-${id}`,
        invitation_expires_at: now,
        state_changed_at: now,
        created_at: now,
        updated_at: now,
      } as never)
      .execute();
  }
  return { host, rules: createRuleService({ db: host.services.db }), nodeId };
}

beforeAll(async () => {
  alpha = await side('node-a', 'node-z');
  beta = await side('node-z', 'node-a');
  hubs = hubPair();
  for (const [s, link] of [
    [alpha, hubs.a],
    [beta, hubs.b],
  ] as const) {
    attachVisualRulesLink({
      link,
      rules: s.rules,
      nodeId: s.nodeId,
      log: createLogger('visual-link-test', 'silent'),
    });
  }
  hubs.setUp(true);
});
afterAll(async () => {
  await alpha.host.close();
  await beta.host.close();
});

const mapping = (remote: string, value: string) => ({
  mappings: [
    { local: 'priority', remote, direction: 'out', values: [{ local: 1, remote: value }], default: 3 },
  ],
  scope: { local: { types: ['incident'] }, remote: { types: ['case'] } },
});

async function atVersion(s: Side, v: number) {
  const view = await waitFor(async () => {
    const current = await s.rules.get('conn');
    return current.version === v ? current : undefined;
  }, 5_000);
  return view!;
}

describe('visual rules over the link', () => {
  it('a publish on one side is adopted, mirrored, at the same version on the other', async () => {
    await alpha.rules.save('conn', mapping('urgency', 'critical'), { publish: true });
    const b = await atVersion(beta, 2);
    expect(b).toMatchObject({
      origin: 'peer',
      published: {
        mappings: [
          {
            local: 'urgency',
            remote: 'priority',
            direction: 'in',
            values: [{ local: 'critical', remote: 1 }],
            remoteDefault: 3,
          },
        ],
        scope: { local: { types: ['case'] }, remote: { types: ['incident'] } },
      },
    });
    expect((await beta.rules.program('conn')).version).toBe('v2');
    // and from the other side back
    await beta.rules.save(
      'conn',
      { ...(b.published as object), mappings: [{ local: 'urgency', remote: 'priority', direction: 'both' }] },
      { publish: true },
    );
    const a = await atVersion(alpha, 3);
    expect(a).toMatchObject({
      origin: 'peer',
      published: { mappings: [{ local: 'priority', remote: 'urgency', direction: 'both' }] },
    });
    expect((await alpha.rules.get('conn')).version).toBe(3);
  });

  it('a side that missed a publish while the link was down catches up on reconnect', async () => {
    hubs.setUp(false);
    await alpha.rules.save('conn', mapping('impact', 'high'), { publish: true });
    expect((await beta.rules.get('conn')).version).toBe(3);
    hubs.setUp(true);
    const b = await atVersion(beta, 4);
    expect(b.published).toMatchObject({ mappings: [{ local: 'impact', remote: 'priority' }] });
  });

  it('two different publishes of the same version converge on the greater node id', async () => {
    hubs.setUp(false);
    await alpha.rules.save('conn', mapping('alpha_field', 'a'), { publish: true });
    await beta.rules.save('conn', { ...mapping('beta_field', 'b') }, { publish: true });
    hubs.setUp(true);
    // node-z (beta) wins: it republishes its mapping as version 6, which alpha adopts mirrored.
    const a = await atVersion(alpha, 6);
    const b = await atVersion(beta, 6);
    expect(b.published).toMatchObject({ mappings: [{ local: 'priority', remote: 'beta_field' }] });
    expect(a.published).toMatchObject({
      mappings: [{ local: 'beta_field', remote: 'priority', direction: 'in' }],
    });
  });

  it('ignores malformed frames and frames for connections in another mode', async () => {
    const before = await beta.rules.get('conn');
    hubs.a.send('conn', { ch: 'rules.visual', op: 'publish', version: 'x' });
    hubs.a.send('conn', {
      ch: 'rules.visual',
      op: 'publish',
      version: 99,
      rules: { mappings: [{ local: 'a b' }] },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await beta.rules.get('conn')).toEqual(before);
    const scriptBefore = await beta.rules.get('other');
    expect(scriptBefore.mode).toBe('script');
  });
});
