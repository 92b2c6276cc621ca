// Wizard step 1: the destination's URL (or none), probed, then the configuration type both sides offer.
import type { Dispatch } from 'preact/hooks';
import { client, json, type WellKnown } from '../../../api.ts';
import { Field, issueFor, Problem } from '../../../components/ui.tsx';
import type { ActionRunner } from '../../../hooks.ts';
import { href } from '../../../router.ts';
import { ALL_MODES, type Destination, MODE_TEXT, normalizeProbe } from './destination.ts';
import { type InitiateAction, type InitiateState, unreachable } from './reducer.ts';
import { StepHeading } from './step-heading.tsx';

export function DestinationStep(props: {
  state: InitiateState;
  dispatch: Dispatch<InitiateAction>;
  /** The probe of the destination (or, without a URL, the read of this node's modes). */
  probe: ActionRunner;
}) {
  const { state, dispatch, probe } = props;
  const { url, noUrl, dest, mode } = state;

  const chooseNoUrl = async (checked: boolean) => {
    dispatch({ type: 'noUrlChosen', noUrl: checked });
    probe.setError(undefined);
    if (!checked) return;
    // Without a destination, offer the modes this node supports. Its well-known document is a public route
    // outside /api (core/http/routes/public.ts), so not one of the typed client's: a plain fetch, as before.
    const own = await probe.run(() =>
      fetch('/.well-known/tandem').then((r) => r.json() as Promise<WellKnown>),
    );
    dispatch({
      type: 'ownModesFound',
      modes: ALL_MODES.filter((m) => (own?.modes ?? ALL_MODES).includes(m)),
    });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (dest) {
      dispatch({ type: 'next' });
      return;
    }
    if (noUrl) return;
    const r = await probe.run(() => json(client.probe.$get({ query: { url: url.trim() } })));
    if (r) dispatch({ type: 'probed', dest: normalizeProbe(r) });
  };

  return (
    <form onSubmit={submit} class="form">
      <StepHeading>Destination</StepHeading>
      <Field
        label="Destination instance URL"
        id="dest-url"
        hint="The other host's address (its public URL from its General settings)."
        error={issueFor(probe.error, 'url')}
      >
        <input
          id="dest-url"
          type="url"
          placeholder="https://partner.example.com"
          disabled={noUrl}
          required={!noUrl}
          value={url}
          onInput={(e) => dispatch({ type: 'urlEdited', url: e.currentTarget.value })}
        />
      </Field>
      <label class="check">
        <input type="checkbox" checked={noUrl} onChange={(e) => void chooseNoUrl(e.currentTarget.checked)} />I
        don't have a URL
      </label>
      {unreachable(state) ? (
        <div class="problem" role="alert" data-testid="needs-url">
          <p>
            <strong>One side needs a URL the other can reach.</strong> This host has no public URL, and
            without the destination's URL neither host could dial the other.
          </p>
          <p>
            Set this host's public URL in <a href={href('/settings')}>General settings</a>, or enter the
            destination's URL above.
          </p>
        </div>
      ) : noUrl ? (
        <p class="hint">
          The invitation will not be bound to one node; whoever accepts it dials this host, so this host needs
          a public URL.
        </p>
      ) : null}
      <Problem error={probe.error} title="The destination could not be reached" />
      {dest ? <ModeChoice dest={dest} mode={mode} dispatch={dispatch} /> : null}
      <div class="form-actions">
        <button
          type="submit"
          class="primary"
          disabled={probe.busy || (!!dest && (!mode || dest.self)) || (!dest && noUrl) || unreachable(state)}
        >
          {probe.busy ? 'Checking…' : 'Next'}
        </button>
      </div>
    </form>
  );
}

function ModeChoice(props: {
  dest: Destination;
  mode: InitiateState['mode'];
  dispatch: Dispatch<InitiateAction>;
}) {
  const { dest, dispatch } = props;
  return (
    <fieldset class="modes">
      <legend>Choose the configuration type</legend>
      {dest.name ? (
        <p class="hint">
          Destination: <strong>{dest.name}</strong>
          {dest.fingerprint || dest.nodeId ? (
            <>
              {' '}
              · key fingerprint <code>{dest.fingerprint ?? `${dest.nodeId?.slice(0, 12)}…`}</code>
            </>
          ) : null}
        </p>
      ) : null}
      {dest.self ? (
        <p class="problem" role="alert">
          This URL is this node itself. Enter the other side's URL.
        </p>
      ) : null}
      {dest.modes.length === 0 ? (
        <p class="problem" role="alert">
          The destination offers no mode this node supports.
        </p>
      ) : null}
      {dest.modes.map((m) => (
        <label class="mode-option" key={m}>
          <input
            type="radio"
            name="mode"
            value={m}
            checked={props.mode === m}
            onChange={() => dispatch({ type: 'modeChosen', mode: m })}
          />
          <span>
            <strong>{MODE_TEXT[m].title}</strong>
            <span class="muted"> — {MODE_TEXT[m].text}</span>
          </span>
        </label>
      ))}
      <p class="hint">The mode cannot be changed later; a new mode means a new connection.</p>
    </fieldset>
  );
}
