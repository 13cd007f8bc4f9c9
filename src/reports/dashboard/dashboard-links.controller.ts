import { Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../auth/actor';
import { CampaignScoped, RequireRole } from '../../auth/decorators';
import { DashboardAccessService } from './dashboard-access.service';

@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports/dashboard-links')
export class DashboardLinksController {
  constructor(private readonly access: DashboardAccessService) {}

  /**
   * A link that opens the read-only dashboard in a browser, valid for ten minutes, for this key's
   * rights. A read needs only a viewer key, so this POST (it writes nothing) does too. Open to
   * campaign-scoped keys: the session carries the key's scope, and every page applies it.
   */
  @RequireRole('viewer')
  @CampaignScoped()
  @Post()
  create(@CurrentActor() actor: Actor): { url: string; expiresAt: string } {
    return this.access.link(actor);
  }
}
