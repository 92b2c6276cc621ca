// Structured one-line JSON logs; secrets are redacted by path so a careless call cannot leak them.
import { type DestinationStream, destination, type Logger, pino } from 'pino';

export type { Logger };

// `code` is an invitation code where a request body or a caller names it so; an error's `err.code`
// (VALIDATION_FAILED, ...) is what operators search logs for, so it is not redacted.
const REDACT = [
  'code',
  'invitationCode',
  'token',
  'adminToken',
  'authorization',
  'privateKey',
  'body.code',
  'input.code',
  'invitation.code',
  '*.invitationCode',
  '*.token',
  '*.authorization',
  '*.privateKey',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(
  name: string,
  /** The host passes `config.log.level` (TANDEM_LOG_LEVEL). */
  level = 'info',
  stream: DestinationStream = destination({ fd: 2, sync: false }),
): Logger {
  // stderr, so stdout stays for what the CLI tells a person (the listening line, a new token).
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, stream);
}
