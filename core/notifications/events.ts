// What notifications are about: the events a target can choose, the payload formats, and one event's content.

export const NOTIFICATION_EVENTS = [
  'connection.down',
  'connection.error',
  'entity.error',
  'invitation.accepted',
  'run.finished',
] as const;
export type NotificationEventName = (typeof NOTIFICATION_EVENTS)[number];

/** `json` (our own), `slack` (`{text}`), `teams` (a MessageCard), `teams-adaptive` (an Adaptive Card message). */
export const NOTIFICATION_FORMATS = ['json', 'slack', 'teams', 'teams-adaptive'] as const;
export type NotificationFormat = (typeof NOTIFICATION_FORMATS)[number];

/**
 * One thing worth telling people, before it is put in a target's format.
 * @example { event: 'run.finished', at, title: 'Bulk sync on Acme finished', text: '12 created', facts: [['Status', 'finished']], data: {...} }
 */
export interface NotificationEvent {
  event: NotificationEventName | 'test';
  at: string;
  title: string;
  text: string;
  connection?: { id: string; name: string } | undefined;
  /** Short name/value pairs for cards. */
  facts: Array<[name: string, value: string]>;
  /** Everything a program might want (the `json` format's `data`). */
  data: Record<string, unknown>;
}

/** The node an event comes from, as payloads name it. */
export interface NotifyingNode {
  id: string;
  name: string;
  /** The console's address, when the node has a public URL. */
  url: string | null;
}
