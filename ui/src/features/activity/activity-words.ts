// The activity series in words: durations, and the summaries that are each chart's text alternative.
import { bucketTime } from '../../components/charts/time.ts';
import type { ConnectionActivity } from './types.ts';

/** The series the API answers (a dashboard item's `activity`, or a connection's range). */
export type Series = Omit<ConnectionActivity, 'connectionId' | 'range' | 'from' | 'to' | 'eventsQueued'>;

/** A wait in words: "0 s", "850 ms", "4.2 s", "3 min 5 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0 s';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return s % 60 >= 1 && min < 10 ? `${min} min ${Math.floor(s % 60)} s` : `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "per minute", "per 15 minutes", "per hour". */
export function perStep(stepSeconds: number): string {
  if (stepSeconds === 60) return 'per minute';
  if (stepSeconds === 3600) return 'per hour';
  return stepSeconds % 60 === 0 ? `per ${stepSeconds / 60} minutes` : `per ${stepSeconds} seconds`;
}

const total = (xs: readonly (number | null)[]) => xs.reduce<number>((n, x) => n + (x ?? 0), 0);

/** The bucket with the highest value (the first of equals), or undefined when every one is 0 or null. */
function peak(xs: readonly (number | null)[]): { i: number; v: number } | undefined {
  let best: { i: number; v: number } | undefined;
  xs.forEach((v, i) => {
    if (v !== null && v > 0 && (!best || v > best.v)) best = { i, v };
  });
  return best;
}

const sampledCount = (s: Series) => s.state.filter((x) => x !== null).length;

/** What the whole range covers, in words ("the last hour"). */
export function spanWords(s: Series): string {
  const hours = (s.at.length * s.stepSeconds) / 3600;
  if (hours <= 1) return 'the last hour';
  if (hours <= 24) return 'the last 24 hours';
  return `the last ${Math.round(hours / 24)} days`;
}

export function eventsSummary(s: Series): string {
  if (sampledCount(s) === 0) return `Nothing recorded over ${spanWords(s)} yet.`;
  const out = total(s.eventsOut);
  const inn = total(s.eventsIn);
  const parts = [`Over ${spanWords(s)}: ${out} events sent, ${inn} received`];
  const top = peak(s.eventsOut.map((v, i) => (v ?? 0) + (s.eventsIn[i] ?? 0)));
  if (top) parts.push(`busiest at ${bucketTime(s.at[top.i], s.stepSeconds)} with ${top.v}`);
  return `${parts.join('; ')}.`;
}

export function lagSummary(s: Series): string {
  if (sampledCount(s) === 0) return `Nothing recorded over ${spanWords(s)} yet.`;
  const out = peak(s.lagOutMs);
  const inn = peak(s.lagInMs);
  if (!out && !inn) return `No event waited at any sample over ${spanWords(s)}.`;
  const words = (p: { i: number; v: number } | undefined, dir: string) =>
    p ? `${dir} ${formatDuration(p.v)} at ${bucketTime(s.at[p.i], s.stepSeconds)}` : `${dir} none`;
  return `Longest wait over ${spanWords(s)}: ${words(out, 'outgoing')}, ${words(inn, 'incoming')}.`;
}

export function queueSummary(s: Series): string {
  if (sampledCount(s) === 0) return `Nothing recorded over ${spanWords(s)} yet.`;
  const out = peak(s.queuedOut);
  const inn = peak(s.queuedIn);
  if (!out && !inn) return `Nothing queued at any sample over ${spanWords(s)}.`;
  return `Most queued over ${spanWords(s)}: ${out?.v ?? 0} outgoing, ${inn?.v ?? 0} incoming.`;
}

export function linkSummary(s: Series): string {
  const sampled = s.linkUp.filter((x): x is number => x !== null);
  const off = s.state.filter((x) => x === 'deactivated').length;
  if (sampled.length === 0)
    return off ? `Deactivated over ${spanWords(s)}.` : `No link recorded over ${spanWords(s)}.`;
  const share = sampled.reduce((a, b) => a + b, 0) / sampled.length;
  const pct = Math.round(share * 1000) / 10;
  return pct >= 100
    ? `Link up the whole time it was sampled over ${spanWords(s)}.`
    : `Link up ${pct} % of the sampled time over ${spanWords(s)}.`;
}

export function errorsSummary(s: Series): string {
  const top = peak(s.openErrors);
  return top
    ? `Up to ${top.v} open errors over ${spanWords(s)}; ${s.openErrors.filter((x) => x !== null).at(-1) ?? 0} at the last sample.`
    : `No open error at any sample over ${spanWords(s)}.`;
}
