// Loads the CodeMirror editor on first use, so pages without a rules editor stay small.
import { useEffect, useState } from 'preact/hooks';
import type { CodeEditor as Editor } from './code-editor.tsx';

type EditorModule = typeof import('./code-editor.tsx');
let loading: Promise<EditorModule> | undefined;

export function CodeEditor(props: Parameters<typeof Editor>[0]) {
  const [mod, setMod] = useState<EditorModule | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    loading ??= import('./code-editor.tsx');
    loading.then(
      (m) => setMod(m),
      () => setFailed(true),
    );
  }, []);
  if (failed)
    return (
      <p class="problem" role="alert">
        The editor could not be loaded. Reload the page.
      </p>
    );
  if (!mod)
    return (
      <div class="code-editor code-editor-loading" role="status">
        Loading the editor…
      </div>
    );
  return <mod.CodeEditor {...props} />;
}
