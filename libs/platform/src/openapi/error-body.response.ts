import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class ErrorDetail {
  @ApiProperty({
    description:
      'Stable machine-readable code: a domain code (e.g. TENANT_NOT_FOUND) or the HTTP status name (e.g. BAD_REQUEST, UNAUTHORIZED)',
    example: 'TENANT_NOT_FOUND',
  })
  code: string;

  @ApiProperty({ description: 'Human-readable message; never a stack trace', example: 'tenant 6d0f… not found' })
  message: string;

  @ApiPropertyOptional({
    description: 'Code-specific details; for validation failures `fields` lists one message per invalid field path',
    type: 'object',
    additionalProperties: true,
    example: { fields: ['vms.0.biosUuid must be a UUID'] },
  })
  details?: Record<string, unknown>;
}

/** The body of every error answer (DomainErrorHttpFilter and the body-parser handler). */
export class ErrorBody {
  @ApiProperty({ type: ErrorDetail })
  error: ErrorDetail;

  @ApiPropertyOptional({ description: "The request's correlation id (also in the X-Correlation-Id response header)" })
  correlationId?: string;
}
