// The prelude's helpers for content: attachments to send, ids through the twins, deleting the local entity.

/**
 * Runs inside the prelude (it sees `state`, `isArray`, `hasOwn`, `freeze`). The engine gives each call
 * `twins: {local: {remoteId: localId}, remote: {localId: remoteId}}` for the ids found in its input, so
 * a look-up is a plain read (no hop to the host per id).
 */
export const CONTENT_HELPERS = `
function publicAttachments(list) {
  if (list === undefined || list === null) return [];
  if (!isArray(list)) throw new TypeError('helpers.attachments.public(list): list must be an array of attachments');
  const out = [];
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if (a !== null && typeof a === 'object' && a.internal !== true) out.push(a);
  }
  return out;
}

function translated(value, table, name, onMissing) {
  if (value === undefined || value === null || value === '') return value === undefined ? undefined : null;
  if (isArray(value)) {
    const out = [];
    for (let i = 0; i < value.length; i++) {
      const one = translated(value[i], table, name, onMissing);
      if (one !== null && one !== undefined) out.push(one);
    }
    return out;
  }
  if (typeof value !== 'string') throw new TypeError('helpers.twins.' + name + '(id): id must be a string or an array of strings');
  if (table !== null && hasOwn(table, value)) return table[value];
  onMissing(value);
  return null;
}

function localId(remote, options) {
  if (state.script !== 'incoming') throw new TypeError('helpers.twins.localId() is for the incoming script (outgoing has helpers.twins.remoteId())');
  const wait = !(options !== null && typeof options === 'object' && options.wait === false);
  const table = state.twins && state.twins.local ? state.twins.local : null;
  return translated(remote, table, 'localId', (id) => {
    if (wait && state.missing.indexOf(id) < 0 && state.missing.length < 50) state.missing.push(id);
  });
}

function remoteId(local) {
  if (state.script !== 'outgoing') throw new TypeError('helpers.twins.remoteId() is for the outgoing script (incoming has helpers.twins.localId())');
  const table = state.twins && state.twins.remote ? state.twins.remote : null;
  return translated(local, table, 'remoteId', () => {});
}

function deleteEntity() {
  if (state.script !== 'incoming') throw new TypeError('helpers.entity.delete() can only be called from the incoming script');
  state.remove = true;
}
`;
