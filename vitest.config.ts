import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each create their own database; two at a time keeps a 2-core box responsive.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
