import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNumber, IsOptional, IsPositive, IsString, Length, Matches, Max, MaxLength } from 'class-validator';

export class ProductParams {
  @ApiProperty({ example: 'rice' })
  @IsString() @Length(1, 200) @Matches(/^\S(.*\S)?$/, { message: 'productKey must not start or end with spaces' })
  productKey: string;
}

export class ProductConsumptionDto {
  @ApiProperty({ description: 'Units of the product a household uses per day', example: 0.5 })
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 6 }) @IsPositive() @Max(1_000_000)
  dailyConsumption: number;

  @ApiPropertyOptional({ example: 'kg' })
  @IsOptional() @IsString() @MaxLength(20)
  unit?: string;
}
