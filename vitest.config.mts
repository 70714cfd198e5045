import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-compiler/**/*.test.ts', 'server/**/*.test.ts', 'client/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
    pool: 'forks',
  },
});
