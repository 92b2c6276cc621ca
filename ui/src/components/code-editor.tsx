// A CodeMirror 6 JavaScript editor as a preact component, with compile errors shown at their line.
import { javascript } from '@codemirror/lang-javascript';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { Compartment, EditorSelection, EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'preact/hooks';

/** A problem to mark: 1-based line, optional 1-based column. */
export interface Marker {
  line: number;
  column?: number | undefined;
  message: string;
  severity?: 'error' | 'warning' | 'info';
}

const MAX_ECHOES = 32;

function toDiagnostics(state: EditorState, markers: readonly Marker[]): Diagnostic[] {
  return markers.map((m) => {
    const lineNo = Math.min(Math.max(1, m.line), state.doc.lines);
    const line = state.doc.line(lineNo);
    const from = Math.min(line.from + Math.max(0, (m.column ?? 1) - 1), line.to);
    // Mark from the column to the end of the line (at least one character when the line has any).
    const to = line.to > from ? line.to : Math.min(from + 1, state.doc.length);
    return { from, to: Math.max(from, to), severity: m.severity ?? 'error', message: m.message };
  });
}

export function CodeEditor(props: {
  id: string;
  label: string;
  value: string;
  onChange?: (value: string) => void;
  readOnly?: boolean;
  markers?: readonly Marker[];
  /** 1-based line to reveal and select (e.g. coming from an error). */
  focusLine?: number | undefined;
  /** Wrap long lines instead of scrolling sideways. */
  wrap?: boolean | undefined;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  // What the editor itself reported lately. One paste can reach CodeMirror as several DOM changes;
  // a render in between hands an older text of ours back as `value`, and writing it into the
  // document would start a ping-pong with the browser's pending edit that never ends.
  const echoes = useRef<string[]>([]);
  const wrapping = useRef(new Compartment());

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: props.value,
        extensions: [
          basicSetup,
          javascript(),
          lintGutter(),
          wrapping.current.of(props.wrap ? EditorView.lineWrapping : []),
          EditorState.readOnly.of(!!props.readOnly),
          EditorView.editable.of(!props.readOnly),
          EditorView.contentAttributes.of({ 'aria-label': props.label, id: props.id }),
          EditorView.updateListener.of((u) => {
            if (!u.docChanged) return;
            const text = u.state.doc.toString();
            echoes.current = [...echoes.current.slice(-(MAX_ECHOES - 1)), text];
            onChange.current?.(text);
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, [props.readOnly]);

  // Outside changes (loading a version) replace the document; our own typing is already there.
  useEffect(() => {
    const v = view.current;
    if (!v || v.state.doc.toString() === props.value || echoes.current.includes(props.value)) return;
    echoes.current = [];
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
  }, [props.value]);

  useEffect(() => {
    view.current?.dispatch({
      effects: wrapping.current.reconfigure(props.wrap ? EditorView.lineWrapping : []),
    });
  }, [props.wrap]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    v.dispatch(setDiagnostics(v.state, toDiagnostics(v.state, props.markers ?? [])));
  }, [props.markers, props.value]);

  useEffect(() => {
    const v = view.current;
    if (!v || !props.focusLine) return;
    const line = v.state.doc.line(Math.min(Math.max(1, props.focusLine), v.state.doc.lines));
    v.dispatch({
      selection: EditorSelection.range(line.from, line.to),
      effects: EditorView.scrollIntoView(line.from, { y: 'center' }),
    });
    // Coming from an error, the admin wants to type at that line at once.
    v.focus();
  }, [props.focusLine]);

  return (
    <div
      class="code-editor"
      ref={host}
      data-editor={props.id}
      data-marked-lines={(props.markers ?? []).map((m) => m.line).join(',')}
      data-wrap={props.wrap ? 'true' : undefined}
    />
  );
}
