import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  IsBcp47Locale,
  IsCountryCode,
  IsIanaTimeZone,
  IsOptionalButNotNull,
  IsPastCalendarDate,
  IsSmallJsonObject,
  IsTagList,
} from '../contact-validators';

// A nested DTO needs @IsObject(): @ValidateNested() alone accepts an array of them (even an empty one).
const objectMessage = (name: string) => ({ message: `${name} must be a JSON object` });

export class PostalAddressDto {
  @IsOptional() @IsString() @MaxLength(200) street?: string;
  @IsOptional() @IsString() @MaxLength(20) houseNumber?: string;
  @IsOptional() @IsString() @MaxLength(200) extra?: string;
  @IsOptional() @IsString() @MaxLength(20) postcode?: string;
  @IsOptional() @IsString() @MaxLength(100) city?: string;
  @IsOptional() @IsString() @MaxLength(100) district?: string;
  @IsOptional() @IsString() @MaxLength(100) state?: string;
  @ApiProperty({ example: 'CN' }) @IsCountryCode() country: string;
}

export class ConsentInputDto {
  @IsBoolean() granted: boolean;

  @ApiPropertyOptional({ description: 'The exact wording the person agreed to' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  text?: string;

  @ApiPropertyOptional({ description: 'Where the consent was given, e.g. "shop counter form"' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  source?: string;
}

export class ConsentSetDto {
  @IsOptional() @IsObject(objectMessage('email')) @ValidateNested() @Type(() => ConsentInputDto) email?: ConsentInputDto;
  @IsOptional() @IsObject(objectMessage('sms')) @ValidateNested() @Type(() => ConsentInputDto) sms?: ConsentInputDto;
  @IsOptional() @IsObject(objectMessage('mail')) @ValidateNested() @Type(() => ConsentInputDto) mail?: ConsentInputDto;
}

/**
 * Fields of a contact as the API and the importer accept them. `null` clears a field on update,
 * except tags, attributes and lunarBirthdayLeap, which always have a value (`[]`, `{}`, `false`).
 */
export class ContactInputDto {
  @ApiPropertyOptional({ description: 'Your own id for this customer' })
  @IsOptional() @IsString() @Length(1, 100)
  externalId?: string | null;

  @IsOptional() @IsString() @Length(1, 100) givenName?: string | null;
  @IsOptional() @IsString() @Length(1, 100) familyName?: string | null;

  @ApiPropertyOptional({ example: 'Mr Li' })
  @IsOptional() @IsString() @Length(1, 100)
  formOfAddress?: string | null;

  @IsOptional() @IsEmail({}, { message: 'email must be a valid e-mail address' }) @MaxLength(254)
  email?: string | null;

  @ApiPropertyOptional({ description: 'Any common format; stored as E.164', example: '+86 138 0013 8000' })
  @IsOptional() @IsString() @MaxLength(32)
  phone?: string | null;

  @IsOptional() @IsObject(objectMessage('address')) @ValidateNested() @Type(() => PostalAddressDto)
  address?: PostalAddressDto | null;

  @ApiPropertyOptional({ example: 'zh-CN' })
  @IsOptional() @IsBcp47Locale()
  locale?: string | null;

  @ApiPropertyOptional({ example: 'Asia/Shanghai' })
  @IsOptional() @IsIanaTimeZone()
  timeZone?: string | null;

  @ApiPropertyOptional({ example: '1980-05-17' })
  @IsOptional() @IsPastCalendarDate()
  birthday?: string | null;

  @IsOptional() @IsInt() @Min(1) @Max(12) lunarBirthdayMonth?: number | null;
  @IsOptional() @IsInt() @Min(1) @Max(30) lunarBirthdayDay?: number | null;
  @IsOptionalButNotNull() @IsBoolean() lunarBirthdayLeap?: boolean;

  @IsOptionalButNotNull() @IsTagList()
  tags?: string[];

  @ApiPropertyOptional({ description: 'Custom attributes, filterable', example: { tier: 'gold' } })
  @IsOptionalButNotNull() @IsSmallJsonObject(16_384)
  attributes?: Record<string, unknown>;
}

export class CreateContactDto extends ContactInputDto {
  @ApiPropertyOptional({ type: ConsentSetDto })
  @IsOptional() @IsObject(objectMessage('consent')) @ValidateNested() @Type(() => ConsentSetDto)
  consent?: ConsentSetDto;
}

export class UpdateContactDto extends CreateContactDto {}
