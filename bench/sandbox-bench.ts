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
/** Bare and Tandem runs alternate in rounds; the figure is the median round, so a noisy moment on a shared machine does not decide it. */
const ROUNDS = 5;

function entityOf(i: number) {
  const { id, ...rest } = makeRecord(i);
  return { ...rest, id, key: `INC-${i}`, comments: [] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function bareIsolate() {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const context = isolate.createContextSync();
  const fn = context.evalSync(`(function (entity) { const replica = {}; ${OUTGOING}\n return replica; })`, {
    reference: true,
  }) as ivm.Reference<(e: unknown) => unknown>;
  const run = (i: number) =>
    fn.applySync(undefined, [entityOf(i)], { arguments: { copy: true }, result: { copy: true } });
  for (let i = 0; i < 2000; i++) run(i);
  return {
    /** µs per call over `calls` calls. */
    measure(calls: number): number {
      const start = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) run(i);
      return Number(process.hrtime.bigint() - start) / 1000 / calls;
    },
    dispose: () => isolate.dispose(),
  };
}

export async function runSandboxBench(): Promise<SandboxFigure> {
  const bare = bareIsolate();
  const sandbox = createSandbox();
  try {
    const program = { version: 'bench-1', outgoing: OUTGOING, incoming: 'entity.summary = replica.summary;' };
    const connection = { id: 'bench', name: 'bench', localName: 'a', remoteName: 'b' };
    const call = (i: number): RuleCall => ({ script: 'outgoing', entity: entityOf(i), connection });
    const batchOf = (base: number, n: number) => Array.from({ length: n }, (_, j) => call(base + j));
    const first = await sandbox.run('bench', program, batchOf(0, 1));
    if (!first[0]?.ok) throw new Error(`the bench rule failed in the sandbox: ${JSON.stringify(first[0])}`);
    for (let i = 0; i < 20; i++) await sandbox.run('bench', program, batchOf(i * BATCH, BATCH));

    const perRound = CALLS / ROUNDS;
    const rounds: Array<{ bareUs: number; ruleUs: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const bareUs = bare.measure(perRound);
      const start = process.hrtime.bigint();
      for (let i = 0; i < perRound; i += BATCH) await sandbox.run('bench', program, batchOf(i, BATCH));
      rounds.push({ bareUs, ruleUs: Number(process.hrtime.bigint() - start) / 1000 / perRound });
    }

    const singles = 2000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < singles; i++) await sandbox.run('bench', program, batchOf(i, 1));
    const singleRunUs = Number(process.hrtime.bigint() - start) / 1000 / singles;
    return {
      bareUs: round(median(rounds.map((x) => x.bareUs)), 1),
      ruleUs: round(median(rounds.map((x) => x.ruleUs)), 1),
      overheadUs: round(median(rounds.map((x) => x.ruleUs - x.bareUs)), 1),
      singleRunUs: round(singleRunUs, 1),
      batch: BATCH,
    };
  } finally {
    bare.dispose();
    await sandbox.close();
  }
}
