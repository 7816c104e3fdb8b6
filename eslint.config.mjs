import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.nx/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
      // A service may use shared libs, never another service; contracts depend on nothing.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:client', 'type:simulator'],
            },
            {
              sourceTag: 'type:simulator',
              onlyDependOnLibsWithTags: ['type:simulator', 'type:platform', 'type:contracts'],
            },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts'] },
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:client', 'type:platform', 'type:contracts'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            {
              sourceTag: 'type:tooling',
              onlyDependOnLibsWithTags: [
                'type:platform',
                'type:contracts',
                'type:client',
                'type:tooling',
                'type:simulator',
              ],
            },
            // Services talk to Kaspersky through the clients only; the simulator is never a shortcut.
            { sourceTag: 'scope:simulator', onlyDependOnLibsWithTags: ['scope:simulator', 'scope:shared'] },
            { sourceTag: 'scope:tenant', onlyDependOnLibsWithTags: ['scope:tenant', 'scope:shared'] },
            { sourceTag: 'scope:svm-config', onlyDependOnLibsWithTags: ['scope:svm-config', 'scope:shared'] },
            { sourceTag: 'scope:agent-install', onlyDependOnLibsWithTags: ['scope:agent-install', 'scope:shared'] },
            { sourceTag: 'scope:registration', onlyDependOnLibsWithTags: ['scope:registration', 'scope:shared'] },
            { sourceTag: 'scope:activation', onlyDependOnLibsWithTags: ['scope:activation', 'scope:shared'] },
            // Shared libraries in layers: each may use only the layers below it (and its own), so a
            // lower library can never reach up into wiring, steps or clients (house-style "tags too coarse").
            // base < infra < jobs < steps < feature, and base < infra < client < feature (clients and the
            // job/step machinery never see each other). Diagnostics sit aside: no library may import them,
            // only a service that opts in.
            { sourceTag: 'layer:base', onlyDependOnLibsWithTags: ['layer:base'] },
            { sourceTag: 'layer:infra', onlyDependOnLibsWithTags: ['layer:base', 'layer:infra'] },
            { sourceTag: 'layer:jobs', onlyDependOnLibsWithTags: ['layer:base', 'layer:infra', 'layer:jobs'] },
            {
              sourceTag: 'layer:steps',
              onlyDependOnLibsWithTags: ['layer:base', 'layer:infra', 'layer:jobs', 'layer:steps'],
            },
            { sourceTag: 'layer:client', onlyDependOnLibsWithTags: ['layer:base', 'layer:infra', 'layer:client'] },
            {
              sourceTag: 'layer:feature',
              onlyDependOnLibsWithTags: [
                'layer:base',
                'layer:infra',
                'layer:jobs',
                'layer:steps',
                'layer:client',
                'layer:feature',
              ],
            },
            {
              sourceTag: 'layer:diagnostics',
              onlyDependOnLibsWithTags: ['layer:base', 'layer:infra', 'layer:diagnostics'],
            },
            // The CLI is a REST client of the platform: it may share contracts, never a service's or the platform's internals.
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['type:contracts'] },
            // The ops console reads events and forwards allow-listed calls: shared libraries only, never a service.
            { sourceTag: 'scope:ops-console', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
