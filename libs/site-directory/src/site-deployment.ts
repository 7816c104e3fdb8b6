import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

/**
 * How the platform deploys protection on one site: which KSC packages and reference policies to
 * use per OS family, and which captured policy-setting names to override.
 *
 * Kaspersky publishes neither the Light Agent product id for KSV LA 6.x nor the Light Agent /
 * Protection Server policy sections (ksc-openapi-addendum.md §0, §2.5, §5). The platform therefore
 * never invents them: the site's admin makes one reference policy per OS family in the console,
 * `npm run ksc:capture` reads it from the real KSC, and the captured names land here, reviewed.
 */

export const DEPLOYMENT_OS_FAMILIES = ['windows', 'linux'] as const;
export type DeploymentOsFamily = (typeof DEPLOYMENT_OS_FAMILIES)[number];

/** KSC product id of the Network Agent (ksc-openapi-addendum.md §1.6, DOCUMENTED: KSC13/a00019). */
export const NETWORK_AGENT_PRODUCT = '1103';

/** KSC name segments: ≤ 31 chars, none of `/\:*?"<>` (addendum §2.2, DOCUMENTED). */
const SS_NAME = /^[^/\\:*?"<>]{1,31}$/;
const SS_NAME_MESSAGE = 'is a settings-storage name: 1-31 characters, none of / \\ : * ? " < >';

/** Which installation package (`PackagesApi.GetPackages2`, `KLPKG_NPI_*`) to install. */
export class PackageSelector {
  /** `KLPKG_NPI_PRODUCT_NAME`, e.g. `1103` for the Network Agent; the Light Agent's as captured. */
  @Matches(SS_NAME, { message: `productName ${SS_NAME_MESSAGE}` })
  productName!: string;

  /** `KLPKG_NPI_PRODUCT_VERSION`; absent = any (the newest `KLPKG_NPI_PRODUCT_DISPL_VERSION` wins). */
  @IsOptional()
  @Matches(SS_NAME, { message: `productVersion ${SS_NAME_MESSAGE}` })
  productVersion?: string;

  /**
   * ASSUMPTION (addendum §1.6): when Windows and Linux packages report the same product, a
   * case-insensitive substring of `KLPKG_NPI_NAME` that tells them apart. Never a display name.
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  nameContains?: string;
}

/** A policy the site's admin made once in the console; the platform clones it per tenant. */
export class ReferencePolicy {
  /** `KLPOL_ID` on the main server. */
  @IsInt()
  @Min(1)
  policyId!: number;

  /** Expected `KLPOL_PRODUCT` / `KLPOL_VERSION`; a policy of another product is refused. */
  @Matches(SS_NAME, { message: `product ${SS_NAME_MESSAGE}` })
  product!: string;

  @Matches(SS_NAME, { message: `version ${SS_NAME_MESSAGE}` })
  version!: string;
}

/** One variable inside a policy's settings storage: section + variable name, as captured. */
export class SettingPath {
  @Matches(SS_NAME, { message: `section ${SS_NAME_MESSAGE}` })
  section!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  variable!: string;
}

/** Captured console values of the SVM path scope variable, per order scope (all optional). */
export class SvmPathScopeValues {
  @IsOptional() @IsString() @MaxLength(200) any?: string;
  @IsOptional() @IsString() @MaxLength(200) 'same-hypervisor'?: string;
  @IsOptional() @IsString() @MaxLength(200) 'same-cluster'?: string;
  @IsOptional() @IsString() @MaxLength(200) 'same-datacenter'?: string;
}

/**
 * The Light Agent policy variables the platform overrides (and locks) per tenant, as captured from
 * the reference policy. Every name here is an ASSUMPTION until captured from a real server.
 */
export class LightAgentSettingMap {
  /** SVM discovery method variable ("use the Integration Server"). */
  @ValidateNested()
  @Type(() => SettingPath)
  discoveryMethod!: SettingPath;

  /** The captured value that means "discover SVMs through the Integration Server". */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  discoveryMethodIntegrationServer!: string;

  @ValidateNested()
  @Type(() => SettingPath)
  integrationServerAddress!: SettingPath;

  @ValidateNested()
  @Type(() => SettingPath)
  integrationServerPort!: SettingPath;

  @IsOptional()
  @ValidateNested()
  @Type(() => SettingPath)
  connectionTags?: SettingPath;

  @IsOptional()
  @ValidateNested()
  @Type(() => SettingPath)
  svmPathScope?: SettingPath;

  /**
   * The captured value the console stores for each SVM path scope of an order (`any`,
   * `same-hypervisor`, `same-cluster`, `same-datacenter`). Absent = the order's scope is written as
   * is (ASSUMPTION until captured).
   */
  @IsOptional()
  @ValidateNested()
  @Type(() => SvmPathScopeValues)
  svmPathScopeValues?: SvmPathScopeValues;
}

/** What the platform needs to deploy agents and policies for one OS family on this site. */
export class OsFamilyDeployment {
  @IsIn(DEPLOYMENT_OS_FAMILIES)
  osFamily!: DeploymentOsFamily;

  @ValidateNested()
  @Type(() => PackageSelector)
  networkAgentPackage!: PackageSelector;

  @ValidateNested()
  @Type(() => PackageSelector)
  lightAgentPackage!: PackageSelector;

  @ValidateNested()
  @Type(() => ReferencePolicy)
  lightAgentPolicy!: ReferencePolicy;

  @ValidateNested()
  @Type(() => LightAgentSettingMap)
  lightAgentSettings!: LightAgentSettingMap;
}

/** A Protection Server settings profile: a reference policy the provider made for SVMs. */
export class ProtectionProfile {
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'id is a profile id: lower-case letters, digits and hyphens' })
  id!: string;

  @ValidateNested()
  @Type(() => ReferencePolicy)
  referencePolicy!: ReferencePolicy;
}

export const REBOOT_MODES = ['never', 'ask', 'force'] as const;
export type RebootMode = (typeof REBOOT_MODES)[number];

/** Remote Installation task behaviour (addendum §1.2 `KLTSK_RU_REBOOT_*`, DOCUMENTED). */
export class RemoteInstallOptions {
  /** Never force-reboot a tenant's VM unless the provider says so. */
  @IsOptional()
  @IsIn(REBOOT_MODES)
  rebootMode?: RebootMode;

  /** `KLTSK_RU_REBOOT_ASK_FOR_REBOOT_PERIOD`, minutes (rebootMode `ask`). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_080)
  askForRebootPeriodMinutes?: number;

  /** `KLTSK_RU_REBOOT_FORCE_REBOOT_PERIOD`, minutes (rebootMode `force`). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_080)
  forceRebootPeriodMinutes?: number;
}

export class SiteDeployment {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique((o: OsFamilyDeployment) => o?.osFamily, { message: 'osFamilies must not repeat an osFamily' })
  @ValidateNested({ each: true })
  @Type(() => OsFamilyDeployment)
  osFamilies!: OsFamilyDeployment[];

  @IsOptional()
  @IsArray()
  @ArrayUnique((p: ProtectionProfile) => p?.id, { message: 'protectionProfiles must not repeat an id' })
  @ValidateNested({ each: true })
  @Type(() => ProtectionProfile)
  protectionProfiles?: ProtectionProfile[];

  @IsOptional()
  @ValidateNested()
  @Type(() => RemoteInstallOptions)
  remoteInstall?: RemoteInstallOptions;
}

/** Push-install account for Remote Installation (sealed like the other site secrets). */
export class PushInstallAccount {
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  username!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}

export function deploymentFor(
  deployment: SiteDeployment | undefined,
  osFamily: string,
): OsFamilyDeployment | undefined {
  return deployment?.osFamilies.find((o) => o.osFamily === osFamily);
}
