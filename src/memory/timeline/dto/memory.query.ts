import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class MemoryQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 20, description: 'Entries per list section (interactions, messages, decisions, signals), newest first' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit = 20;
}
