import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{protocol,simulators,gateway,hub,dashboard}/src/**/*.test.{ts,tsx}'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The end-to-end suites start real servers; running them one at a time keeps a
          // 2-core machine from turning timing slack into flaky failures.
          fileParallelism: false,
        },
      },
    ],
  },
});
