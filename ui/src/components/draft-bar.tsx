// The Save draft / Publish bar of a rules editor, with what was saved last or that changes are unsaved.
import { useCan } from '../access.tsx';

/**
 * `<DraftBar busy={save.busy} onSave={(publish) => void submit(publish)} savedAs="Draft saved" dirty={false} />`
 */
export function DraftBar(props: {
  busy: boolean;
  onSave: (publish: boolean) => void;
  /** What the last save made ("Draft saved", "Published version 3"), or ''. */
  savedAs: string;
  /** True when the editor holds changes that are not saved; without it, the last save is shown. */
  dirty?: boolean;
}) {
  const { busy, savedAs, dirty } = props;
  if (!useCan()('rules'))
    return <p class="muted read-only">Read only: your role can read these rules, not change them.</p>;
  return (
    <div class="form-actions">
      <button type="button" onClick={() => props.onSave(false)} disabled={busy}>
        Save draft
      </button>
      <button type="button" class="primary" onClick={() => props.onSave(true)} disabled={busy}>
        Publish
      </button>
      {savedAs && !dirty ? (
        <span class="saved" role="status">
          {savedAs}
        </span>
      ) : dirty ? (
        <span class="muted">Unsaved changes</span>
      ) : null}
    </div>
  );
}
