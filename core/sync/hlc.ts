// Hybrid logical clock: timestamps that order causally across hosts and compare as plain strings.

/**
 * Produces HLC stamps `<ms 15 digits>-<counter 6 digits>-<node id>`: later stamps compare greater
 * as strings, the node id breaks ties, and observing a remote stamp moves the clock past it.
 * @example const hlc = createHlc('node-a'); const t = hlc.now(); hlc.observe(remoteStamp);
 */
export interface Hlc {
  now(): string;
  observe(stamp: string): void;
}

export function createHlc(nodeId: string, clock: () => number = Date.now): Hlc {
  let lastMs = 0;
  let counter = 0;
  const format = () => `${String(lastMs).padStart(15, '0')}-${String(counter).padStart(6, '0')}-${nodeId}`;
  return {
    now() {
      const ms = clock();
      if (ms > lastMs) {
        lastMs = ms;
        counter = 0;
      } else counter++;
      return format();
    },
    observe(stamp) {
      const m = /^(\d{15})-(\d{6})-/.exec(stamp);
      if (!m) return;
      const ms = Number(m[1]);
      const c = Number(m[2]);
      if (ms > lastMs || (ms === lastMs && c > counter)) {
        lastMs = ms;
        counter = c;
      }
    },
  };
}
