// The benchmark payload: deterministic incident-sized JSON records of about 600 bytes.

export interface BenchRecord {
  id: string;
  type: 'incident';
  summary: string;
  description: string;
  status: string;
  priority: number;
  assignee: string;
  category: string;
  ci: string;
  [field: string]: unknown;
}

const STATUSES = ['new', 'in_progress', 'on_hold', 'resolved'];
const WORDS =
  'mail relay queue backlog latency database failover disk pressure certificate expired login portal vpn tunnel printer outage network switch'.split(
    ' ',
  );

function words(seed: number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[(seed * 31 + i * 7) % WORDS.length]!);
  return out.join(' ');
}

/** Record `i` of the run; the same `i` always gives the same record. */
export function makeRecord(i: number): BenchRecord {
  const id = `inc-${String(i).padStart(6, '0')}`;
  const rec: BenchRecord = {
    id,
    type: 'incident',
    summary: `INC${i}: ${words(i, 6)}`,
    description: `${words(i + 1, 40)}. Reported by the service desk; customer impact under review.`,
    status: STATUSES[i % STATUSES.length]!,
    priority: (i % 5) + 1,
    assignee: `agent${i % 40}@acme.example`,
    category: WORDS[i % WORDS.length]!,
    ci: `srv-${(i * 13) % 997}`,
  };
  // Pad to ~600 bytes of JSON so every peer moves the same amount of data.
  const size = JSON.stringify(rec).length;
  if (size < 600) rec.notes = 'x'.repeat(600 - size - 12);
  return rec;
}

export function makeRecords(n: number): BenchRecord[] {
  return Array.from({ length: n }, (_, i) => makeRecord(i));
}
