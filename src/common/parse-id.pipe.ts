import { ParseUUIDPipe } from '@nestjs/common';
import { ApiError } from './errors/api-error';

/** A path id that must be a UUID; anything else is a 400 in the API's error shape. */
export const ParseId = new ParseUUIDPipe({
  exceptionFactory: () => ApiError.validation([{ field: 'id', problem: 'id must be a UUID' }]),
});
