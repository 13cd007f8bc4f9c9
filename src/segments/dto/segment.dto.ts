import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateBy, ValidationOptions } from 'class-validator';
import { IsOptionalButNotNull } from '../../contacts/contact-validators';
import { queryBoolean } from '../../memory/interactions/query-params';
import { parseInstant } from '../rules/segment-rule.validator';

export const MAX_SAMPLE = 100;
export const DEFAULT_SAMPLE = 10;

const RULE_DOC = {
  description:
    'A segment rule: groups { all: [...] }, { any: [...] }, { not: rule } and conditions on a contact field, custom attribute, ' +
    'current preference, derived value (metric), event or consent. See src/segments/README.md. It is checked by the segments ' +
    'validator, which names the bad node (e.g. rule.all[2].op).',
  example: {
    all: [
      { attribute: 'car', op: 'eq', value: 'X5' },
      { preference: 'drink', op: 'eq', value: 'tea' },
      { event: 'purchase', product: 'oil-change', within_days: 90 },
      { metric: 'abc_class', op: 'in', value: ['A', 'B'] },
      { consent: 'email', status: 'granted' },
    ],
  },
};

const sampleMessage = { message: `sampleSize must be a whole number from 0 to ${MAX_SAMPLE}` };

/** An instant, so "within 90 days" means the same thing on every server: a time needs its offset. */
const IsInstant = (options?: ValidationOptions) =>
  ValidateBy(
    { name: 'isInstant', validator: { validate: (value) => parseInstant(value) !== null } },
    { message: 'asOf must be an ISO 8601 time with its offset (e.g. 2027-05-01T09:00:00Z) or a date', ...options },
  );

/** `rule` is left to the segments validator: class-validator cannot walk a recursive tree usefully. */
export class CreateSegmentDto {
  @ApiProperty({ example: 'BMW drivers who like tea' })
  @IsString() @Length(1, 200)
  name: string;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(2000)
  description?: string | null;

  @ApiProperty(RULE_DOC)
  @IsDefined({ message: 'rule is required' })
  rule: unknown;
}

export class UpdateSegmentDto {
  @ApiPropertyOptional()
  @IsOptionalButNotNull() @IsString() @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ description: 'null removes it' })
  @IsOptional() @IsString() @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional(RULE_DOC)
  @IsOptionalButNotNull() @IsDefined({ message: 'rule must be a rule, not null' })
  rule?: unknown;
}

export class PreviewOptionsQuery {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_SAMPLE, default: DEFAULT_SAMPLE })
  @IsOptional() @Type(() => Number) @IsInt(sampleMessage) @Min(0, sampleMessage) @Max(MAX_SAMPLE, sampleMessage)
  sampleSize = DEFAULT_SAMPLE;

  @ApiPropertyOptional({ description: 'Evaluate relative times ("within 90 days") as of this instant instead of now' })
  @IsOptional() @IsInstant()
  asOf?: string;
}

export class PreviewSegmentDto {
  @ApiProperty(RULE_DOC)
  @IsDefined({ message: 'rule is required' })
  rule: unknown;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_SAMPLE, default: DEFAULT_SAMPLE })
  @IsOptional() @IsInt(sampleMessage) @Min(0, sampleMessage) @Max(MAX_SAMPLE, sampleMessage)
  sampleSize?: number;

  @ApiPropertyOptional({ description: 'Evaluate relative times ("within 90 days") as of this instant instead of now' })
  @IsOptional() @IsInstant()
  asOf?: string;
}

export class ListSegmentsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be a whole number from 1 to 200' })
  @Min(1, { message: 'limit must be a whole number from 1 to 200' }) @Max(200, { message: 'limit must be a whole number from 1 to 200' })
  limit = 50;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional() @IsString() @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional() @Transform(queryBoolean) @IsBoolean()
  includeArchived = false;
}
