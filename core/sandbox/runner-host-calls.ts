// The runner's side of host look-ups: a question to the host over IPC, answered or timed out.
import type { FromRunner } from './protocol.ts';

export interface HostAnswer {
  ok: boolean;
  value?: string | null;
  message?: string;
}

/**
 * Look-ups from inside an isolate, asked of the host in the batch's name.
 * @example const json = await hostCalls.ask(batchId, 'a@b.c', limits.wallMs); // hostCalls.answer(msg) on each reply
 */
export interface HostCalls {
  /** The user's JSON (or null); throws when the host says no or does not answer within `wallMs`. */
  ask(batchId: number, email: string, wallMs: number): Promise<string | null>;
  /** A `hostReply` message from the host. */
  answer(reply: { id: number } & HostAnswer): void;
}

export function createHostCalls(send: (msg: FromRunner) => void): HostCalls {
  const pending = new Map<number, (reply: HostAnswer) => void>();
  let nextHostCall = 1;
  return {
    async ask(batchId, arg, wallMs) {
      const id = nextHostCall++;
      const reply = await new Promise<HostAnswer>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, message: 'the host did not answer in time' });
        }, wallMs);
        pending.set(id, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        send({ type: 'hostCall', id, batch: batchId, fn: 'userByEmail', arg });
      });
      if (!reply.ok) throw new Error(`helpers.users.byEmail failed: ${reply.message ?? 'unknown error'}`);
      return reply.value ?? null;
    },
    answer(reply) {
      const resolve = pending.get(reply.id);
      pending.delete(reply.id);
      resolve?.(reply);
    },
  };
}
