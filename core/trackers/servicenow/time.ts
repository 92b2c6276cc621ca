// ServiceNow's timestamps: `YYYY-MM-DD HH:mm:ss` in UTC, to the second (sys_created_on, sys_updated_on, journal).

const PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * Milliseconds since the epoch for a ServiceNow timestamp, or null when the text is not one.
 * @example parseServiceNowTime('2026-01-05 09:30:00') // Date.UTC(2026, 0, 5, 9, 30)
 */
export function parseServiceNowTime(text: string): number | null {
  const m = PATTERN.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March; a real timestamp reads back the same.
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return ms;
}

/** The ServiceNow form of an instant, truncated to the second. */
export function formatServiceNowTime(at: number | Date): string {
  return new Date(typeof at === 'number' ? at : at.getTime()).toISOString().slice(0, 19).replace('T', ' ');
}
