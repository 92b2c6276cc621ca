// Basic mode: a fixed rule set (type, summary, description, status, priority, public comments), not editable.
import { TandemError } from '../../core/errors.ts';
import type { Mode, ModeContext } from '../../core/mode.ts';
import { REFERENCE_FIELDS } from '../../core/sync/content/reference-fields.ts';

/** The fields Basic syncs both ways, in this order. */
export const BASIC_FIELDS = ['type', 'summary', 'description', 'status', 'priority', 'comments'] as const;

export interface BasicRules {
  fields: string[];
}

const SCALARS = BASIC_FIELDS.filter((f) => f !== 'type' && f !== 'comments');

const OUTGOING = [
  '// Basic mode (fixed): type, key, summary, description, status, priority and public comments.',
  'replica.type = entity.type;',
  'replica.key = entity.key;',
  ...SCALARS.map((f) => `replica.${f} = entity.${f};`),
  'replica.comments = helpers.comments.merge(replica.comments, entity.comments);',
  "// Public attachments; links to other items as this side's ids (the other side translates them).",
  'if (entity.attachments !== undefined) replica.attachments = helpers.attachments.public(entity.attachments);',
  ...REFERENCE_FIELDS.map((f) => `if (entity.${f} !== undefined) replica.${f} = entity.${f};`),
  '',
].join('\n');

const INCOMING = [
  '// Basic mode (fixed): a new entity takes the replica type; fields and public comments follow the replica.',
  ...SCALARS.map((f) => `if (replica.${f} !== undefined) entity.${f} = replica.${f};`),
  'entity.comments = helpers.comments.merge(entity.comments, replica.comments);',
  'if (replica.attachments !== undefined) entity.attachments = replica.attachments;',
  '// Links to other items, through the twins: a link to an item not here yet waits for it.',
  ...REFERENCE_FIELDS.map(
    (f) => `if (replica.${f} !== undefined) entity.${f} = helpers.twins.localId(replica.${f});`,
  ),
  '',
].join('\n');

/**
 * Basic: nothing to edit; `parse` accepts only the fixed set and refuses any change with 409.
 * @example const program = basicMode.compile(basicMode.defaults(ctx), ctx);
 */
export const basicMode = {
  id: 'basic',
  editable: false,
  defaults: () => ({ fields: [...BASIC_FIELDS] }),
  parse(input: unknown): BasicRules {
    const fields = (input as { fields?: unknown } | null)?.fields;
    if (
      Array.isArray(fields) &&
      fields.length === BASIC_FIELDS.length &&
      BASIC_FIELDS.every((f, i) => fields[i] === f)
    ) {
      return { fields: [...BASIC_FIELDS] };
    }
    throw new TandemError(
      'MODE_NOT_EDITABLE',
      409,
      'Basic mode rules are fixed; use a Visual or Script connection to change them',
    );
  },
  compile: (_rules: BasicRules, _ctx?: ModeContext) => ({ outgoing: OUTGOING, incoming: INCOMING }),
} satisfies Mode<BasicRules>;
