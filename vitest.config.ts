// Unit and multi-host tests on SQLite; browser tests and PostgreSQL runs (vitest.postgres.config.ts) have their own.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'core/**/*.test.ts',
      'modes/**/*.test.ts',
      'storage/**/*.test.ts',
      'tests/**/*.test.ts',
      'ui/**/*.test.ts',
    ],
    // *.pg.test.ts need a PostgreSQL server: npm test passes on a machine without one.
    exclude: ['tests/browser/**', 'node_modules/**', '**/*.pg.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/unit.json' },
  },
});
