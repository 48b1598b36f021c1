import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { LoginRefused } from './login-refused';

// prettier-ignore
/**
 * Accounts no login may become, whatever their uid here: the notebook runs as the user name on
 * the pool's nodes, where these are system accounts even if this host lacks them (or gives
 * `nobody` a high uid).
 */
export const SYSTEM_ACCOUNTS = new Set([
  'root', 'toor', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp',
  'proxy', 'www-data', 'backup', 'list', 'irc', 'gnats', 'nobody', 'nogroup', 'sshd', 'messagebus',
  'syslog', 'ntp', 'postfix', 'dbus', 'polkitd', 'adm', 'operator', 'halt', 'shutdown', 'ftp',
  'condor', 'postgres', 'nats', 'admin', 'administrator', 'jupyterhub', 'condorhub',
]);

/**
 * A POSIX user name as useradd takes it (and as sudo/runuser and condor_submit's Owner read it):
 * a lower-case letter first (an all-digit name reads as a uid), then letters, digits, `.`, `_`,
 * `-`; at most 32 characters.
 */
export const POSIX_USER_NAME = /^[a-z][a-z0-9._-]{0,31}$/;

/** The uid of `name` on this host (getent, so LDAP/SSSD accounts count), undefined if there is none. */
export async function localUid(name: string, timeoutMs = 5_000): Promise<number | undefined> {
  const line = await new Promise<string | undefined>((resolve, reject) => {
    // A minimal environment: nothing of the hub's needs to reach getent.
    execFile('getent', ['passwd', name], { timeout: timeoutMs, env: { PATH: '/usr/bin:/bin' } }, (error, stdout) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return resolve(fromEtcPasswd(name));
      if (typeof error.code === 'number' && error.code === 2) return resolve(undefined); // no such user
      reject(error);
    });
  });
  const uid = line?.split(':')[2];
  return uid === undefined ? undefined : Number(uid);
}

async function fromEtcPasswd(name: string): Promise<string | undefined> {
  const text = await readFile('/etc/passwd', 'utf8');
  return text.split('\n').find((l) => l.startsWith(`${name}:`));
}

/**
 * Refuses a name that is not a POSIX user name, a system account by name, or a local account
 * with a uid below `minUid`. A name with no local account is let through: the pool's nodes,
 * not this host, may be where the users live.
 */
export async function checkPosixAccount(name: string, minUid: number): Promise<void> {
  if (!POSIX_USER_NAME.test(name)) {
    throw new LoginRefused(
      `“${name.slice(0, 64)}” is not a valid user name here: notebooks run as that POSIX user, which needs a lower-case letter, then up to 31 of a-z 0-9 . _ -.`,
      400,
    );
  }
  if (SYSTEM_ACCOUNTS.has(name) || name.startsWith('systemd-')) {
    throw new LoginRefused(`“${name}” is a system account; it cannot log in to the hub.`);
  }
  let uid: number | undefined;
  try {
    uid = await localUid(name);
  } catch (error) {
    throw new LoginRefused(
      `Could not look up the account “${name}” (${String((error as Error).message)}). Try again.`,
      503,
    );
  }
  if (uid !== undefined && uid < minUid) {
    throw new LoginRefused(
      `“${name}” is a system account (uid ${uid} is below ${minUid}); it cannot log in to the hub.`,
    );
  }
}
