// Visual mappings are shared: each publish travels to the peer (channel `rules.visual`) with its version,
// so both sides run the same mapping version, each from its own side (the peer stores the mirror).
import { z } from 'zod';
import { mirrorVisualRules } from '../../modes/visual/mapping.ts';
import { visualMode } from '../../modes/visual/visual-mode.ts';
import type { LinkHub } from '../link/link-hub.ts';
import type { Logger } from '../log.ts';
import type { RuleService } from './rule-service.ts';

export const VISUAL_RULES_CHANNEL = 'rules.visual';

/** `publish`: a new version was just published there. `state`: its current version, sent on every link-up. */
const frameSchema = z.object({
  ch: z.literal(VISUAL_RULES_CHANNEL),
  op: z.enum(['publish', 'state']),
  version: z.number().int().min(1).max(1_000_000_000),
  rules: z.unknown(),
});

export interface VisualLinkDeps {
  link: LinkHub;
  rules: RuleService;
  /** This host's node id: on a conflict (both sides published the same version differently) the greater id wins. */
  nodeId: string;
  log: Logger;
}

/**
 * Keeps both sides of every visual connection on the same mapping version:
 * - a local publish is sent to the peer; a newer version from the peer is adopted (mirrored);
 * - on link-up both sides send their current version, so one that missed a publish catches up;
 * - two different publishes of the same version: the side with the greater node id publishes its
 *   mapping again as the next version, which the other adopts.
 * @example attachVisualRulesLink({ link, rules, nodeId: identity.nodeId, log });
 */
export function attachVisualRulesLink(deps: VisualLinkDeps): () => void {
  const { link, rules, log } = deps;

  async function sendCurrent(connectionId: string, op: 'publish' | 'state'): Promise<void> {
    const conn = await rules.connection(connectionId);
    if (conn.mode !== 'visual') return;
    const current = await rules.current(connectionId);
    link.send(connectionId, { ch: VISUAL_RULES_CHANNEL, op, version: current.version, rules: current.rules });
  }

  async function receive(connectionId: string, raw: unknown): Promise<void> {
    const parsed = frameSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn({ connectionId }, 'malformed visual rules frame ignored');
      return;
    }
    const frame = parsed.data;
    const conn = await rules.connection(connectionId);
    if (conn.mode !== 'visual') {
      log.warn(
        { connectionId, mode: conn.mode },
        'visual rules frame on a connection in another mode ignored',
      );
      return;
    }
    const mine = mirrorVisualRules(visualMode.parse(frame.rules));
    const current = await rules.current(connectionId);
    if (frame.version > current.version) {
      await rules.adopt(connectionId, frame.version, mine);
      log.info({ connectionId, version: frame.version }, 'visual rules adopted from the peer');
      return;
    }
    if (frame.version < current.version) {
      // The peer is behind (it missed our publish): tell it where we are.
      if (frame.op === 'publish') await sendCurrent(connectionId, 'state');
      return;
    }
    if (JSON.stringify(current.rules) === JSON.stringify(mine)) return;
    if (conn.peerNodeId !== null && deps.nodeId > conn.peerNodeId) {
      log.warn(
        { connectionId, version: frame.version },
        'both sides published this visual rules version; ours wins',
      );
      await rules.save(connectionId, current.rules, { publish: true, origin: 'local' });
    }
    // Otherwise the peer wins: it publishes the next version, which we adopt.
  }

  link.handle(VISUAL_RULES_CHANNEL, (connectionId, frame) =>
    receive(connectionId, frame).catch((err: unknown) =>
      log.error({ err, connectionId }, 'visual rules from the peer could not be applied'),
    ),
  );
  const offPublished = rules.onPublished((event) => {
    if (event.mode !== 'visual' || event.origin === 'peer') return;
    link.send(event.connectionId, {
      ch: VISUAL_RULES_CHANNEL,
      op: 'publish',
      version: event.version,
      rules: event.rules,
    });
  });
  const offStatus = link.onStatus((connectionId, up) => {
    if (!up) return;
    sendCurrent(connectionId, 'state').catch((err: unknown) =>
      log.warn({ err, connectionId }, 'could not send the visual rules state'),
    );
  });
  return () => {
    offPublished();
    offStatus();
  };
}
