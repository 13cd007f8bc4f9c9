import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactMessage } from './contact-message.entity';
import { ContactMessagesRepository } from './contact-messages.repository';
import { GoldfishGuard } from './goldfish-guard.service';
import { GuardDecisionRecord } from './guard-decision.entity';
import { GuardDecisionsController } from './guard-decisions.controller';
import { GuardDecisionsRepository } from './guard-decisions.repository';
import { GuardDecisionsService } from './guard-decisions.service';
import { GuardFactsRepository } from './guard-facts.repository';

/** The goldfish guard: the last word before any message leaves (send, defer until, or skip and why). */
@Module({
  imports: [TypeOrmModule.forFeature([ContactMessage, GuardDecisionRecord])],
  controllers: [GuardDecisionsController],
  providers: [GoldfishGuard, GuardDecisionsService, GuardFactsRepository, ContactMessagesRepository, GuardDecisionsRepository],
  exports: [GoldfishGuard],
})
export class GuardModule {}
