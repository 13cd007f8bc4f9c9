import { Module } from '@nestjs/common';
import { CareCalendar } from './care-calendar.service';
import { Clock, clockForProcess } from './clock';

/** The care calendar and the clock campaigns read the time from; tests override `Clock`. */
@Module({
  providers: [{ provide: Clock, useFactory: clockForProcess }, CareCalendar],
  exports: [Clock, CareCalendar],
})
export class CalendarModule {}
