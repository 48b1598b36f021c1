import { type Raw, html, layout } from '../html/render';

export interface LoginView {
  kind: 'dummy' | 'header' | 'oidc';
  next: string;
  csrf: string;
  error?: string;
  username?: string;
  needsPassword?: boolean;
  issuer?: string;
  headerName?: string;
  loggedOut?: boolean;
}

export function loginPage(v: LoginView): string {
  let form: Raw;
  if (v.kind === 'dummy') {
    form = html`<form method="post" action="/hub/login" class="stack" autocomplete="on">
      <input type="hidden" name="_xsrf" value="${v.csrf}" />
      <input type="hidden" name="next" value="${v.next}" />
      <label
        >User name
        <input name="username" autocomplete="username" autofocus required maxlength="64" value="${v.username ?? ''}"
      /></label>
      <label
        >Password ${v.needsPassword ? '' : html`<span class="muted">(not needed on this hub)</span>`}
        <input name="password" type="password" autocomplete="current-password" ${v.needsPassword ? 'required' : ''}
      /></label>
      <button type="submit" class="button primary">Sign in</button>
    </form>`;
  } else if (v.kind === 'oidc') {
    form = html`<p>This hub signs you in with your institution's account.</p>
      <p>
        <a class="button primary" id="oidc-login" href="/hub/oidc/login?next=${encodeURIComponent(v.next)}"
          >Sign in with ${v.issuer ? new URL(v.issuer).host : 'your identity provider'}</a
        >
      </p>`;
  } else {
    form = html`<p>
        This hub is signed in through the site's web front end, which did not name a user for this request (no
        <code>${v.headerName}</code> header).
      </p>
      <p>Open the hub through the site's login page, or ask your site admins.</p>`;
  }
  return layout({
    title: 'Sign in',
    nav: 'login',
    body: html`<section class="card narrow login-card">
      <h1>Sign in to condorhub</h1>
      <p class="muted">Jupyter notebooks on the HTCondor pool.</p>
      ${v.loggedOut ? html`<p class="notice">You are logged out.</p>` : ''}
      ${v.error ? html`<p class="alert" role="alert">${v.error}</p>` : ''} ${form}
    </section>`,
  });
}

export function logoutPage(csrf: string, user: { name: string; admin: boolean }): string {
  return layout({
    title: 'Log out',
    user,
    csrf,
    body: html`<section class="card narrow">
      <h1>Log out?</h1>
      <p>Your servers keep running after you log out.</p>
      <form method="post" action="/hub/logout">
        <input type="hidden" name="_xsrf" value="${csrf}" />
        <button class="button primary" type="submit">Log out</button>
      </form>
    </section>`,
  });
}
