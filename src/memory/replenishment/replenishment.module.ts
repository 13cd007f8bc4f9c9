import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProductConsumptionDefault } from './product-consumption-default.entity';
import { ReplenishmentPrediction } from './replenishment-prediction.entity';
import { ReplenishmentController } from './replenishment.controller';
import { ReplenishmentRepository } from './replenishment.repository';
import { ReplenishmentService } from './replenishment.service';

/** Run-out predictions (the rice jar); kept current by the interaction hooks. */
@Module({
  imports: [TypeOrmModule.forFeature([ReplenishmentPrediction, ProductConsumptionDefault])],
  controllers: [ReplenishmentController],
  providers: [ReplenishmentService, ReplenishmentRepository],
  exports: [ReplenishmentService],
})
export class ReplenishmentModule {}
