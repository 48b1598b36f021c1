import type { Migration } from '@condorhub/event-store';
import { activitySchema } from './store/activity';
import { oauthCodesSchema } from './store/oauth-codes';
import { oidcIdentities } from './store/oidc-identities';

/** The hub's own tables, applied at start with the store's (RuntimeModule, bootstrap.ts). */
export const hubMigrations: Migration[] = [activitySchema, oidcIdentities, oauthCodesSchema];
