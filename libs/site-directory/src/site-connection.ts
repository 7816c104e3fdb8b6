import { Type } from 'class-transformer';
import { PushInstallAccount, SiteDeployment } from './site-deployment';
import {
  IsBoolean,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

/** How a client trusts a server certificate (see @tpo/kaspersky-http TlsTrust). */
export class TlsTrustDto {
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  caPem?: string;

  @IsOptional()
  @Matches(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, {
    message: 'pinSha256 is a SHA-256 fingerprint (64 hex digits, colons optional)',
  })
  pinSha256?: string;

  /** Lab only; logged loudly by every client. */
  @IsOptional()
  @IsBoolean()
  insecure?: boolean;
}

/** What every vendor server connection has: address, account, TLS trust. */
class ServerConnection {
  @Matches(/^https?:\/\/[^\s/]+(:\d+)?$/, { message: 'url is http(s)://host:port' })
  url!: string;

  @IsString()
  @MinLength(1)
  username!: string;

  @IsString()
  @MinLength(1)
  password!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => TlsTrustDto)
  tls?: TlsTrustDto;
}

export class IntegrationServerConnection extends ServerConnection {
  /** IP the tenants' Light Agents use to reach this Integration Server (default discovery address). */
  @IsIP(4)
  addressForAgents!: string;

  /** Port the tenants' Light Agents use to reach this Integration Server (integration-server-api.md §8.4; default 7271). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  agentPort?: number;
}

/** The vendor's default Integration Server port for Light Agents (integration-server-api.md §8.4). */
export const DEFAULT_INTEGRATION_SERVER_AGENT_PORT = 7271;

export class KscConnection extends ServerConnection {
  /** Address tenant admins and agents use for this KSC (handover: `<address>/<vAS name>`). */
  @IsString()
  @MaxLength(253)
  publicAddress!: string;

  /** Account the Remote Installation task uses on not-yet-managed VMs (passed via Tasks.ProtectPassword). */
  @IsOptional()
  @ValidateNested()
  @Type(() => PushInstallAccount)
  pushInstall?: PushInstallAccount;
}

export class SiteLicense {
  /** VMs the site's licenses cover (all tenants together); absent = not limited here. */
  @IsOptional()
  @IsInt()
  @Min(0)
  maxVms?: number;

  /** ISO date after which no new tenant is activated. */
  @IsOptional()
  @IsString()
  expiresAt?: string;
}

/** What a service needs to work against one site: addresses, credentials, limits. */
export class SiteConnection {
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/)
  id!: string;

  @IsString()
  @MaxLength(200)
  name!: string;

  @ValidateNested()
  @Type(() => IntegrationServerConnection)
  integrationServer!: IntegrationServerConnection;

  @ValidateNested()
  @Type(() => KscConnection)
  ksc!: KscConnection;

  @IsInt()
  @Min(1)
  @Max(500)
  maxVirtualServers!: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => SiteLicense)
  license?: SiteLicense;

  /** Packages, reference policies and captured setting names per OS family (see site-deployment.ts). */
  @IsOptional()
  @ValidateNested()
  @Type(() => SiteDeployment)
  deployment?: SiteDeployment;
}
