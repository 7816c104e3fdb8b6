import {
  SEED_LA_OTHER_SECTION,
  SEED_LA_OTHER_VALUES,
  SEED_LA_REFERENCE_VALUES,
  SEED_LA_SECTION,
  SEED_LIGHT_AGENT,
  SEED_PROTECTION_SERVER,
  SEED_PS_SECTION,
  SEED_PS_VALUES,
  SEED_REFERENCE_POLICY_FOLDER,
  SEED_REFERENCE_POLICY_IDS,
} from '../config/seed';
import { KscModel, MAIN_SERVER, Policy } from './ksc-model';
import { SettingsSection } from './ksc-settings-storage';

function section(values: Record<string, { value: unknown; locked: boolean }>): SettingsSection {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, { KLPRSS_Val: structuredClone(v.value), KLPRSS_Mnd: v.locked }]),
  );
}

/**
 * The reference policies a provider's admin made once in the console (config/seed.ts): one Light
 * Agent policy per OS family and the `standard` Protection Server policy, on the main server in
 * `Managed devices / TPO Reference Policies`, inactive (they are templates, not applied to anyone).
 */
export function seedReferencePolicies(ksc: KscModel): Policy[] {
  const folder =
    ksc.childGroup(MAIN_SERVER, 0, SEED_REFERENCE_POLICY_FOLDER) ??
    ksc.addGroup(MAIN_SERVER, SEED_REFERENCE_POLICY_FOLDER, 0);
  const la = Object.fromEntries(
    Object.entries(SEED_LA_REFERENCE_VALUES).map(([k, v]) => [k, { value: v, locked: false }]),
  );
  const made: Policy[] = [];
  for (const family of ['windows', 'linux'] as const) {
    const { product, version } = SEED_LIGHT_AGENT[family];
    made.push(
      ksc.addPolicy(
        MAIN_SERVER,
        {
          groupId: folder.id,
          name: `Light Agent for ${family === 'windows' ? 'Windows' : 'Linux'} - reference`,
          productName: product,
          productVersion: version,
          settings: {
            [product]: {
              [version]: { [SEED_LA_SECTION]: section(la), [SEED_LA_OTHER_SECTION]: section(SEED_LA_OTHER_VALUES) },
            },
          },
        },
        SEED_REFERENCE_POLICY_IDS[family],
      ),
    );
  }
  const ps = SEED_PROTECTION_SERVER;
  made.push(
    ksc.addPolicy(
      MAIN_SERVER,
      {
        groupId: folder.id,
        name: 'Protection Server standard - reference',
        productName: ps.product,
        productVersion: ps.version,
        settings: { [ps.product]: { [ps.version]: { [SEED_PS_SECTION]: section(SEED_PS_VALUES) } } },
      },
      SEED_REFERENCE_POLICY_IDS.protectionStandard,
    ),
  );
  return made;
}
