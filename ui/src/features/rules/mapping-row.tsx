// One row of the Visual mappings table: the two fields, the direction, value pairs, defaults, Remove.
import type { Mapping } from '../../api.ts';
import { FieldPicker } from './field-picker.tsx';
import { ARROWS, type Row } from './mapping-rows.ts';
import { ValuePairs } from './value-pairs.tsx';

export function MappingRow(props: {
  row: Row;
  index: number;
  localName: string;
  remoteName: string;
  /** Field names to pick from. */
  known: readonly string[];
  onChange: (change: Partial<Row>) => void;
  onRemove: () => void;
}) {
  const { row: r, index: i, localName, remoteName, known, onChange, onRemove } = props;
  return (
    <tr data-mapping={i}>
      <td>
        <FieldPicker
          label={`${localName} field, row ${i + 1}`}
          value={r.local}
          known={known}
          onChange={(local) => onChange({ local })}
        />
      </td>
      <td>
        <select
          aria-label={`Direction, row ${i + 1}`}
          value={r.direction}
          onChange={(e) => onChange({ direction: e.currentTarget.value as Mapping['direction'] })}
        >
          <option value="both">{ARROWS.both} Both ways</option>
          <option value="out">
            {ARROWS.out} To {remoteName}
          </option>
          <option value="in">
            {ARROWS.in} From {remoteName}
          </option>
        </select>
      </td>
      <td>
        <FieldPicker
          label={`${remoteName} field, row ${i + 1}`}
          value={r.remote}
          known={known}
          onChange={(remote) => onChange({ remote })}
        />
      </td>
      <td>
        <ValuePairs row={r} index={i} onChange={(values) => onChange({ values })} />
      </td>
      <td>
        <input
          aria-label={`Default here, row ${i + 1}`}
          class="narrow"
          value={r.default}
          onInput={(e) => onChange({ default: e.currentTarget.value })}
        />
      </td>
      <td>
        <input
          aria-label={`Default there, row ${i + 1}`}
          class="narrow"
          value={r.remoteDefault}
          onInput={(e) => onChange({ remoteDefault: e.currentTarget.value })}
        />
      </td>
      <td>
        <button type="button" class="quiet" onClick={onRemove} aria-label={`Remove row ${i + 1}`}>
          Remove
        </button>
      </td>
    </tr>
  );
}
