import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

class IntegrationServerView {
  @ApiProperty() url: string;
  @ApiProperty() username: string;
  @ApiProperty({ description: 'IPv4 address agents use to reach the Integration Server' }) addressForAgents: string;
  @ApiProperty({
    type: 'integer',
    description: 'Port the Light Agents use to reach the Integration Server (default 7271)',
  })
  agentPort: number;
}

class PushInstallView {
  @ApiProperty({
    description:
      'Account the Remote Installation task uses on VMs the KSC does not manage yet (its password is write-only)',
  })
  username: string;
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

class PreflightCheckView {
  @ApiProperty({
    example: 'packages/linux',
    description:
      'integration-server, ksc, ksc-connection, deployment, reference-policy/<os family>, protection-profile/<id>, packages/<os family>, virtual-servers, license-keys, push-install-account',
  })
  name: string;
  @ApiProperty({ enum: ['passed', 'failed', 'warning'] }) status: string;
  @ApiProperty({ description: 'false only when the item failed (a warning does not block onboarding)' }) ok: boolean;
  @ApiProperty({ description: 'What was found, or what the admin must fix' }) message: string;
}

/** A site's last preflight. */
export class SitePreflightResponse {
  @ApiProperty({
    enum: ['passed', 'failed'],
    description: 'failed when any item failed: the site takes no new tenants until a preflight passes',
  })
  status: string;
  @ApiProperty({ enum: ['registration', 'schedule', 'request'], nullable: true, type: 'string' }) trigger:
    string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) checkedAt: Date | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Virtual servers on the KSC when checked (VServers.GetVServers(-1)), whoever made them',
  })
  kscVirtualServers: number | null;
  @ApiProperty({
    type: 'integer',
    description: 'Of those, the ones this platform did not make (they count against the 500 cap)',
  })
  otherVirtualServers: number;
  @ApiProperty({ type: PreflightCheckView, isArray: true }) checks: PreflightCheckView[];
}

/** A site as admins see it: never a password. */
@ApiExtraModels(SitePreflightResponse)
export class SiteResponse {
  @ApiProperty({ example: 'site-a' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ description: 'The Integration Server has its KSC connection configured' }) kscConfigured: boolean;
  @ApiProperty({
    description: 'Enabled, configured, not failed at its last preflight, and with a free virtual server slot',
  })
  eligible: boolean;
  @ApiProperty({ type: 'integer' }) maxVirtualServers: number;
  @ApiProperty({ type: 'integer' }) placedTenants: number;
  @ApiProperty({
    type: 'integer',
    description: 'Within maxVirtualServers and within the KSC cap of 500 counting the other virtual servers on the KSC',
  })
  freeVirtualServers: number;
  @ApiProperty({
    type: 'integer',
    description: 'Virtual servers on the KSC not made by this platform (last preflight)',
  })
  otherVirtualServers: number;
  @ApiProperty({ type: IntegrationServerView }) integrationServer: IntegrationServerView;
  @ApiProperty({ type: KscView }) ksc: KscView;
  @ApiPropertyOptional({ type: SiteLicenseView }) license?: SiteLicenseView;
  @ApiPropertyOptional({
    allOf: [{ $ref: getSchemaPath('SiteDeployment') }],
    description: 'Packages, reference policies and captured policy-setting names per OS family (as registered)',
  })
  deployment?: object;
  @ApiProperty({
    nullable: true,
    allOf: [{ $ref: getSchemaPath(SitePreflightResponse) }],
    description: 'The last preflight; null until the first one ran',
  })
  preflight: SitePreflightResponse | null;
  @ApiProperty({ enum: ['config', 'api'] }) source: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updatedAt: Date;
}

export class SiteListResponse {
  @ApiProperty({ type: SiteResponse, isArray: true }) items: SiteResponse[];
}
