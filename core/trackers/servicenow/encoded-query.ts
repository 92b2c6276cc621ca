// A safe builder of ServiceNow encoded queries (`sysparm_query`): field names checked, values escaped.
import { TandemError } from '../../errors.ts';
import { formatServiceNowTime } from './time.ts';

export type QueryOperator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'STARTSWITH' | 'LIKE';
export type QueryValue = string | number | boolean | Date;

const FIELD = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;

function field(name: string): string {
  if (!FIELD.test(name))
    throw new TandemError('SERVICENOW_QUERY_INVALID', 500, `Not a ServiceNow field name: ${name}`);
  return name;
}

/**
 * A value as the encoded query carries it: a caret, which would end the condition, is doubled (`^^`);
 * dates take ServiceNow's UTC form. Line breaks cannot be expressed and are refused.
 */
export function escapeQueryValue(value: QueryValue): string {
  const text = value instanceof Date ? formatServiceNowTime(value) : String(value);
  if (/[\r\n]/.test(text))
    throw new TandemError('SERVICENOW_QUERY_INVALID', 500, 'A query value cannot hold a line break');
  return text.replaceAll('^', '^^');
}

/**
 * An immutable encoded query; every method returns a new one.
 * @example encodedQuery().where('sys_updated_on', '>=', since).orderBy('sys_updated_on').orderBy('sys_id').toString()
 */
export class EncodedQuery {
  readonly #terms: readonly string[];
  readonly #order: readonly string[];

  constructor(terms: readonly string[] = [], order: readonly string[] = []) {
    this.#terms = terms;
    this.#order = order;
  }

  #and(term: string): EncodedQuery {
    return new EncodedQuery([...this.#terms, term], this.#order);
  }

  where(name: string, op: QueryOperator, value: QueryValue): EncodedQuery {
    return this.#and(`${field(name)}${op}${escapeQueryValue(value)}`);
  }

  /** ORs a condition with the one before it (`^OR`). */
  orWhere(name: string, op: QueryOperator, value: QueryValue): EncodedQuery {
    if (this.#terms.length === 0) return this.where(name, op, value);
    return this.#and(`OR${field(name)}${op}${escapeQueryValue(value)}`);
  }

  /** `fieldINa,b,c`; a comma inside a value cannot be escaped there, so such a value is refused. */
  in(name: string, values: readonly QueryValue[]): EncodedQuery {
    const items = values.map(escapeQueryValue);
    if (items.some((v) => v.includes(','))) {
      throw new TandemError('SERVICENOW_QUERY_INVALID', 500, `An IN value for ${name} cannot hold a comma`);
    }
    return this.#and(`${field(name)}IN${items.join(',')}`);
  }

  isEmpty(name: string): EncodedQuery {
    return this.#and(`${field(name)}ISEMPTY`);
  }

  isNotEmpty(name: string): EncodedQuery {
    return this.#and(`${field(name)}ISNOTEMPTY`);
  }

  orderBy(name: string, direction: 'asc' | 'desc' = 'asc'): EncodedQuery {
    const clause = `${direction === 'desc' ? 'ORDERBYDESC' : 'ORDERBY'}${field(name)}`;
    return new EncodedQuery(this.#terms, [...this.#order, clause]);
  }

  toString(): string {
    return [...this.#terms, ...this.#order].join('^');
  }
}

export const encodedQuery = (): EncodedQuery => new EncodedQuery();
