// `tandem start | demo | reset-token`: the command line of the contract.

import fs from 'node:fs';
import { destination } from 'pino';
import { consoleRoutes } from '../ui/serve.ts';
import { resolveConfig } from './config.ts';
import { TandemError } from './errors.ts';
import { startHost } from './host.ts';
import { createLogger } from './log.ts';
import { waitForSignal } from './signals.ts';
import { loadTracker } from './trackers/load.ts';

const USAGE = `Usage:
  tandem start [--data DIR] [--port N] [--host ADDR] [--name NAME] [--public-url URL]
               [--tracker builtin|servicenow|jira|MODULE] [--tracker-config FILE]
               [--database postgres://USER@HOST:PORT/DB]
      --database        a PostgreSQL database to store in (TANDEM_DATABASE_URL); default:
                        SQLite in the data directory. Processes given the same database
                        are one node and must share TANDEM_SECRET_KEY
      --tracker         the system of record (TANDEM_TRACKER): builtin (default), or a module
                        path or package name exporting createTracker(options, context)
      --tracker-config  a JSON file of the tracker's options (TANDEM_TRACKER_CONFIG);
                        secrets come from environment variables, or are entered in
                        the console (General settings → Tracker) and stored encrypted
      Every flag has a TANDEM_* variable; see docs/operations.md and docs/trackers.md.
  tandem demo                 two paired hosts with sample data
  tandem reset-token [--data DIR] [--database URL]   replace the admin token and print the new one
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await start(rest);
      case 'reset-token':
        return await resetToken(rest);
      case 'demo': {
        const { runDemo } = await import('./demo/demo.ts');
        return await runDemo(rest);
      }
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        process.stderr.write(`Unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof TandemError) {
      process.stderr.write(`tandem: ${err.message} (${err.publicCode})\n`);
      return 2;
    }
    throw err;
  }
}

async function start(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = withUsage(() => resolveConfig(args));
  // Log lines wait until the person starting the host has read where it listens and its new token.
  const held = heldStream();
  const log = createLogger('tandem', config.log.level, held);
  let host: Awaited<ReturnType<typeof startHost>>;
  try {
    // The CLI chooses the parts: the tracker (loaded before the database opens, so a wrong one stops early) and the console.
    const tracker = await loadTracker(config.tracker);
    host = await startHost(config, {
      tracker: (ctx) => tracker.build({ ...ctx, env: process.env }),
      trackerCredentials: { declared: tracker.credentials, env: process.env },
      console: await consoleRoutes(log),
      log,
    });
  } catch (err) {
    // A start that failed says why in its log lines too.
    held.release();
    throw err;
  }
  const tokenLines = host.generatedToken
    ? `Admin token (shown once, store it safely): ${host.generatedToken}\n` +
      'Set TANDEM_ADMIN_TOKEN to choose your own, or run `tandem reset-token` to replace it.\n'
    : '';
  process.stdout.write(`${tokenLines}Tandem listening on ${host.url}\n`);
  held.release();
  await waitForSignal();
  await host.close();
  return 0;
}

/** stderr for the logger, holding every line until `release()`, then passing them on in order. */
function heldStream() {
  let out: ReturnType<typeof destination> | null = null;
  let held: string[] = [];
  return {
    write(line: string) {
      if (out) out.write(line);
      else held.push(line);
    },
    release() {
      if (out) return;
      // The held lines at once (a failed start exits next), the rest as the logger writes them.
      if (held.length) fs.writeSync(2, held.join(''));
      held = [];
      out = destination({ fd: 2, sync: false });
    },
  };
}

/** An unknown flag prints the usage first, so the last line is still the one ending in the code. */
function withUsage<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof TandemError && err.code === 'UNKNOWN_FLAG') process.stderr.write(USAGE);
    throw err;
  }
}

async function resetToken(args: string[]): Promise<number> {
  const config = resolveConfig(args);
  const { openDatabase } = await import('../storage/database.ts');
  const { resetAdminToken } = await import('./http/admin-auth.ts');
  const database = await openDatabase(config.storage.dataDir, {
    url: config.storage.databaseUrl,
    poolSize: 1,
  });
  try {
    process.stdout.write(`New admin token (shown once): ${await resetAdminToken(database.db)}\n`);
  } finally {
    await database.close();
  }
  return 0;
}
