/**
 * Load generator process: autocannon over a list of paths (cycled per connection), or a
 * websocket churn loop. Runs apart from the proxies so the proxy under test keeps its core.
 * Parent sends one job over IPC; the result comes back the same way.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { WebSocket } from 'ws';

interface HttpJob {
  kind: 'http';
  /** autocannon (Node, in this process) or wrk (C, a child: leaves more CPU to the proxies). */
  generator?: 'autocannon' | 'wrk';
  url: string;
  paths: string[];
  headers: Record<string, string>;
  connections: number;
  durationS: number;
}

interface ChurnJob {
  kind: 'ws-churn';
  base: string; // ws://127.0.0.1:port
  livePaths: string[];
  deadPaths: string[];
  headers: Record<string, string>;
  concurrency: number;
  durationS: number;
}

/** wrk's "1.23ms" / "512.00us" / "1.02s" in ms. */
function wrkMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/** The same paths (in turn) and headers through wrk 4 and bench/proxy/wrk-round-robin.lua. */
function runWrk(job: HttpJob): Promise<object> {
  const script = path.join(__dirname, 'wrk-round-robin.lua');
  const args = [
    '-t1',
    `-c${job.connections}`,
    `-d${job.durationS}s`,
    '--latency',
    '--timeout',
    '10s',
    '-s',
    script,
    job.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, {
      env: { ...process.env, BENCH_ROUTES: String(job.paths.length), BENCH_COOKIE: job.headers.cookie ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), (job.durationS + 30) * 1000);
    child.on('error', (e) => reject(new Error(`wrk: ${e.message} (apt-get install wrk)`)));
    child.on('close', (code) => {
      clearTimeout(killer);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const total = /(\d+) requests in/.exec(out);
      if (code !== 0 || !rps || !total) return reject(new Error(`wrk failed (${code}): ${out.slice(-500)}`));
      const pct = (p: string) => wrkMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) : 0;
      resolve({
        rps: Number(rps[1]),
        total: Number(total[1]),
        p50: pct('50'),
        p99: pct('99'),
        non2xx,
        errors,
        timeouts: sock ? Number(sock[4]) : 0,
        statusCodeStats: { non2xx },
      });
    });
  });
}

function runHttp(job: HttpJob): Promise<object> {
  if (job.generator === 'wrk') return runWrk(job);
  let next = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.durationS,
        // One shared round-robin over all routes: the connections must not walk the list in
        // lockstep (they would all hit the same notebook at once and open 64 sockets to each).
        requests: [
          {
            method: 'GET',
            path: job.paths[0],
            headers: job.headers,
            setupRequest: (req: object) => ({ ...req, path: job.paths[next++ % job.paths.length] }),
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          rps: result.requests.average,
          total: result.requests.total,
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodeStats: (result as unknown as { statusCodeStats: unknown }).statusCodeStats,
        });
      },
    );
    // Progress: one line per second on stderr (the parent passes it through).
    let ticks = 0;
    instance.on('tick', (c: { counter: number }) => {
      ticks++;
      if (ticks % 5 === 0) process.stderr.write(`    … ${ticks}s, ${c.counter} req/s\n`);
    });
  });
}

/** One websocket life: open, one echo, close (or abrupt terminate); dead targets must refuse. */
function oneWs(
  url: string,
  headers: Record<string, string>,
  expectDead: boolean,
  abrupt: boolean,
): Promise<'ok' | 'refused' | 'bad'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 5000 });
    let settled = false;
    const done = (r: 'ok' | 'refused' | 'bad'): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      done(expectDead && res.statusCode === 503 ? 'refused' : 'bad');
    });
    ws.on('error', () => done('bad'));
    ws.on('open', () => {
      if (expectDead) return done('bad');
      ws.send('x'.repeat(256));
      ws.once('message', () => {
        if (abrupt) {
          ws.terminate();
          done('ok');
        } else {
          ws.once('close', () => done('ok'));
          ws.close();
        }
      });
    });
  });
}

async function runChurn(job: ChurnJob): Promise<object> {
  const until = Date.now() + job.durationS * 1000;
  const counts = { ok: 0, refused: 0, bad: 0 };
  let n = 0;
  let lastReport = Date.now();
  const worker = async (): Promise<void> => {
    while (Date.now() < until) {
      const i = n++;
      const dead = i % 5 === 0; // a fifth of the upgrades go to stopped servers
      const list = dead ? job.deadPaths : job.livePaths;
      const path = list[i % list.length];
      counts[await oneWs(job.base + path, job.headers, dead, i % 7 === 0)]++;
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        process.stderr.write(
          `    … churn: ${counts.ok} echoed, ${counts.refused} refused (dead), ${counts.bad} unexpected\n`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  return counts;
}

process.on('message', (job: HttpJob | ChurnJob) => {
  const run = job.kind === 'http' ? runHttp(job) : runChurn(job);
  run.then(
    (result) => process.send!({ result }),
    (err: Error) => process.send!({ error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
