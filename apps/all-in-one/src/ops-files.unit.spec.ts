import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ProxyMetrics } from '../../proxy/src/metrics/proxy-metrics';
import { STORE_GAUGE_NAMES, metricsRegistry } from '@condorhub/metrics';

// The shipped alert rules and dashboard name only metrics condorhub exports: a renamed metric
// would otherwise leave an alert that never fires.
const ops = path.resolve(__dirname, '../../../ops');

function exportedNames(): Set<string> {
  const names = new Set<string>(STORE_GAUGE_NAMES);
  for (const m of metricsRegistry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  }
  const proxy = new ProxyMetrics({ routes: () => 0, activityPending: () => 0 }).render();
  for (const m of proxy.matchAll(/^(?:# TYPE )?(condorhub_\w+)[{ ]/gm)) names.add(m[1]);
  return names;
}

const named = (expr: string) => [...expr.matchAll(/\bcondorhub_[a-z0-9_]+/g)].map((m) => m[0]);

describe('ops/prometheus/alerts.yml', () => {
  const doc = parse(fs.readFileSync(path.join(ops, 'prometheus/alerts.yml'), 'utf8'));
  const rules: { alert: string; expr: string }[] = doc.groups.flatMap((g: { rules: unknown[] }) => g.rules);

  it('parses, and every rule has a name and an expression naming condorhub metrics that exist', () => {
    const exported = exportedNames();
    assert.ok(rules.length > 0);
    for (const r of rules) {
      assert.ok(r.alert && typeof r.expr === 'string', JSON.stringify(r));
      assert.ok(named(r.expr).length > 0, `${r.alert} names no condorhub metric`);
      for (const name of named(r.expr)) assert.ok(exported.has(name), `${r.alert}: ${name} is not exported`);
    }
  });

  it('covers stuck spawns, relay lag, dead letters, readiness and quarantined nodes', () => {
    const all = rules.map((r) => r.expr).join('\n');
    for (const m of [
      'condorhub_spawn_oldest_pending_seconds',
      'condorhub_relay_lag_seconds_bucket',
      'condorhub_consumer_dead_letters_total',
      'condorhub_ready',
      'condorhub_nodes_quarantined',
    ])
      assert.ok(named(all).includes(m), m);
  });
});

describe('ops/grafana/condorhub.json', () => {
  it('parses, and every panel query names condorhub metrics that exist', () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(ops, 'grafana/condorhub.json'), 'utf8'));
    const exported = exportedNames();
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) =>
      (p.targets ?? []).map((t) => t.expr),
    );
    assert.ok(exprs.length > 10);
    for (const e of exprs) {
      assert.ok(named(e).length > 0, e);
      for (const name of named(e)) assert.ok(exported.has(name), `${name} is not exported`);
    }
  });
});
