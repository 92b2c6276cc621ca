// Health checks by name as admins read them: the hosts' stable check ids (peer_reachable, ...) as plain words.

const NAMES: Record<string, string> = {
  peer_reachable: 'Partner reachable',
  key_matches: 'Partner’s key matches the one pinned at pairing',
  protocol_compatible: 'Both hosts speak the same sync protocol',
  clock_skew: 'Clocks agree',
  storage_writable: 'Database accepts writes',
  tracker_healthy: 'System of record (tracker) healthy',
};

/** A check's display name: a known id by its words, another machine-like id spelled out, else the name itself. */
export function checkLabel(name: string): string {
  const known = NAMES[name];
  if (known) return known;
  if (!/^[a-z0-9]+(_[a-z0-9]+)+$/.test(name)) return name;
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
