import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiExtraModels, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HEALTH_EXTRA_MODELS, LivenessResponse, ReadinessResponse } from './health.response';
import { Public } from '../auth/roles';
import { READINESS_CHECKS, ReadinessCheck, runReadinessChecks } from './readiness';

@Controller('health')
@ApiTags('operations')
@ApiExtraModels(...HEALTH_EXTRA_MODELS)
@Public()
@SkipThrottle()
export class HealthHttpController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  /** The process is up and its event loop answers. */
  @Get('live')
  @ApiOkResponse({ type: LivenessResponse, description: 'The process answers' })
  @HttpCode(200)
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  /** Postgres and NATS reachable, migrations applied, consumers present. */
  @Get('ready')
  @ApiOkResponse({ type: ReadinessResponse, description: 'Every dependency is ready' })
  @ApiServiceUnavailableResponse({
    type: ReadinessResponse,
    description: 'At least one dependency is not ready (see checks)',
  })
  async ready(@Res({ passthrough: true }) res: { status(code: number): unknown }) {
    const report = await runReadinessChecks(this.checks);
    res.status(report.status === 'ready' ? 200 : 503);
    return report;
  }
}
