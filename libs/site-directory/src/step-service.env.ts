import { IsString, Matches, MinLength } from 'class-validator';
import { BaseServiceEnv } from '@tpo/platform';

/** Environment of a service that works against sites (reads their connections from tenant-service). */
export class StepServiceEnv extends BaseServiceEnv {
  /** tenant-service base URL for the internal site-connection API. */
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'SITE_DIRECTORY_URL must be an http(s) URL of tenant-service' })
  SITE_DIRECTORY_URL!: string;

  @IsString()
  @MinLength(24)
  INTERNAL_API_TOKEN!: string;
}
