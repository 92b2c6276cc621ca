// The value pairs of one mapping row: what a value here becomes there, added and removed in place.
import { ARROWS, type Row } from './mapping-rows.ts';

export function ValuePairs({
  row,
  index,
  onChange,
}: {
  row: Row;
  index: number;
  onChange: (v: Row['values']) => void;
}) {
  const set = (i: number, change: Partial<{ from: string; to: string }>) =>
    onChange(row.values.map((v, j) => (j === i ? { ...v, ...change } : v)));
  const n = row.values.length;
  return (
    <details class="value-map" open={n > 0 && n <= 3}>
      <summary>{n ? `${n} pair${n === 1 ? '' : 's'}` : 'None'}</summary>
      <ul>
        {row.values.map((v, i) => (
          <li key={`${row.key}-${i}`}>
            <input
              aria-label={`Value here ${i + 1}, row ${index + 1}`}
              value={v.from}
              onInput={(e) => set(i, { from: e.currentTarget.value })}
            />
            <span aria-hidden="true">{ARROWS[row.direction]}</span>
            <input
              aria-label={`Value there ${i + 1}, row ${index + 1}`}
              value={v.to}
              onInput={(e) => set(i, { to: e.currentTarget.value })}
            />
            <button
              type="button"
              class="quiet"
              onClick={() => onChange(row.values.filter((_, j) => j !== i))}
              aria-label={`Remove pair ${i + 1}, row ${index + 1}`}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <button type="button" class="small" onClick={() => onChange([...row.values, { from: '', to: '' }])}>
        Add pair
      </button>
    </details>
  );
}
