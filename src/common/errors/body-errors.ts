import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './api-error';

const BODY_PARSER_ERRORS: Record<string, [HttpStatus, string, string]> = {
  'entity.parse.failed': [HttpStatus.BAD_REQUEST, 'INVALID_JSON', 'The request body is not valid JSON.'],
  'entity.too.large': [HttpStatus.PAYLOAD_TOO_LARGE, 'PAYLOAD_TOO_LARGE', 'The request body is too large.'],
  'entity.verify.failed': [HttpStatus.BAD_REQUEST, 'INVALID_BODY', 'The request body could not be verified.'],
  'encoding.unsupported': [HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_ENCODING', 'The content encoding is not supported.'],
  'charset.unsupported': [HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_CHARSET', 'The charset is not supported.'],
  'request.aborted': [HttpStatus.BAD_REQUEST, 'REQUEST_ABORTED', 'The request was aborted.'],
  'request.size.invalid': [HttpStatus.BAD_REQUEST, 'INVALID_BODY', 'The request body size does not match its Content-Length.'],
};

/**
 * Express error middleware placed right after the body parsers: turns their errors into the API's
 * shape before Nest sees them (Nest would otherwise pass the parser's own message through).
 */
export function rejectUnreadableBody(error: unknown, _req: Request, _res: Response, next: NextFunction): void {
  const { type, status } = (error ?? {}) as { type?: string; status?: unknown };
  const known = type ? BODY_PARSER_ERRORS[type] : undefined;
  if (known) return next(new ApiError(known[0], known[1], known[2]));
  // The parser marks every fault of the request with a 4xx but gives some no type, e.g. a gzip body
  // that does not inflate: still the client's mistake, not a 500.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return next(new ApiError(status, 'INVALID_BODY', 'The request body could not be read.'));
  }
  next(error);
}
