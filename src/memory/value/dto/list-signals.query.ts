import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { VALUE_DIMENSIONS, ValueDimension } from '../value-signal.entity';

export class ListSignalsQuery {
  @ApiPropertyOptional({ enum: VALUE_DIMENSIONS })
  @IsOptional() @IsIn(VALUE_DIMENSIONS)
  dimension?: ValueDimension;

  @ApiPropertyOptional({ description: 'The new value, e.g. light, B or loyal', example: 'light' })
  @IsOptional() @IsString() @MaxLength(20)
  to?: string;

  @ApiPropertyOptional({ description: 'Only changes detected at or after this time (ISO 8601)', example: '2026-01-01T00:00:00Z' })
  @IsOptional() @Type(() => Date) @IsDate({ message: 'since must be an ISO 8601 date or time' })
  since?: Date;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit = 100;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional() @IsString() @MaxLength(100)
  cursor?: string;
}
