import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsIanaTimeZone } from '../../../contacts/contact-validators';

/** The campaign page's selectors (a GET form): the timeline's bucket size and time zone. */
export class CampaignPageQuery {
  @IsOptional()
  @IsIn(['hour', 'day'], { message: 'bucket must be hour or day' })
  bucket?: 'hour' | 'day';

  @IsOptional()
  @IsIanaTimeZone()
  timeZone?: string;
}

/** The value page's window: months back from now, months starting in the time zone. */
export class ValuePageQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'months must be a whole number from 1 to 36' })
  @Min(1, { message: 'months must be a whole number from 1 to 36' })
  @Max(36, { message: 'months must be a whole number from 1 to 36' })
  months?: number;

  @IsOptional()
  @IsIanaTimeZone()
  timeZone?: string;
}
