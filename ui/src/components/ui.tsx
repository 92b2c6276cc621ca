// Small shared pieces: page frame, problem banners, load states, labelled fields, dates, JSON.
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api.ts';

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
