import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsOptionalButNotNull } from '../../contacts/contact-validators';
import { CAMPAIGN_STATUSES } from '../campaign.types';

const CHANNELS = ['email', 'sms', 'mail'] as const;

export class PrintOptionsDto {
  @IsOptional() @IsIn(['a4', 'letter', 'a6'])
  format?: 'a4' | 'letter' | 'a6';

  @IsOptional() @IsIn(['letter', 'birthday-card'])
  kind?: 'letter' | 'birthday-card';
}

/**
 * `schedule`, `trigger` and `audience` are unions and trees that class-validator cannot describe
 * usefully; campaign-input.ts checks them and names the bad field (`trigger.localTime`).
 */
export class CreateCampaignDto {
  @ApiProperty({ example: 'BMW birthday card' })
  @IsString() @Length(1, 200)
  name: string;

  @ApiProperty({ enum: ['broadcast', 'trigger'] })
  @IsIn(['broadcast', 'trigger'])
  kind: 'broadcast' | 'trigger';

  @ApiPropertyOptional({ description: 'A saved segment; or give `audience` inline; neither means every live contact.' })
  @IsOptional() @IsUUID()
  segmentId?: string;

  @ApiPropertyOptional({ description: 'A segment rule (see /segments), used when no segmentId is given.' })
  @IsOptional()
  audience?: unknown;

  @ApiProperty({ example: 'birthday', description: 'Template key; variants rotate per contact.' })
  @IsString() @Matches(/^[a-z0-9][a-z0-9._-]{0,99}$/, { message: 'templateKey must be a template key such as birthday' })
  templateKey: string;

  @ApiProperty({ example: ['email', 'sms', 'mail'], description: 'Fallback order when the contact has no usable preferred channel.' })
  @ArrayMinSize(1) @ArrayMaxSize(3) @IsIn(CHANNELS, { each: true })
  channels: Array<(typeof CHANNELS)[number]>;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @IsBoolean()
  preferContactChannel?: boolean;

  @ApiPropertyOptional({
    description: 'Broadcasts: {"type":"now"} | {"type":"at","at":"2027-05-17T02:00:00Z"} | {"type":"local","date":"2027-05-17","time":"10:00","fallbackTimeZone":"Asia/Shanghai"}',
  })
  @IsOptional() @IsObject()
  schedule?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Trigger campaigns: {"type":"birthday","localTime":"09:00"} and others, see README.', example: { type: 'birthday', localTime: '09:00' } })
  @IsOptional() @IsObject()
  trigger?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Goldfish guard policy overrides (capPerWindow, capWindowDays, contentWindowDays, quietHours, optInChannels).' })
  @IsOptional() @IsObject()
  guardPolicy?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'A care message (birthday, reminder) passes the frequency cap, though it still counts towards it.' })
  @IsOptional() @IsBoolean()
  careExempt?: boolean;

  @ApiPropertyOptional({ default: 5 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(20)
  maxAttempts?: number;

  @ApiPropertyOptional({ description: 'Printed mail: {"format":"a6","kind":"birthday-card"} (formats a4, letter, a6; kinds letter, birthday-card).' })
  @IsOptional() @ValidateNested() @Type(() => PrintOptionsDto)
  print?: PrintOptionsDto;
}

export class UpdateCampaignDto {
  @IsOptionalButNotNull() @IsString() @Length(1, 200)
  name?: string;

  @IsOptional() @IsUUID()
  segmentId?: string | null;

  @IsOptional()
  audience?: unknown;

  @IsOptionalButNotNull() @IsString() @Matches(/^[a-z0-9][a-z0-9._-]{0,99}$/, { message: 'templateKey must be a template key such as birthday' })
  templateKey?: string;

  @IsOptionalButNotNull() @ArrayMinSize(1) @ArrayMaxSize(3) @IsIn(CHANNELS, { each: true })
  channels?: Array<(typeof CHANNELS)[number]>;

  @IsOptionalButNotNull() @IsBoolean()
  preferContactChannel?: boolean;

  @IsOptionalButNotNull() @IsObject()
  schedule?: Record<string, unknown>;

  @IsOptionalButNotNull() @IsObject()
  trigger?: Record<string, unknown>;

  @IsOptionalButNotNull() @IsObject()
  guardPolicy?: Record<string, unknown>;

  @IsOptionalButNotNull() @IsBoolean()
  careExempt?: boolean;

  @IsOptionalButNotNull() @Type(() => Number) @IsInt() @Min(1) @Max(20)
  maxAttempts?: number;

  @IsOptionalButNotNull() @ValidateNested() @Type(() => PrintOptionsDto)
  print?: PrintOptionsDto;
}

export class ListCampaignsQuery {
  @IsOptional() @IsIn(CAMPAIGN_STATUSES)
  status?: (typeof CAMPAIGN_STATUSES)[number];

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;
}

export class DryRunQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Judge as of this instant (default now).' })
  @IsOptional() @IsString()
  at?: string;
}

export class RecipientsQuery {
  @IsOptional() @IsIn(['pending', 'processing', 'sending', 'sent', 'failed', 'skipped', 'dead'])
  state?: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;

  @IsOptional() @Type(() => Number) @IsInt() @Min(0)
  after?: number;
}
