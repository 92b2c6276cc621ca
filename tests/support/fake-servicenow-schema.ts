// The fake ServiceNow's dictionary: its tables, their fields, choice labels, reference targets and number prefixes.

/** One table of the fake instance, described the way its dictionary would. */
export interface FakeTable {
  name: string;
  /** Number prefix (`INC`) for task tables; none for sys_user, cmdb_ci and the journal. */
  prefix?: string;
  /** Fields the table knows beyond the system ones; `u_*` fields are always accepted. */
  fields: string[];
  /** Stored value -> display label, per choice field. */
  choices: Record<string, Record<string, string>>;
  /** Reference field -> referenced table. */
  references: Record<string, string>;
  /** Journal fields (`comments`, `work_notes`): written to sys_journal_field, read back empty. */
  journals: string[];
  /** Field a reference to this table displays. */
  displayField: string;
  /** Stored `state` of a new record. */
  initialState?: string;
}

export const SYSTEM_FIELDS = [
  'sys_id',
  'sys_created_on',
  'sys_created_by',
  'sys_updated_on',
  'sys_updated_by',
  'sys_mod_count',
  'sys_class_name',
];

const PRIORITY = {
  '1': '1 - Critical',
  '2': '2 - High',
  '3': '3 - Moderate',
  '4': '4 - Low',
  '5': '5 - Planning',
};

const TASK_FIELDS = [
  'number',
  'short_description',
  'description',
  'state',
  'priority',
  'impact',
  'urgency',
  'assigned_to',
  'opened_by',
  'active',
  'correlation_id',
  'correlation_display',
  'comments',
  'work_notes',
];

function task(name: string, prefix: string, initialState: string, states: Record<string, string>): FakeTable {
  return {
    name,
    prefix,
    initialState,
    fields: TASK_FIELDS,
    choices: { state: states, priority: PRIORITY, impact: IMPACT, urgency: IMPACT },
    references: { assigned_to: 'sys_user', opened_by: 'sys_user' },
    journals: ['comments', 'work_notes'],
    displayField: 'number',
  };
}

const IMPACT = { '1': '1 - High', '2': '2 - Medium', '3': '3 - Low' };

const INCIDENT_STATES = {
  '1': 'New',
  '2': 'In Progress',
  '3': 'On Hold',
  '6': 'Resolved',
  '7': 'Closed',
  '8': 'Canceled',
};

/** The default tables of the contract, plus the journal and the choice lists (`sys_choice`). */
export function defaultTables(): FakeTable[] {
  return [
    task('incident', 'INC', '1', INCIDENT_STATES),
    task('sn_customerservice_case', 'CS', '1', {
      '1': 'New',
      '10': 'Open',
      '18': 'Awaiting Info',
      '6': 'Resolved',
      '3': 'Closed',
      '7': 'Cancelled',
    }),
    task('change_request', 'CHG', '-5', {
      '-5': 'New',
      '-4': 'Assess',
      '-3': 'Authorize',
      '-2': 'Scheduled',
      '-1': 'Implement',
      '0': 'Review',
      '3': 'Closed',
      '4': 'Canceled',
    }),
    task('problem', 'PRB', '101', {
      '101': 'New',
      '102': 'Assess',
      '103': 'Root Cause Analysis',
      '104': 'Fix in Progress',
      '106': 'Resolved',
      '107': 'Closed',
    }),
    task('sc_req_item', 'RITM', '1', {
      '-5': 'Pending',
      '1': 'Open',
      '2': 'Work in Progress',
      '3': 'Closed Complete',
      '4': 'Closed Incomplete',
      '7': 'Closed Skipped',
    }),
    {
      name: 'cmdb_ci',
      fields: ['name', 'short_description', 'assigned_to', 'operational_status'],
      choices: { operational_status: { '1': 'Operational', '2': 'Non-Operational' } },
      references: { assigned_to: 'sys_user' },
      journals: [],
      displayField: 'name',
    },
    {
      name: 'sys_user',
      fields: ['user_name', 'name', 'first_name', 'last_name', 'email', 'active'],
      choices: {},
      references: {},
      journals: [],
      displayField: 'name',
    },
    {
      name: 'sys_choice',
      fields: ['name', 'element', 'value', 'label', 'inactive', 'language', 'sequence'],
      choices: {},
      references: {},
      journals: [],
      displayField: 'label',
    },
    {
      name: 'sys_journal_field',
      fields: ['element_id', 'element', 'value', 'name'],
      choices: {},
      references: {},
      journals: [],
      displayField: 'value',
    },
  ];
}

/** Default values of a new record (ServiceNow fills these in on insert). */
export function defaultsFor(table: FakeTable): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of table.fields) out[f] = '';
  if (table.prefix)
    Object.assign(out, { state: table.initialState ?? '', priority: '4', impact: '3', urgency: '3' });
  if ('active' in out) out.active = 'true';
  return out;
}

/** Whether `field` exists on the table (system fields and `u_*` custom fields included). */
export function hasField(table: FakeTable, field: string): boolean {
  return SYSTEM_FIELDS.includes(field) || table.fields.includes(field) || /^u_[a-z0-9_]+$/.test(field);
}
