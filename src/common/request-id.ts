import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** What a caller's own request id may look like; anything else (spaces, markup, 1 kB) is replaced. */
export const SANE_REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * The first middleware: every response carries an X-Request-Id, including those the body parser or
 * the router reject before the logger's middleware runs. The chosen id is written back into the
 * request header, so the logger (which reads that header) logs the same id the caller receives.
 */
export function assignRequestId(req: Request, res: Response, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  req.headers['x-request-id'] = id;
  res.setHeader('X-Request-Id', id);
  next();
}
