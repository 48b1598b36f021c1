import { readFileSync } from 'node:fs';
import {
  type Authenticator,
  type ConnectionOptions,
  type NatsConnection,
  type TlsOptions,
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
} from '@nats-io/transport-node';

/** How a service proves itself to NATS; each field is named after its CONDORHUB_NATS_* setting. */
export interface NatsAuthOptions {
  user?: string;
  password?: string;
  token?: string;
  /** A `.creds` file (user JWT + nkey seed) for decentralised (operator/account) auth. */
  credsFile?: string;
  /** A file holding a user nkey seed (`SU…`), for nkey auth. */
  nkeySeedFile?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export interface NatsOptions extends NatsAuthOptions {
  url: string;
  name: string;
  /** Connect timeout; after a later disconnect the client keeps reconnecting on its own. */
  timeoutMs?: number;
}

/** A NATS connection that could not be made, with the settings to look at named. */
export class NatsConnectError extends Error {
  override readonly name = 'NatsConnectError';
}

/** The setting names behind the credentials in use, for error messages. */
function credentialSettings(opts: NatsAuthOptions): string {
  const names: string[] = [];
  if (opts.user !== undefined || opts.password !== undefined)
    names.push('CONDORHUB_NATS_USER', 'CONDORHUB_NATS_PASSWORD');
  if (opts.token !== undefined) names.push('CONDORHUB_NATS_TOKEN');
  if (opts.credsFile) names.push('CONDORHUB_NATS_CREDS_FILE');
  if (opts.nkeySeedFile) names.push('CONDORHUB_NATS_NKEY_SEED_FILE');
  return names.length
    ? names.join(', ')
    : 'none set (CONDORHUB_NATS_USER/PASSWORD, CONDORHUB_NATS_TOKEN, CONDORHUB_NATS_CREDS_FILE or CONDORHUB_NATS_NKEY_SEED_FILE)';
}

function readSecretFile(setting: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new NatsConnectError(`${setting}=${file} cannot be read: ${(error as Error).message}`);
  }
}

/** The nats.js connection options for these settings (files are read here, once). */
export function natsConnectionOptions(opts: NatsOptions): ConnectionOptions {
  if ((opts.user === undefined) !== (opts.password === undefined)) {
    throw new NatsConnectError('CONDORHUB_NATS_USER and CONDORHUB_NATS_PASSWORD must be set together');
  }
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new NatsConnectError('CONDORHUB_NATS_TLS_CERT and CONDORHUB_NATS_TLS_KEY must be set together');
  }
  const authenticators: Authenticator[] = [];
  if (opts.credsFile) {
    authenticators.push(credsAuthenticator(readSecretFile('CONDORHUB_NATS_CREDS_FILE', opts.credsFile)));
  }
  if (opts.nkeySeedFile) {
    const seed = new TextDecoder().decode(readSecretFile('CONDORHUB_NATS_NKEY_SEED_FILE', opts.nkeySeedFile)).trim();
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  const tls: TlsOptions | undefined =
    opts.tlsCa || opts.tlsCert || /^tls:\/\//.test(opts.url)
      ? {
          ...(opts.tlsCa ? { caFile: opts.tlsCa } : {}),
          ...(opts.tlsCert ? { certFile: opts.tlsCert, keyFile: opts.tlsKey } : {}),
        }
      : undefined;
  return {
    servers: opts.url.replace(/^(nats|tls):\/\//, ''),
    name: opts.name,
    timeout: opts.timeoutMs ?? 5_000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
    ...(opts.user !== undefined ? { user: opts.user, pass: opts.password } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(authenticators.length ? { authenticator: authenticators } : {}),
    ...(tls ? { tls } : {}),
  };
}

export async function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  const options = natsConnectionOptions(opts);
  try {
    return await connect(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // nats.js says only "Authorization Violation": name what the operator has to fix.
    if (/authori[sz]ation|authentication|user.*expired/i.test(message)) {
      throw new NatsConnectError(
        `NATS at ${opts.url} refused ${opts.name}'s credentials (${message}); check ${credentialSettings(opts)}`,
      );
    }
    if (/tls|certificate|ssl/i.test(message)) {
      throw new NatsConnectError(
        `TLS to NATS at ${opts.url} failed (${message}); check CONDORHUB_NATS_TLS_CA, CONDORHUB_NATS_TLS_CERT, CONDORHUB_NATS_TLS_KEY`,
      );
    }
    throw error;
  }
}
