import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests never leave loopback: any other connection or DNS lookup fails the test (also in children).
    setupFiles: ['test/setup/loopback.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests start real servers on 127.0.0.1 with port 0, so files can run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
