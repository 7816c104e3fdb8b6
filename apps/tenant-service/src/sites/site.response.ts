import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

class IntegrationServerView {
  @ApiProperty() url: string;
  @ApiProperty() username: string;
  @ApiProperty({ description: 'IPv4 address agents use to reach the Integration Server' }) addressForAgents: string;
  @ApiProperty({ type: 'integer', description: 'Port the Light Agents use to reach the Integration Server (default 7271)' }) agentPort: number;
}

class PushInstallView {
  @ApiProperty({ description: 'Account the Remote Installation task uses on VMs the KSC does not manage yet (its password is write-only)' }) username: string;
}

class KscView {
  @ApiProperty() url: string;
  @ApiProperty() username: string;
  @ApiProperty() publicAddress: string;
  @ApiPropertyOptional({ type: PushInstallView }) pushInstall?: PushInstallView;
}

class SiteLicenseView {
  @ApiPropertyOptional({ type: 'integer' }) maxVms?: number;
  @ApiPropertyOptional({ description: 'ISO date after which no new tenant is activated' }) expiresAt?: string;
}

/** A site as admins see it: never a password. */
export class SiteResponse {
  @ApiProperty({ example: 'site-a' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ description: 'The Integration Server has its KSC connection configured' }) kscConfigured: boolean;
  @ApiProperty({ description: 'Enabled, configured, and with a free virtual server slot' }) eligible: boolean;
  @ApiProperty({ type: 'integer' }) maxVirtualServers: number;
  @ApiProperty({ type: 'integer' }) placedTenants: number;
  @ApiProperty({ type: 'integer' }) freeVirtualServers: number;
  @ApiProperty({ type: IntegrationServerView }) integrationServer: IntegrationServerView;
  @ApiProperty({ type: KscView }) ksc: KscView;
  @ApiPropertyOptional({ type: SiteLicenseView }) license?: SiteLicenseView;
  @ApiPropertyOptional({
    allOf: [{ $ref: getSchemaPath('SiteDeployment') }],
    description: 'Packages, reference policies and captured policy-setting names per OS family (as registered)',
  })
  deployment?: object;
  @ApiProperty({ enum: ['config', 'api'] }) source: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updatedAt: Date;
}

export class SiteListResponse {
  @ApiProperty({ type: SiteResponse, isArray: true }) items: SiteResponse[];
}
