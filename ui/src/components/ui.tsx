// Small shared pieces: page frame, problem banners, load states, labelled fields, dates, JSON, check lists.
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api.ts';
import { checkLabel } from './check-names.ts';

export function Page(props: {
  title: string;
  intro?: ComponentChildren;
  actions?: ComponentChildren;
  children?: ComponentChildren;
}) {
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <div>
          <h1 id="page-title" tabIndex={-1}>
            {props.title}
          </h1>
          {props.intro ? <p class="intro">{props.intro}</p> : null}
        </div>
        {props.actions ? <div class="actions">{props.actions}</div> : null}
      </header>
      {props.children}
    </section>
  );
}

/** True when the API part is missing on this host (the route is not there yet). */
function isMissingRoute(e: ApiError | undefined): boolean {
  return !!e && e.status === 404 && e.code === 'not_found' && /^No route for/.test(e.message);
}

export function Problem({ error, title }: { error: ApiError | undefined; title?: string }) {
  if (!error) return null;
  if (isMissingRoute(error))
    return (
      <div class="notice" role="status">
        This part of the admin API is not available on this host yet.
      </div>
    );
  const issues = error.issues;
  return (
    <div class="problem" role="alert">
      <strong>{title ?? 'Something went wrong'}:</strong> {error.message}
      {issues.length ? (
        <ul>
          {issues.map((i) => (
            <li key={i.path}>
              <code>{i.path}</code> {i.message}
            </li>
          ))}
        </ul>
      ) : null}
      {error.code && error.status ? <span class="code"> ({error.code})</span> : null}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="loading" role="status">
      {what}…
    </p>
  );
}

/**
 * What is loaded, once it is: the load's problem, `Loading…` until the first answer, then `children`.
 * `<WhenLoaded data={node.data} error={node.error}>{(n) => <p>{n.name}</p>}</WhenLoaded>`
 */
export function WhenLoaded<T>(props: {
  data: T | undefined;
  error: ApiError | undefined;
  children: (data: T) => ComponentChildren;
}) {
  return (
    <>
      <Problem error={props.error} />
      {props.data === undefined ? props.error ? null : <Loading /> : props.children(props.data)}
    </>
  );
}

export function Field(props: {
  label: string;
  id: string;
  hint?: ComponentChildren;
  error?: string | undefined;
  required?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={props.id}>
        {props.label}
        {props.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {props.children}
      {props.hint ? (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

/** The message of the field issue whose path ends with `name`. */
export function issueFor(error: ApiError | undefined, name: string): string | undefined {
  return error?.issues.find((i) => i.path === name || i.path.endsWith(`.${name}`))?.message;
}

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return <span>{at}</span>;
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}
    </time>
  );
}

const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** How long ago `at` was, in words ("now", "12 seconds ago", "3 hours ago"), seen from `now`. */
export function ago(at: Date, now: number = Date.now()): string {
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  // A time a little ahead of ours (clocks apart) reads as now, not as the future.
  let value = Math.max(0, Math.round((now - at.getTime()) / 1000));
  for (const [unit, size] of RELATIVE_UNITS) {
    if (value < size) return rtf.format(-value, unit);
    value = Math.floor(value / size);
  }
  return rtf.format(-value, 'year');
}

/** A past time as relative words, the exact time in its tooltip; `fallback` when there is none. */
export function Ago({ at, fallback = '—' }: { at: string | null | undefined; fallback?: string }) {
  if (!at) return <span class="muted">{fallback}</span>;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return <span>{at}</span>;
  return (
    <time
      dateTime={d.toISOString()}
      title={d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}
    >
      {ago(d)}
    </time>
  );
}

/** One health check as the API gives it (connections and the tracker). */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string | undefined;
}

/** Health checks (by their display names) with a pass/fail mark and their detail; a failed one also says how to fix it, when known. */
export function Checks({ checks, label }: { checks: Check[]; label?: string }) {
  return (
    <ul class="checks" aria-label={label}>
      {checks.map((c) => (
        <li key={c.name} class={c.ok ? 'ok' : 'bad'} data-check={c.name}>
          <span class="check-mark" aria-hidden="true">
            {c.ok ? '✓' : '✗'}
          </span>
          <div>
            <strong>{checkLabel(c.name)}</strong> <span class="sr-only">{c.ok ? 'passed' : 'failed'}</span>
            <div>{c.detail}</div>
            {!c.ok && c.fix ? (
              <div class="fix">
                <strong>How to fix:</strong> {c.fix}
              </div>
            ) : null}
          </div>
        </li>
      ))}
    </ul>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    // A named region, so assistive technology (and tests) can tell the replica from the change.
    <section aria-label={label} title={label}>
      <pre class="json">{value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}
