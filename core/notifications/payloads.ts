// An event as the body a target wants: our JSON, Slack's `{text}`, a Teams MessageCard or an Adaptive Card message.
import type { NotificationEvent, NotificationFormat, NotifyingNode } from './events.ts';

const COLORS: Record<string, string> = {
  'connection.down': 'D13438',
  'connection.error': 'D13438',
  'entity.error': 'CA5010',
  'invitation.accepted': '107C10',
  'run.finished': '0078D4',
  test: '0078D4',
};

/** Slack's mrkdwn reserves `&`, `<` and `>`: escaped, text from a peer or a script cannot make links or mentions. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function link(e: NotificationEvent, node: NotifyingNode): string | null {
  if (!node.url) return null;
  return e.connection ? `${node.url}/#/connections/${encodeURIComponent(e.connection.id)}` : `${node.url}/`;
}

/**
 * The exact body to POST (JSON text).
 * @example renderBody(event, 'slack', node) // '{"text":"*Connection Acme is down*\n..."}'
 */
export function renderBody(e: NotificationEvent, format: NotificationFormat, node: NotifyingNode): string {
  const url = link(e, node);
  const facts = [...e.facts, ['Node', node.name] as [string, string]];
  switch (format) {
    case 'slack': {
      const lines = [
        `*${slackEscape(e.title)}*`,
        slackEscape(e.text),
        ...facts.map(([n, v]) => `${slackEscape(n)}: ${slackEscape(v)}`),
      ];
      if (url) lines.push(`<${url}|Open in Tandem>`);
      return JSON.stringify({ text: lines.join('\n') });
    }
    case 'teams':
      return JSON.stringify({
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: e.title,
        themeColor: COLORS[e.event] ?? '0078D4',
        title: e.title,
        text: e.text,
        sections: [{ facts: facts.map(([name, value]) => ({ name, value })) }],
        ...(url
          ? {
              potentialAction: [
                { '@type': 'OpenUri', name: 'Open in Tandem', targets: [{ os: 'default', uri: url }] },
              ],
            }
          : {}),
      });
    case 'teams-adaptive':
      return JSON.stringify({
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                { type: 'TextBlock', text: e.title, weight: 'Bolder', size: 'Medium', wrap: true },
                { type: 'TextBlock', text: e.text, wrap: true },
                { type: 'FactSet', facts: facts.map(([title, value]) => ({ title, value })) },
              ],
              ...(url ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in Tandem', url }] } : {}),
            },
          },
        ],
      });
    default:
      return JSON.stringify({
        event: e.event,
        at: e.at,
        title: e.title,
        text: e.text,
        node: { id: node.id, name: node.name },
        connection: e.connection ?? null,
        url,
        data: e.data,
      });
  }
}
