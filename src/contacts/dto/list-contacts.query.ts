import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const asArray = ({ value }: { value: unknown }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

export class ListContactsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit = 50;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional() @IsString() @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ description: 'Only contacts with every one of these tags', type: [String] })
  @IsOptional() @Transform(asArray) @ArrayMaxSize(10) @IsString({ each: true }) @MaxLength(64, { each: true })
  tag?: string[];

  @ApiPropertyOptional({ description: 'key:value on custom attributes, e.g. tier:gold', type: [String] })
  @IsOptional() @Transform(asArray) @ArrayMaxSize(10) @IsString({ each: true })
  @Matches(/^[^:]{1,64}:.{0,200}$/, { each: true, message: 'attribute must be written key:value' })
  attribute?: string[];

  @ApiPropertyOptional({ description: 'Text contained in the name, e-mail or phone' })
  @IsOptional() @IsString() @MaxLength(200)
  q?: string;
}
