import { randomUUID } from 'node:crypto';
import { TenantCreatedV1 } from '@tpo/contracts';
import { IntegrationServerClient } from '@tpo/integration-server-client';

/** A Complete tenant on the simulated Integration Server (vAS + admin + tenant folder), and its TenantCreated data. */
export async function completeTenant(
  is: IntegrationServerClient,
  siteId: string,
  name: string,
  options: { protection?: TenantCreatedV1['protection']; osFamilies?: ('linux' | 'windows')[] } = {},
): Promise<TenantCreatedV1> {
  const task = await is.waitForTask(
    (
      await is.createTenant({
        name,
        type: 'Complete',
        vKsc: { name: `adm-${randomUUID().slice(0, 8)}`, password: 'S3cure!Passw0rd' },
      })
    ).taskId,
    { initialDelayMs: 20, maxDelayMs: 50, deadlineMs: 10_000 },
  );
  const tenant = task.result!.tenant!;
  return {
    tenantId: randomUUID(),
    siteId,
    orderId: `order-${randomUUID()}`,
    tenantName: name,
    integrationServerTenantId: tenant.id,
    virtualServerId: tenant.vKsc!.id!,
    adminAccountName: tenant.vKsc!.userName!,
    vms: (options.osFamilies ?? ['linux']).map((osFamily, i) => ({
      biosUuid: randomUUID(),
      name: `vm-0${i + 1}`,
      osFamily,
      address: `10.1.0.${11 + i}`,
    })),
    protection: options.protection,
  };
}
