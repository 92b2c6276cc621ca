// Basic mode rules as a readable mapping: which field goes where, both ways, and what happens to comments.
import type { Connection } from '../../api.ts';

const FIELDS: Record<string, { label: string; how: string }> = {
  type: { label: 'Type', how: 'A new entity takes the type of the one it comes from' },
  summary: { label: 'Summary', how: 'Copied as it is' },
  description: { label: 'Description', how: 'Copied as it is' },
  status: { label: 'Status', how: 'Copied as it is' },
  priority: { label: 'Priority', how: 'Copied as it is (1 highest to 5)' },
  comments: {
    label: 'Public comments',
    how: 'Merged: each side keeps its own and gets the other’s; internal notes stay',
  },
};

export function BasicRules({ connection, fields }: { connection: Connection; fields: readonly string[] }) {
  return (
    <div class="basic-rules">
      <p class="notice">
        Basic connections use a fixed mapping that cannot be edited. A different mapping needs a new
        connection in Visual or Script mode.
      </p>
      <div class="table-wrap">
        <table class="data" aria-label="Basic rules">
          <thead>
            <tr>
              <th scope="col">{connection.localName}</th>
              <th scope="col">Direction</th>
              <th scope="col">{connection.remoteName}</th>
              <th scope="col">How</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f} data-field={f}>
                <td>{FIELDS[f]?.label ?? f}</td>
                <td>
                  <span aria-hidden="true">↔</span> Both ways
                </td>
                <td>{FIELDS[f]?.label ?? f}</td>
                <td class="wrap">{FIELDS[f]?.how ?? 'Copied as it is'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
