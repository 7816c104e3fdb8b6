import { KscSession } from '@tpo/ksc-client';
import { SiteDeployment } from '@tpo/site-directory';
import { StepFailure } from './step-failure';
import { TrackedVm, VmPhase, VmProgress } from './vm-progress';
import { VmFacts } from './vm-task-flow';
import { validateVms } from './vm-validation';

const pkg = (id: number, name: string, product: string) => ({
  KLPKG_NPI_PKGID: id,
  KLPKG_NPI_NAME: name,
  KLPKG_NPI_PRODUCT_NAME: product,
  KLPKG_NPI_PRODUCT_VERSION: '1.0',
});

const deployment = {
  osFamilies: [
    {
      osFamily: 'windows',
      networkAgentPackage: { productName: '1103', nameContains: 'for Windows' },
      lightAgentPackage: { productName: 'LA_WIN' },
    },
    {
      osFamily: 'linux',
      networkAgentPackage: { productName: '1103', nameContains: 'for Linux' },
      lightAgentPackage: { productName: 'LA_LINUX' },
    },
  ],
} as unknown as SiteDeployment;

function setup(
  vms: { name: string; facts: Partial<VmFacts> }[],
  packages = [
    pkg(1, 'Network Agent for Windows', '1103'),
    pkg(2, 'Network Agent for Linux', '1103'),
    pkg(3, 'LA win', 'LA_WIN'),
  ],
) {
  const calls: string[] = [];
  const main = {
    call: async (method: string) => (calls.push(method), { PxgRetVal: packages }),
  } as unknown as KscSession;
  const tracked: TrackedVm[] = vms.map((v) => ({
    biosUuid: v.name,
    name: v.name,
    status: 'pending',
    detail: {},
    errorCode: null,
    errorMessage: null,
  }));
  const progress = {
    vms: tracked,
    fail: async (list: TrackedVm[], phase: VmPhase, code: string, message: (vm: TrackedVm) => string) => {
      for (const vm of list)
        Object.assign(vm, { status: 'failed', detail: { phase }, errorCode: code, errorMessage: message(vm) });
    },
  } as unknown as VmProgress;
  const facts = new Map(
    vms.map((v) => [v.name, { name: v.name, osFamily: 'windows', address: '10.0.0.1', ...v.facts }]),
  );
  return { main, progress, facts, calls, tracked };
}

describe('validateVms (before any change on the KSC)', () => {
  it('fails each bad VM alone with a clear code, reading only the package list', async () => {
    const s = setup([
      { name: 'ok-win', facts: {} },
      { name: 'no-address', facts: { address: undefined } },
      { name: 'solaris', facts: { osFamily: 'solaris' } },
      { name: 'linux-no-la', facts: { osFamily: 'linux' } },
    ]);
    const families = await validateVms(s.main, s.progress, s.facts, deployment, 'site-1');
    expect(Object.fromEntries(s.tracked.map((vm) => [vm.name, vm.errorCode]))).toEqual({
      'ok-win': null,
      'no-address': 'VM_ADDRESS_REQUIRED',
      solaris: 'OS_FAMILY_NOT_CONFIGURED',
      'linux-no-la': 'PACKAGE_NOT_FOUND',
    });
    expect(s.tracked.find((vm) => vm.name === 'linux-no-la')!.errorMessage).toMatch(
      /no linux Light Agent \(product LA_LINUX\) installation package/,
    );
    expect(s.tracked.find((vm) => vm.name === 'solaris')!.errorMessage).toMatch(
      /"solaris" is not configured for site site-1 \(configured: windows, linux\)/,
    );
    expect([...families.keys()]).toEqual(['windows']);
    expect(families.get('windows')).toMatchObject({
      networkAgent: { id: 1 },
      lightAgent: { id: 3, product: 'LA_WIN' },
    });
    expect(s.calls).toEqual(['PackagesApi.GetPackages2']);
  });

  it('a site without a deployment configuration fails the step, calling nothing', async () => {
    const s = setup([{ name: 'vm', facts: {} }]);
    await expect(validateVms(s.main, s.progress, s.facts, undefined, 'site-1')).rejects.toMatchObject({
      code: 'DEPLOYMENT_NOT_CONFIGURED',
    });
    await expect(validateVms(s.main, s.progress, s.facts, undefined, 'site-1')).rejects.toBeInstanceOf(StepFailure);
    expect(s.calls).toEqual([]);
  });
});
