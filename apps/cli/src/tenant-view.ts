/** The REST shapes of tenant-service and the step services the CLI reads (GET /v1/tenants/:id etc.). */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface TimelineEntry {
  step: string;
  status: StepStatus;
  attempt?: number;
  startedAt?: string | null;
  endedAt?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
}

export interface TenantSummary {
  id: string;
  orderId: string;
  name: string;
  siteId: string;
  status: 'onboarding' | 'failed' | 'ready';
  currentStep: string;
  adminAccountName: string;
  failure: { step: string; code: string; message: string; retryable?: boolean } | null;
  createdAt: string;
  readyAt: string | null;
  duplicate?: boolean;
}

export interface TenantDetail extends TenantSummary {
  virtualAdministrationServer?: { id: number | string; name?: string; address: string; connectionString?: string };
  vms: Record<string, unknown>;
  initialAdminPassword: { state: string };
  timeline: TimelineEntry[];
}

/** Per-VM states of a VM step, from the service running it. */
export interface VmCounts {
  total: number;
  succeeded: number;
  failed: number;
  inProgress: number;
}

export interface Handover {
  adminAccountName: string;
  password: string;
  administrationServer: { connectionString: string };
  advice: string;
}

/** Steps that track each VM, the service running them and where it shows the VMs' states (activation is per tenant). */
export const VM_STEPS: Record<string, { service: string; path: string }> = {
  'install-agents': { service: 'agent-install-service', path: '/v1/installs' },
  'register-vms': { service: 'registration-service', path: '/v1/registrations' },
};
