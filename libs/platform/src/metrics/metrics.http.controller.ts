import { Controller, Get, Header } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../auth/roles';
import { PlatformMetrics } from './metrics';

/** Scraped by Prometheus on the internal network; carries no tenant data. */
@Controller('metrics')
@Public()
@SkipThrottle()
export class MetricsHttpController {
  constructor(private readonly metrics: PlatformMetrics) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
