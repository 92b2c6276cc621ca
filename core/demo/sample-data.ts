// The demo's sample data, rules and triggers: what a customer (Acme) shares with its provider (Globex).
import type { DemoHost } from './demo-host.ts';

/** Acme decides what leaves (no internal notes, requests only once approved); Globex maps statuses in. */
export const DEMO_RULES = {
  acme: {
    outgoing: `replica.type = entity.type;
replica.summary = entity.summary;
replica.description = entity.description;
replica.status = entity.status;
replica.priority = entity.priority;
replica.approval = entity.approval ?? null;
// Internal work notes never leave Acme: merge copies public comments only.
replica.comments = helpers.comments.merge(replica.comments, entity.comments);`,
    incoming: `const STATUS = { open: 'new', working: 'in_progress', done: 'resolved' };
if (firstSync) entity.type = replica.type;
entity.summary = replica.summary;
entity.description = replica.description;
entity.status = STATUS[replica.status] ?? replica.status;
entity.comments = helpers.comments.merge(entity.comments, replica.comments);`,
  },
  globex: {
    outgoing: `replica.type = entity.type;
replica.summary = entity.summary;
replica.description = entity.description;
replica.status = entity.status;
replica.priority = entity.priority;
replica.comments = helpers.comments.merge(replica.comments, entity.comments);`,
    incoming: `const STATUS = { new: 'open', in_progress: 'working', on_hold: 'working', resolved: 'done', closed: 'done', scheduled: 'open' };
if (firstSync) entity.type = replica.type;
entity.summary = replica.summary;
entity.description = replica.description;
entity.status = STATUS[replica.status] ?? 'open';
entity.priority = replica.priority;
entity.comments = helpers.comments.merge(entity.comments, replica.comments);`,
  },
};

/** What Acme sends: urgent incidents, changes past draft, catalog requests once approved at Acme. */
export const DEMO_TRIGGERS = [
  { entityType: 'incident', query: 'priority <= 2 AND status != "closed"' },
  { entityType: 'change', query: 'status != "draft"' },
  { entityType: 'request', query: 'approval = "approved"' },
];

interface Sample {
  type: 'incident' | 'change' | 'request';
  fields: Record<string, unknown>;
  comments?: Array<{ body: string; author: string; internal?: boolean }>;
  inScope: boolean;
}

const SAMPLES: Sample[] = [
  {
    type: 'incident',
    fields: {
      summary: 'Email delivery delayed for all Acme users',
      description: 'Outbound mail queues for 30 minutes or more since 08:00.',
      status: 'in_progress',
      priority: 1,
    },
    comments: [
      { body: 'Users in every office report delays of 30+ minutes.', author: 'servicedesk@acme.example' },
      {
        body: 'Our own relay may be the cause; checking before we blame Globex.',
        author: 'ops@acme.example',
        internal: true,
      },
    ],
    inScope: true,
  },
  {
    type: 'incident',
    fields: { summary: 'VPN drops every 20 minutes in the Berlin office', status: 'new', priority: 2 },
    inScope: true,
  },
  {
    type: 'incident',
    fields: { summary: 'Payroll portal login fails with an SSO error', status: 'new', priority: 2 },
    inScope: true,
  },
  {
    type: 'incident',
    fields: { summary: 'Printer on floor 3 is out of toner', status: 'new', priority: 4 },
    inScope: false,
  },
  {
    type: 'change',
    fields: {
      summary: 'Upgrade the core switches in DC1',
      description: 'Saturday 22:00-02:00; Globex network team on call.',
      status: 'scheduled',
      priority: 3,
    },
    inScope: true,
  },
  {
    type: 'change',
    fields: { summary: 'Rotate TLS certificates for the customer portal', status: 'draft', priority: 3 },
    inScope: false,
  },
  {
    type: 'request',
    fields: {
      summary: 'New laptop for Jane Doe (developer)',
      status: 'new',
      priority: 3,
      approval: 'approved',
    },
    inScope: true,
  },
  {
    type: 'request',
    fields: {
      summary: 'Two extra monitors for the service desk',
      status: 'new',
      priority: 4,
      approval: 'approved',
    },
    inScope: true,
  },
  {
    type: 'request',
    fields: {
      summary: 'Access to the Globex monitoring dashboard',
      status: 'new',
      priority: 3,
      approval: 'pending',
    },
    comments: [{ body: 'Waiting for the IT manager to approve.', author: 'it@acme.example', internal: true }],
    inScope: false,
  },
];

export async function seedAcme(acme: DemoHost) {
  const counts = { incident: 0, change: 0, request: 0 };
  let inScope = 0;
  for (const s of SAMPLES) {
    const e = await acme.call<{ id: string }>('POST', '/api/entities', { type: s.type, fields: s.fields });
    for (const c of s.comments ?? [])
      await acme.call('POST', `/api/entities/${e.id}/comments`, { ...c, internal: c.internal ?? false });
    counts[s.type]++;
    if (s.inScope) inScope++;
  }
  return { counts, inScope };
}
