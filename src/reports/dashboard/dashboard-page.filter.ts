import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError } from '../../common/errors/api-error';
import { DashboardErrorStatus, DashboardPageError } from './dashboard-page.error';
import { DashboardPages } from './dashboard-pages.service';
import { DashboardTexts, dashboardLocale } from './dashboard-texts';

const PAGE_STATUSES = new Set<number>([400, 401, 403, 404, 410, 429]);

const MESSAGES: Record<DashboardErrorStatus, [keyof DashboardTexts, keyof DashboardTexts]> = {
  400: ['badRequestTitle', 'badRequestText'],
  401: ['unauthorizedTitle', 'unauthorizedText'],
  403: ['forbiddenTitle', 'forbiddenText'],
  404: ['notFoundTitle', 'notFoundText'],
  410: ['goneTitle', 'goneText'],
  429: ['tooManyTitle', 'tooManyText'],
  500: ['errorTitle', 'errorText'],
};

/**
 * Errors on dashboard pages become a plain page in the dashboard's look: the kind of refusal and
 * what to do, never the exception's message (it may name an id the session may not know about).
 */
@Catch()
export class DashboardPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('DashboardPageFilter');

  constructor(private readonly pages: DashboardPages) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    if (res.headersSent) return;
    const status = statusOf(exception);
    if (status === 500) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    const locale = dashboardLocale(http.getRequest<Request>().headers['accept-language']);
    const [title, text] = MESSAGES[status];
    if (status === 429) res.setHeader('Retry-After', '60');
    this.pages.render(res, 'message', locale, { titleKey: title, textKey: text, status, signedOut: status === 401 }, status);
  }
}

function statusOf(exception: unknown): DashboardErrorStatus {
  if (exception instanceof DashboardPageError) return exception.pageStatus;
  const status = exception instanceof ApiError ? exception.status : exception instanceof HttpException ? exception.getStatus() : 500;
  if (PAGE_STATUSES.has(status)) return status as DashboardErrorStatus;
  return status >= 400 && status < 500 ? 400 : 500;
}
