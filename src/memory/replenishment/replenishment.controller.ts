import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../../auth/actor';
import { ParseId } from '../../common/parse-id.pipe';
import { DueReplenishmentQuery } from './dto/due-replenishment.query';
import { ProductConsumptionDto, ProductParams } from './dto/product-consumption.dto';
import { ReplenishmentService } from './replenishment.service';

@ApiTags('replenishment')
@ApiBearerAuth()
@Controller()
export class ReplenishmentController {
  constructor(private readonly replenishment: ReplenishmentService) {}

  @Get('contacts/:id/replenishment')
  ofContact(@Param('id', ParseId) id: string) {
    return this.replenishment.forContact(id);
  }

  /** The default daily consumption, used to predict the run-out after a customer's first purchase. */
  @Put('memory/products/:productKey/consumption')
  setConsumption(@Param() params: ProductParams, @Body() dto: ProductConsumptionDto, @CurrentActor() actor: Actor) {
    return this.replenishment.setProductConsumption(params.productKey, dto, actor);
  }

  /** Who to remind in a window of days: ?from=2026-03-01&to=2026-03-07&leadDays=3. */
  @Get('memory/replenishment/due')
  due(@Query() query: DueReplenishmentQuery) {
    return this.replenishment.dueBetween(query.from, query.to, query.leadDays);
  }
}
