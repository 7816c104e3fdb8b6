/** The REST shapes the page reads (tenant-service, activation-service, every service's dead letters). */
export interface Step {
  step: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  attempt?: number;
  startedAt?: string | null;
  endedAt?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
}

export interface Tenant {
  id: string;
  name: string;
  siteId: string;
  status: 'onboarding' | 'failed' | 'ready';
  currentStep: string;
  failure: { step: string; code: string; message: string; retryable?: boolean } | null;
  createdAt: string;
  updatedAt: string;
  readyAt: string | null;
  vms: Record<string, unknown>;
  timeline: Step[];
}

export interface Site {
  id: string;
  name: string;
  enabled: boolean;
  kscConfigured: boolean;
  eligible: boolean;
  maxVirtualServers: number;
  placedTenants: number;
  freeVirtualServers: number;
  license?: { maxVms?: number; expiresAt?: string };
  /** Present once the platform runs site preflights (issue 8). */
  preflight?: {
    status?: string;
    state?: string;
    checkedAt?: string;
    checks?: { name?: string; ok?: boolean; status?: string; message?: string }[];
  } | null;
}

export interface DeadLetter {
  id: string;
  subject: string;
  tenantId: string | null;
  reason: string;
  deliveries: number;
  status: string;
  createdAt: string;
  lastReplayError: string | null;
}

export interface Session {
  subject: string;
  roles: string[];
  sites: string[] | null;
  canAct: boolean;
  services: string[];
}

export interface Page<T> {
  items: T[];
  total?: number;
}
