import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WEB_SETTINGS, type WebSettings } from '../../web/web-settings';
import { LoginRefused, normalizeUserName } from './login-refused';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Development login: any valid name; with CONDORHUB_DUMMY_PASSWORD, only with that password. */
@Injectable()
export class DummyAuthenticator {
  constructor(@Inject(WEB_SETTINGS) private readonly settings: WebSettings) {}

  get needsPassword(): boolean {
    return !!this.settings.CONDORHUB_DUMMY_PASSWORD;
  }

  check(username: unknown, password: unknown): string {
    const name = normalizeUserName(username);
    const expected = this.settings.CONDORHUB_DUMMY_PASSWORD;
    if (expected) {
      // Digests first: equal lengths for timingSafeEqual, and no length leak.
      const given = typeof password === 'string' ? password : '';
      if (!timingSafeEqual(digest(given), digest(expected))) throw new LoginRefused('Wrong user name or password.');
    }
    return name;
  }
}
