// Sync errors (of one connection, or of the whole node), this host's and the partner's: filter, cards, Retry or Resolve one or all.
import { type Connection, client, enc, json, type SyncError } from '../../api.ts';
import { Empty, Problem, WhenLoaded } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { navigate, qs, useRoute } from '../../router.ts';
import { BulkActions } from './bulk-actions.tsx';
import { ErrorCard } from './error-card.tsx';
import { type ErrorFilter, ErrorFilters, filterOf, queryOf } from './error-filters.tsx';

export { scriptPlace } from './error-card.tsx';

/** Errors a page shows at once. */
const PAGE = 100;

export function ErrorsTab(props: {
  connection?: Connection;
  /** Names of connections, for the node-wide list. */
  names?: Map<string, string>;
  onChanged?: () => Promise<void>;
}) {
  const { connection } = props;
  const route = useRoute();
  const filter = filterOf(route.query, connection?.id);
  const here = connection ? `/connections/${connection.id}/errors` : '/errors';
  const go = (f: ErrorFilter) => navigate(`${here}${qs(queryOf(f, !!connection))}`);
  const errors = useLoad(
    () => json(client.errors.$get({ query: { ...filter, limit: String(PAGE) } })),
    JSON.stringify(filter),
    3000,
  );
  const action = useAction();
  const changed = async () => {
    await errors.reload();
    await props.onChanged?.();
  };
  const act = async (e: SyncError, what: 'retry' | 'resolve') => {
    const r = await action.run(() => json(client.errors[':id'][what].$post({ param: { id: enc(e.id) } })));
    if (r) await changed();
  };
  const filtered = !!(filter.level || filter.side || filter.q || (!connection && filter.connectionId));
  return (
    <section aria-labelledby={connection ? 'errors-title' : 'page-title'}>
      {connection ? (
        <div class="tab-head">
          <h2 id="errors-title">Errors</h2>
        </div>
      ) : null}
      <ErrorFilters key={JSON.stringify(filter)} filter={filter} names={props.names} onChange={go} />
      <BulkActions filter={filter} count={errors.data?.items.length ?? 0} onDone={changed} />
      <Problem error={action.error} title="The action failed" />
      <WhenLoaded data={errors.data} error={errors.error}>
        {(list) =>
          list.items.length === 0 ? (
            <Empty>
              {filtered
                ? 'No error matches this filter.'
                : filter.status === 'open'
                  ? 'No open errors. Everything flows.'
                  : 'No resolved errors.'}
            </Empty>
          ) : (
            <>
              <ul class="errors">
                {list.items.map((e) => (
                  <ErrorCard
                    key={e.id}
                    error={e}
                    connection={connection}
                    names={props.names}
                    busy={action.busy}
                    onAct={(what) => void act(e, what)}
                  />
                ))}
              </ul>
              {'nextCursor' in list ? (
                <p class="hint">Showing the latest {PAGE}; narrow the filter to see others.</p>
              ) : null}
            </>
          )
        }
      </WhenLoaded>
    </section>
  );
}
