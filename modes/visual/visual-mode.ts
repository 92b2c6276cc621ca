// Visual mode: a declarative field/value mapping, compiled to the same outgoing/incoming programs as scripts.
import type { Mode, ModeContext } from '../../core/mode.ts';
import { REFERENCE_FIELDS } from '../../core/sync/content/reference-fields.ts';
import { ENTITY_TYPES } from '../../core/trackers/tracker.ts';
import { parseVisualRules, type VisualRules } from './mapping.ts';

/**
 * The sender sends its own field values (keyed by its field names, untranslated); the receiver
 * translates them with its side of the mapping: value pairs, then its default.
 */
function compileVisual(rules: VisualRules): { outgoing: string; incoming: string } {
  const sent = [...new Set(rules.mappings.filter((m) => m.direction !== 'in').map((m) => m.local))];
  const applied = rules.mappings
    .filter((m) => m.direction !== 'out')
    .map((m) => ({
      local: m.local,
      remote: m.remote,
      pairs: m.values ?? null,
      hasDefault: m.default !== undefined,
      fallback: m.default ?? null,
    }));
  const outgoing = `// Visual mode (generated): this side's mapped fields, as they are here.
const SENT = ${JSON.stringify(sent)};
const TYPES = ${JSON.stringify(rules.scope.local.types)};
if (!TYPES.includes(entity.type)) console.warn('entity type ' + entity.type + ' is outside this connection\\'s scope');
replica.type = entity.type;
replica.key = entity.key;
for (const f of SENT) {
  if (f === 'comments') replica.comments = helpers.comments.merge(replica.comments, entity.comments);
  else if (Object.hasOwn(entity, f) && entity[f] !== undefined) replica[f] = entity[f];
}
if (entity.attachments !== undefined) replica.attachments = helpers.attachments.public(entity.attachments);
`;
  const incoming = `// Visual mode (generated): the other side's fields translated into this side's.
const APPLIED = ${JSON.stringify(applied)};
const REFERENCES = ${JSON.stringify(REFERENCE_FIELDS)};
const TYPES = ${JSON.stringify(rules.scope.remote.types)};
if (!TYPES.includes(replica.type)) {
  console.warn('replica type ' + replica.type + ' is outside this connection\\'s scope: not synced');
  helpers.sync.unlink();
  return;
}
for (const m of APPLIED) {
  if (m.local === 'comments') {
    entity.comments = helpers.comments.merge(entity.comments, replica[m.remote]);
    continue;
  }
  if (m.local === 'type' && !firstSync) continue;
  const raw = Object.hasOwn(replica, m.remote) ? replica[m.remote] : undefined;
  let value = raw;
  if (m.pairs) {
    const hit = m.pairs.find((p) => raw !== undefined && String(p.remote) === String(raw));
    value = hit ? hit.local : m.hasDefault ? m.fallback : undefined;
    if (!hit && raw !== undefined) console.warn(m.remote + ' = ' + JSON.stringify(raw) + ' has no mapped value');
  } else if (raw === undefined && m.hasDefault) {
    value = m.fallback;
  } else if (REFERENCES.includes(m.local) && raw !== undefined) {
    value = helpers.twins.localId(raw);
  }
  if (value !== undefined) entity[m.local] = value;
}
if (replica.attachments !== undefined) entity.attachments = replica.attachments;
`;
  return { outgoing, incoming };
}

/** The mapping a new visual connection starts with: Basic's fields, both ways, every entity type. */
function defaults(_ctx?: ModeContext): VisualRules {
  const both = (f: string) => ({ local: f, remote: f, direction: 'both' as const });
  const all = [...ENTITY_TYPES];
  return {
    mappings: ['type', 'summary', 'description', 'status', 'priority', 'comments'].map(both),
    scope: { local: { types: all }, remote: { types: all } },
  };
}

/**
 * Visual: edited for both sides from either side (see `mirrorVisualRules`), compiled to programs.
 * @example const program = visualMode.compile(visualMode.parse(body), ctx);
 */
export const visualMode = {
  id: 'visual',
  editable: true,
  defaults,
  parse: parseVisualRules,
  compile: (rules: VisualRules, _ctx?: ModeContext) => compileVisual(rules),
} satisfies Mode<VisualRules>;
