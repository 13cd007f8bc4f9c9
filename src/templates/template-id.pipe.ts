import { PipeTransform } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { parseFileTemplateId } from './files/template-file-names';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A template id: a database template's UUID, or a file template's `file:<channel>:<key>.<locale>.<variant>`. */
export class ParseTemplateId implements PipeTransform<string, string> {
  transform(value: string): string {
    if (UUID_PATTERN.test(value) || parseFileTemplateId(value)) return value;
    throw ApiError.validation([{ field: 'id', problem: 'id must be a UUID or a file template id such as file:email:birthday.en.a' }]);
  }
}
