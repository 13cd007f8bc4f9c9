import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import { IsBcp47Locale, IsSmallJsonObject } from '../../contacts/contact-validators';

export class TestSendDto {
  @ApiPropertyOptional({ description: "Address or E.164 number to send to; default the contact's own (needed for printed mail)" })
  @IsOptional() @IsString() @MaxLength(320)
  to?: string;

  @ApiPropertyOptional({ description: 'Render for this contact (what the memory layer knows); else sample data' })
  @IsOptional() @IsUUID('all', { message: 'contactId must be a UUID' })
  contactId?: string;

  @ApiPropertyOptional({ description: 'Sample data instead of a contact, as for preview' })
  @IsOptional() @IsSmallJsonObject(64 * 1024)
  sample?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @IsBcp47Locale()
  locale?: string;

  @ApiPropertyOptional({ description: 'Root extras, as for preview' })
  @IsOptional() @IsSmallJsonObject(16 * 1024)
  extra?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'A database version to send; default the draft, else the published one' })
  @IsOptional() @IsInt() @Min(1)
  version?: number;
}
