import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PreparedStatements } from '../../common/prepared-statements';
import { ReplenishmentModule } from '../replenishment/replenishment.module';
import { AbcRepository } from './abc.repository';
import { ContactValue } from './contact-value.entity';
import { DerivedMemoryListener } from './derived-memory.listener';
import { DerivedMemoryRepository } from './derived-memory.repository';
import { ValueInsightsService } from './value-insights.service';
import { ValueReadRepository } from './value-read.repository';
import { ValueRecomputeJob } from './value-recompute.job';
import { ValueSignal } from './value-signal.entity';
import { ValueController } from './value.controller';
import { ValueRepository } from './value.repository';
import { ValueService } from './value.service';

/**
 * Derived customer value — figures, RFM, ABC, visit-frequency class, loyalty stage, lifetime value
 * and the signals when a class changes — and, through ReplenishmentModule, run-out predictions; both
 * kept current as interactions are recorded by DerivedMemoryListener.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ContactValue, ValueSignal]), ReplenishmentModule],
  controllers: [ValueController],
  providers: [ValueService, ValueInsightsService, ValueRepository, ValueReadRepository, AbcRepository, ValueRecomputeJob, DerivedMemoryListener, DerivedMemoryRepository, PreparedStatements],
  exports: [ValueService, ValueInsightsService, ReplenishmentModule],
})
export class ValueModule {}
