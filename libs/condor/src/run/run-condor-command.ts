import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { observeCondorCall } from '@condorhub/metrics';
import { type CondorTool, type ResolvedCondorConfig } from '../config';
import { CondorInvalidInputError, CondorOutputTooLargeError, CondorSpawnError, CondorTimeoutError } from '../errors';

export interface CondorCommandResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface RunCondorCommandOptions {
  tool: CondorTool;
  args: string[];
  /** Substituted for `{user}` in the prefix; required when the prefix mentions it. */
  user?: string;
  /** Use the per-user prefix (submit, rm) or the query prefix (q, history). */
  asUser: boolean;
  stdin?: string;
}

const USER_NAME = /^[A-Za-z0-9._][A-Za-z0-9._@+-]{0,63}$/;

/** The full argv: prefix (with {user} filled in), the tool (under binDir if set), its arguments. */
export function buildCommandLine(config: ResolvedCondorConfig, opts: RunCondorCommandOptions): string[] {
  const prefix = opts.asUser ? config.commandPrefix : config.queryCommandPrefix;
  const needsUser = prefix.some((t) => t.includes('{user}'));
  if (needsUser && (!opts.user || !USER_NAME.test(opts.user))) {
    // The user name ends up in a sudo/runuser argument: refuse anything that is not a plain account name.
    throw new CondorInvalidInputError(
      `invalid or missing user name for the command prefix: ${JSON.stringify(opts.user)}`,
    );
  }
  const filled = prefix.map((t) => t.replaceAll('{user}', opts.user ?? ''));
  const tool = config.binDir ? path.join(config.binDir, opts.tool) : opts.tool;
  return [...filled, tool, ...opts.args];
}

/**
 * What a tool may see of the service's environment. The tools run as the job's owner
 * (`sudo -E -u {user}`), so the service's own environment (cookie secret, admin token, database
 * URL, OIDC secret) must not reach them: only what HTCondor and the prefix need.
 */
const TOOL_ENV_NAMES = [
  'PATH',
  'HOME',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
  'USER',
  'LOGNAME',
  // HTCondor's configuration: CONDOR_CONFIG names the file, _CONDOR_<KNOB> overrides any knob.
  'CONDOR_CONFIG',
  '_CONDOR_*',
  // Credentials HTCondor's own authentication methods read (Kerberos, GSI/SSL, SciTokens).
  'KRB5CCNAME',
  'X509_USER_PROXY',
  'X509_CERT_DIR',
  'BEARER_TOKEN',
  'BEARER_TOKEN_FILE',
  // tools/condor-sim: its home and client timeout.
  'CONDOR_SIM_*',
];

export function toolEnvironment(config: ResolvedCondorConfig, parent: NodeJS.ProcessEnv): Record<string, string> {
  const allowed = [...TOOL_ENV_NAMES, ...config.envPassthrough];
  const exact = new Set(allowed.filter((n) => !n.endsWith('*')));
  const prefixes = allowed.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || name.startsWith('CONDORHUB_')) continue;
    if (exact.has(name) || prefixes.some((p) => name.startsWith(p))) env[name] = value;
  }
  return { ...env, ...config.env };
}

/**
 * Runs one HTCondor tool with a hard timeout and an output cap. The tool runs in its own
 * process group so that a timeout kills it together with anything it started (sudo, wrappers).
 * Resolves with the exit status whatever it is; rejects only when no verdict exists
 * (could not start, timed out, too much output).
 */
export function runCondorCommand(
  config: ResolvedCondorConfig,
  opts: RunCondorCommandOptions,
): Promise<CondorCommandResult> {
  return observeCondorCall(opts.tool, runTool(config, opts)); // condorhub_condor_command_duration_seconds
}

function runTool(config: ResolvedCondorConfig, opts: RunCondorCommandOptions): Promise<CondorCommandResult> {
  const argv = buildCommandLine(config, opts);
  const command = argv.join(' ');
  const timeoutMs = config.timeouts[opts.tool];
  const limit = config.maxOutputBytes;
  return new Promise((resolve, reject) => {
    let settled = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: toolEnvironment(config, process.env),
    });
    if (config.nice && child.pid) lowerPriority(child.pid, config.nice);
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        try {
          child.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    };
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      killGroup();
      finish(() => reject(new CondorTimeoutError(command, timeoutMs)));
    }, timeoutMs);
    const collect = (sink: Buffer[]) => (chunk: Buffer) => {
      if (settled) return;
      bytes += chunk.length;
      if (bytes > limit) {
        killGroup();
        finish(() => reject(new CondorOutputTooLargeError(command, limit)));
        return;
      }
      sink.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (e) => finish(() => reject(new CondorSpawnError(command, e.message))));
    child.on('close', (code, signal) =>
      finish(() =>
        resolve({
          command,
          exitCode: code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      ),
    );
    // A tool that exits without reading stdin gives EPIPE; the exit status tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
  });
}

/**
 * The tool runs in its own session, and with the kernel's autogroup scheduling each session is
 * scheduled as one group: a nice value alone would only rank it within that group, so the
 * group's nice is set as well. Best effort: a tool that already exited, or a kernel without
 * autogroups, just runs as it is.
 */
function lowerPriority(pid: number, nice: number) {
  try {
    os.setPriority(pid, nice);
  } catch {
    /* gone already */
  }
  try {
    fs.writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    /* no autogroup */
  }
}
