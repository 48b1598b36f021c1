// Lint without type information: fast on two cores, and tsc already checks types.
import { createProjectGraphAsync } from '@nx/devkit';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// The boundaries rule reads Nx's cached project graph and is skipped, with only a warning, where
// there is none yet (a fresh clone, `npx eslint` alone): make it (or bring it up to date) first.
await createProjectGraphAsync({ exitOnError: true });

// The layering (ARCHITECTURE.md), read by @nx/enforce-module-boundaries from the tags in each
// project.json; it sees `@condorhub/*` through tsconfig.base.json's paths.
const depConstraints = [
  // Services are built from libs only; a service never imports another (Nx also refuses any
  // import of an application project).
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  // Only the services that run condor tools may reach libs/condor, even through another lib.
  { sourceTag: 'scope:service:hub', notDependOnLibsWithTags: ['scope:condor'] },
  { sourceTag: 'scope:service:proxy', notDependOnLibsWithTags: ['scope:condor'] },
  // The wire and event shapes: depend on nothing of ours.
  { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
  // Pure decisions: no database, broker, framework or HTTP client (node built-ins: see below).
  {
    sourceTag: 'scope:core',
    onlyDependOnLibsWithTags: ['scope:core', 'scope:contracts'],
    bannedExternalImports: [
      'pg',
      'typeorm',
      '@nats-io/*',
      '@nestjs/*',
      'express',
      'ws',
      'http-proxy*',
      'prom-client',
      'openid-client',
    ],
  },
  { sourceTag: 'scope:io', onlyDependOnLibsWithTags: ['scope:io', 'scope:core', 'scope:contracts', 'scope:testing'] },
  { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['type:lib'] },
];

// libs/testing builds test databases and streams with event-store and messaging, whose own
// tests use libs/testing: a cycle through test files only.
const ignoredCircularDependencies = [
  ['testing', 'event-store'],
  ['testing', 'messaging'],
];

const boundaries = (allow = []) => [
  'error',
  { enforceBuildableLibDependency: false, allow, depConstraints, ignoredCircularDependencies },
];

// A test that boots several services (or the whole condorhub) reaches them through these entry
// points only: a service's bootstrap, the all-in-one test set-up, a service's own test harness,
// the tables a service migrates.
const systemTestEntryPoints = [
  '^(\\.\\./)+[a-z-]+/src/bootstrap$',
  '^(\\.\\./)+all-in-one/src/(boot-all|testing/[a-z-]+)$',
  '^(\\.\\./)+(apps/)?[a-z-]+/src/testing/[a-z-]+$',
  '^(\\.\\./)+spawner/src/migrations$',
  '^(\\.\\./)+tools/condor-sim/harness$',
  // A port report needs a launcher token as the spawner issues it; a culled spawn is checked
  // with the CLI's own explanation.
  '^(\\.\\./)+spawner/src/submit/launcher-bootstrap$',
  '^(\\.\\./)+cli/src/explain/explain-spawn$',
];

// Node built-ins that do I/O, refused in the core (Nx's rule only sees npm packages).
const ioBuiltins = ['fs', 'child_process', 'net', 'http', 'https', 'dgram', 'worker_threads', 'cluster'].flatMap(
  (m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`],
);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'tmp/**', '.nx/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    // Tells consistent-type-imports that classes in decorated constructors are runtime
    // values (Nest's DI reads their emitted metadata).
    languageOptions: { parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { disallowTypeAnnotations: false, fixStyle: 'inline-type-imports' },
      ],
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'tools/condor-sim/**/*.ts'],
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': boundaries() },
  },
  {
    files: ['apps/**/*.spec.ts', 'apps/*/src/testing/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(systemTestEntryPoints) },
  },
  {
    // The composition root: every service in one process; its ops-files test reads the
    // proxy's own metrics as well as the shared registry.
    files: ['apps/all-in-one/src/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries([
        ...systemTestEntryPoints,
        '^\\.\\./\\.\\./proxy/src/metrics/proxy-metrics$',
      ]),
    },
  },
  {
    // Lib tests drive a private condor-sim.
    files: ['libs/**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(['^(\\.\\./)+tools/condor-sim/harness$']) },
  },
  {
    files: ['libs/{server-lifecycle,contracts,config,session-cookie}/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ioBuiltins, message: 'The core decides; I/O belongs in an io lib or a service.' }] },
      ],
    },
  },
);
