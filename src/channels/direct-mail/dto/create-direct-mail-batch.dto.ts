import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsDateString, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { IsBcp47Locale, IsCountryCode } from '../../../contacts/contact-validators';
import { MAIL_PIECE_KINDS, MailPieceKind, PRINT_FORMATS, PrintFormat } from '../direct-mail.types';

/** Largest batch one request renders (about a minute of PDF at the measured rate). */
export const MAX_LETTERS_PER_BATCH = 10_000;

export class CreateDirectMailBatchDto {
  @ApiProperty({ type: [String], description: `Contacts to print for, in print order (1–${MAX_LETTERS_PER_BATCH})` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LETTERS_PER_BATCH)
  @ArrayUnique({ message: 'contactIds must not repeat a contact' })
  @IsUUID('all', { each: true, message: 'each of contactIds must be a UUID' })
  contactIds: string[];

  @ApiProperty({ enum: PRINT_FORMATS })
  @IsIn(PRINT_FORMATS)
  format: PrintFormat;

  @ApiProperty({ enum: MAIL_PIECE_KINDS })
  @IsIn(MAIL_PIECE_KINDS)
  kind: MailPieceKind;

  @ApiPropertyOptional({ description: 'Template the letter text comes from (used once a template renderer is bound)' })
  @IsOptional() @IsString() @Length(1, 100)
  templateKey?: string;

  @ApiPropertyOptional({ description: "Language of the letter text; default each contact's own", example: 'zh-CN' })
  @IsOptional() @IsBcp47Locale()
  locale?: string;

  @ApiPropertyOptional({ description: 'Campaign the letters belong to' })
  @IsOptional() @IsString() @Length(1, 100)
  campaignId?: string;

  @ApiPropertyOptional({ description: 'Occasion, e.g. birthday:2026' })
  @IsOptional() @IsString() @Length(1, 200)
  occasionKey?: string;

  @ApiPropertyOptional({ description: 'Country the print house posts from; other addresses get a country line', example: 'CN' })
  @IsOptional() @IsCountryCode()
  postedFrom?: string;

  @ApiPropertyOptional({ description: 'Day ages are counted on (ISO 8601); default now', example: '2026-05-17' })
  @IsOptional() @IsDateString({ strict: true }) @MaxLength(40)
  asOf?: string;
}
