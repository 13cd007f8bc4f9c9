import { HttpException } from '@nestjs/common';

export type DashboardErrorStatus = 400 | 401 | 403 | 404 | 410 | 429 | 500;

/** A refused dashboard request; the page filter shows it as a plain page saying only what kind of refusal it is. */
export class DashboardPageError extends HttpException {
  constructor(readonly pageStatus: DashboardErrorStatus) {
    super(`dashboard: ${pageStatus}`, pageStatus);
  }
}
