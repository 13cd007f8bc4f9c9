import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsContactListCursor } from '../contact-validators';

const asArray = ({ value }: { value: unknown }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

const limitMessage = { message: 'limit must be a whole number from 1 to 200' };

export class ListContactsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt(limitMessage) @Min(1, limitMessage) @Max(200, limitMessage)
  limit = 50;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional() @IsString() @MaxLength(200) @IsContactListCursor()
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
