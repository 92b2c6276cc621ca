// The "Initiate connection" wizard: destination -> configuration type -> connection information -> invitation code.
import { useEffect, useReducer } from 'preact/hooks';
import { client, json } from '../../../api.ts';
import { Page } from '../../../components/ui.tsx';
import { useAction } from '../../../hooks.ts';
import { href } from '../../../router.ts';
import { DestinationStep } from './destination-step.tsx';
import { InformationStep } from './information-step.tsx';
import { InvitationStep } from './invitation-step.tsx';
import { INITIAL_STATE, initiateReducer, stepNumber } from './reducer.ts';

export function InitiateConnection() {
  const [state, dispatch] = useReducer(initiateReducer, INITIAL_STATE);
  // Held here, not in the steps, so a step's last problem is still shown when the admin comes back to it.
  const probe = useAction();
  const create = useAction();

  useEffect(() => {
    json(client.node.$get()).then(
      (n) => dispatch({ type: 'nodeNamed', name: n.name, publicUrl: n.publicUrl ?? null }),
      () => {},
    );
    // The suggestion is only a preview: sent without a name, the host picks the free one itself.
    json(client.connections.$get({ query: { limit: '200' } })).then(
      (list) => dispatch({ type: 'namesKnown', names: list.items.map((c) => c.name) }),
      () => {},
    );
  }, []);

  return (
    <Page title="Initiate connection" actions={<a href={href('/connections')}>Back to connections</a>}>
      <div class="card wizard">
        <p class="step-count" aria-live="polite">
          Step {stepNumber(state.step)} of 3
        </p>
        {state.step === 'destination' ? (
          <DestinationStep state={state} dispatch={dispatch} probe={probe} />
        ) : state.step === 'information' ? (
          <InformationStep state={state} dispatch={dispatch} create={create} />
        ) : state.created ? (
          <InvitationStep created={state.created} destinationUrl={state.noUrl ? null : state.url.trim()} />
        ) : null}
      </div>
    </Page>
  );
}
