import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { INTERACTION_KINDS, InteractionKind } from '../interaction-rules';
import { queryList } from '../query-params';

export class ListInteractionsQuery {
  @ApiPropertyOptional({ enum: INTERACTION_KINDS, isArray: true, description: 'Repeat or comma-separate to ask for several' })
  @IsOptional() @Transform(queryList) @ArrayMaxSize(INTERACTION_KINDS.length) @IsIn(INTERACTION_KINDS, { each: true })
  kind?: InteractionKind[];

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit = 50;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional() @IsString() @MaxLength(300)
  cursor?: string;
}
