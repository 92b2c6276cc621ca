// Hash routing: `#/connections/abc/rules` -> segments; links are plain anchors, so the keyboard works.
import { useEffect, useState } from 'preact/hooks';

export function currentPath(): string {
  const h = window.location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : `/${h}`;
}

/** The path split into decoded segments and its query parameters. */
export interface Route {
  path: string;
  segments: string[];
  query: URLSearchParams;
}

export function parseRoute(full: string): Route {
  const [path = '/', search = ''] = full.split('?');
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, segments, query: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const onChange = () => setPath(currentPath());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parseRoute(path);
}

export function href(path: string): string {
  return `#${path}`;
}

/** A console path's query string from the values that are set: `qs({ type: 'incident', q: '' })` -> `?type=incident`. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export function navigate(path: string): void {
  window.location.hash = path;
}
