// The console's list table: its load states, an empty text, one row per item, and "Load more" for paged lists.
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api.ts';
import { Empty, Problem, WhenLoaded } from './ui.tsx';

/** One column: its header and how a row fills its cell (`class` is the cell's: `num`, `wrap`, `links`). */
export interface Column<T> {
  head: ComponentChildren;
  cell: (row: T) => ComponentChildren;
  class?: string;
}

/** The next page of a paged list, loaded on demand. */
export interface Paging {
  hasMore: boolean;
  busy: boolean;
  error: ApiError | undefined;
  onMore: () => void;
}

/**
 * A table of loaded rows; `rows` is undefined until the first answer.
 * `<DataTable caption="Runs" columns={COLUMNS} rows={runs.data?.items} error={runs.error}
 *   rowKey={(r) => r.id} empty="No runs yet." />`
 */
export function DataTable<T>(props: {
  caption: ComponentChildren;
  columns: readonly Column<T>[];
  rows: readonly T[] | undefined;
  error: ApiError | undefined;
  empty: ComponentChildren;
  rowKey: (row: T, index: number) => string;
  /** Attributes of a row's `<tr>`, such as `data-connection`. */
  rowAttrs?: (row: T) => Record<string, string>;
  /** The id of what describes the table, such as `note`'s. */
  describedBy?: string;
  /** Shown under the table, inside its scrolling box. */
  note?: ComponentChildren;
  paging?: Paging;
}) {
  const { columns, paging } = props;
  return (
    <>
      <WhenLoaded data={props.rows} error={props.error}>
        {(rows) =>
          rows.length === 0 ? (
            <Empty>{props.empty}</Empty>
          ) : (
            <div class="table-wrap">
              <table class="data" aria-describedby={props.describedBy}>
                <caption class="sr-only">{props.caption}</caption>
                <thead>
                  <tr>
                    {columns.map((c, i) => (
                      <th key={i} scope="col">
                        {c.head}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row, i) => (
                    <tr key={props.rowKey(row, i)} {...props.rowAttrs?.(row)}>
                      {columns.map((c, j) => (
                        <td key={j} class={c.class}>
                          {c.cell(row)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              {props.note}
            </div>
          )
        }
      </WhenLoaded>
      {paging ? <Problem error={paging.error} /> : null}
      {paging?.hasMore ? (
        <button type="button" onClick={paging.onMore} disabled={paging.busy}>
          {paging.busy ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </>
  );
}
