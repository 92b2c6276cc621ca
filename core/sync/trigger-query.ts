// The trigger filter language: parses `type = "incident" AND priority <= 2` and tests entities against it.
import { TandemError } from '../errors.ts';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~';
export type Literal = string | number | boolean | null;

/** A parsed query; evaluate it with `matches`. */
export type QueryNode =
  | { kind: 'and' | 'or'; left: QueryNode; right: QueryNode }
  | { kind: 'not'; operand: QueryNode }
  | { kind: 'compare'; field: string; op: CompareOp; value: Literal };

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'number'; v: number; pos: number }
  | { t: 'op'; v: CompareOp; pos: number }
  | { t: 'lparen' | 'rparen' | 'end'; pos: number };

const MAX_QUERY = 2000;
const MAX_DEPTH = 64;
const OPS: CompareOp[] = ['<=', '>=', '!=', '=', '<', '>', '~'];
const IDENT = /[A-Za-z_][A-Za-z0-9_.]*/y;
const NUMBER = /-?\d+(\.\d+)?/y;

/** A 422 naming the position (0-based offset and 1-based column) where the query went wrong. */
export function queryError(query: string, pos: number, message: string): TandemError {
  return new TandemError('INVALID_QUERY', 422, `Query error at column ${pos + 1}: ${message}`, {
    position: pos,
    column: pos + 1,
    query,
  });
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')') {
      out.push({ t: ch === '(' ? 'lparen' : 'rparen', pos: i });
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const start = i;
      let v = '';
      i++;
      while (i < src.length && src[i] !== ch) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i];
        i++;
      }
      if (i >= src.length) throw queryError(src, start, 'unterminated string');
      i++;
      out.push({ t: 'string', v, pos: start });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ t: 'op', v: op, pos: i });
      i += op.length;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(src);
    if (num) {
      out.push({ t: 'number', v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const id = IDENT.exec(src);
    if (id) {
      out.push({ t: 'ident', v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    if (ch === '!') throw queryError(src, i, "unexpected '!' (did you mean '!=' or NOT?)");
    throw queryError(src, i, `unexpected character '${ch}'`);
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

const isKeyword = (tok: Token, word: string) => tok.t === 'ident' && tok.v.toUpperCase() === word;
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'TRUE', 'FALSE', 'NULL']);

function describe(tok: Token): string {
  switch (tok.t) {
    case 'end':
      return 'the end of the query';
    case 'lparen':
      return "'('";
    case 'rparen':
      return "')'";
    case 'string':
      return `string "${tok.v}"`;
    default:
      return `'${tok.v}'`;
  }
}

/**
 * Parses a trigger query; throws a 422 `invalid_query` with the position on bad input.
 * @example parseQuery('type = "incident" AND (priority <= 2 OR summary ~ "outage")')
 */
export function parseQuery(src: string): QueryNode {
  if (src.length > MAX_QUERY)
    throw queryError(src, MAX_QUERY, `the query is longer than ${MAX_QUERY} characters`);
  if (src.trim() === '') throw queryError(src, 0, 'the query is empty');
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;

  const orExpr = (depth: number): QueryNode => {
    if (depth > MAX_DEPTH) throw queryError(src, peek().pos, 'the query nests too deeply');
    let left = andExpr(depth);
    while (isKeyword(peek(), 'OR')) {
      next();
      left = { kind: 'or', left, right: andExpr(depth) };
    }
    return left;
  };
  const andExpr = (depth: number): QueryNode => {
    let left = notExpr(depth);
    while (isKeyword(peek(), 'AND')) {
      next();
      left = { kind: 'and', left, right: notExpr(depth) };
    }
    return left;
  };
  const notExpr = (depth: number): QueryNode => {
    if (isKeyword(peek(), 'NOT')) {
      next();
      if (depth > MAX_DEPTH) throw queryError(src, peek().pos, 'the query nests too deeply');
      return { kind: 'not', operand: notExpr(depth + 1) };
    }
    return primary(depth);
  };
  const primary = (depth: number): QueryNode => {
    const tok = next();
    if (tok.t === 'lparen') {
      const inner = orExpr(depth + 1);
      const close = next();
      if (close.t !== 'rparen') throw queryError(src, close.pos, `expected ')' but found ${describe(close)}`);
      return inner;
    }
    if (tok.t !== 'ident' || KEYWORDS.has(tok.v.toUpperCase())) {
      throw queryError(src, tok.pos, `expected a field name but found ${describe(tok)}`);
    }
    const op = next();
    if (op.t !== 'op')
      throw queryError(src, op.pos, `expected an operator (= != < <= > >= ~) but found ${describe(op)}`);
    const val = next();
    let value: Literal;
    if (val.t === 'string' || val.t === 'number') value = val.v;
    else if (isKeyword(val, 'TRUE')) value = true;
    else if (isKeyword(val, 'FALSE')) value = false;
    else if (isKeyword(val, 'NULL')) value = null;
    else
      throw queryError(
        src,
        val.pos,
        `expected a value (a "string", a number, true, false or null) but found ${describe(val)}`,
      );
    return { kind: 'compare', field: tok.v, op: op.v, value };
  };

  const tree = orExpr(0);
  const rest = peek();
  if (rest.t !== 'end')
    throw queryError(src, rest.pos, `expected AND, OR or the end of the query but found ${describe(rest)}`);
  return tree;
}

function fieldValue(entity: Record<string, unknown>, path: string): unknown {
  let v: unknown = entity;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function compare(actual: unknown, op: CompareOp, expected: Literal): boolean {
  const a = actual === undefined ? null : actual;
  switch (op) {
    case '=':
      return a === expected;
    case '!=':
      return a !== expected;
    case '~':
      if (typeof expected !== 'string') return false;
      if (typeof a === 'string') return a.toLowerCase().includes(expected.toLowerCase());
      if (Array.isArray(a)) return a.includes(expected);
      return false;
    default: {
      if (
        !(
          (typeof a === 'number' && typeof expected === 'number') ||
          (typeof a === 'string' && typeof expected === 'string')
        )
      )
        return false;
      if (op === '<') return a < expected;
      if (op === '<=') return a <= expected;
      if (op === '>') return a > expected;
      return a >= expected;
    }
  }
}

/** True when the flattened entity satisfies the query (a missing field is `null`). */
export function matches(node: QueryNode, entity: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'and':
      return matches(node.left, entity) && matches(node.right, entity);
    case 'or':
      return matches(node.left, entity) || matches(node.right, entity);
    case 'not':
      return !matches(node.operand, entity);
    case 'compare':
      return compare(fieldValue(entity, node.field), node.op, node.value);
  }
}
