export const SERVICE_NAMES = [
  'tenant-service',
  'svm-config-service',
  'agent-install-service',
  'registration-service',
  'activation-service',
] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];
