import { Module } from '@nestjs/common';
import { CareCalendar } from './care-calendar.service';
import { Clock, SystemClock } from './clock';

/** The care calendar and the clock campaigns read the time from; tests override `Clock`. */
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, CareCalendar],
  exports: [Clock, CareCalendar],
})
export class CalendarModule {}
