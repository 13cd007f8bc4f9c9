import { HttpException } from '@nestjs/common';
import type { PublicErrorStatus } from './public-pages.service';

/**
 * A refused public request (bad token, missing CSRF field, gone link). On page controllers
 * (`@PublicPageRoutes()`) it becomes the plain error page; anywhere else the API's JSON shape.
 * It never carries anything about the contact: the page says only what kind of failure it was.
 */
export class PublicPageError extends HttpException {
  constructor(
    readonly pageStatus: PublicErrorStatus,
    readonly locale: string | null = null,
  ) {
    super(DEFAULT_MESSAGES[pageStatus], pageStatus);
  }
}

const DEFAULT_MESSAGES: Record<PublicErrorStatus, string> = {
  400: 'The form could not be read.',
  403: 'This link or form is not valid.',
  404: 'Not found.',
  410: 'This link has expired.',
  429: 'Too many requests; try again in a minute.',
  500: 'Something went wrong on our side.',
};
