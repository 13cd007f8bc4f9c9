import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError } from '../common/errors/api-error';
import { PublicPageError } from './public-page.error';
import { PublicErrorStatus, PublicPages } from './public-pages.service';

const PAGE_STATUSES = new Set<number>([400, 403, 404, 410, 429]);

/**
 * Errors on the customer-facing pages become a plain HTML page (the API keeps its JSON shape):
 * the status and a sentence, never the exception's message, which may name a field or an id.
 */
@Catch()
export class PublicPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('PublicPageFilter');

  constructor(private readonly pages: PublicPages) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    if (res.headersSent) return;
    const status = statusOf(exception);
    if (status === 500) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    const locale = exception instanceof PublicPageError && exception.locale ? exception.locale : acceptedLocale(http.getRequest<Request>());
    this.pages.renderError(res, status, locale);
  }
}

function statusOf(exception: unknown): PublicErrorStatus {
  if (exception instanceof PublicPageError) return exception.pageStatus;
  const status = exception instanceof ApiError ? exception.status : exception instanceof HttpException ? exception.getStatus() : 500;
  if (PAGE_STATUSES.has(status)) return status as PublicErrorStatus;
  // Other client errors (405, 413, 415 …) are still the visitor's request, shown as "could not be read".
  return status >= 400 && status < 500 ? 400 : 500;
}

/** The browser's language when no contact is known: Chinese for any zh-*, otherwise English. */
export function acceptedLocale(req: Request): string | null {
  const header = req.headers['accept-language'];
  const first = typeof header === 'string' ? header.split(',')[0]?.trim().split(';')[0] : undefined;
  return first ? first : null;
}
