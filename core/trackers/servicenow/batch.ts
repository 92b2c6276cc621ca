// The Batch API's envelope (`POST /api/now/v1/batch`): items in with base64 bodies, results out decoded.
import { type CallContext, checkShape } from './responses.ts';
import { batchAnswerSchema } from './schemas.ts';

export type BatchMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BatchItem {
  /** Unique in the batch; defaults to the item's position. */
  id?: string;
  method: BatchMethod;
  /** Instance-relative path with its query (`/api/now/table/incident?sysparm_limit=1`). */
  url: string;
  body?: unknown;
}

export interface BatchItemResult {
  id: string;
  status: number;
  /** The item's answer, parsed as JSON when it is JSON, else its text; null when empty. */
  body: unknown;
  /** The item's raw text, for a caller that reads it with its own schema or error mapping. */
  text: string;
}

export interface BatchResult {
  results: BatchItemResult[];
  /** Ids the instance did not get to (a size or time limit); send them again. */
  unserviced: string[];
}

const JSON_HEADERS = [
  { name: 'Content-Type', value: 'application/json' },
  { name: 'Accept', value: 'application/json' },
];

export function encodeBatch(batchId: string, items: readonly BatchItem[]): string {
  return JSON.stringify({
    batch_request_id: batchId,
    rest_requests: items.map((item, i) => ({
      id: item.id ?? String(i),
      method: item.method,
      url: item.url,
      headers: JSON_HEADERS,
      exclude_response_headers: true,
      ...(item.body === undefined
        ? {}
        : { body: Buffer.from(JSON.stringify(item.body), 'utf8').toString('base64') }),
    })),
  });
}

export function decodeBatch(answer: unknown, ctx: CallContext): BatchResult {
  const shaped = checkShape(batchAnswerSchema, answer, ctx);
  const results = shaped.serviced_requests.map((r) => {
    const text = r.body ? Buffer.from(r.body, 'base64').toString('utf8') : '';
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { id: r.id, status: r.status_code, body, text };
  });
  const unserviced = (shaped.unserviced_requests ?? []).map((u) => (typeof u === 'string' ? u : u.id));
  return { results, unserviced };
}
