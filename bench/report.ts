// Writes bench/results.json and bench/results.md: every figure, its ratio to both references, the targets.
import fs from 'node:fs';
import path from 'node:path';
import type { PostgresConfig, PostgresFigures } from './postgres.ts';
import type { PouchFigures } from './ref-pouch.ts';
import type { RawFigures } from './ref-raw.ts';
import type { ServiceNowFigures } from './servicenow.ts';
import { round } from './stats.ts';
import type { Missing, TandemFigures } from './tandem.ts';

export interface BenchResults {
  at: string;
  machine: Record<string, unknown>;
  options: { records: number; rate: number; latencySamples: number; idleConnections: number };
  raw: RawFigures | undefined;
  pouch: PouchFigures | undefined;
  tandem: TandemFigures | undefined;
  /** Figure (f); a run without it keeps the last one recorded. */
  servicenow?: ServiceNowFigures | Missing | undefined;
  /** Figure (g); a run without it keeps the last one recorded. */
  postgres?: PostgresFigures | Missing | undefined;
}

interface Row {
  figure: string;
  tandem: string;
  raw: string;
  pouch: string;
  vsRaw: string;
  vsPouch: string;
  target: string;
  met: 'yes' | 'no' | 'n/a';
  note?: string;
}

const missingOf = (v: unknown): string | undefined =>
  v && typeof v === 'object' && 'missing' in v ? String((v as { missing: string }).missing) : undefined;

function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && b > 0 ? `${round(a / b, 2)}x` : '-';
}

export function buildRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  const t = r.tandem;
  const rawBulk = r.raw?.bulk.perSecond;
  const pouchBulk = r.pouch?.bulk.perSecond;

  const rate = (label: string, v: TandemFigures['bulk'] | undefined, note?: string) => {
    const m = missingOf(v);
    const val = m ? undefined : (v as { perSecond: number; seconds: number } | undefined);
    const okPouch = val && pouchBulk ? val.perSecond > pouchBulk : undefined;
    const okRaw = val && rawBulk ? val.perSecond >= rawBulk / 2 : undefined;
    rows.push({
      figure: label,
      tandem: val ? `${val.perSecond}/s (${round(val.seconds, 2)} s)` : `missing: ${m ?? 'not run'}`,
      raw: r.raw ? `${r.raw.bulk.perSecond}/s (${round(r.raw.bulk.seconds, 2)} s)` : '-',
      pouch: r.pouch ? `${r.pouch.bulk.perSecond}/s (${round(r.pouch.bulk.seconds, 2)} s)` : '-',
      vsRaw: ratio(val?.perSecond, rawBulk),
      vsPouch: ratio(val?.perSecond, pouchBulk),
      target: '> PouchDB and >= 0.5x raw',
      met: okPouch === undefined || okRaw === undefined ? 'n/a' : okPouch && okRaw ? 'yes' : 'no',
      ...(note ? { note } : {}),
    });
  };
  rate('(a) throughput A->B, script rules', t?.throughput, 'references: their bulk rate on the same records');
  const lat = t?.latency;
  const latM = missingOf(lat);
  const latV = latM ? undefined : (lat as { p50: number; p99: number } | undefined);
  rows.push({
    figure: `(b) latency change->applied @ ${r.options.rate}/s, p50 / p99 (ms)`,
    tandem: latV ? `${latV.p50} / ${latV.p99}` : `missing: ${latM ?? 'not run'}`,
    raw: r.raw ? `${r.raw.latency.p50} / ${r.raw.latency.p99}` : '-',
    pouch: r.pouch ? `${r.pouch.latency.p50} / ${r.pouch.latency.p99}` : '-',
    vsRaw:
      latV && r.raw ? `${ratio(latV.p50, r.raw.latency.p50)} / ${ratio(latV.p99, r.raw.latency.p99)}` : '-',
    vsPouch:
      latV && r.pouch
        ? `${ratio(latV.p50, r.pouch.latency.p50)} / ${ratio(latV.p99, r.pouch.latency.p99)}`
        : '-',
    target: 'p99 < PouchDB p99',
    met: latV && r.pouch ? (latV.p99 < r.pouch.latency.p99 ? 'yes' : 'no') : 'n/a',
  });
  rate(`(c) initial bulk sync of ${r.options.records} entities`, t?.bulk);
  const sb = t?.sandbox;
  const sbM = missingOf(sb);
  const sbV = sbM ? undefined : (sb as { bareUs: number; ruleUs: number; overheadUs: number } | undefined);
  rows.push({
    figure: '(d) sandbox cost per rule run (µs)',
    tandem: sbV
      ? `${sbV.ruleUs} (bare isolate ${sbV.bareUs}, +${sbV.overheadUs})`
      : `missing: ${sbM ?? 'not run'}`,
    raw: '-',
    pouch: '-',
    vsRaw: '-',
    vsPouch: '-',
    target: '< 50 µs beyond the bare isolate call',
    met: sbV ? (sbV.overheadUs < 50 ? 'yes' : 'no') : 'n/a',
  });
  const mem = t?.idleMemory;
  const memM = missingOf(mem);
  const memV = memM
    ? undefined
    : (mem as { connections: number; rssMb: number; baselineRssMb: number } | undefined);
  rows.push({
    figure: `(e) memory of a host with ${r.options.idleConnections} idle connections`,
    tandem: memV
      ? `${memV.rssMb} MB RSS with ${memV.connections} (idle host ${memV.baselineRssMb} MB)`
      : `missing: ${memM ?? 'not run'}`,
    raw: '-',
    pouch: '-',
    vsRaw: '-',
    vsPouch: '-',
    target: '< 1 GB',
    met: memV ? (memV.rssMb < 1024 && memV.connections >= r.options.idleConnections ? 'yes' : 'no') : 'n/a',
  });
  const sn = r.servicenow;
  const snM = missingOf(sn);
  const snV = snM ? undefined : (sn as ServiceNowFigures | undefined);
  rows.push({
    figure: `(f) ServiceNow <-> built-in through the fake instance, bulk both ways${snV ? ` (${snV.records} per phase)` : ''}`,
    tandem: snV
      ? `${snV.callsPerChange} API calls per synced change, ${snV.perSecond} changes/s over ${snV.phases.length} phases (below)`
      : `missing: ${snM ?? 'not run'}`,
    raw: '-',
    pouch: '-',
    vsRaw: '-',
    vsPouch: '-',
    target: 'at most 2 API calls per synced change (comments included)',
    met: snV
      ? snV.callsPerChange <= 2 && snV.phases.every((p) => p.callsPerChange <= 2)
        ? 'yes'
        : 'no'
      : 'n/a',
  });
  const g = r.postgres;
  const gM = missingOf(g);
  const gV = gM ? undefined : (g as PostgresFigures | undefined);
  const x = (v: number | undefined) => (v === undefined ? '-' : `${v}x`);
  rows.push({
    figure: `(g) ${gV ? gV.connections : 200} connections: SQLite vs PostgreSQL (1 process), PostgreSQL 1 vs 2 processes`,
    tandem: gV
      ? `throughput PG/SQLite ${x(gV.ratios.pgVsSqliteThroughput)}, 2p/1p ${x(gV.ratios.twoVsOneThroughput)}; ` +
        `latency p50 PG/SQLite ${x(gV.ratios.pgVsSqliteLatencyP50)}, 2p/1p ${x(gV.ratios.twoVsOneLatencyP50)} (below)`
      : `missing: ${gM ?? 'not run'}`,
    raw: '-',
    pouch: '-',
    vsRaw: '-',
    vsPouch: '-',
    target: 'measured (no target)',
    met: 'n/a',
  });
  return rows;
}

/** The section of figure (g): each configuration of the sender, then the ratios. */
function postgresSection(g: PostgresFigures): string[] {
  const cell = (c: PostgresConfig) => {
    const tp =
      'missing' in c.throughput
        ? `missing: ${c.throughput.missing}`
        : `${c.throughput.perSecond}/s (${c.throughput.seconds} s)`;
    const lat =
      'missing' in c.latency ? `missing: ${c.latency.missing}` : `${c.latency.p50} / ${c.latency.p95}`;
    return `| ${c.name} | ${c.connections} | ${c.pairingSeconds} | ${c.spread.join(' + ') || '-'} | ${tp} | ${c.drainSeconds ?? '-'} | ${lat} | ${c.cpuMsPerChange ?? '-'} | ${c.pgCpuMsPerChange ?? '-'} |`;
  };
  const x = (v: number | undefined) => (v === undefined ? '-' : `${v}x`);
  const r = g.ratios;
  return [
    '## (g) PostgreSQL: one and two processes, and SQLite vs PostgreSQL',
    '',
    `Recorded ${g.at} on ${g.machine}; ${g.connections} connections, ${g.records} entities for the throughput, ` +
      `${g.latencySamples} latency samples at ${g.ratePerSecond} changes/s.` +
      (g.connections < 200 ? ` **Small scale** (the issue asks for 200 connections): see the notes.` : ''),
    '',
    '| Sender S | Connections | Pairing (s) | Connections per process | Throughput to R | S done with the replies (s) | Latency p50 / p95 (ms) | S CPU ms per change | PostgreSQL CPU ms per change |',
    '|---|---|---|---|---|---|---|---|---|',
    ...g.configs.map(cell),
    '',
    '| Ratio | Throughput | Latency p50 | Latency p95 | S CPU per change |',
    '|---|---|---|---|---|',
    `| PostgreSQL 1 process / SQLite 1 process | ${x(r.pgVsSqliteThroughput)} | ${x(r.pgVsSqliteLatencyP50)} | ${x(r.pgVsSqliteLatencyP95)} | ${x(r.pgVsSqliteCpu)} |`,
    `| PostgreSQL 2 processes / 1 process | ${x(r.twoVsOneThroughput)} | ${x(r.twoVsOneLatencyP50)} | ${x(r.twoVsOneLatencyP95)} | ${x(r.twoVsOneCpu)} |`,
    '',
    'For throughput above 1 means the first is faster; for latency and CPU, below 1 means the first is faster or cheaper.',
    '',
    ...fanoutSection(g),
  ];
}

/** What one change costs the sender with one connection and beside many idle ones (no processes, no load). */
function fanoutSection(g: PostgresFigures): string[] {
  if (!g.fanout?.length) return [];
  const row = (f: NonNullable<PostgresFigures['fanout']>[number]) =>
    'missing' in f
      ? `| ${f.database} | missing: ${f.missing} | | | | | |`
      : `| ${f.database} | ${f.changes} | ${f.one.statements} / ${f.one.cpuMs} | ${f.idle + 1} | ${f.crowded.statements} / ${f.crowded.cpuMs} | ${f.statementsRatio}x | ${f.cpuRatio}x |`;
  return [
    '### (g) One change beside idle connections',
    '',
    'In a process of its own per case, no link (delivery is not counted): the sender with one connection whose trigger matches ' +
      'every change, then with as many connections as above, the others idle (their triggers match nothing). ' +
      "Single changes, each written once the one before is queued. Statements are the engine's own (begin and " +
      'commit not counted) and do not depend on the load; CPU is this process only (the rule runner not counted).',
    '',
    '| Database | Changes | 1 connection: statements / CPU ms per change | Connections | Crowded: statements / CPU ms per change | Statements ratio | CPU ratio |',
    '|---|---|---|---|---|---|---|',
    ...g.fanout.map(row),
    '',
  ];
}

export function writeResults(dir: string, results: BenchResults): void {
  const rows = buildRows(results);
  fs.writeFileSync(path.join(dir, 'results.json'), `${JSON.stringify({ ...results, rows }, null, 2)}\n`);
  const lines = [
    '# Benchmark results',
    '',
    `Recorded ${results.at} by \`npm run bench\` on ${results.machine.cpus}, ${results.machine.memoryGb} GB, ` +
      `Node ${results.machine.node} (${results.machine.platform}).`,
    `Payload: ${results.options.records} incident records of ~600 bytes of JSON (bench/payload.ts); latency at a ` +
      `fixed ${results.options.rate} changes/s, ${results.options.latencySamples} samples.`,
    '',
    '| Figure | Tandem | Raw ws + SQLite | PouchDB | Tandem / raw | Tandem / PouchDB | Target | Met |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.figure} | ${r.tandem} | ${r.raw} | ${r.pouch} | ${r.vsRaw} | ${r.vsPouch} | ${r.target} | ${r.met} |`,
    ),
    '',
    'Ratios: for rates, above 1 means Tandem is faster; for latency, below 1 means Tandem is faster.',
    'Where a target is missed, [analysis.md](analysis.md) says by how much and why, from CPU profiles.',
    '',
  ];
  const snFigure =
    results.servicenow && !missingOf(results.servicenow)
      ? (results.servicenow as ServiceNowFigures)
      : undefined;
  if (snFigure)
    lines.push(
      `## (f) ServiceNow, by phase`,
      '',
      `Recorded ${snFigure.at} on ${snFigure.machine}; ${snFigure.records} changes per phase.`,
      '',
      '| Phase | Changes/s | Seconds | API calls | API calls per change |',
      '|---|---|---|---|---|',
      ...snFigure.phases.map(
        (p) => `| ${p.name} | ${p.perSecond} | ${p.seconds} | ${p.calls} | ${p.callsPerChange} |`,
      ),
      `| all phases | ${snFigure.perSecond} | ${round(
        snFigure.phases.reduce((t, p) => t + p.seconds, 0),
        2,
      )} | ${snFigure.phases.reduce((t, p) => t + p.calls, 0)} | ${snFigure.callsPerChange} |`,
      '',
      `Requests by route: ${Object.entries(snFigure.calls)
        .map(([route, k]) => `\`${route}\` ${k}`)
        .join(', ')}.`,
      '',
    );
  const gFigure =
    results.postgres && !missingOf(results.postgres) ? (results.postgres as PostgresFigures) : undefined;
  if (gFigure) lines.push(...postgresSection(gFigure));
  const notes = [...(results.tandem?.notes ?? []), ...(snFigure?.notes ?? []), ...(gFigure?.notes ?? [])];
  if (notes.length) lines.push('## Notes on this run', '', ...notes.map((n) => `- ${n}`), '');
  fs.writeFileSync(path.join(dir, 'results.md'), `${lines.join('\n')}\n`);
}
