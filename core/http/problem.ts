// Maps every error to application/problem+json in one place, with a stable machine code.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isDatabaseUnreachable } from '../../storage/connection-lost.ts';
import { DatabaseUnavailable, TandemError } from '../errors.ts';
import type { AppEnv } from './app-env.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function problemBody(
  status: number,
  code: string,
  detail: string,
  extra?: Record<string, unknown>,
): Problem {
  return {
    ...extra,
    type: `https://tandem.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
  };
}

export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  extra?: Record<string, unknown>,
) {
  return c.body(JSON.stringify(problemBody(status, code, detail, extra)), status, {
    'content-type': 'application/problem+json',
  });
}

export function onError(err: Error, c: Context<AppEnv>) {
  if (isDatabaseUnreachable(err)) {
    // Not a fault of the host: the pool replaces the connection, and the same request works again shortly.
    c.var.log?.warn(
      { err: { message: err.message }, path: c.req.path },
      'database unreachable during a request',
    );
    return onError(new DatabaseUnavailable(), c);
  }
  if (err instanceof DatabaseUnavailable) c.header('Retry-After', String(err.retryAfterSeconds));
  if (err instanceof TandemError)
    return problemResponse(c, err.status, err.publicCode, err.message, err.extra);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'http_error';
    return problemResponse(c, status, code, err.message || TITLES[status] || 'Error');
  }
  c.var.log?.error({ err, path: c.req.path }, 'unhandled error');
  return problemResponse(c, 500, 'internal_error', 'Something went wrong on the host; see its log');
}
