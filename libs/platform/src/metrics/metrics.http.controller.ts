import { Controller, Get, Header } from '@nestjs/common';
import { PlatformMetrics } from './metrics';

@Controller('metrics')
export class MetricsHttpController {
  constructor(private readonly metrics: PlatformMetrics) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
