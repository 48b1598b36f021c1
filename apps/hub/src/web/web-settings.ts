import { z } from 'zod';
import { type Config, envList, parseEnv } from '@condorhub/config';

// Settings of the browser side that @condorhub/config does not carry (that module is shared by
// every service; these only matter to the hub's pages and login). Read once, validated, and a
// bad value stops the hub at start naming the key, as the shared config does.
export const WebSettingsSchema = z.object({
  /** dummy: a shared password every user must type (none: any name logs in). */
  CONDORHUB_DUMMY_PASSWORD: z.string().optional(),
  /** How long a login lasts (JupyterHub's cookie_max_age_days, 14 days). */
  CONDORHUB_SESSION_MAX_AGE_S: z.coerce
    .number()
    .int()
    .min(60)
    .default(14 * 86_400),
  /** header: the request header the trusted front end puts the user name in. */
  CONDORHUB_HEADER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .default('X-Remote-User'),
  /**
   * header: addresses (or CIDR ranges) of the front end; the header counts only when both the
   * peer and the last X-Forwarded-For hop (who reached condorhub's proxy) are in it. No default:
   * trusting loopback would let every local user name themselves.
   */
  CONDORHUB_HEADER_TRUSTED: envList,
  CONDORHUB_OIDC_ISSUER: z.string().url().optional(),
  CONDORHUB_OIDC_CLIENT_ID: z.string().min(1).optional(),
  CONDORHUB_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Where the provider sends the browser back; default <public URL>/hub/oauth_callback. */
  CONDORHUB_OIDC_REDIRECT_URL: z.string().url().optional(),
  CONDORHUB_OIDC_SCOPES: z.string().default('openid profile email'),
  /**
   * The claim that becomes the user name (lower-cased), which is the POSIX account the notebook
   * runs as: preferred_username, which site providers (Keycloak on LDAP, most campus IdPs) fill
   * with the login name; `sub` is stable but usually opaque. Either way the first login pins the
   * name to the provider's `sub`, so an account renamed at the provider cannot take another's.
   */
  CONDORHUB_OIDC_USERNAME_CLAIM: z.string().default('preferred_username'),
  /** Only these user names may log in (empty: anyone the provider vouches for, see groups). */
  CONDORHUB_OIDC_ALLOWED_USERS: envList,
  /** …or members of one of these groups, from CONDORHUB_OIDC_GROUPS_CLAIM. */
  CONDORHUB_OIDC_ALLOWED_GROUPS: envList,
  CONDORHUB_OIDC_GROUPS_CLAIM: z.string().default('groups'),
  /** Names that are accounts on this host with a lower uid are system accounts: refused. */
  CONDORHUB_MIN_UID: z.coerce.number().int().min(0).default(1000),
  CONDORHUB_OIDC_TIMEOUT_S: z.coerce.number().positive().default(10),
  /** The start form's defaults (the limits are the shared config's CONDORHUB_MAX_*). */
  CONDORHUB_DEFAULT_CPUS: z.coerce.number().int().min(1).default(1),
  CONDORHUB_DEFAULT_MEMORY_MB: z.coerce.number().int().min(64).default(2048),
});

/** The site limits come from the shared config: the spawner enforces the same ones. */
type SiteLimitKeys = 'CONDORHUB_MAX_CPUS' | 'CONDORHUB_MAX_MEMORY_MB' | 'CONDORHUB_NAMED_SERVER_LIMIT';
export type WebSettings = z.infer<typeof WebSettingsSchema> & Pick<Config, SiteLimitKeys>;
/** Test and embedding overrides of the browser-side keys (the limits are set in the config). */
export type WebOverrides = Partial<z.infer<typeof WebSettingsSchema>>;
export const WEB_SETTINGS = Symbol('condorhub.web-settings');

export function loadWebSettings(
  config: Pick<Config, SiteLimitKeys>,
  env: NodeJS.ProcessEnv = process.env,
  overrides: WebOverrides = {},
): WebSettings {
  const settings: WebSettings = {
    ...parseEnv(WebSettingsSchema, env),
    ...overrides,
    CONDORHUB_MAX_CPUS: config.CONDORHUB_MAX_CPUS,
    CONDORHUB_MAX_MEMORY_MB: config.CONDORHUB_MAX_MEMORY_MB,
    CONDORHUB_NAMED_SERVER_LIMIT: config.CONDORHUB_NAMED_SERVER_LIMIT,
  };
  if (settings.CONDORHUB_DEFAULT_CPUS > settings.CONDORHUB_MAX_CPUS) settings.CONDORHUB_DEFAULT_CPUS = 1;
  if (settings.CONDORHUB_DEFAULT_MEMORY_MB > settings.CONDORHUB_MAX_MEMORY_MB)
    settings.CONDORHUB_DEFAULT_MEMORY_MB = settings.CONDORHUB_MAX_MEMORY_MB;
  return settings;
}
