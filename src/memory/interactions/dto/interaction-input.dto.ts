import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsSmallJsonObject } from '../../../contacts/contact-validators';
import { CHANNELS, INTERACTION_KINDS, InteractionKind, MAX_BATCH } from '../interaction-rules';

export class PurchaseLineDto {
  @ApiProperty({ example: 'rice-5kg', description: 'Your product code; run-out predictions are per product' })
  @IsString() @Length(1, 100)
  productKey: string;

  @IsOptional() @IsString() @MaxLength(200)
  name?: string;

  @ApiProperty({ example: 1 })
  @IsNumber({ maxDecimalPlaces: 3, allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(999_999_999)
  quantity: number;

  @ApiPropertyOptional({ example: 'bag' })
  @IsOptional() @IsString() @MaxLength(20)
  unit?: string;

  @ApiPropertyOptional({ example: 45.5 })
  @IsOptional() @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false }) @Min(0) @Max(999_999_999_999)
  unitPrice?: number;
}

/** One interaction as clients send it; which fields apply depends on `kind` (checked by the service). */
export class InteractionInputDto {
  @ApiProperty({ description: 'Your id for this event; sending it again is harmless', example: 'pos-2025-000123' })
  @IsString() @Length(1, 200) @Matches(/^[\x21-\x7e]+$/, { message: 'eventId must be printable ASCII without spaces' })
  eventId: string;

  @ApiProperty({ enum: INTERACTION_KINDS })
  @IsIn(INTERACTION_KINDS)
  kind: InteractionKind;

  @ApiPropertyOptional({ description: 'When it happened (default: now); may be in the past, not in the future' })
  @IsOptional() @IsISO8601({ strict: true })
  occurredAt?: string;

  @ApiPropertyOptional({ enum: CHANNELS, description: 'Required for message_* kinds (email, sms or mail)' })
  @IsOptional() @IsIn(CHANNELS)
  channel?: string;

  @ApiPropertyOptional({ description: 'Purchases and service visits; default for a purchase: the sum of its lines' })
  @IsOptional() @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false }) @Min(0) @Max(999_999_999_999)
  amount?: number;

  @ApiPropertyOptional({ example: 'CNY', description: 'ISO 4217; required with an amount or unit prices' })
  @IsOptional() @IsString()
  currency?: string;

  @ApiPropertyOptional({ description: 'What happened; for an open topic, the topic to raise next time' })
  @IsOptional() @IsString() @Length(1, 2000)
  summary?: string;

  @ApiPropertyOptional({ description: 'Anything else worth keeping, as a JSON object' })
  @IsOptional() @IsSmallJsonObject(8192)
  details?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'The message (contact_messages.id) a message_* event is about' })
  @IsOptional() @IsUUID()
  messageId?: string;

  @ApiPropertyOptional({ type: [PurchaseLineDto] })
  @IsOptional() @IsArray() @ArrayMaxSize(200) @ValidateNested({ each: true }) @Type(() => PurchaseLineDto)
  items?: PurchaseLineDto[];
}

export class BatchInteractionDto extends InteractionInputDto {
  @ApiProperty()
  @IsUUID()
  contactId: string;
}

export class InteractionBatchDto {
  @ApiProperty({ type: [BatchInteractionDto], maxItems: MAX_BATCH })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_BATCH) @ValidateNested({ each: true }) @Type(() => BatchInteractionDto)
  items: BatchInteractionDto[];
}
