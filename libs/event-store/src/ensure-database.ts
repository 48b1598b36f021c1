import { Client } from 'pg';

/** Creates the database of `url` if it does not exist (a fresh machine's first start). */
export async function ensureDatabase(url: string, timeoutMs = 5_000): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(name)) throw new Error(`invalid database name "${name}" in ${url}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: timeoutMs });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`).catch((e) => {
      if (e?.code !== '42P04') throw e; // created meanwhile by another service
    });
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}
