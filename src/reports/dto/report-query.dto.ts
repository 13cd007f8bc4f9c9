import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { isIanaTimeZone } from '../../contacts/contact-validators';

@ValidatorConstraint({ name: 'ianaTimeZone' })
class IanaTimeZone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isIanaTimeZone(value);
  }
  defaultMessage(): string {
    return 'timeZone must be an IANA time zone such as Asia/Shanghai';
  }
}

export class ReportFormatQuery {
  @ApiPropertyOptional({ enum: ['json', 'csv'], description: 'csv: the same numbers as a spreadsheet' })
  @IsOptional()
  @IsIn(['json', 'csv'], { message: 'format must be json or csv' })
  format?: 'json' | 'csv';
}

export class TimelineQuery extends ReportFormatQuery {
  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'day' })
  @IsOptional()
  @IsIn(['hour', 'day'], { message: 'bucket must be hour or day' })
  bucket?: 'hour' | 'day';

  @ApiPropertyOptional({ example: 'Asia/Shanghai', description: 'Buckets start at local midnight (or the hour) in this zone; default UTC' })
  @IsOptional()
  @Validate(IanaTimeZone)
  timeZone?: string;
}
