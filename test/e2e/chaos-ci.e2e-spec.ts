import { ChaosRig, chaosScenarios } from '../chaos/chaos-scenarios';

/**
 * The CI-sized subset of `npm run chaos` (a few orders each). R7 (PostgreSQL outage) and R13 (vendor
 * storm) run only in the full suite: on the shared 2-core machine under heavy load they have failed
 * (orders not consumed within the quiet period after the outage; UNEXPECTED_ERROR after retries
 * during the storm) — open findings, see docs/reliability.md.
 */
const size = { orders: 2, kills: 2, quietMs: 150_000 };

describe('chaos suite (CI size): real processes, kill -9, NATS and PostgreSQL outages, vendor storms', () => {
  let rig: ChaosRig;
  const s = chaosScenarios(() => rig, size);

  beforeAll(async () => {
    rig = await ChaosRig.start();
  }, 180_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it(
    'R1: the same TenantRequested published twice with one Nats-Msg-Id: a duplicate PubAck, one tenant',
    s.R1,
    200_000,
  );
  it(
    'R3/R12: tenant-service killed -9 between the CreateTenant call and its commit, Integration Server clock 2 min behind: one call, one tenant',
    s.R3,
    200_000,
  );
  it(
    'R3: svm-config-service killed -9 between Policy.CopyOrMovePolicy and its commit, activation-service between ActivateTenant and its commit: no duplicate policy, tenants ready',
    s.R3steps,
    200_000,
  );
  it('R14: kill -9 of random services during a burst: nothing lost, stuck or done twice', s.R14, 250_000);
  it('R5: nats-server killed -9 and restarted mid-burst: every acknowledged order onboarded once', s.R5, 250_000);
});
