/**
 * A V8 .cpuprofile (node --cpu-prof) as markdown: where a proxy process's busy time goes, by
 * area (Node core, each forwarding library, condorhub's code, GC, native) and by function (self
 * time, and inclusive time of the functions that matter for the request path). Idle time is
 * left out of the percentages: they are shares of the time the process was busy.
 *
 *   node -r ./tools/register.js bench/proxy/profile/summarize.ts FILE.cpuprofile [--top 40] [--requests N]
 *
 * --requests: how many requests the process served while profiled (bench/proxy/ab.ts prints it
 * as requests_served), for a µs-per-request column comparable between profiles.
 */
import { readFileSync } from 'node:fs';
import { numberArg } from '../../lib/args';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which part of the process a frame belongs to, from its script URL. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native (C++ builtins, syscalls)';
  }
  if (url.startsWith('node:')) return 'Node core (JS)';
  const lib = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (lib) return `library: ${lib[1]}`;
  if (url.includes('/apps/proxy/')) return 'condorhub: apps/proxy';
  if (url.includes('/libs/')) return 'condorhub: libs';
  return 'other';
}

function shortUrl(url: string): string {
  if (!url) return '';
  if (url.startsWith('node:')) return url;
  const lib = /node_modules\/(.*)$/.exec(url);
  if (lib) return lib[1];
  const own = /\/((?:apps|libs|bench)\/.*)$/.exec(url);
  return own ? own[1] : url;
}

export interface Summary {
  busyMs: number;
  idleMs: number;
  byArea: [string, number][];
  selfByFunction: [string, number][];
  inclusiveByFunction: [string, number][];
}

export function summarize(p: Profile): Summary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode): string =>
    `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

  const selfMs = new Map<number, number>();
  // A sample's time is the delta to the next sample (V8 stores the delta before each sample).
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    selfMs.set(p.samples[i], (selfMs.get(p.samples[i]) ?? 0) + dt);
  }
  let idleMs = 0;
  let busyMs = 0;
  const area = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const inclFn = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const n = byId.get(id)!;
    const a = areaOf(n.callFrame.url, n.callFrame.functionName);
    if (a === 'idle') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    area.set(a, (area.get(a) ?? 0) + ms);
    selfFn.set(key(n), (selfFn.get(key(n)) ?? 0) + ms);
    // Inclusive: each function once per stack, however often it recurses.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclFn.set(k, (inclFn.get(k) ?? 0) + ms);
    }
  }
  const desc = (m: Map<string, number>): [string, number][] => [...m].sort((x, y) => y[1] - x[1]);
  return {
    busyMs,
    idleMs,
    byArea: desc(area),
    selfByFunction: desc(selfFn),
    inclusiveByFunction: desc(inclFn).filter(([k]) => !k.startsWith('(root)')),
  };
}

function table(rows: [string, number][], total: number, top: number, requests: number): string {
  const perReq = requests > 0;
  const lines = [
    `| share of busy time | ms |${perReq ? ' µs per request |' : ''} function / area |`,
    `|---:|---:|${perReq ? '---:|' : ''}---|`,
  ];
  for (const [k, ms] of rows.slice(0, top)) {
    const us = perReq ? ` ${((ms * 1000) / requests).toFixed(1)} |` : '';
    lines.push(`| ${((ms / total) * 100).toFixed(1)} % | ${ms.toFixed(0)} |${us} \`${k.replace(/\|/g, '\\|')}\` |`);
  }
  return lines.join('\n');
}

function main(): void {
  const file = process.argv[2];
  if (!file || file.startsWith('--')) throw new Error('usage: summarize.ts FILE.cpuprofile [--top N]');
  const top = numberArg('top', 40);
  const requests = numberArg('requests', 0);
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const out = [
    `Busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms${requests ? `, ${requests} requests served: ${((s.busyMs * 1000) / requests).toFixed(1)} µs busy per request` : ''} (${file.split('/').pop()}; start-up and warm-up included).`,
    '',
    '### By area (self time)',
    '',
    table(s.byArea, s.busyMs, top, requests),
    '',
    `### Top ${top} functions by self time`,
    '',
    table(s.selfByFunction, s.busyMs, top, requests),
    '',
    `### Top ${top} functions by inclusive time`,
    '',
    table(s.inclusiveByFunction, s.busyMs, top, requests),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

if (require.main === module) main();
