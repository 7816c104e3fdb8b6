import { IsIn, IsOptional, IsString, Matches, MinLength, ValidateIf } from 'class-validator';
import { BaseServiceEnv } from '@tpo/platform';
import type { AddressClass } from '@tpo/kaspersky-http';
import { serviceKeyOf } from './service-token';

/** Environment of a service that works against sites (reads their connections from tenant-service). */
export class StepServiceEnv extends BaseServiceEnv {
  /**
   * tenant-service base URL for the internal site-connection API: https, or plain http only to a
   * loopback address (local development) or when SITE_DIRECTORY_PLAINTEXT=mesh-mtls declares that a
   * service mesh encrypts and authenticates the hop.
   */
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'SITE_DIRECTORY_URL must be an http(s) URL of tenant-service' })
  SITE_DIRECTORY_URL!: string;

  @IsOptional()
  @IsIn(['mesh-mtls'])
  SITE_DIRECTORY_PLAINTEXT?: 'mesh-mtls';

  /** Address classes Kaspersky servers may have beyond private/public (re-checked at every connect), e.g. `loopback` for a local simulator. */
  @IsOptional()
  @Matches(/^(loopback|link-local)(,(loopback|link-local))*$/, {
    message: 'SITE_URL_ALLOW is a comma list of: loopback, link-local',
  })
  SITE_URL_ALLOW?: string;

  /** This service's own key for the internal API (derived from tenant-service's INTERNAL_API_TOKEN). */
  @ValidateIf((o: StepServiceEnv) => !o.INTERNAL_API_TOKEN)
  @IsString({ message: "set INTERNAL_API_KEY (this service's key) or, less isolated, INTERNAL_API_TOKEN" })
  @MinLength(32)
  INTERNAL_API_KEY?: string;

  /** Fallback: the shared master secret, from which this service derives its key (every holder could sign as any service). */
  @IsOptional()
  @IsString()
  @MinLength(24)
  INTERNAL_API_TOKEN?: string;
}

/** SITE_URL_ALLOW as a list. */
export function allowedAddressClasses(value: string | undefined): AddressClass[] {
  return (value ?? '').split(',').filter(Boolean) as AddressClass[];
}

/** The key this service signs its internal-API tokens with. */
export function serviceKeyFromEnv(env: StepServiceEnv, service: string): string {
  return env.INTERNAL_API_KEY ?? serviceKeyOf(env.INTERNAL_API_TOKEN!, service);
}
