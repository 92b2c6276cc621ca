// Sends one webhook POST: only to the configured URL (redirects are not followed), signed, bounded in time.
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Tandem-Signature';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the target's secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What one attempt came to; `error` never contains the URL (a Slack or Teams URL is a credential). */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * Posts webhook bodies.
 * @example await sender.send({ url, body, secret, event: 'run.finished', deliveryId: 'd1' })
 */
export interface WebhookSender {
  send(req: {
    url: string;
    body: string;
    secret: string | null;
    event: string;
    deliveryId: string;
  }): Promise<SendResult>;
}

export function createWebhookSender(opts: { timeoutMs?: number; userAgent: string }): WebhookSender {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    async send({ url, body, secret, event, deliveryId }) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': opts.userAgent,
        'x-tandem-event': event,
        'x-tandem-delivery': deliveryId,
      };
      if (secret) headers[SIGNATURE_HEADER.toLowerCase()] = signBody(secret, body);
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body,
          // A redirect would send the body somewhere the admin did not configure.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.body?.cancel().catch(() => {});
        if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null };
        const why =
          res.status >= 300 && res.status < 400 ? 'a redirect, which is not followed' : `HTTP ${res.status}`;
        return { ok: false, status: res.status, error: `The receiver answered ${why}` };
      } catch (err) {
        return { ok: false, status: null, error: describe(err, timeoutMs) };
      }
    },
  };
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError') return `No answer within ${timeoutMs} ms`;
  const code = e.cause?.code;
  if (code) return `Could not reach the receiver (${code})`;
  return 'Could not reach the receiver';
}
