import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PreparedStatements } from '../../common/prepared-statements';
import { Interaction } from './interaction.entity';
import { InteractionHooks } from './interaction-hooks';
import { InteractionsController } from './interactions.controller';
import { InteractionsRepository } from './interactions.repository';
import { InteractionsService } from './interactions.service';
import { OpenTopicsService } from './open-topics.service';
import { PurchaseLine } from './purchase-line.entity';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Interaction, PurchaseLine])],
  controllers: [InteractionsController],
  providers: [InteractionHooks, InteractionsService, InteractionsRepository, OpenTopicsService, PreparedStatements],
  exports: [InteractionHooks, InteractionsService, OpenTopicsService],
})
export class InteractionsModule {}
