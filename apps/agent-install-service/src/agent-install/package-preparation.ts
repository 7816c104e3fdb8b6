import { KscPackageInfo, KscSession, PackagesApi } from '@tpo/ksc-client';
import { PackageSelector } from '@tpo/site-directory';
import type { Logger } from 'pino';
import { InstallSettings } from './install-settings';
import { StepFailure } from './step-failure';

/** One installation package on the main server, as selected by the site's configuration. */
export interface MainPackage {
  id: number;
  name: string;
  product: string;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * The package a selector names among GetPackages2 (ksc-openapi-addendum.md §1.6): same
 * KLPKG_NPI_PRODUCT_NAME (and version when given), the name containing `nameContains` (ignoring
 * case) when given; the newest (highest id) of several. Never matched on display names.
 */
export function selectPackage(list: KscPackageInfo[], s: PackageSelector): MainPackage | undefined {
  const matching = list.filter(
    (p) =>
      PackagesApi.packageId(p) !== undefined &&
      text(p.KLPKG_NPI_PRODUCT_NAME) === s.productName &&
      (s.productVersion === undefined || text(p.KLPKG_NPI_PRODUCT_VERSION) === s.productVersion) &&
      (s.nameContains === undefined || text(p.KLPKG_NPI_NAME).toLowerCase().includes(s.nameContains.toLowerCase())),
  );
  const p = matching.sort((a, b) => PackagesApi.packageId(b)! - PackagesApi.packageId(a)!)[0];
  return p && { id: PackagesApi.packageId(p)!, name: text(p.KLPKG_NPI_NAME), product: text(p.KLPKG_NPI_PRODUCT_NAME) };
}

export function describeSelector(s: PackageSelector): string {
  return [
    `product ${s.productName}`,
    s.productVersion && `version ${s.productVersion}`,
    s.nameContains && `name containing "${s.nameContains}"`,
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * Phase B (ksc-openapi.md §3.7): makes sure the vAS has a copy of each main-server package given
 * (the Light Agent packages of the OS families in use), retranslating — and waiting for the
 * asynchronous action on the main session that started it — only what is missing, and returns
 * the vAS ids keyed by main-server id. ASSUMPTION: a retranslated copy keeps the package name and
 * product (GetPackages2 does not tell where a copy came from), so "already there" is that lookup.
 */
export async function preparePackages(
  main: KscSession,
  vas: KscSession,
  vServerId: number,
  wanted: MainPackage[],
  settings: InstallSettings,
  logger: Logger,
  signal: AbortSignal,
): Promise<Map<number, number>> {
  const inVas = new PackagesApi(vas);
  let present = await inVas.getPackages2();
  const copyOf = (p: MainPackage) =>
    present.find(
      (x) =>
        text(x.KLPKG_NPI_NAME) === p.name &&
        text(x.KLPKG_NPI_PRODUCT_NAME) === p.product &&
        PackagesApi.packageId(x) !== undefined,
    );
  for (const p of wanted) {
    if (copyOf(p)) continue;
    logger.info({ packageId: p.id, vServerId }, 'retranslating an installation package into the virtual server');
    await new PackagesApi(main).retranslateToVServerAndWait(
      p.id,
      vServerId,
      {},
      { deadline: Date.now() + settings.packageDeadlineMs, signal },
    );
    present = await inVas.getPackages2();
  }
  const ids = new Map<number, number>();
  for (const p of wanted) {
    const copy = copyOf(p);
    if (!copy)
      throw new StepFailure(
        'PACKAGE_NOT_IN_VSERVER',
        `package "${p.name}" is not in the virtual server after retranslation`,
      );
    ids.set(p.id, PackagesApi.packageId(copy)!);
  }
  return ids;
}
