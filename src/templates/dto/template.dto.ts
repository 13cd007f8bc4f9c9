import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import type { ChannelKind } from '../../channels/channel.types';
import { IsBcp47Locale, IsOptionalButNotNull, IsSmallJsonObject } from '../../contacts/contact-validators';
import { queryBoolean } from '../../memory/interactions/query-params';
import { CHANNELS, KEY_PATTERN, PARTIAL_PATTERN, VARIANT_PATTERN } from '../files/template-file-names';

/** Source sizes: far above any real message, low enough that a check and a compile stay quick. */
export const SOURCE_LIMITS = { subject: 500, html: 200_000, text: 50_000, body: 20_000 } as const;

const keyMessage = { message: 'key must be a-z, 0-9, - and _ (at most 64 characters), starting with a letter or digit' };
const variantMessage = { message: 'variant must be a-z, 0-9, - and _ (at most 32 characters) and not "text"' };
const layoutMessage = { message: 'layout must name a file in templates/layouts (a-z, 0-9, - and _)' };
const objectMessage = (name: string) => ({ message: `${name} must be a JSON object` });

/** The editable parts; which a channel takes is checked by the service (e-mail: subject, html, text; SMS and mail: body). */
export class TemplateContentDto {
  @ApiPropertyOptional({ description: 'E-mail subject (plain text, Handlebars)', example: 'Happy birthday, {{contact.givenName}}!' })
  @IsOptional() @IsString() @MaxLength(SOURCE_LIMITS.subject)
  subject?: string | null;

  @ApiPropertyOptional({ description: 'E-mail HTML body (escaped output)', example: '<p>{{greeting}},</p><p>Your usual {{prefLabels.drink}} is on us.</p>' })
  @IsOptional() @IsString() @MaxLength(SOURCE_LIMITS.html)
  html?: string | null;

  @ApiPropertyOptional({ description: 'E-mail plain-text part; without it the e-mail channel derives one from the HTML' })
  @IsOptional() @IsString() @MaxLength(SOURCE_LIMITS.text)
  text?: string | null;

  @ApiPropertyOptional({ description: 'SMS text or letter text', example: '{{greeting}}, happy birthday!' })
  @IsOptional() @IsString() @MaxLength(SOURCE_LIMITS.body)
  body?: string | null;

  @ApiPropertyOptional({ description: 'E-mail layout from templates/layouts', example: 'care' })
  @IsOptional() @IsString() @Matches(PARTIAL_PATTERN, layoutMessage)
  layout?: string | null;
}

export class CreateTemplateDto extends TemplateContentDto {
  @ApiProperty({ example: 'birthday', pattern: KEY_PATTERN.source })
  @IsString() @Matches(KEY_PATTERN, keyMessage)
  key: string;

  @ApiProperty({ enum: CHANNELS })
  @IsIn(CHANNELS)
  channel: ChannelKind;

  @ApiProperty({ example: 'zh-CN' })
  @IsString() @IsBcp47Locale()
  locale: string;

  @ApiPropertyOptional({ example: 'a', default: 'default' })
  @IsOptional() @IsString() @Matches(VARIANT_PATTERN, variantMessage)
  variant?: string;
}

/** Changes the draft (a new draft is started from the published version when there is none); `null` clears text or layout. */
export class UpdateTemplateDto extends TemplateContentDto {}

export class RollbackTemplateDto {
  @ApiProperty({ description: 'An earlier published version to publish again', example: 1 })
  @IsInt() @Min(1)
  version: number;
}

export class ListTemplatesQuery {
  @ApiPropertyOptional({ enum: CHANNELS })
  @IsOptional() @IsIn(CHANNELS)
  channel?: ChannelKind;

  @ApiPropertyOptional({ example: 'birthday' })
  @IsOptional() @IsString() @Matches(KEY_PATTERN, keyMessage)
  key?: string;

  @ApiPropertyOptional({ enum: ['file', 'database'] })
  @IsOptional() @IsIn(['file', 'database'])
  source?: 'file' | 'database';

  @ApiPropertyOptional({ default: false })
  @IsOptional() @Transform(queryBoolean) @IsBoolean()
  includeArchived = false;
}

export class PreviewTemplateDto {
  @ApiPropertyOptional({ description: 'Render for this contact, from what the memory layer knows (RenderContextService)' })
  @IsOptional() @IsUUID('all', { message: 'contactId must be a UUID' })
  contactId?: string;

  @ApiPropertyOptional({
    description: 'Sample data instead of a contact, merged over a built-in sample (same shape as the render context)',
    example: { contact: { givenName: 'Wei', familyName: 'Li', formOfAddress: 'Mr Li' }, prefs: { drink: 'tea' }, prefLabels: { drink: 'tea' } },
  })
  @IsOptional() @IsSmallJsonObject(64 * 1024)
  sample?: Record<string, unknown>;

  @ApiPropertyOptional({ description: "Locale of the preference labels; defaults to the template's" })
  @IsOptional() @IsString() @IsBcp47Locale()
  locale?: string;

  @ApiPropertyOptional({ description: 'Root extras: now, occasion, age, campaign, unsubscribeUrl, preferencesUrl (and a file template’s declared extras)' })
  @IsOptional() @IsSmallJsonObject(16 * 1024)
  extra?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'A database version to render; default the draft, else the published version' })
  @IsOptional() @IsInt() @Min(1)
  version?: number;

  @ApiPropertyOptional({ description: 'Unsaved changes to try: checked like a save, rendered, never stored', type: TemplateContentDto })
  @IsOptionalButNotNull() @IsObject(objectMessage('content')) @ValidateNested() @Type(() => TemplateContentDto)
  content?: TemplateContentDto;
}
