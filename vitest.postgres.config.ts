// The suites that touch storage, run against PostgreSQL (npm run test:postgres): each test's hosts and
// databases get their own fresh database on TANDEM_TEST_POSTGRES_URL, dropped after; plus every *.pg.test.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      '**/*.pg.test.ts',
      'storage/chunks.test.ts',
      'core/activity/sampler.test.ts',
      'core/blobs/blob-store.test.ts',
      'core/trackers/tracker-credentials.test.ts',
      'core/trackers/builtin/*.test.ts',
      'core/sync/*.test.ts',
      'core/sync/content/*.test.ts',
      'tests/pairing.test.ts',
      'tests/connections.test.ts',
      'tests/sync-hosts.test.ts',
      'tests/sync-crash.test.ts',
      'tests/outcomes-hosts.test.ts',
      'tests/content-hosts.test.ts',
    ],
    exclude: ['node_modules/**'],
    env: { TANDEM_TEST_DATABASE: 'postgres' },
    globalSetup: ['tests/support/postgres-teardown.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/postgres.json' },
  },
});
