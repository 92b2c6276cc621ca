// Admin routes of a connection's rules: read, edit (draft or publish), test-run.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import type { AppEnv } from '../http/app-env.ts';
import { readJson } from '../http/body.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { Tracker } from '../trackers/tracker.ts';
import type { RuleService } from './rule-service.ts';
import { testRun, testRunBody } from './test-run.ts';
import { trackerUserLookup } from './user-lookup.ts';

const anyObject = z.record(z.string(), z.unknown());

interface RuleRouteDeps {
  rules: RuleService;
  db: Db;
  tracker: Tracker;
  sandbox: Sandbox;
}

export const ruleRoutes = ({ rules, db, tracker, sandbox }: RuleRouteDeps) =>
  new Hono<AppEnv>()
    .get('/:id/rules', async (c) => c.json(await rules.get(c.req.param('id'))))
    .put('/:id/rules', async (c) => {
      const { publish, ...ruleSet } = await readJson(c, anyObject);
      if (publish !== undefined && typeof publish !== 'boolean') {
        throw new TandemError('VALIDATION_FAILED', 422, 'publish must be true or false', {
          errors: [{ path: 'publish', message: 'must be a boolean' }],
        });
      }
      return c.json(
        await rules.save(c.req.param('id'), ruleSet, { publish: publish === true, origin: 'local' }),
      );
    })
    .post('/:id/rules/test', async (c) => {
      const body = await readJson(c, testRunBody);
      return c.json(
        await testRun(
          { db, tracker, rules, sandbox, host: trackerUserLookup(tracker) },
          c.req.param('id'),
          body,
        ),
      );
    });
