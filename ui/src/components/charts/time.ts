// How the charts name a bucket's time: "10:32" within a day, "Mon 10:00" over a week.

/** The start of bucket `at` (ISO), in local time, as precise as its width needs. */
export function bucketTime(at: string | undefined, stepSeconds: number): string {
  if (!at) return '';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return stepSeconds >= 3600 ? `${d.toLocaleDateString(undefined, { weekday: 'short' })} ${time}` : time;
}

/** A bucket's time span in words, for the tooltip ("10:30–10:45"). */
export function bucketSpan(at: string | undefined, stepSeconds: number): string {
  if (!at) return '';
  if (stepSeconds <= 60) return bucketTime(at, stepSeconds);
  const end = new Date(new Date(at).getTime() + stepSeconds * 1000).toISOString();
  return `${bucketTime(at, stepSeconds)}–${bucketTime(end, 60)}`;
}
