import { KscPackageInfo, KscSession, PackagesApi } from '@tpo/ksc-client';
import type { Logger } from 'pino';
import { InstallSettings } from './install-settings';
import { StepFailure } from './step-failure';

/** Package ids inside the vAS (they differ from the main server's after retranslation). */
export interface VServerPackages {
  networkAgent: number;
  lightAgent: number;
}

function nameOf(p: KscPackageInfo): string {
  const n = p.KLPKG_NPI_NAME ?? p.KLPKG_DN;
  return typeof n === 'string' ? n : '';
}

/** The newest (highest id) package whose name contains `part`, ignoring case. */
function pick(list: KscPackageInfo[], part: string): KscPackageInfo | undefined {
  const matching = list.filter((p) => nameOf(p).toLowerCase().includes(part.toLowerCase()) && PackagesApi.packageId(p) !== undefined);
  return matching.sort((a, b) => PackagesApi.packageId(b)! - PackagesApi.packageId(a)!)[0];
}

/**
 * Phase B (ksc-openapi.md §3.7, §5 B1-B5): finds the Network Agent and Light Agent packages on the
 * main server and makes sure the vAS has a copy of each, retranslating (and waiting for the
 * asynchronous action on the main session that started it) only what is missing. ASSUMPTION: a
 * retranslated copy keeps the package name (GetPackages2 does not tell where a copy came from), so
 * "already there" is a lookup by name; only KLPKG_NPI_PKGID is confirmed, names are [U] (Q10).
 */
export async function preparePackages(
  main: KscSession,
  vas: KscSession,
  vServerId: number,
  settings: InstallSettings,
  logger: Logger,
  signal: AbortSignal,
): Promise<VServerPackages> {
  const onMain = await new PackagesApi(main).getPackages2();
  const wanted = [settings.networkAgentPackage, settings.lightAgentPackage].map((part) => {
    const p = pick(onMain, part);
    if (!p) throw new StepFailure('PACKAGE_NOT_FOUND', `the main Administration Server has no installation package named like "${part}"`);
    return p;
  });
  const inVas = new PackagesApi(vas);
  let present = await inVas.getPackages2();
  for (const p of wanted) {
    if (present.some((x) => nameOf(x) === nameOf(p))) continue;
    logger.info({ packageId: PackagesApi.packageId(p), vServerId }, 'retranslating an installation package into the virtual server');
    await new PackagesApi(main).retranslateToVServerAndWait(PackagesApi.packageId(p)!, vServerId, {}, { deadline: Date.now() + settings.packageDeadlineMs, signal });
    present = await inVas.getPackages2();
  }
  const [networkAgent, lightAgent] = wanted.map((p) => {
    const copy = present.find((x) => nameOf(x) === nameOf(p) && PackagesApi.packageId(x) !== undefined);
    if (!copy) throw new StepFailure('PACKAGE_NOT_IN_VSERVER', `package "${nameOf(p)}" is not in the virtual server after retranslation`);
    return PackagesApi.packageId(copy)!;
  });
  return { networkAgent, lightAgent };
}
