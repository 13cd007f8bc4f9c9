import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';
import { canonicalLocale } from '../../../contacts/contact-validators';
import { queryBoolean } from '../../interactions/query-params';
import { REQUIRED_QUESTION_LOCALES, VALUE_TYPES, PreferenceValueType } from '../preference-rules';

export const KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_LOCALES = 30;

function isLocaleMap(value: unknown, entry: (v: unknown) => boolean): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return entries.length <= MAX_LOCALES && entries.every(([locale, v]) => canonicalLocale(locale) === locale && entry(v));
}

const isQuestion = (v: unknown) => typeof v === 'string' && v.trim().length > 0 && v.length <= 500;
const isLabels = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length <= 200 &&
  Object.values(v).every((label) => typeof label === 'string' && label.trim().length > 0 && label.length <= 200);

function localeMap(name: string, test: (value: unknown) => boolean, message: string) {
  return (options?: ValidationOptions) => (object: object, propertyName: string) =>
    registerDecorator({ name, target: object.constructor, propertyName, options: { message, ...options }, validator: { validate: test } });
}

const IsQuestions = localeMap(
  'isQuestions',
  (v) => isLocaleMap(v, isQuestion) && REQUIRED_QUESTION_LOCALES.every((l) => l in (v as object)),
  `questions must map BCP 47 locales to question texts (1–500 characters) and include ${REQUIRED_QUESTION_LOCALES.join(' and ')}`,
);
const IsValueLabels = localeMap(
  'isValueLabels',
  (v) => isLocaleMap(v, isLabels),
  'valueLabels must map BCP 47 locales to { value: label } objects (labels of 1–200 characters)',
);

const ALLOWED_VALUES_DOC = { description: 'The choices of a choice key (required) or a list key (optional: without it a list holds free texts)', example: ['tea', 'coffee'] };
const LABELS_DOC = { description: 'Locale → value → label', example: { en: { tea: 'Tea' }, 'zh-CN': { tea: '茶' } } };

export class CreatePreferenceKeyDto {
  @ApiProperty({ example: 'drink', pattern: KEY_PATTERN.source })
  @IsString() @Matches(KEY_PATTERN, { message: 'key must start with a-z and contain only a-z, 0-9 and _ (at most 64 characters)' })
  key: string;

  @ApiProperty({ enum: VALUE_TYPES })
  @IsIn(VALUE_TYPES)
  valueType: PreferenceValueType;

  @ApiPropertyOptional(ALLOWED_VALUES_DOC)
  @IsOptional() @IsArray() @ArrayMaxSize(200) @ArrayUnique() @IsString({ each: true }) @Length(1, 100, { each: true })
  allowedValues?: string[] | null;

  @ApiProperty({ example: { en: 'What would you like to drink?', 'zh-CN': '您想喝点什么？' } })
  @IsQuestions()
  questions: Record<string, string>;

  @ApiPropertyOptional(LABELS_DOC)
  @IsOptional() @IsValueLabels()
  valueLabels?: Record<string, Record<string, string>>;

  @ApiPropertyOptional({ default: 30, description: 'Days to wait before asking the same customer again' })
  @IsOptional() @IsInt() @Min(0) @Max(3650)
  askCooldownDays?: number;

  @IsOptional() @IsString() @MaxLength(500)
  description?: string | null;
}

/** Every field replaces the stored one; `questions` must still hold the required locales. */
export class UpdatePreferenceKeyDto {
  @ApiPropertyOptional({ enum: VALUE_TYPES, description: 'Refused (409) once the key has statements' })
  @IsOptional() @IsIn(VALUE_TYPES)
  valueType?: PreferenceValueType;

  @ApiPropertyOptional(ALLOWED_VALUES_DOC)
  @IsOptional() @IsArray() @ArrayMaxSize(200) @ArrayUnique() @IsString({ each: true }) @Length(1, 100, { each: true })
  allowedValues?: string[] | null;

  @IsOptional() @IsQuestions()
  questions?: Record<string, string>;

  @ApiPropertyOptional(LABELS_DOC)
  @IsOptional() @IsValueLabels()
  valueLabels?: Record<string, Record<string, string>>;

  @IsOptional() @IsInt() @Min(0) @Max(3650)
  askCooldownDays?: number;

  @IsOptional() @IsString() @MaxLength(500)
  description?: string | null;
}

export class ListPreferenceKeysQuery {
  @ApiPropertyOptional({ default: false })
  @IsOptional() @Transform(queryBoolean) @IsBoolean()
  includeArchived = false;
}
