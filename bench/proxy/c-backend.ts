/**
 * Builds bench/proxy/backend.c with the machine's C compiler (once per source version, in the
 * temp directory) and starts it. Undefined when there is no compiler: the caller falls back to
 * the Node stand-in.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const SOURCE = path.join(__dirname, 'backend.c');

function build(): string | undefined {
  const digest = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const binary = path.join(tmpdir(), `condorhub-bench-backend-${digest}`);
  if (existsSync(binary)) return binary;
  for (const cc of ['cc', 'gcc', 'clang']) {
    try {
      execFileSync(cc, ['-O2', '-o', binary, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
      return binary;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return undefined;
}

export async function startCBackend(
  ports: number,
  timeoutMs = 30_000,
): Promise<{ child: ChildProcess; ports: number[] } | undefined> {
  const binary = build();
  if (!binary) return undefined;
  const child = spawn(binary, [String(ports)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const listening = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('C backend did not start')), timeoutMs);
    child.once('exit', (code) => reject(new Error(`C backend exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('ready\n')) return;
      clearTimeout(timer);
      resolve(
        out
          .split('\n')
          .filter((l) => /^\d+$/.test(l))
          .map(Number),
      );
    });
  });
  return { child, ports: listening };
}
