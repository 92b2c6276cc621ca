// How the admin likes the rules editors laid out (full width, wrapped lines), remembered in this browser.
import { useState } from 'preact/hooks';

export interface EditorPrefs {
  fullWidth: boolean;
  wrap: boolean;
}

const KEY = 'tandem.rules.editor';

function read(): EditorPrefs {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<EditorPrefs>;
    return { fullWidth: v.fullWidth === true, wrap: v.wrap === true };
  } catch {
    return { fullWidth: false, wrap: false };
  }
}

/** The prefs and a setter that remembers them. `const [prefs, setPrefs] = useEditorPrefs();` */
export function useEditorPrefs(): [EditorPrefs, (change: Partial<EditorPrefs>) => void] {
  const [prefs, setPrefs] = useState(read);
  const set = (change: Partial<EditorPrefs>) =>
    setPrefs((cur) => {
      const next = { ...cur, ...change };
      try {
        localStorage.setItem(KEY, JSON.stringify(next));
      } catch {
        // Private windows may refuse storage: the choice then lasts for this page only.
      }
      return next;
    });
  return [prefs, set];
}
