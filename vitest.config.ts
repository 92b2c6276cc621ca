// Unit and multi-host tests; browser tests have their own config.
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
    exclude: ['tests/browser/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/unit.json' },
  },
});
