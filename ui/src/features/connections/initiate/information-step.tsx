// Wizard step 2: the connection's short names, name, description and how long its invitation lasts; creates it.
import type { Dispatch } from 'preact/hooks';
import { type ApiError, client, json } from '../../../api.ts';
import { Field, issueFor, Problem } from '../../../components/ui.tsx';
import type { ActionRunner } from '../../../hooks.ts';
import { MODE_TEXT } from './destination.ts';
import type { InitiateAction, InitiateState } from './reducer.ts';
import { StepHeading } from './step-heading.tsx';

/** A taken name, said at the field (the host answers 409 `connection_name_taken`). */
function nameTaken(error: ApiError | undefined): string | undefined {
  return error?.code === 'connection_name_taken'
    ? 'Another connection has this name: choose another.'
    : undefined;
}

export function InformationStep(props: {
  state: InitiateState;
  dispatch: Dispatch<InitiateAction>;
  /** The creation of the connection and its invitation. */
  create: ActionRunner;
}) {
  const { state, dispatch, create } = props;
  const { url, noUrl, mode, name, description, expires } = state;

  const submit = async (e: Event) => {
    e.preventDefault();
    // The destination step goes on only with a mode chosen.
    if (!mode) return;
    const r = await create.run(() =>
      json(
        client.connections.$post({
          json: {
            destinationUrl: noUrl ? null : url.trim(),
            mode,
            localName: state.localName.trim(),
            remoteName: state.remoteName.trim(),
            // The suggested name is the host's to make free (`_2`...); a typed one must be free already.
            ...(state.nameTouched ? { name: name.trim() } : {}),
            ...(description.trim() ? { description: description.trim() } : {}),
            ...(expires ? { expiresInHours: Number(expires) } : {}),
          },
        }),
      ),
    );
    if (r) dispatch({ type: 'created', created: r });
  };

  return (
    <form onSubmit={submit} class="form">
      <StepHeading>Connection information</StepHeading>
      <div class="grid-2">
        <ShortName
          id="local-name"
          field="localName"
          label="Local instance short name"
          hint="A short name for this instance"
          value={state.localName}
          error={create.error}
          dispatch={dispatch}
        />
        <ShortName
          id="remote-name"
          field="remoteName"
          label="Remote instance short name"
          hint="A short name for the destination instance"
          value={state.remoteName}
          error={create.error}
          dispatch={dispatch}
        />
      </div>
      <Field
        label="Connection name"
        id="conn-name"
        required
        hint={
          state.nameTouched
            ? 'Unique on this host.'
            : 'Unique on this host: if another connection has this name, it gets _2, _3…'
        }
        error={issueFor(create.error, 'name') ?? nameTaken(create.error)}
      >
        <input
          id="conn-name"
          required
          maxLength={200}
          value={name}
          onInput={(e) => dispatch({ type: 'nameEdited', name: e.currentTarget.value })}
        />
      </Field>
      <Field label="Description" id="conn-description" error={issueFor(create.error, 'description')}>
        <textarea
          id="conn-description"
          rows={3}
          maxLength={2000}
          value={description}
          onInput={(e) => dispatch({ type: 'edited', field: 'description', value: e.currentTarget.value })}
        />
      </Field>
      <Field
        label="Invitation expires after (hours)"
        id="conn-expires"
        error={issueFor(create.error, 'expiresInHours')}
      >
        <input
          id="conn-expires"
          type="number"
          min={1}
          max={720}
          value={expires}
          onInput={(e) => dispatch({ type: 'edited', field: 'expires', value: e.currentTarget.value })}
        />
      </Field>
      <p class="hint">
        Mode: <strong>{mode ? MODE_TEXT[mode].title : ''}</strong>
        {noUrl ? ' · no destination URL' : ` · ${url}`}
      </p>
      <Problem error={create.error} title="The connection was not created" />
      <div class="form-actions">
        <button type="button" onClick={() => dispatch({ type: 'previous' })}>
          Previous
        </button>
        <button type="submit" class="primary" disabled={create.busy}>
          {create.busy ? 'Creating…' : 'Next'}
        </button>
      </div>
    </form>
  );
}

function ShortName(props: {
  id: string;
  field: 'localName' | 'remoteName';
  label: string;
  hint: string;
  value: string;
  error: ApiError | undefined;
  dispatch: Dispatch<InitiateAction>;
}) {
  const { id, field, dispatch } = props;
  return (
    <Field label={props.label} id={id} required hint={props.hint} error={issueFor(props.error, field)}>
      <input
        id={id}
        required
        maxLength={100}
        value={props.value}
        onInput={(e) => dispatch({ type: 'edited', field, value: e.currentTarget.value })}
      />
    </Field>
  );
}
