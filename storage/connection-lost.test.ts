// Which driver errors count as "the database cannot be reached now" (503 database_unavailable) and which do not.
import { describe, expect, it } from 'vitest';
import { isDatabaseUnreachable } from './connection-lost.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnreachable', () => {
  it('takes a lost, refused or shutting-down server', () => {
    for (const err of [
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is starting up', '57P03'),
      withCode('connection failure', '08006'),
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('wrapped', { cause: withCode('gone', '57P01') }),
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''),
    ])
      expect(isDatabaseUnreachable(err), err.message).toBe(true);
  });

  it('leaves errors about the query itself alone', () => {
    for (const err of [
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('canceling statement due to statement timeout', '57014'),
      withCode('relation "x" does not exist', '42P01'),
      withCode('SQLITE_BUSY: database is locked', 'SQLITE_BUSY'),
      new Error('Something else'),
      // Another service refused (fetch), not the database.
      new TypeError('fetch failed', {
        cause: withCode('connect ECONNREFUSED 10.0.0.2:8080', 'ECONNREFUSED'),
      }),
    ])
      expect(isDatabaseUnreachable(err), err.message).toBe(false);
    expect(isDatabaseUnreachable('Connection terminated')).toBe(false);
  });
});
