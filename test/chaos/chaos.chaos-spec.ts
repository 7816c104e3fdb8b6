import { ChaosRig, chaosScenarios } from './chaos-scenarios';

/**
 * `npm run chaos`: the reliability scenarios (R1, R3, R5, R6, R7, R13, R14) at full size against
 * the real processes with real faults; each prints the checker's lines and a JSON line.
 * CHAOS_ORDERS / CHAOS_KILLS scale it.
 */
const size = {
  orders: Number(process.env.CHAOS_ORDERS ?? 20),
  kills: Number(process.env.CHAOS_KILLS ?? 12),
  quietMs: 300_000,
};

describe('chaos suite (full size): real processes, kill -9, NATS and PostgreSQL outages, vendor storms', () => {
  let rig: ChaosRig;
  const s = chaosScenarios(() => rig, size);

  beforeAll(async () => {
    rig = await ChaosRig.start();
  }, 180_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it(
    'R1: the same TenantRequested published twice with one Nats-Msg-Id: a duplicate PubAck, one tenant, one CreateTenant',
    s.R1,
    600_000,
  );
  it(
    'R3/R12: tenant-service killed -9 between the CreateTenant call and its commit, Integration Server clock 2 min behind: one call, one tenant',
    s.R3,
    600_000,
  );
  it(
    'R3: svm-config-service killed -9 between Policy.CopyOrMovePolicy and its commit, activation-service between ActivateTenant and its commit: no duplicate policy, tenants ready',
    s.R3steps,
    600_000,
  );
  it('R14: kill -9 of random services during a burst: nothing lost, stuck or done twice', s.R14, 900_000);
  it('R5: nats-server killed -9 and restarted mid-burst: every acknowledged order onboarded once', s.R5, 900_000);
  it('R6: broker down while the API takes orders: 202s, then drained', s.R6, 900_000);
  it('R7: PostgreSQL connections cut mid-burst: no order lost, none twice', s.R7, 900_000);
  it(
    'R13: vendor 5xx storm, 429 bursts, dropped connections and a slow vendor: back-off, then all ready',
    s.R13,
    900_000,
  );
});
