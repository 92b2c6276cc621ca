// Answers a rule's host look-up (helpers.users.byEmail) from the runner: checked, bounded, never throwing.
import type { Logger } from '../log.ts';
import type { RuleHostApi } from './sandbox.ts';

const MAX_EMAIL = 320;
const MAX_HOST_REPLY = 64 * 1024;

/** The answer sent back to the runner. */
export interface HostReply {
  ok: boolean;
  value?: string | null;
  message?: string;
}

/**
 * The user with this e-mail as JSON (null if none, or if the batch has no look-ups), or a failure message.
 * @example reply(await answerLookup(batches.host(msg.batch), msg.arg, log));
 */
export async function answerLookup(
  host: RuleHostApi | undefined,
  email: unknown,
  log?: Logger | undefined,
): Promise<HostReply> {
  if (!host) return { ok: true, value: null };
  if (typeof email !== 'string' || email.length > MAX_EMAIL || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    return { ok: false, message: 'not a valid e-mail address' };
  }
  try {
    const user = await host.userByEmail(email);
    const value = user === null ? null : JSON.stringify(user);
    if (value !== null && value.length > MAX_HOST_REPLY)
      return { ok: false, message: 'the user record is too large' };
    return { ok: true, value };
  } catch (err) {
    log?.warn({ err }, 'rule host look-up failed');
    return { ok: false, message: 'the look-up failed on the host' };
  }
}
