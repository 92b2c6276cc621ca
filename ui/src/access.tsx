// Who is signed in and with which role, for the whole console: pages show only what the role may do.
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { allows, type Role } from '../../core/people/roles.ts';
import type { SessionState } from './session.ts';

export type { Role };

/** The signed-in caller (the server refuses what the role may not do; this only spares people dead buttons). */
export const AccessContext = createContext<SessionState>({ authenticated: false });

export function useAccess(): SessionState {
  return useContext(AccessContext);
}

/** Whether the signed-in role may do what needs `need`. */
export function useCan(): (need: Role) => boolean {
  const { role } = useAccess();
  return (need) => !!role && allows(role, need);
}

/**
 * Its children only for a role that may: `<Can need="rules"><button>Publish</button></Can>`.
 * `otherwise` shows instead (a read-only note, say).
 */
export function Can(props: { need: Role; children: ComponentChildren; otherwise?: ComponentChildren }) {
  return <>{useCan()(props.need) ? props.children : (props.otherwise ?? null)}</>;
}
