// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Only the host executors may spawn processes or open SSH connections (shared/style.md, point 4):
// everything else goes through the Host interface so local and SSH behave the same.
const processLibraries = {
  paths: [
    { name: 'execa', message: 'Run commands through a Host (daemon/hosts), not execa directly.' },
    { name: 'ssh2', message: 'Open SSH through the ssh Host (daemon/hosts/ssh) only.' },
    { name: 'child_process', message: 'Run commands through a Host (daemon/hosts).' },
    { name: 'node:child_process', message: 'Run commands through a Host (daemon/hosts).' },
    { name: 'simple-git', message: 'git runs through strategies/git/runner.ts (simple-git locally, the Host over SSH).' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/nextcloud/**', 'bench/cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', processLibraries],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['daemon/hosts/local/**/*.ts', 'daemon/hosts/ssh/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // simple-git spawns git itself (design.md names it as the one exception): only the git
    // strategy's local runner may use it; the process libraries stay forbidden there too.
    files: ['strategies/git/simple-git-runner.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: processLibraries.paths.filter((p) => p.name !== 'simple-git') }] },
  },
  {
    files: ['*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
