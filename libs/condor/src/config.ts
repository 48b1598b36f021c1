import { CondorInvalidInputError } from './errors';

/** How condorhub reaches HTCondor. Every field has a default that works with a local pool on PATH. */
export interface CondorClientConfig {
  /** Directory holding condor_submit & co.; unset = resolve through PATH (CONDORHUB_CONDOR_BIN). */
  binDir?: string;
  /**
   * Run submit and rm as the job's owner, e.g. `sudo -E -u {user}` or `runuser -u {user} --`
   * (condor-sim). `{user}` is replaced by the owner. A string is split on whitespace.
   */
  commandPrefix?: string | string[];
  /** Prefix for condor_q / condor_history (they run as the service and use -allusers). */
  queryCommandPrefix?: string | string[];
  /** `-name` for every tool (a remote or non-default schedd). */
  scheddName?: string;
  /** `-pool` for every tool (the central manager). */
  pool?: string;
  /** Per-call timeout; the tool is killed (whole process group) when it expires. */
  timeoutMs?: number;
  /** Per-tool overrides of timeoutMs. */
  timeouts?: Partial<Record<CondorTool, number>>;
  /** Stop reading and kill the tool beyond this much stdout+stderr. */
  maxOutputBytes?: number;
  /** Extra environment for the tools (e.g. CONDOR_CONFIG, CONDOR_SIM_HOME). */
  env?: Record<string, string>;
  /**
   * More variables of the service's own environment the tools may see, beyond the built-in
   * allow-list (see toolEnvironment): exact names, or a prefix ending in `*`. Never CONDORHUB_*.
   */
  envPassthrough?: readonly string[];
  /** Value of `CondorhubInstance` in every job; queries only see jobs with this value. */
  instance?: string;
  /** Site submit template (see render-submit-description.ts); unset = the built-in one. */
  submitTemplate?: string;
  /**
   * Nice level (0–19) for the tools: a storm of condor_submits then cannot starve the service's
   * own event handling of the spawns already in flight. 0 = as the service.
   */
  nice?: number;
}

export type CondorTool = 'condor_submit' | 'condor_q' | 'condor_history' | 'condor_rm' | 'condor_status';

export interface ResolvedCondorConfig {
  binDir?: string;
  commandPrefix: string[];
  queryCommandPrefix: string[];
  scheddName?: string;
  pool?: string;
  timeouts: Record<CondorTool, number>;
  maxOutputBytes: number;
  env: Record<string, string>;
  envPassthrough: string[];
  instance: string;
  submitTemplate?: string;
  nice: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

function splitPrefix(prefix: string | string[] | undefined): string[] {
  if (prefix === undefined) return [];
  return Array.isArray(prefix) ? [...prefix] : prefix.split(/\s+/).filter(Boolean);
}

export function resolveCondorConfig(config: CondorClientConfig = {}): ResolvedCondorConfig {
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const positive = (name: string, v: number) => {
    if (!Number.isFinite(v) || v <= 0) throw new CondorInvalidInputError(`${name} must be a positive number, got ${v}`);
    return v;
  };
  positive('timeoutMs', timeoutMs);
  const timeouts = {
    condor_submit: timeoutMs,
    condor_q: timeoutMs,
    condor_history: timeoutMs,
    condor_rm: timeoutMs,
    condor_status: timeoutMs,
  };
  for (const [tool, v] of Object.entries(config.timeouts ?? {})) {
    if (!(tool in timeouts)) throw new CondorInvalidInputError(`unknown tool in timeouts: ${tool}`);
    timeouts[tool as CondorTool] = positive(`timeouts.${tool}`, v as number);
  }
  const instance = config.instance ?? 'condorhub';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(instance)) {
    throw new CondorInvalidInputError(`instance must be 1-64 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(instance)}`);
  }
  return {
    binDir: config.binDir || undefined,
    commandPrefix: splitPrefix(config.commandPrefix),
    queryCommandPrefix: splitPrefix(config.queryCommandPrefix),
    scheddName: config.scheddName || undefined,
    pool: config.pool || undefined,
    timeouts,
    maxOutputBytes: positive('maxOutputBytes', config.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES),
    env: { ...(config.env ?? {}) },
    envPassthrough: passthroughNames(config.envPassthrough),
    instance,
    submitTemplate: config.submitTemplate,
    nice: niceLevel(config.nice),
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

function passthroughNames(names: readonly string[] | undefined): string[] {
  for (const name of names ?? []) {
    if (!ENV_NAME.test(name)) {
      throw new CondorInvalidInputError(`envPassthrough: ${JSON.stringify(name)} is not a variable name (or NAME_*)`);
    }
    // The hub's own settings hold its secrets; a tool running as the user must never see them.
    const upper = name.toUpperCase();
    if (upper.startsWith('CONDORHUB_') || (upper.endsWith('*') && 'CONDORHUB_'.startsWith(upper.slice(0, -1)))) {
      throw new CondorInvalidInputError(`envPassthrough: ${name} would pass the hub's CONDORHUB_* settings`);
    }
  }
  return [...(names ?? [])];
}

function niceLevel(nice: number | undefined): number {
  if (nice === undefined) return 0;
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
    throw new CondorInvalidInputError(`nice must be an integer from 0 to 19, got ${nice}`);
  }
  return nice;
}

/** `-name`/`-pool` arguments, which every tool we use accepts in the same spelling. */
export function locationArgs(config: ResolvedCondorConfig): string[] {
  const args: string[] = [];
  if (config.scheddName) args.push('-name', config.scheddName);
  if (config.pool) args.push('-pool', config.pool);
  return args;
}
