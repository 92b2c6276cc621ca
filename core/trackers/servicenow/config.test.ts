// The connector's configuration: defaults from the contract, overrides, and errors that name the option but no secret.
import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.ts';
import {
  DEFAULT_TABLES,
  parseServiceNowConfig,
  parseServiceNowCredentials,
  readServiceNowConfig,
} from './config.ts';

const PASSWORD = 'pw-Sekr1t-4411';
const SECRET = 'cs-Sekr1t-9902';
const ENV = {
  TANDEM_SERVICENOW_URL: 'https://acme.service-now.com/',
  TANDEM_SERVICENOW_USER: 'tandem',
  TANDEM_SERVICENOW_PASSWORD: PASSWORD,
};

function refusal(f: () => unknown): TandemError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TandemError);
    const e = err as TandemError;
    expect(e.code).toBe('TRACKER_CONFIG_INVALID');
    expect(e.publicCode).toBe('tracker_config_invalid');
    const text = `${e.message} ${JSON.stringify(e.extra)} ${e.stack}`;
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(SECRET);
    return e;
  }
  throw new Error('expected a refusal');
}

describe('ServiceNow config', () => {
  it('applies the contract defaults with no file, Basic auth from the environment', () => {
    const c = parseServiceNowConfig(undefined, ENV);
    expect(c.instanceUrl).toBe('https://acme.service-now.com');
    expect(c.credentials).toEqual({ kind: 'basic', user: 'tandem', password: PASSWORD });
    expect(c.tables).toEqual(DEFAULT_TABLES);
    expect(c.tables.case).toBe('sn_customerservice_case');
    expect(c.fields.incident).toEqual({
      summary: 'short_description',
      description: 'description',
      status: 'state',
      priority: 'priority',
      assignee: 'assigned_to',
      key: 'number',
      comments: 'comments',
      workNotes: 'work_notes',
    });
    expect(c.customFields).toEqual([]);
    expect(c.pollMs).toBe(15_000);
    expect(c.overlapMs).toBe(10_000);
  });

  it('takes overrides: tables, shared and per-type fields, custom fields, poll from env over the file', () => {
    const c = readServiceNowConfig(
      JSON.stringify({
        tables: { incident: 'u_incident' },
        fields: { summary: 'u_title' },
        typeFields: { ci: { summary: 'name' } },
        customFields: ['u_team', 'u_team', 'u_region'],
        pollMs: 5000,
        overlapMs: 2000,
      }),
      { ...ENV, TANDEM_SERVICENOW_POLL_MS: '2500' },
    );
    expect(c.tables.incident).toBe('u_incident');
    expect(c.tables.problem).toBe('problem');
    expect(c.fields.incident.summary).toBe('u_title');
    expect(c.fields.ci.summary).toBe('name');
    expect(c.fields.ci.status).toBe('state');
    expect(c.customFields).toEqual(['u_team', 'u_region']);
    expect(c.pollMs).toBe(2500);
    expect(c.overlapMs).toBe(2000);
  });

  it('chooses OAuth when a client id and secret are set (password grant with a user, else client credentials)', () => {
    const oauth = { TANDEM_SERVICENOW_CLIENT_ID: 'app', TANDEM_SERVICENOW_CLIENT_SECRET: SECRET };
    expect(parseServiceNowConfig({}, { ...ENV, ...oauth }).credentials?.kind).toBe('oauth-password');
    const c = parseServiceNowConfig({}, { TANDEM_SERVICENOW_URL: ENV.TANDEM_SERVICENOW_URL, ...oauth });
    expect(c.credentials).toEqual({
      kind: 'oauth-client-credentials',
      clientId: 'app',
      clientSecret: SECRET,
    });
  });

  it('names the wrong option and what it accepts', () => {
    const bad: [unknown, string, RegExp][] = [
      [{ tables: { incident: 'Incident Table' } }, 'tables.incident', /ServiceNow name/],
      [{ tables: { bug: 'x' } }, 'tables.bug', /one of incident, case/],
      [{ tables: 'incident' }, 'tables', /JSON object/],
      [{ fields: { status: 3 } }, 'fields.status', /ServiceNow name/],
      [{ fields: { colour: 'x' } }, 'fields.colour', /one of summary/],
      [{ typeFields: { ci: { summary: '' } } }, 'typeFields.ci.summary', /ServiceNow name/],
      [{ customFields: ['team'] }, 'customFields[0]', /u_/],
      [{ pollMs: 10 }, 'pollMs', /milliseconds from 1000/],
      [{ overlapMs: -1 }, 'overlapMs', /milliseconds/],
      [{ tabels: {} }, 'tabels', /one of tables, fields/],
      [[], '--tracker-config', /JSON object/],
    ];
    for (const [json, option, accepts] of bad) {
      const e = refusal(() => parseServiceNowConfig(json, ENV));
      expect(e.extra?.option).toBe(option);
      expect(e.message).toMatch(accepts);
      expect(e.message.startsWith(option)).toBe(true);
    }
    expect(refusal(() => readServiceNowConfig('{tables', ENV)).extra?.option).toBe('--tracker-config');
  });

  it('refuses bad environment values by name, never echoing a secret', () => {
    const cases: [Record<string, string | undefined>, string][] = [
      [{ TANDEM_SERVICENOW_URL: undefined }, 'TANDEM_SERVICENOW_URL'],
      [{ TANDEM_SERVICENOW_URL: `https://tandem:${PASSWORD}@acme.service-now.com` }, 'TANDEM_SERVICENOW_URL'],
      [{ TANDEM_SERVICENOW_URL: 'ftp://acme' }, 'TANDEM_SERVICENOW_URL'],
      [{ TANDEM_SERVICENOW_POLL_MS: 'often' }, 'TANDEM_SERVICENOW_POLL_MS'],
    ];
    for (const [change, option] of cases) {
      expect(refusal(() => parseServiceNowConfig({}, { ...ENV, ...change })).extra?.option).toBe(option);
    }
  });

  it('takes no credentials, or half a pair, as none yet (the rest may be entered in the console), saying why', () => {
    const none = { TANDEM_SERVICENOW_USER: undefined, TANDEM_SERVICENOW_PASSWORD: '' };
    expect(parseServiceNowConfig({}, { ...ENV, ...none })).toMatchObject({ credentials: null });
    expect(parseServiceNowConfig({}, { ...ENV, ...none }).credentialsIssue).toBeUndefined();
    const halves: [Record<string, string | undefined>, string][] = [
      [{ TANDEM_SERVICENOW_PASSWORD: '' }, 'TANDEM_SERVICENOW_PASSWORD'],
      [{ TANDEM_SERVICENOW_USER: undefined }, 'TANDEM_SERVICENOW_USER'],
      [{ TANDEM_SERVICENOW_CLIENT_SECRET: SECRET }, 'TANDEM_SERVICENOW_CLIENT_ID'],
      [{ TANDEM_SERVICENOW_CLIENT_ID: 'app' }, 'TANDEM_SERVICENOW_CLIENT_SECRET'],
    ];
    for (const [change, missing] of halves) {
      const c = parseServiceNowConfig({}, { ...ENV, ...change });
      expect(c.credentials).toBeNull();
      expect(c.credentialsIssue).toMatch(new RegExp(`^${missing} must be set with`));
      expect(JSON.stringify(c)).not.toContain(SECRET);
    }
    expect(parseServiceNowCredentials({})).toBeNull();
    expect(
      parseServiceNowCredentials({ TANDEM_SERVICENOW_USER: 'tandem', TANDEM_SERVICENOW_PASSWORD: PASSWORD }),
    ).toEqual({
      kind: 'basic',
      user: 'tandem',
      password: PASSWORD,
    });
    expect(
      refusal(() => parseServiceNowCredentials({ TANDEM_SERVICENOW_USER: 'tandem' })).extra?.option,
    ).toBe('TANDEM_SERVICENOW_PASSWORD');
  });

  it('refuses a secret in the file, naming the key and not the value', () => {
    for (const key of ['password', 'clientSecret', 'token', 'username']) {
      const e = refusal(() => parseServiceNowConfig({ [key]: PASSWORD }, ENV));
      expect(e.extra?.option).toBe(key);
      expect(e.message).toMatch(/TANDEM_SERVICENOW_\* variables only/);
    }
  });
});
