// The JavaScript that runs inside each isolate context: lockdown, frozen helpers, the call driver.
import { MAX_JSON_DEPTH } from '../json-bounds.ts';
import { CONTENT_HELPERS } from './prelude-content.ts';
import type { ScriptName } from './sandbox.ts';

/** The user's line 1 is the wrapper's line 2: subtract this from reported lines. */
export const USER_LINE_OFFSET = 1;

/**
 * Wraps a rule's plain statements in a factory: the statements become an async arrow body (so
 * `await` and `return` work) and a reader sees `entity`/`replica` even if the rule reassigns them.
 * The runner first checks the code is a valid function body on its own, so it cannot close the wrapper.
 */
export function wrapUserScript(script: ScriptName, code: string, sync = false): string {
  const params =
    script === 'outgoing'
      ? 'entity, replica, connection, helpers'
      : 'replica, previous, firstSync, entity, connection, helpers';
  // The synchronous form has the same lines, so positions are the same in both.
  const arrow = sync ? '() =>' : 'async () =>';
  return `(function (${params}) { 'use strict'; return [${arrow} {\n${code}\n}, () => [entity, replica]]; })`;
}

/**
 * Evaluates to `function (hostCall) -> dispatch(op, ...)`. Runs once per context before any rule:
 * removes what rules have no use for, defines `console` and `helpers`, then freezes every
 * reachable object (intrinsics, global, helpers) so a rule cannot pollute what others rely on.
 */
export const PRELUDE = String.raw`(function (hostCall) {
'use strict';
const G = globalThis;
for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly']) delete G[name];
const freeze = Object.freeze, getProto = Object.getPrototypeOf, ownKeys = Reflect.ownKeys;
const getDesc = Object.getOwnPropertyDescriptor, isArray = Array.isArray, hasOwn = Object.hasOwn;
const parse = JSON.parse, stringify = JSON.stringify, ObjectProto = Object.prototype;
const MAX_WARNINGS = 20, MAX_WARNING_CHARS = 500;

let state = { script: 'outgoing', unlink: false, warnings: [], remove: false, twins: null, missing: [] };

function harden(roots) {
  const stack = roots.slice(), seen = new Set();
  while (stack.length) {
    const o = stack.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    freeze(o);
    stack.push(getProto(o));
    for (const k of ownKeys(o)) {
      const d = getDesc(o, k);
      if (!d) continue;
      if ('value' in d) stack.push(d.value); else stack.push(d.get, d.set);
    }
  }
}

function deepFreeze(v) {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    freeze(v);
    for (const k of ownKeys(v)) deepFreeze(v[k]);
  }
  return v;
}

function show(v) {
  if (typeof v === 'string') return v;
  try { const s = stringify(v); return s === undefined ? String(v) : s; } catch (e) { return String(v); }
}

function warn() {
  if (state.warnings.length >= MAX_WARNINGS) return;
  let text = '';
  for (let i = 0; i < arguments.length; i++) text += (i ? ' ' : '') + show(arguments[i]);
  state.warnings.push(text.length > MAX_WARNING_CHARS ? text.slice(0, MAX_WARNING_CHARS) + '...' : text);
}

G.console = { log: warn, info: warn, warn: warn, error: warn, debug: warn };

function map(value, table, fallback) {
  if (table === null || typeof table !== 'object') {
    throw new TypeError('helpers.map(value, table, fallback): table must be an object or an array of [from, to] pairs');
  }
  if (isArray(table)) {
    for (let i = 0; i < table.length; i++) {
      const pair = table[i];
      if (isArray(pair) && pair[0] === value) return pair[1];
    }
  } else {
    const key = String(value);
    if (hasOwn(table, key)) return table[key];
  }
  return arguments.length >= 3 ? fallback : value;
}

function commentList(v, what) {
  if (v === undefined || v === null) return [];
  if (!isArray(v)) throw new TypeError('helpers.comments.merge: ' + what + ' must be an array of comments');
  return v;
}

function isComment(c) {
  return c !== null && typeof c === 'object' && typeof c.body === 'string';
}

function merge(local, remote, options) {
  const into = commentList(local, 'local'), from = commentList(remote, 'remote');
  const withInternal = options !== null && typeof options === 'object' && options.internal === true;
  const outgoing = state.script === 'outgoing';
  const out = [], ids = new Set(), ownIds = new Set(), texts = new Map();
  // Incoming, a local comment that mirrors a partner comment (remoteId) follows it: edited, or gone.
  const follow = !outgoing && remote !== undefined && remote !== null, remoteById = new Map();
  if (follow) for (let i = 0; i < from.length; i++) if (isComment(from[i]) && from[i].id != null) remoteById.set(String(from[i].id), from[i]);
  for (let i = 0; i < into.length; i++) {
    const c = into[i];
    if (!isComment(c)) continue;
    if (follow && c.remoteId != null && !remoteById.has(String(c.remoteId))) continue;
    const mine = Object.assign({}, c);
    if (follow && c.remoteId != null) mine.body = remoteById.get(String(c.remoteId)).body;
    out.push(mine);
    if (c.id != null) { ids.add(String(c.id)); ownIds.add(String(c.id)); }
    if (c.remoteId != null) ids.add(String(c.remoteId));
    const key = String(c.author) + '\u0000' + c.body;
    texts.set(key, (texts.get(key) || 0) + 1);
  }
  for (let i = 0; i < from.length; i++) {
    const c = from[i];
    if (!isComment(c)) continue;
    if (c.internal === true && !withInternal) continue;
    if (c.id != null && ids.has(String(c.id))) continue;
    if (c.remoteId != null && ownIds.has(String(c.remoteId))) continue;
    const key = String(c.author) + '\u0000' + c.body;
    const seen = texts.get(key) || 0;
    if (seen > 0) { texts.set(key, seen - 1); continue; }
    const copy = { author: c.author == null ? 'unknown' : String(c.author), body: c.body, internal: c.internal === true };
    if (typeof c.createdAt === 'string') copy.createdAt = c.createdAt;
    if (outgoing) {
      if (c.id != null) copy.id = String(c.id);
      if (c.remoteId != null) copy.remoteId = String(c.remoteId);
    } else if (c.id != null) {
      // The sync engine adds a comment whose id it does not know, linking it to that remote id.
      copy.id = String(c.id);
      copy.remoteId = String(c.id);
    }
    out.push(copy);
  }
  return out;
}

function byEmail(email) {
  if (typeof email !== 'string' || email.length > 320 || email.indexOf('@') < 1) {
    throw new TypeError('helpers.users.byEmail(email): email must be an address like name@example.com');
  }
  const json = hostCall.applySyncPromise(undefined, ['userByEmail', email]);
  return typeof json === 'string' ? deepFreeze(parse(json)) : null;
}

function unlink() {
  if (state.script !== 'incoming') throw new TypeError('helpers.sync.unlink() can only be called from the incoming script');
  state.unlink = true;
}

${CONTENT_HELPERS}

const helpers = {
  comments: { merge: merge },
  map: map,
  users: { byEmail: byEmail },
  sync: { unlink: unlink },
  attachments: { public: publicAttachments },
  twins: { localId: localId, remoteId: remoteId },
  entity: { delete: deleteEntity },
};
G.helpers = helpers;

harden([
  G,
  getProto(function* () {}),
  getProto(async function () {}),
  getProto(async function* () {}),
  getProto([][Symbol.iterator]()),
  getProto(new Map()[Symbol.iterator]()),
  getProto(new Set()[Symbol.iterator]()),
  getProto(''[Symbol.iterator]()),
  getProto(/x/[Symbol.matchAll]('')),
]);

function jsonProblem(v, path, depth, seen) {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : path + ' is ' + String(v) + ', not a JSON number';
  if (typeof v !== 'object') return path + ' is a ' + typeof v + ', not JSON';
  if (depth > ${MAX_JSON_DEPTH}) return path + ' is nested more than ${MAX_JSON_DEPTH} levels deep';
  if (seen.has(v)) return path + ' refers to itself (circular)';
  seen.add(v);
  if (isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] === undefined) return path + '[' + i + '] is undefined, not JSON';
      const p = jsonProblem(v[i], path + '[' + i + ']', depth + 1, seen);
      if (p) return p;
    }
  } else {
    const proto = getProto(v);
    if (proto !== ObjectProto && proto !== null) return path + ' is not a plain object';
    for (const k of ownKeys(v)) {
      if (typeof k !== 'string') return path + ' has a symbol key';
      if (k === '__proto__') return path + '.__proto__ is a key that is not allowed';
      const d = getDesc(v, k);
      if (!('value' in d)) return path + '.' + k + ' is a getter, not a value';
      if (d.value === undefined) continue;
      const p = jsonProblem(d.value, path + '.' + k, depth + 1, seen);
      if (p) return p;
    }
  }
  seen.delete(v);
  return null;
}

// Iterative, so that no depth of parsed JSON can overflow the check itself.
function tooDeep(root, name) {
  const stack = [[root, 0, name]];
  while (stack.length) {
    const [v, depth, path] = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (depth > ${MAX_JSON_DEPTH}) return path + ' is nested more than ${MAX_JSON_DEPTH} levels deep';
    if (isArray(v)) { for (let i = 0; i < v.length; i++) stack.push([v[i], depth + 1, path + '[' + i + ']']); }
    else for (const k of Object.keys(v)) {
      if (k === '__proto__') return path + '.__proto__ is a key that is not allowed';
      stack.push([v[k], depth + 1, path + '.' + k]);
    }
  }
  return null;
}

function describe(e, script) {
  let message = 'a value that cannot be shown was thrown', stack = '';
  try {
    if (e !== null && typeof e === 'object') {
      message = String(e.name) + ': ' + String(e.message);
      stack = String(e.stack);
    } else {
      message = 'Uncaught ' + show(e);
    }
  } catch (err) {}
  const m = new RegExp('(?:\\(|at )' + script + ':(\\d+):(\\d+)').exec(stack);
  const out = { ok: false, kind: 'throw', message: message.slice(0, 2000) };
  if (m) { out.line = Number(m[1]) - ${USER_LINE_OFFSET}; out.column = Number(m[2]); }
  return out;
}

function start(factory, script, i) {
  state = { script: script, unlink: false, warnings: [], remove: false, twins: i.twins || null, missing: [] };
  const conn = deepFreeze(i.connection);
  if (script === 'outgoing') return factory(deepFreeze(i.entity), {}, conn, helpers);
  const replica = deepFreeze(i.replica);
  const entity = i.entity || { type: replica.type };
  return factory(replica, i.previous == null ? null : deepFreeze(i.previous), i.firstSync === true, entity, conn, helpers);
}

function finish(pair, script, maxChars) {
  const both = pair[1]();
  const name = script === 'outgoing' ? 'replica' : 'entity';
  const value = script === 'outgoing' ? both[1] : both[0];
  if (value === null || typeof value !== 'object' || isArray(value)) {
    return stringify({ ok: false, kind: 'output', message: name + ' must be an object' });
  }
  if (script === 'incoming' && (typeof value.type !== 'string' || value.type === '')) {
    return stringify({ ok: false, kind: 'output', message: 'entity.type must be a non-empty string' });
  }
  // The walk gives precise messages for what JSON would silently change (NaN, getters, undefined);
  // what is checked for depth and shape is the serialised text itself, since a Proxy or a toJSON
  // can make the serialisation differ from the object the walk saw.
  const problem = jsonProblem(value, name, 0, new Set());
  if (problem) return stringify({ ok: false, kind: 'output', message: problem });
  let text;
  try { text = stringify(value); } catch (e) {
    return stringify({ ok: false, kind: 'output', message: name + ' cannot be serialised as JSON: ' + String(e && e.message) });
  }
  if (typeof text !== 'string' || text[0] !== '{') {
    return stringify({ ok: false, kind: 'output', message: name + ' must serialise to a JSON object' });
  }
  if (text.length > maxChars) {
    return stringify({ ok: false, kind: 'output', message: name + ' is ' + text.length + ' characters of JSON, over the limit of ' + maxChars });
  }
  const sent = parse(text);
  const deep = tooDeep(sent, name);
  if (deep) return stringify({ ok: false, kind: 'output', message: deep });
  if (script === 'incoming' && (typeof sent.type !== 'string' || sent.type === '')) {
    return stringify({ ok: false, kind: 'output', message: 'entity.type must be a non-empty string' });
  }
  // The value's JSON goes in as it is (not as a string inside JSON): one parse on the way out.
  const content = (state.remove ? ',"delete":true' : '') + (state.missing.length ? ',"missing":' + stringify(state.missing) : '');
  return '{"ok":true,"unlink":' + (state.unlink === true) + content + ',"warnings":' + stringify(state.warnings) + ',"out":' + text + '}';
}

async function run(factory, script, input, maxChars) {
  try {
    const pair = start(factory, script, parse(input));
    await pair[0]();
    return finish(pair, script, maxChars);
  } catch (e) {
    return stringify(describe(e, script));
  }
}

// A rule with no await runs to the end in one synchronous call: no promise to wait for.
function runSync(factory, script, call, maxChars) {
  try {
    const pair = start(factory, script, call);
    pair[0]();
    return finish(pair, script, maxChars);
  } catch (e) {
    return stringify(describe(e, script));
  }
}

// Many synchronous runs in one call into the isolate: the calls arrive as one JSON array text.
function runSyncMany(factory, script, calls, maxChars) {
  const list = parse(calls), out = [];
  for (let i = 0; i < list.length; i++) out.push(runSync(factory, script, list[i], maxChars));
  return out;
}

const AsyncFunction = getProto(async function () {}).constructor;

function checkBody(code) {
  try { new AsyncFunction(code); return null; } catch (e) { return String(e && e.message); }
}

return function dispatch(op, a, b, c, d) {
  if (op === 'run') return run(a, b, c, d);
  if (op === 'runSync') return runSync(a, b, parse(c), d);
  if (op === 'runSyncMany') return runSyncMany(a, b, c, d);
  return checkBody(a);
};
})`;
