import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

export class LivenessResponse {
  @ApiProperty({ enum: ['live'] })
  status: 'live';
}

class CheckResult {
  @ApiProperty()
  ok: boolean;

  @ApiPropertyOptional({ description: 'Why the check failed' })
  reason?: string;
}

export class ReadinessResponse {
  @ApiProperty({ enum: ['ready', 'not_ready'] })
  status: 'ready' | 'not_ready';

  @ApiProperty({
    description: 'One result per dependency (postgres, migrations, nats)',
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(CheckResult) },
  })
  checks: Record<string, CheckResult>;
}

export const HEALTH_EXTRA_MODELS = [CheckResult];
