// Admin routes of a connection's rules: read, edit (draft or publish), test-run.
import { Hono } from 'hono';
import { z } from 'zod';
import { TandemError } from '../errors.ts';
import type { AppEnv } from '../http/app-env.ts';
import { readJson } from '../http/body.ts';
import type { RuleService } from './rule-service.ts';
import { testRun, testRunBody } from './test-run.ts';
import { trackerUserLookup } from './user-lookup.ts';

const anyObject = z.record(z.string(), z.unknown());

function rulesOf(c: { var: { host: { rules?: RuleService } } }): RuleService {
  const rules = c.var.host.rules;
  if (!rules)
    throw new TandemError('RULES_UNAVAILABLE', 503, 'The rules subsystem is not loaded on this host');
  return rules;
}

export const ruleRoutes = new Hono<AppEnv>()
  .get('/:id/rules', async (c) => c.json(await rulesOf(c).get(c.req.param('id'))))
  .put('/:id/rules', async (c) => {
    const { publish, ...rules } = await readJson(c, anyObject);
    if (publish !== undefined && typeof publish !== 'boolean') {
      throw new TandemError('VALIDATION_FAILED', 422, 'publish must be true or false', {
        errors: [{ path: 'publish', message: 'must be a boolean' }],
      });
    }
    return c.json(
      await rulesOf(c).save(c.req.param('id'), rules, { publish: publish === true, origin: 'local' }),
    );
  })
  .post('/:id/rules/test', async (c) => {
    const body = await readJson(c, testRunBody);
    const host = c.var.host;
    return c.json(
      await testRun(
        {
          db: host.db,
          tracker: host.tracker,
          rules: rulesOf(c),
          sandbox: host.sandbox,
          host: trackerUserLookup(host.tracker),
        },
        c.req.param('id'),
        body,
      ),
    );
  });
