import type { Config } from '@condorhub/config';
import type { SpawnOptions } from '@condorhub/contracts';

/**
 * What a site lets one start ask for. The one policy for every way in (the start form, the
 * REST API, a command sent straight to the spawner): the spawner's decideStart refuses what
 * breaks it, and the hub checks it first only to answer 400 before asking.
 */
export interface SiteLimits {
  maxCpus: number;
  maxMemoryMb: number;
  /** Named servers one user may have active at once; 0: named servers are off. */
  namedServerLimit: number;
}

export function siteLimits(config: Config): SiteLimits {
  return {
    maxCpus: config.CONDORHUB_MAX_CPUS,
    maxMemoryMb: config.CONDORHUB_MAX_MEMORY_MB,
    namedServerLimit: config.CONDORHUB_NAMED_SERVER_LIMIT,
  };
}

export interface SpawnRequest {
  user: string;
  serverName: string;
  options: SpawnOptions;
}

export interface LimitBreach {
  code: 'over-limit';
  limit: 'cpus' | 'memory' | 'named-servers';
  reason: string;
}

/**
 * The first site limit `request` breaks, or undefined. `otherActiveNamedServers`: how many of
 * the user's named servers other than this one are active (requested up to stopping).
 */
export function checkSiteLimits(
  limits: SiteLimits,
  request: SpawnRequest,
  otherActiveNamedServers: number,
): LimitBreach | undefined {
  const { cpus, memoryMb } = request.options;
  if (cpus !== undefined && cpus > limits.maxCpus) {
    return breach('cpus', `${cpus} CPUs asked for; the site limit is ${limits.maxCpus} CPUs per server`);
  }
  if (memoryMb !== undefined && memoryMb > limits.maxMemoryMb) {
    return breach(
      'memory',
      `${memoryMb} MB of memory asked for; the site limit is ${limits.maxMemoryMb} MB per server`,
    );
  }
  if (request.serverName !== '' && otherActiveNamedServers >= limits.namedServerLimit) {
    return breach(
      'named-servers',
      limits.namedServerLimit === 0
        ? 'named servers are not enabled on this site (the named server limit is 0)'
        : `${request.user} already has ${otherActiveNamedServers} named servers active; the site limit is ${limits.namedServerLimit} named servers per user`,
    );
  }
  return undefined;
}

const breach = (limit: LimitBreach['limit'], reason: string): LimitBreach => ({ code: 'over-limit', limit, reason });
