import { KscSession, PackagesApi } from '@tpo/ksc-client';
import { deploymentFor, SiteDeployment } from '@tpo/site-directory';
import { describeSelector, selectPackage } from './package-preparation';
import { StepFailure } from './step-failure';
import { TrackedVm, VmProgress } from './vm-progress';
import { FamilyPackages, VmFacts } from './vm-task-flow';

export const DEPLOYMENT_NOT_CONFIGURED = 'DEPLOYMENT_NOT_CONFIGURED';
export const OS_FAMILY_NOT_CONFIGURED = 'OS_FAMILY_NOT_CONFIGURED';
export const VM_ADDRESS_REQUIRED = 'VM_ADDRESS_REQUIRED';
export const PACKAGE_NOT_FOUND = 'PACKAGE_NOT_FOUND';

/**
 * Before anything changes on the KSC: every pending VM needs an address and an OS family the
 * site is configured for, and each OS family in use needs its Network Agent and Light Agent
 * packages on the main server (read with GetPackages2). A VM that fails a check fails alone with
 * a per-VM code; the rest go on. Returns the packages of each OS family still in use.
 */
export async function validateVms(
  main: KscSession,
  progress: VmProgress,
  facts: Map<string, VmFacts>,
  deployment: SiteDeployment | undefined,
  siteId: string,
): Promise<Map<string, FamilyPackages>> {
  if (!deployment) {
    throw new StepFailure(
      DEPLOYMENT_NOT_CONFIGURED,
      `site ${siteId} has no deployment configuration (packages per OS family); register it (npm run ksc:capture) and retry`,
    );
  }
  const pending = () => progress.vms.filter((vm) => vm.status === 'pending');
  const factsOf = (vm: TrackedVm) => facts.get(vm.biosUuid);
  const configured = deployment.osFamilies.map((f) => f.osFamily).join(', ');
  await progress.fail(
    pending().filter((vm) => !deploymentFor(deployment, factsOf(vm)?.osFamily ?? '')),
    'validation',
    OS_FAMILY_NOT_CONFIGURED,
    (vm) =>
      `osFamily "${factsOf(vm)?.osFamily ?? '(none)'}" is not configured for site ${siteId} (configured: ${configured})`,
  );
  await progress.fail(
    pending().filter((vm) => !factsOf(vm)?.address),
    'validation',
    VM_ADDRESS_REQUIRED,
    () => 'the VM has no address: its device is found, and the Network Agent pushed, by IPv4 address',
  );
  const inUse = new Set(
    progress.vms
      .filter((vm) => vm.status === 'pending' || vm.status === 'in_progress')
      .map((vm) => factsOf(vm)?.osFamily ?? ''),
  );
  const onMain = inUse.size === 0 ? [] : await new PackagesApi(main).getPackages2();
  const families = new Map<string, FamilyPackages>();
  for (const osFamily of inUse) {
    const d = deploymentFor(deployment, osFamily);
    if (!d) continue;
    const networkAgent = selectPackage(onMain, d.networkAgentPackage);
    const lightAgent = selectPackage(onMain, d.lightAgentPackage);
    if (networkAgent && lightAgent) {
      families.set(osFamily, { osFamily, networkAgent, lightAgent });
      continue;
    }
    const missing = [
      !networkAgent && `Network Agent (${describeSelector(d.networkAgentPackage)})`,
      !lightAgent && `Light Agent (${describeSelector(d.lightAgentPackage)})`,
    ]
      .filter(Boolean)
      .join(' and ');
    // Pending VMs, and VMs between tasks (none recorded) that would need these packages next.
    await progress.fail(
      progress.vms.filter(
        (vm) =>
          factsOf(vm)?.osFamily === osFamily &&
          (vm.status === 'pending' || (vm.status === 'in_progress' && !vm.detail.taskId)),
      ),
      'validation',
      PACKAGE_NOT_FOUND,
      () =>
        `the main Administration Server has no ${osFamily} ${missing} installation package; add it in the console or fix the site's deployment`,
    );
  }
  return families;
}
