import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Max, Min, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
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

export class OverviewQuery extends ReportFormatQuery {
  @ApiPropertyOptional({ default: 8, minimum: 1, maximum: 104 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'weeks must be a whole number from 1 to 104' })
  @Min(1, { message: 'weeks must be a whole number from 1 to 104' })
  @Max(104, { message: 'weeks must be a whole number from 1 to 104' })
  weeks?: number;

  @ApiPropertyOptional({ default: 6, minimum: 1, maximum: 36 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'months must be a whole number from 1 to 36' })
  @Min(1, { message: 'months must be a whole number from 1 to 36' })
  @Max(36, { message: 'months must be a whole number from 1 to 36' })
  months?: number;

  @ApiPropertyOptional({ example: 'Asia/Shanghai', description: 'Weeks start on Monday and months on the 1st in this zone; default UTC' })
  @IsOptional()
  @Validate(IanaTimeZone)
  timeZone?: string;

  @ApiPropertyOptional({ description: 'End of the window (ISO 8601 instant); default now' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 instant' })
  until?: string;
}

export class SegmentReportQuery extends ReportFormatQuery {
  @ApiPropertyOptional({ description: 'Only occasions due at or after this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 instant' })
  from?: string;

  @ApiPropertyOptional({ description: 'Only occasions due before this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 instant' })
  until?: string;

  @ApiPropertyOptional({ enum: ['email', 'sms', 'mail'] })
  @IsOptional()
  @IsIn(['email', 'sms', 'mail'], { message: 'channel must be email, sms or mail' })
  channel?: 'email' | 'sms' | 'mail';
}
