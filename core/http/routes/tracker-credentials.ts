// The tracker's credentials, for admins: which it takes, which are set and from where (never a value); enter or clear them.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Tracker } from '../../trackers/tracker.ts';
import type { TrackerCredentials } from '../../trackers/tracker-credentials.ts';
import { actorOf } from '../actor.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation } from '../contract.ts';

const credentialSchema = z.strictObject({
  name: z.string().describe('The environment variable the tracker reads it from (`TANDEM_SERVICENOW_USER`)'),
  label: z.string(),
  secret: z.boolean().describe('Entered in a password field; no value is ever shown back either way'),
  hint: z.string().optional(),
  set: z.boolean().describe('The tracker has a value for it'),
  source: z
    .enum(['environment', 'console'])
    .nullable()
    .describe(
      'Where the value in use comes from (a variable set in the environment wins); null when not set',
    ),
  stored: z
    .boolean()
    .describe('A value entered in the console is stored (hidden while the environment sets one)'),
});

export const trackerCredentialsSchema = z.strictObject({
  kind: z.string().describe("The tracker's id, as `GET /api/tracker` gives it"),
  credentials: z.array(credentialSchema),
  live: z.boolean().describe('Values entered take effect at once; false: at the next start of the host'),
  restartRequired: z
    .boolean()
    .describe('Values were saved that the running tracker does not use until a restart'),
  unreadable: z
    .boolean()
    .describe("Stored values cannot be opened with this host's secret key: enter them again"),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable().describe('Who saved them last'),
});

const changeBody = z.strictObject({
  values: z
    .record(z.string().max(100), z.string().min(1, 'must not be empty (null clears it)').max(4096).nullable())
    .refine((v) => Object.keys(v).length > 0, 'must name at least one credential')
    .describe('Credential name -> its new value, or null to clear it; names left out keep their values'),
});

const T = 'Tracker';
export const trackerCredentialOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getTrackerCredentials',
    tag: T,
    summary:
      'The credentials the tracker takes: which are set, and whether from the environment or the console',
    description: 'Never returns a value.',
    responses: { 200: trackerCredentialsSchema },
    role: 'admin',
  }),
  operation({
    method: 'put',
    path: '/',
    operationId: 'setTrackerCredentials',
    tag: T,
    summary: 'Enter credentials (stored encrypted); a tracker that can takes them at once',
    description:
      'Names left out keep their values; null clears one. A value the environment also sets is stored but not used.',
    body: changeBody,
    responses: { 200: trackerCredentialsSchema },
    problems: [415, 422],
    audit: 'tracker.credentials_changed',
  }),
  operation({
    method: 'delete',
    path: '/',
    operationId: 'clearTrackerCredentials',
    tag: T,
    summary: 'Forget every credential entered in the console (the environment’s stay)',
    responses: { 200: trackerCredentialsSchema },
    problems: [422],
    audit: 'tracker.credentials_cleared',
  }),
];

export const trackerCredentialRoutes = (p: { tracker: Tracker; trackerCredentials: TrackerCredentials }) => {
  const view = async () => ({ kind: p.tracker.id, ...(await p.trackerCredentials.view()) });
  return new Hono<AppEnv>()
    .get('/', async (c) => c.json(await view()))
    .put('/', jsonBody(changeBody), async (c) => {
      const { values } = c.req.valid('json');
      const done = await p.trackerCredentials.change(values, actorOf(c));
      // Names only: the default detail (the request body) would carry the values.
      c.var.audit?.note({ target: `tracker:${p.tracker.id}`, detail: { ...done } });
      return c.json(await view());
    })
    .delete('/', async (c) => {
      const done = await p.trackerCredentials.clear(actorOf(c));
      c.var.audit?.note({ target: `tracker:${p.tracker.id}`, detail: { ...done } });
      return c.json(await view());
    });
};
