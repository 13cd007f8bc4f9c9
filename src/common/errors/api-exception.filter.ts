import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { ApiError, ErrorDetail } from './api-error';

/** PostgreSQL errors caused by the input rather than by the server. */
const INPUT_SQLSTATES: Record<string, [HttpStatus, string, string]> = {
  '23505': [HttpStatus.CONFLICT, 'CONFLICT', 'A record with the same unique value already exists.'],
  '22P02': [HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'A value has the wrong format.'],
  '22001': [HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'A value is too long.'],
  '22003': [HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'A number is out of range.'],
  '22007': [HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'A date or time has the wrong format.'],
  '22008': [HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'A date or time is out of range.'],
  '22021': [HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'A text value contains a character that cannot be stored.'],
  '22P05': [HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'A text value contains a character that cannot be stored.'],
  '23514': [HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'A value is outside the allowed range.'],
};

/** Maps every error to the API's one shape; anything unexpected is a logged 500 without internals. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const error = this.toApiError(exception);
    if (error.status >= 500) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    if (response.headersSent) return;
    response.status(error.status).json(error.toBody());
  }

  private toApiError(exception: unknown): ApiError {
    if (exception instanceof ApiError) return exception;
    if (exception instanceof QueryFailedError) {
      const driverError = exception.driverError as { code?: string; constraint?: string };
      const known = driverError.code ? INPUT_SQLSTATES[driverError.code] : undefined;
      if (known) {
        const details: ErrorDetail[] = driverError.constraint ? [{ field: constraintField(driverError.constraint), problem: known[2] }] : [];
        return new ApiError(known[0], known[1], known[2], details);
      }
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: string | string[] }).message ?? exception.message);
      return new ApiError(status, httpCode(status), Array.isArray(message) ? message.join('; ') : message);
    }
    return new ApiError(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL', 'Something went wrong on our side.');
  }
}

/**
 * `contacts_external_id_key` → `externalId`: unique indexes and checks are named after their column,
 * and the API names fields in camelCase.
 */
export function constraintField(constraint: string): string {
  const match = /^[a-z_]+?s_(.+)_(?:key|check)$/.exec(constraint);
  return match ? match[1].replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase()) : constraint;
}

function httpCode(status: number): string {
  const name = HttpStatus[status];
  return typeof name === 'string' ? name : 'HTTP_' + status;
}
