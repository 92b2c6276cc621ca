// Structured one-line JSON logs; secrets are redacted by path so a careless call cannot leak them.
import { destination, type Logger, pino } from 'pino';

export type { Logger };

const REDACT = [
  'code',
  'invitationCode',
  'token',
  'adminToken',
  'authorization',
  'privateKey',
  '*.code',
  '*.invitationCode',
  '*.token',
  '*.authorization',
  '*.privateKey',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(name: string, level = process.env.TANDEM_LOG_LEVEL ?? 'info'): Logger {
  // stderr, so stdout stays for what the CLI tells a person (the listening line, a new token).
  return pino(
    { name, level, redact: { paths: REDACT, censor: '[redacted]' } },
    destination({ fd: 2, sync: false }),
  );
}
