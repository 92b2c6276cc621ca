// (d) Sandbox cost per rule run: Tandem's sandbox against a bare isolated-vm call doing the same work.
import ivm from 'isolated-vm';
import { createSandbox } from '../core/sandbox/create-sandbox.ts';
import type { RuleCall } from '../core/sandbox/sandbox.ts';
import { makeRecord } from './payload.ts';
import { round } from './stats.ts';

export interface SandboxFigure {
  /** A bare isolate call (function reference, copied argument and result), µs per call. */
  bareUs: number;
  /** Tandem's sandbox, µs per rule run in batches of `batch` (how the sync engine calls it). */
  ruleUs: number;
  overheadUs: number;
  /** One rule run per `run()` call (a batch of one), µs: the process hop is not shared. */
  singleRunUs: number;
  batch: number;
}

const OUTGOING = `
replica.type = entity.type;
replica.summary = entity.summary;
replica.description = entity.description;
replica.status = entity.status;
replica.priority = entity.priority;
replica.comments = (entity.comments || []).filter((c) => !c.internal);`;

const CALLS = 20_000;
const BATCH = 100;

function entityOf(i: number) {
  const { id, ...rest } = makeRecord(i);
  return { ...rest, id, key: `INC-${i}`, comments: [] };
}

function bareIsolateUs(): number {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const context = isolate.createContextSync();
  const fn = context.evalSync(`(function (entity) { const replica = {}; ${OUTGOING}\n return replica; })`, {
    reference: true,
  }) as ivm.Reference<(e: unknown) => unknown>;
  const run = (i: number) =>
    fn.applySync(undefined, [entityOf(i)], { arguments: { copy: true }, result: { copy: true } });
  for (let i = 0; i < 2000; i++) run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) run(i);
  const us = Number(process.hrtime.bigint() - start) / 1000 / CALLS;
  isolate.dispose();
  return us;
}

export async function runSandboxBench(): Promise<SandboxFigure> {
  const bareUs = bareIsolateUs();
  const sandbox = createSandbox();
  try {
    const program = { version: 'bench-1', outgoing: OUTGOING, incoming: 'entity.summary = replica.summary;' };
    const connection = { id: 'bench', name: 'bench', localName: 'a', remoteName: 'b' };
    const call = (i: number): RuleCall => ({ script: 'outgoing', entity: entityOf(i), connection });
    const batchOf = (base: number, n: number) => Array.from({ length: n }, (_, j) => call(base + j));
    const first = await sandbox.run('bench', program, batchOf(0, 1));
    if (!first[0]?.ok) throw new Error(`the bench rule failed in the sandbox: ${JSON.stringify(first[0])}`);
    for (let i = 0; i < 20; i++) await sandbox.run('bench', program, batchOf(i * BATCH, BATCH));

    let start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i += BATCH) await sandbox.run('bench', program, batchOf(i, BATCH));
    const ruleUs = Number(process.hrtime.bigint() - start) / 1000 / CALLS;

    const singles = 2000;
    start = process.hrtime.bigint();
    for (let i = 0; i < singles; i++) await sandbox.run('bench', program, batchOf(i, 1));
    const singleRunUs = Number(process.hrtime.bigint() - start) / 1000 / singles;
    return {
      bareUs: round(bareUs, 1),
      ruleUs: round(ruleUs, 1),
      overheadUs: round(ruleUs - bareUs, 1),
      singleRunUs: round(singleRunUs, 1),
      batch: BATCH,
    };
  } finally {
    await sandbox.close();
  }
}
