// A value with a pick-list: the tracker's values first, then those seen, the current one included. Where the tracker
// takes only its own values (`only`) it is a select; otherwise any other value can be typed.
export function ValuePicker(props: {
  id: string;
  value: string;
  values: readonly string[];
  /** The tracker's names for its values (`1 - Critical`), shown beside or instead of them. */
  labels?: ReadonlyMap<string, string>;
  /** The tracker refuses any other value: offer a select, not free text. */
  only?: boolean;
  onChange: (value: string) => void;
}) {
  const values = [...new Set([...props.values, props.value])].filter((v) => v !== '');
  const label = (v: string) => props.labels?.get(v);
  if (props.only)
    return (
      <select
        id={props.id}
        class="picker"
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {values.map((v) => (
          <option key={v} value={v}>
            {label(v) ?? v}
          </option>
        ))}
      </select>
    );
  return (
    <>
      <input
        id={props.id}
        class="picker"
        list={`${props.id}-values`}
        autoComplete="off"
        value={props.value}
        onInput={(e) => props.onChange(e.currentTarget.value)}
      />
      <datalist id={`${props.id}-values`}>
        {values.map((v) => (
          <option key={v} value={v} label={label(v) !== v ? label(v) : undefined} />
        ))}
      </datalist>
    </>
  );
}
