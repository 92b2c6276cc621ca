// A rules editor's draft: the rules it starts from, and saving them as a draft or published.
import { useState } from 'preact/hooks';
import { client, enc, jsonAs, type RuleSet, type RulesView } from '../../api.ts';
import { useAction } from '../../hooks.ts';

/** What an editor shows: the unpublished draft when there is one, else the published rules. */
export function editedRules(rules: RulesView): RuleSet {
  return rules.draft ?? rules.published ?? {};
}

/**
 * Saves the editor's rules (`save(rules, publish)`) and says what the last save made, for the `DraftBar`.
 * `const draft = useRulesSave(connection.id, onSaved); void draft.save({ outgoing, incoming }, true);`
 */
export function useRulesSave(connectionId: string, onSaved: (r: RulesView) => void) {
  const [savedAs, setSavedAs] = useState('');
  const action = useAction();
  const save = async (rules: RuleSet, publish: boolean) => {
    setSavedAs('');
    const r = await action.run(() =>
      jsonAs<RulesView>()(
        client.connections[':id'].rules.$put({
          param: { id: enc(connectionId) },
          json: { ...rules, publish },
        }),
      ),
    );
    if (r) {
      onSaved(r);
      setSavedAs(publish ? `Published version ${r.version}` : 'Draft saved');
    }
  };
  return { busy: action.busy, error: action.error, savedAs, clearSaved: () => setSavedAs(''), save };
}
