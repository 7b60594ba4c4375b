import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = { '@': fileURLToPath(new URL('./src', import.meta.url)) };
const codeFolders = ['src', 'simulator', 'exporters', 'bench', 'scripts', 'tests'];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: codeFolders.map((folder) => `${folder}/**/*.test.ts`),
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: codeFolders.map((folder) => `${folder}/**/*.int.test.ts`),
          globalSetup: ['tests/integration-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration files share one throwaway database server; each file makes its own database.
          fileParallelism: false,
        },
      },
    ],
  },
});
