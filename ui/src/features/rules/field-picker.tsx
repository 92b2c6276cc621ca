// A field name as a pick-list of the known fields (the tracker's and custom ones seen), with "Other…" for a name
// not in the list (a field the partner has that this side has never seen).
import { useState } from 'preact/hooks';

const OTHER = '\u0000other';

export function FieldPicker(props: {
  label: string;
  value: string;
  known: readonly string[];
  onChange: (value: string) => void;
}) {
  const { value, known } = props;
  const listed = value === '' || known.includes(value);
  // Typing is the admin's choice ("Other field…"); a name the list does not have (yet) shows as text too.
  const [typing, setTyping] = useState(false);
  if (typing || !listed)
    return (
      <span class="field-picker">
        <input
          aria-label={props.label}
          value={value}
          onInput={(e) => props.onChange(e.currentTarget.value)}
        />
        <button
          type="button"
          class="quiet small"
          aria-label={`Pick from the list: ${props.label}`}
          title="Pick from the list"
          onClick={() => {
            setTyping(false);
            if (!known.includes(value)) props.onChange('');
          }}
        >
          ▾
        </button>
      </span>
    );
  return (
    <select
      aria-label={props.label}
      value={value}
      onChange={(e) => {
        const v = e.currentTarget.value;
        if (v === OTHER) setTyping(true);
        else props.onChange(v);
      }}
    >
      <option value="">Choose a field</option>
      {known.map((f) => (
        <option key={f} value={f}>
          {f}
        </option>
      ))}
      <option value={OTHER}>Other field…</option>
    </select>
  );
}
