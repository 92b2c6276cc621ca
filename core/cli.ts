// `tandem start | demo | reset-token`: the command line of the contract.

import { consoleRoutes } from '../ui/serve.ts';
import { resolveConfig } from './config.ts';
import { TandemError } from './errors.ts';
import { startHost } from './host.ts';
import { createLogger } from './log.ts';
import { waitForSignal } from './signals.ts';
import { createBuiltinTracker } from './trackers/builtin/builtin-tracker.ts';

const USAGE = `Usage:
  tandem start [--data DIR] [--port N] [--host ADDR] [--name NAME] [--public-url URL]
  tandem demo                 two paired hosts with sample data
  tandem reset-token [--data DIR]   replace the admin token and print the new one
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
  const config = resolveConfig(args);
  const log = createLogger('tandem', config.log.level);
  // The CLI chooses the parts: the built-in tracker and the console.
  const host = await startHost(config, {
    tracker: ({ db }) => createBuiltinTracker(db),
    console: await consoleRoutes(log),
    log,
  });
  if (host.generatedToken) {
    process.stdout.write(
      `Admin token (shown once, store it safely): ${host.generatedToken}\n` +
        'Set TANDEM_ADMIN_TOKEN to choose your own, or run `tandem reset-token` to replace it.\n',
    );
  }
  process.stdout.write(`Tandem listening on ${host.url}\n`);
  await waitForSignal();
  await host.close();
  return 0;
}

async function resetToken(args: string[]): Promise<number> {
  const config = resolveConfig(args);
  const { openDatabase } = await import('../storage/database.ts');
  const { resetAdminToken } = await import('./http/admin-auth.ts');
  const database = await openDatabase(config.storage.dataDir);
  try {
    process.stdout.write(`New admin token (shown once): ${await resetAdminToken(database.db)}\n`);
  } finally {
    await database.close();
  }
  return 0;
}
