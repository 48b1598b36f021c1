import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoginRefused } from '../auth/authenticators/login-refused';
import { OAuthError } from '../oauth/oauth.service';
import { errorPage } from './pages/error.view';
import { Sessions } from './session/sessions';
import { sendHtml } from './html/render';

/** Errors of the pages are pages: a sentence, and a way on; never a JSON body or a stack. */
@Catch()
@Injectable()
export class WebExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('hub');

  constructor(@Inject(Sessions) private readonly sessions: Sessions) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<IncomingMessage>();
    const res = host.switchToHttp().getResponse<ServerResponse>();
    if (res.headersSent) {
      res.end();
      return;
    }
    let status = 500;
    let message = 'Something went wrong in the hub. Try again; if it persists, tell your site admins.';
    if (exception instanceof LoginRefused || exception instanceof OAuthError) {
      status = exception.status;
      message = exception.message;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse() as any;
      message = typeof body?.message === 'string' ? body.message : typeof body === 'string' ? body : exception.message;
    } else {
      this.log.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    const s = this.sessions.session(req);
    const user = s ? { name: s.user, admin: s.admin } : undefined;
    sendHtml(res, status, errorPage(status, message, user, user ? this.sessions.csrfToken(req, res) : undefined));
  }
}
