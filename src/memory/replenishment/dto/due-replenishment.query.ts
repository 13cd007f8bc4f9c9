import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export class DueReplenishmentQuery {
  @ApiProperty({ description: 'First reminder day, YYYY-MM-DD (inclusive)', example: '2026-03-01' })
  @Matches(ISO_DATE, { message: 'from must be a date YYYY-MM-DD' })
  from: string;

  @ApiProperty({ description: 'Last reminder day, YYYY-MM-DD (inclusive)', example: '2026-03-07' })
  @Matches(ISO_DATE, { message: 'to must be a date YYYY-MM-DD' })
  to: string;

  @ApiPropertyOptional({ description: 'Days before the run-out the reminder goes out', default: 3, minimum: 0, maximum: 60 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(60)
  leadDays?: number;
}
