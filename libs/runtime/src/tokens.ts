export const CONFIG = Symbol('condorhub.config');
export const DB_OPTIONS = Symbol('condorhub.db-options');
export const PG_POOL = Symbol('condorhub.pg-pool');
export const NATS = Symbol('condorhub.nats');
export const READ_MODELS = Symbol('condorhub.read-models');
