import { type PageUser, html, layout } from '../html/render';

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Please log in',
  403: 'Not allowed',
  404: 'Not found',
  502: 'The identity provider did not answer',
  503: 'Not available right now',
};

export function errorPage(status: number, message: string, user?: PageUser, csrf?: string): string {
  return layout({
    title: TITLES[status] ?? 'Error',
    user,
    csrf,
    body: html`<section class="card narrow error-card">
      <p class="status-code">${status}</p>
      <h1>${TITLES[status] ?? 'Something went wrong'}</h1>
      <p class="lead">${message}</p>
      <div class="actions">
        <a class="button primary" href="/hub/home">Back to my servers</a>
        ${user ? '' : html`<a class="button" href="/hub/login">Log in</a>`}
      </div>
    </section>`,
  });
}
