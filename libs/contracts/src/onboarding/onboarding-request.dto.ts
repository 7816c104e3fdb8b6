import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsIP,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import {
  ACCOUNT_NAME_PATTERN,
  CONNECTION_TAG_PATTERN,
  MAX_VMS_PER_TENANT,
  NO_CONTROL_CHARS,
  ORDER_ID_PATTERN,
  SITE_ID_PATTERN,
  TENANT_NAME_PATTERN,
  VM_NAME_PATTERN,
} from './naming-rules';

export const OS_FAMILIES = ['windows', 'linux'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];

/** SVM path scope of the Light Agent's extended SVM selection (integration-server-api.md §8.3). */
export const SVM_PATH_SCOPES = ['any', 'same-hypervisor', 'same-cluster', 'same-datacenter'] as const;
export type SvmPathScope = (typeof SVM_PATH_SCOPES)[number];

export class VmSpec {
  /** BIOS UUID of the guest: the VM's identity in the Integration Server. */
  @IsUUID('all', { message: 'biosUuid must be a UUID (the VM BIOS UUID)' })
  biosUuid!: string;

  @Matches(VM_NAME_PATTERN, { message: 'name must be a host name: letters, digits and hyphens, 1-63 characters' })
  name!: string;

  @IsIn(OS_FAMILIES)
  osFamily!: OsFamily;

  @IsIP(4, { message: 'address must be an IPv4 address' })
  address!: string;
}

export class ProtectionOptions {
  /** Light Agent connection tags restricting which SVMs the tenant's agents may use. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @Matches(CONNECTION_TAG_PATTERN, { each: true, message: 'each connection tag is 1-64 letters, digits, _ or -' })
  connectionTags?: string[];

  @IsOptional()
  @IsIn(SVM_PATH_SCOPES)
  svmPathScope?: SvmPathScope;

  /** Protection Server settings profile configured per site (e.g. `standard`). */
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    message: 'protectionProfile is a profile id: lower-case letters, digits and hyphens',
  })
  protectionProfile?: string;

  /** Integration Server address the tenant's Light Agents use (preferredViisAddress); IPv4. */
  @IsOptional()
  @IsIP(4, { message: 'integrationServerAddress must be an IPv4 address' })
  integrationServerAddress?: string;
}

/**
 * One onboarding order, whether it came as a `TenantRequested` event or `POST /v1/tenants`:
 * both build and validate exactly this.
 */
export class OnboardingRequest {
  /** Idempotency key: the same order id always means the same tenant. */
  @Matches(ORDER_ID_PATTERN, { message: 'orderId is 1-100 characters: letters, digits, . _ : -' })
  orderId!: string;

  @MaxLength(64)
  @Matches(TENANT_NAME_PATTERN, {
    message:
      'tenantName is 1-64 letters, digits, spaces, . _ - (starting and ending with a letter or digit); no markup or control characters',
  })
  tenantName!: string;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @Matches(NO_CONTROL_CHARS, { message: 'description must not contain control characters' })
  description?: string;

  /** Free provider data, stored in the Integration Server's userData (CDATA, escaped safely). */
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  @Matches(NO_CONTROL_CHARS, { message: 'userData must not contain control characters' })
  userData?: string;

  @IsOptional()
  @Matches(SITE_ID_PATTERN, { message: 'preferredSiteId is a site id' })
  preferredSiteId?: string;

  /** The tenant administrator's account on the virtual Administration Server. */
  @Matches(ACCOUNT_NAME_PATTERN, {
    message: 'adminAccountName is 3-64 ASCII letters, digits, . _ - (starting and ending with a letter or digit)',
  })
  adminAccountName!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  // The identifier sees each item before @ValidateNested has judged it (a number, a VM whose biosUuid
  // is no string): it must not throw, or a malformed order would fail validation instead of being refused.
  @ArrayUnique((vm: VmSpec) => (typeof vm?.biosUuid === 'string' ? vm.biosUuid.toLowerCase() : vm?.biosUuid), {
    message: 'vms must not repeat a biosUuid',
  })
  @ValidateNested({ each: true })
  @Type(() => VmSpec)
  vms!: VmSpec[];

  @IsOptional()
  @ValidateNested()
  @Type(() => ProtectionOptions)
  protection?: ProtectionOptions;
}
