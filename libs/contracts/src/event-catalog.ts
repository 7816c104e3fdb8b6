import { EventDefinition } from './event-definition';
import { BackbonePing } from './events/backbone-ping.event';
import {
  AgentsInstalled,
  LicenseLimitReached,
  OnboardingRetryRequested,
  OnboardingStepFailed,
  SvmConfigured,
  TenantActivated,
  TenantCreated,
  TenantReady,
  TenantRequestDuplicate,
  TenantRequested,
  TenantRequestRejected,
  VmsRegistered,
} from './events/onboarding';
import { LicenseExpiring, LicenseLimitReachedV2Event, ProtectionReportReady } from './events/monitoring';
import {
  AgentsInstallRequested,
  AgentsReleased,
  AgentsReleaseRequested,
  VmsAdded,
  VmsAddRequested,
  VmsRemoved,
  VmsRemoveRequested,
  TenantDeprovisioned,
  TenantDeprovisionRequested,
  TenantOperationFailed,
  TenantOperationRejected,
  TenantResumed,
  TenantResumeRequested,
  TenantSuspended,
  TenantSuspendRequested,
} from './events/lifecycle';
import { SitePreflightCompleted } from './events/sites';

/** Every event the platform knows. Adding an event means adding it here (and to the docs). */
export const EVENT_CATALOG: readonly EventDefinition[] = [
  BackbonePing,
  TenantRequested,
  TenantRequestRejected,
  TenantRequestDuplicate,
  TenantCreated,
  SvmConfigured,
  AgentsInstalled,
  VmsRegistered,
  TenantActivated,
  LicenseLimitReached,
  OnboardingStepFailed,
  OnboardingRetryRequested,
  TenantReady,
  ProtectionReportReady,
  LicenseExpiring,
  LicenseLimitReachedV2Event,
  TenantSuspendRequested,
  TenantResumeRequested,
  TenantDeprovisionRequested,
  TenantOperationRejected,
  TenantSuspended,
  TenantResumed,
  TenantDeprovisioned,
  TenantOperationFailed,
  VmsAddRequested,
  VmsRemoveRequested,
  AgentsInstallRequested,
  VmsAdded,
  VmsRemoved,
  SitePreflightCompleted,
  AgentsReleaseRequested,
  AgentsReleased,
];

export function findEventByKey(key: string): EventDefinition | undefined {
  return EVENT_CATALOG.find((d) => d.key === key);
}
