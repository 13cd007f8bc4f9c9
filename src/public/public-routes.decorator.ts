import { applyDecorators, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/decorators';
import { PublicPageFilter } from './public-page.filter';

/**
 * A controller of customer-facing pages: no API key, rate-limited per IP (PublicRouteThrottlerGuard
 * sees @Public), errors shown as plain HTML pages, and kept out of the API's OpenAPI document.
 */
export const PublicPageRoutes = () => applyDecorators(Public(), UseFilters(PublicPageFilter), ApiExcludeController());
