import type { Config } from '@condorhub/config';
import type { LifecycleSettings } from './react';

/** The lifecycle's timeouts from the configuration, the same for every service that reacts. */
export function lifecycleSettings(config: Config): LifecycleSettings {
  return {
    idleTimeoutS: config.CONDORHUB_IDLE_TIMEOUT_S,
    portTimeoutS: config.CONDORHUB_PORT_TIMEOUT_S,
    handshakeTimeoutS: config.CONDORHUB_HANDSHAKE_TIMEOUT_S,
    submitDeadlineS: config.CONDORHUB_SUBMIT_DEADLINE_S,
    routeTimeoutS: config.CONDORHUB_ROUTE_TIMEOUT_S,
    stopTimeoutS: config.CONDORHUB_STOP_TIMEOUT_S,
    stopAttempts: config.CONDORHUB_STOP_ATTEMPTS,
  };
}
