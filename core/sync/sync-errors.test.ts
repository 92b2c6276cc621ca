import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../tests/support/test-database.ts';
import { RULES_CAUSE } from './engine/programs.ts';
import { closeConnectionErrors, recordError } from './sync-errors.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(() => t.close());

/** The kinds of the statements run through the returned executor. */
function counting() {
  const kinds: RootOperationNode['kind'][] = [];
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => {
      kinds.push(node.kind);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  return { db: t.db.withPlugin(plugin), kinds };
}

const openOf = (connectionId: string) =>
  t.db
    .selectFrom('sync_errors')
    .select('message')
    .where('connection_id', '=', connectionId)
    .where('status', '=', 'open')
    .execute();

describe('closing the errors of a connection that works again', () => {
  it('only reads when none is open (every step of a working connection asks)', async () => {
    const { db, kinds } = counting();
    await closeConnectionErrors(db, 'c-clean', 'connection', RULES_CAUSE);
    expect(kinds).toEqual(['SelectQueryNode']);
  });

  it('closes an open error of its cause only', async () => {
    await recordError(t.db, {
      level: 'connection',
      connectionId: 'c-1',
      message: `${RULES_CAUSE} no compile`,
    });
    await closeConnectionErrors(t.db, 'c-1', 'connection', 'Another cause:');
    expect(await openOf('c-1')).toEqual([{ message: `${RULES_CAUSE} no compile` }]);
    const { db, kinds } = counting();
    await closeConnectionErrors(db, 'c-1', 'connection', RULES_CAUSE);
    expect(kinds).toEqual(['SelectQueryNode', 'UpdateQueryNode']);
    expect(await openOf('c-1')).toEqual([]);
  });
});
