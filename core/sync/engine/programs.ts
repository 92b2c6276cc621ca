// A connection's rule program for the engine's steps, with the connection-level error while its rules cannot be used.
import type { RuleProgram } from '../../sandbox/sandbox.ts';
import type { SyncConnection } from '../connections-view.ts';
import type { SyncContext } from '../context.ts';
import { closeConnectionErrors, recordError } from '../sync-errors.ts';

/** How the error of rules that cannot be used begins: closed when they can be used again. */
export const RULES_CAUSE = "The connection's rules cannot be used:";

/**
 * Looks up a connection's published program; a failure is recorded (node-level when the rules or sandbox
 * are not loaded, connection-level when the rules do not compile) and gives `undefined`.
 * @example const program = await programs.of(conn); if (!program) return; // an open error says why
 */
export interface Programs {
  of(conn: SyncConnection): Promise<RuleProgram | undefined>;
  /** `of`, looked up once per connection: one step's view of the programs. */
  forStep(): (conn: SyncConnection) => Promise<RuleProgram | undefined>;
  /** Whether the connection's last look-up failed (its work waits until the rules work again). */
  unusable(connectionId: string): boolean;
}

export function createPrograms(ctx: SyncContext): Programs {
  const { db } = ctx;
  const failing = new Set<string>();

  async function of(conn: SyncConnection): Promise<RuleProgram | undefined> {
    const rules = ctx.rules();
    if (!rules || !ctx.sandbox()) {
      failing.add(conn.id);
      await recordError(db, {
        level: 'node',
        connectionId: null,
        message: 'Sync rules cannot run: the rules or sandbox subsystem is not loaded on this host',
      });
      return undefined;
    }
    try {
      const program = await rules.program(conn.id);
      failing.delete(conn.id);
      await closeConnectionErrors(db, conn.id, 'connection', RULES_CAUSE);
      return program;
    } catch (err) {
      failing.add(conn.id);
      await recordError(db, {
        level: 'connection',
        connectionId: conn.id,
        message: `${RULES_CAUSE} ${err instanceof Error ? err.message : String(err)}`,
      });
      return undefined;
    }
  }

  return {
    of,
    forStep() {
      const known = new Map<string, RuleProgram | undefined>();
      return async (conn) => {
        if (!known.has(conn.id)) known.set(conn.id, await of(conn));
        return known.get(conn.id);
      };
    },
    unusable: (id) => failing.has(id),
  };
}
