import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules', 'cdk.out', 'coverage', 'marquee-out', 'bench/results', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // DESIGN.md dependency rule: the domain core is pure. Clock and RNG are passed in.
    files: ['lib/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*'], message: 'lib/core must not depend on AWS.' },
            { group: ['node:*', 'fs', 'child_process', 'path', 'os'], message: 'lib/core must not do I/O.' },
            { group: ['../ports', '../../ports', '../aws/*', '../media/*', '../local/*', '../sim/*', '../../aws/*', '../../media/*', '../../local/*', '../../sim/*'], message: 'Arrows point inward: lib/core imports nothing outside itself.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject a Clock.' },
        { object: 'Math', property: 'random', message: 'Inject a seeded Rng.' },
        { object: 'process', property: 'env', message: 'Configuration is passed in.' },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'lib/core is pure.' }],
    },
  },
);
