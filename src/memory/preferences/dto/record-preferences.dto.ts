import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { queryBoolean } from '../../interactions/query-params';
import { STATEMENT_SOURCES, StatementSource } from '../preference-rules';
import { KEY_PATTERN } from './preference-key.dto';

/** Present, though possibly null: a missing value is a mistake, a null one is a withdrawal. */
function IsPresent(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isPresent',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} is required (null withdraws the preference)`, ...options },
      validator: { validate: (v: unknown) => v !== undefined },
    });
}

export class PreferenceStatementDto {
  @ApiProperty({ example: 'drink' })
  @IsString() @Matches(KEY_PATTERN, { message: 'key is not a preference key' })
  key: string;

  @ApiProperty({ description: 'Checked against the key\'s type; null withdraws the preference', example: 'tea', nullable: true })
  @IsPresent()
  value: unknown;

  @ApiProperty({ enum: STATEMENT_SOURCES, description: 'Where it came from; decides its authority (the customer\'s own word ranks highest)' })
  @IsIn(STATEMENT_SOURCES)
  source: StatementSource;

  @ApiPropertyOptional({ description: 'When the customer said it (default: now)' })
  @IsOptional() @IsISO8601({ strict: true })
  statedAt?: string;

  @ApiPropertyOptional({ description: 'After this the statement no longer counts' })
  @IsOptional() @IsISO8601({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, default: 1 })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(1)
  confidence?: number;

  @IsOptional() @IsString() @MaxLength(1000)
  note?: string;
}

export class RecordPreferencesDto {
  @ApiProperty({ type: [PreferenceStatementDto] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => PreferenceStatementDto)
  preferences: PreferenceStatementDto[];
}

export class CurrentPreferencesQuery {
  @ApiPropertyOptional({ default: false, description: 'Include every statement per key, oldest first' })
  @IsOptional() @Transform(queryBoolean) @IsBoolean()
  history = false;
}
