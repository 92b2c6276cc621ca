// A value with a pick-list of the values seen (status), the current one included; any other value can be typed.
export function ValuePicker(props: {
  id: string;
  value: string;
  values: readonly string[];
  onChange: (value: string) => void;
}) {
  const values = [...new Set([...props.values, props.value])].filter((v) => v !== '');
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
          <option key={v} value={v} />
        ))}
      </datalist>
    </>
  );
}
