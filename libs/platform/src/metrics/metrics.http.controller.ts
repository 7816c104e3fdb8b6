import { Controller, Get, Header } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/roles';
import { PlatformMetrics } from './metrics';

/** Scraped by Prometheus on the internal network; carries no tenant data. */
@Controller('metrics')
@ApiTags('operations')
@Public()
@SkipThrottle()
export class MetricsHttpController {
  constructor(private readonly metrics: PlatformMetrics) {}

  @Get()
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
