// How many entities a trigger's type and query match now, asked of the host while the query is typed.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, client, type EntityType, json } from '../../api.ts';

export interface Match {
  count: number;
  complete: boolean;
  sample: { id: string; key: string; summary: string }[];
}

/** The host's count for a query that passes the local check, asked 300 ms after the last keystroke. */
export function useMatchPreview(entityType: EntityType, query: string, valid: boolean) {
  const [match, setMatch] = useState<Match | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setError('');
    if (!valid) {
      setMatch(null);
      return;
    }
    let stale = false;
    const timer = setTimeout(() => {
      json(client.entities.match.$post({ json: { type: entityType, query: query.trim() } })).then(
        (r) => {
          if (!stale) setMatch(r);
        },
        (e: unknown) => {
          if (stale) return;
          setMatch(null);
          setError(e instanceof ApiError ? e.message : String(e));
        },
      );
    }, 300);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [entityType, query, valid]);
  return { match, error };
}

export function MatchPreview({ match, error }: { match: Match | null; error: string }) {
  if (error)
    return (
      <p class="field-error" role="alert">
        {error}
      </p>
    );
  if (!match) return null;
  return (
    <div class="match-preview" role="status" data-testid="match-preview">
      <strong>
        {match.count}
        {match.complete ? '' : '+'} {match.count === 1 ? 'entity matches' : 'entities match'} now
      </strong>
      {match.sample.length ? (
        <span class="muted">
          {' '}
          ({match.sample.map((s) => s.key).join(', ')}
          {match.count > match.sample.length ? ', …' : ''})
        </span>
      ) : null}
    </div>
  );
}
