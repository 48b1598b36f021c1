#!/usr/bin/env node
'use strict';
// Runs the spec files of the given tiers with Node's own test runner (each file in its own
// process, TypeScript through tools/register.js). Tiers come from file names:
// *.unit.spec.ts, *.int.spec.ts (real PostgreSQL + NATS), *.e2e.spec.ts (real Jupyter, Chromium).
// usage: node tools/run-tests.js [unit|int|e2e ...] [--filter substring]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args.splice(filterAt, 2)[1] : undefined;
const tiers = args.length ? args : ['unit', 'int', 'e2e'];
for (const tier of tiers) {
  if (!['unit', 'int', 'e2e'].includes(tier)) {
    console.error(`unknown test tier "${tier}" (expected unit, int or e2e)`);
    process.exit(2);
  }
}

function specFiles(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) specFiles(full, out);
    else if (/\.(unit|int|e2e)\.spec\.ts$/.test(entry.name)) out.push(full);
  }
  return out;
}

const all = ['apps', 'libs', 'tools', 'bench']
  .filter((d) => fs.existsSync(path.join(root, d)))
  .flatMap((d) => specFiles(path.join(root, d)));
let failed = false;
for (const tier of tiers) {
  const files = all.filter((f) => f.endsWith(`.${tier}.spec.ts`) && (!filter || f.includes(filter))).sort();
  if (!files.length) continue;
  console.log(`\n=== ${tier}: ${files.length} file(s) ===`);
  const concurrency = tier === 'e2e' ? '1' : process.env.CONDORHUB_TEST_CONCURRENCY || '2';
  const res = spawnSync(
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      path.join(root, 'tools/register.js'),
      '--test',
      `--test-concurrency=${concurrency}`,
      ...files.map((f) => path.relative(root, f)),
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, CONDORHUB_TEST_TIER: tier } },
  );
  if (res.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
