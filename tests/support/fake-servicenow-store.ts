// The fake ServiceNow's records: tables in memory, system stamps, journal entries and the Table API's value forms.
import { randomBytes } from 'node:crypto';
import { defaultsFor, defaultTables, type FakeTable, hasField } from './fake-servicenow-schema.ts';

/** A stored record: every value a string, as ServiceNow's JSON gives them. */
export type Row = Record<string, string>;
export type DisplayMode = 'false' | 'true' | 'all';

export interface RenderOptions {
  fields?: string[];
  displayValue: DisplayMode;
  excludeReferenceLink: boolean;
  baseUrl: string;
}

interface TableState {
  def: FakeTable;
  rows: Map<string, Row>;
  seq: number;
}

/** `YYYY-MM-DD HH:mm:ss` in UTC, to the second. */
export function snTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

const JOURNAL_LABEL: Record<string, string> = { comments: 'Additional comments', work_notes: 'Work notes' };

export type FakeStore = ReturnType<typeof createFakeStore>;

export function createFakeStore(now: () => number) {
  const tables = new Map<string, TableState>();
  for (const def of defaultTables()) tables.set(def.name, { def, rows: new Map(), seq: 10000 });

  const table = (name: string): TableState | undefined => tables.get(name);

  // The dictionary's choices seed sys_choice; labels are read from there, so a test may add or retire one.
  const choiceTable = table('sys_choice')!;
  for (const t of tables.values()) {
    for (const [element, labels] of Object.entries(t.def.choices)) {
      Object.entries(labels).forEach(([value, label], i) => {
        const id = randomBytes(16).toString('hex');
        const stamp = snTime(now());
        choiceTable.rows.set(id, {
          sys_id: id,
          name: t.def.name,
          element,
          value,
          label,
          inactive: 'false',
          language: 'en',
          sequence: String(i * 100),
          sys_created_on: stamp,
          sys_created_by: 'system',
          sys_updated_on: stamp,
          sys_updated_by: 'system',
          sys_mod_count: '0',
          sys_class_name: 'sys_choice',
        });
      });
    }
  }

  /** Stored value -> label of a choice field, from sys_choice (English rows). */
  function choicesOf(name: string, element: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of choiceTable.rows.values()) {
      if (c.name === name && c.element === element && (c.language || 'en') === 'en') out[c.value!] = c.label!;
    }
    return out;
  }

  function toText(v: unknown): string {
    if (v === null || v === undefined) return '';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  function fromDisplay(t: FakeTable, field: string, value: string): string {
    const choices = t.choices[field] ? choicesOf(t.name, field) : undefined;
    if (choices) return Object.entries(choices).find(([, label]) => label === value)?.[0] ?? value;
    const target = t.references[field] ? table(t.references[field]!) : undefined;
    if (target) {
      const hit = [...target.rows.values()].find((r) => r[target.def.displayField] === value);
      return hit?.sys_id ?? value;
    }
    return value;
  }

  function journal(t: FakeTable, sysId: string, element: string, value: string, user: string): void {
    const j = table('sys_journal_field')!;
    const id = randomBytes(16).toString('hex');
    j.rows.set(id, {
      sys_id: id,
      element_id: sysId,
      element,
      value,
      name: t.name,
      sys_created_on: snTime(now()),
      sys_created_by: user,
    });
  }

  /** Applies input fields; returns whether anything changed. */
  function apply(
    t: TableState,
    row: Row,
    input: Record<string, unknown>,
    user: string,
    display: boolean,
  ): boolean {
    let changed = false;
    for (const [field, raw] of Object.entries(input)) {
      if (!hasField(t.def, field) || field.startsWith('sys_')) continue;
      let value = toText(raw);
      if (t.def.journals.includes(field)) {
        if (value.trim() === '') continue;
        journal(t.def, row.sys_id!, field, value, user);
        changed = true;
        continue;
      }
      if (display) value = fromDisplay(t.def, field, value);
      if (row[field] !== value) {
        row[field] = value;
        changed = true;
      }
    }
    return changed;
  }

  function insert(
    name: string,
    input: Record<string, unknown>,
    user: string,
    display = false,
  ): Row | undefined {
    const t = table(name);
    if (!t) return undefined;
    const given = toText(input.sys_id);
    const sysId =
      /^[0-9a-f]{32}$/.test(given) && !t.rows.has(given) ? given : randomBytes(16).toString('hex');
    const stamp = snTime(now());
    const row: Row = {
      ...defaultsFor(t.def),
      sys_id: sysId,
      sys_created_on: stamp,
      sys_created_by: user,
      sys_updated_on: stamp,
      sys_updated_by: user,
      sys_mod_count: '0',
      sys_class_name: name,
    };
    if (t.def.prefix) row.number = `${t.def.prefix}${String(++t.seq).padStart(7, '0')}`;
    t.rows.set(sysId, row);
    apply(t, row, input, user, display);
    return row;
  }

  function update(
    name: string,
    sysId: string,
    input: Record<string, unknown>,
    user: string,
    display = false,
  ) {
    const t = table(name);
    const row = t?.rows.get(sysId);
    if (!t || !row) return undefined;
    if (apply(t, row, input, user, display)) {
      row.sys_mod_count = String(Number(row.sys_mod_count ?? '0') + 1);
      row.sys_updated_on = snTime(now());
      row.sys_updated_by = user;
    }
    return row;
  }

  /** A field's stored value, dot-walking one reference (`assigned_to.email`); undefined for an unknown field. */
  function read(name: string, row: Row, field: string): string | undefined {
    const t = table(name)!;
    const dot = field.indexOf('.');
    if (dot > 0) {
      const ref = field.slice(0, dot);
      const target = t.def.references[ref];
      if (!target) return undefined;
      const other = table(target)!.rows.get(row[ref] ?? '');
      const rest = field.slice(dot + 1);
      if (!hasField(table(target)!.def, rest)) return undefined;
      return other ? (read(target, other, rest) ?? '') : '';
    }
    if (!hasField(t.def, field)) return undefined;
    return row[field] ?? '';
  }

  function journalText(name: string, sysId: string, element: string): string {
    const users = table('sys_user')!;
    return [...table('sys_journal_field')!.rows.values()]
      .filter((j) => j.element_id === sysId && j.element === element && j.name === name)
      .reverse()
      .map((j) => {
        const who = [...users.rows.values()].find((u) => u.user_name === j.sys_created_by)?.name;
        return `${j.sys_created_on} - ${who ?? j.sys_created_by} (${JOURNAL_LABEL[element]})\n${j.value}\n\n`;
      })
      .join('');
  }

  function renderField(name: string, row: Row, field: string, o: RenderOptions): unknown {
    const def = table(name)!.def;
    const value = read(name, row, field) ?? '';
    const refTable = def.references[field];
    let display = value;
    if (def.choices[field]) display = choicesOf(name, field)[value] ?? value;
    else if (def.journals.includes(field)) display = journalText(name, row.sys_id!, field);
    else if (refTable) {
      const target = table(refTable)!;
      display = target.rows.get(value)?.[target.def.displayField] ?? '';
    }
    const link =
      refTable && value !== '' && !o.excludeReferenceLink
        ? `${o.baseUrl}/api/now/table/${refTable}/${value}`
        : null;
    if (o.displayValue === 'all')
      return link ? { display_value: display, link, value } : { display_value: display, value };
    if (o.displayValue === 'true') return link ? { display_value: display, link } : display;
    return link ? { link, value } : value;
  }

  function render(name: string, row: Row, o: RenderOptions): Record<string, unknown> {
    const def = table(name)!.def;
    const fields = o.fields?.filter((f) => read(name, row, f) !== undefined) ?? [
      ...new Set([...Object.keys(row), ...def.journals]),
    ];
    return Object.fromEntries(fields.map((f) => [f, renderField(name, row, f, o)]));
  }

  return {
    hasTable: (name: string) => tables.has(name),
    rows: (name: string): Row[] => [...(table(name)?.rows.values() ?? [])],
    get: (name: string, sysId: string): Row | undefined => table(name)?.rows.get(sysId),
    remove: (name: string, sysId: string): boolean => table(name)?.rows.delete(sysId) ?? false,
    insert,
    update,
    read,
    render,
  };
}
