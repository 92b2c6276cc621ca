// Data loading hooks: load once per key, reload on demand, poll while the page is open, page through a list.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type List } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (d: T) => void;
}

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, 'client_error', String(e), {});
}

/** Loads `fn()` when `key` changes; with `pollMs`, refreshes quietly on that interval. */
export function useLoad<T>(fn: () => Promise<T>, key: string, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const keyRef = useRef(key);
  keyRef.current = key;

  const reload = useCallback(async () => {
    const k = keyRef.current;
    try {
      const d = await fnRef.current();
      if (keyRef.current !== k) return;
      setData(d);
      setError(undefined);
    } catch (e) {
      if (keyRef.current !== k) return;
      setError(asApiError(e));
    } finally {
      if (keyRef.current === k) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setLoading(true);
    setData(undefined);
    setError(undefined);
    void reload();
    if (!pollMs) return;
    let timer: ReturnType<typeof setTimeout>;
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      if (!document.hidden) await reload();
      if (!stopped) timer = setTimeout(() => void tick(), pollMs);
    };
    timer = setTimeout(() => void tick(), pollMs);
    // A tab in the background skips its polls; catch up as soon as it is shown again.
    const onVisible = () => {
      if (!document.hidden) void reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, pollMs, reload]);

  return { data, error, loading, reload, setData };
}

/** Runs an action, tracking busy state and the last error; returns the result or undefined on failure. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = useCallback(async <R>(fn: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await fn();
    } catch (e) {
      setError(asApiError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/** What `useAction()` returns, for a component that runs an action its parent holds. */
export type ActionRunner = ReturnType<typeof useAction>;

/**
 * A list read page by page: the first page whenever `key` changes, each next one on `paging.onMore()`.
 * `rows` is undefined until the first page is there; `paging` is what `DataTable` takes.
 */
export function usePagedList<T>(fetchPage: (cursor: string | undefined) => Promise<List<T>>, key: string) {
  const first = useLoad(() => fetchPage(undefined), key);
  const [extra, setExtra] = useState<{ key: string; items: T[]; next?: string | undefined }>({
    key: '',
    items: [],
  });
  const more = useAction();
  const loaded = extra.key === key ? extra.items : [];
  const next = extra.key === key && extra.items.length ? extra.next : first.data?.nextCursor;
  const loadMore = async () => {
    const r = await more.run(() => fetchPage(next));
    if (r) setExtra({ key, items: [...loaded, ...r.items], next: r.nextCursor });
  };
  return {
    rows: first.data ? [...first.data.items, ...loaded] : undefined,
    error: first.error,
    paging: { hasMore: !!next, busy: more.busy, error: more.error, onMore: () => void loadMore() },
  };
}
