import { LocalNatsCluster } from './nats-cluster';
import { ReplicatedPlatform } from './replicated-platform';

/** mulberry32: a small seeded generator, so a run's kill schedule can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ChaosTarget =
  { kind: 'nats-leader' } | { kind: 'service'; service: string } | { kind: 'stall'; service: string };

export interface ChaosEvent {
  target: string;
  /** Seconds since the run started. */
  atSeconds: number;
  /** Tenants still onboarding when the kill happened. */
  tenantsInFlight: number;
  downMs: number;
  /** Time from restart to /health/ready (services) or to the stream having a leader again (NATS: all replicas current). */
  recoveredAfterMs: number;
  leaderBefore?: string;
  /** The stream leader elected among the surviving nodes (undefined: no leader yet). */
  leaderWhileDown?: string;
}

export interface ChaosPlan {
  natsLeaderKills: number;
  serviceKillRounds: number;
  /** Services of which one replica is SIGSTOPped for `stallMs` (longer than the job lease) and then resumed. */
  stalls: string[];
  stallMs: number;
  /** Stalls happen in this window (ms after the start): while orders arrive, both replicas hold jobs. */
  stallWindowMs: [number, number];
  /** Kills happen at random moments in this window (ms after the run started). */
  windowMs: [number, number];
  downMs: [number, number];
}

/**
 * SIGKILLs at random moments of the window: the NATS node leading the stream (`natsLeaderKills`
 * times) and a random replica of every service (`serviceKillRounds` times each), each brought back
 * after a random pause; and stalls (SIGSTOP past the job lease, then SIGCONT) of one replica of the
 * `stalls` services, whose work another replica takes over while the stalled one must not finish it. Kills of different targets overlap freely; kills of one service, and of
 * NATS nodes, wait for the previous one to recover, so one replica per service (and one NATS node)
 * is down at a time and the cluster keeps its quorum.
 */
export async function runChaos(o: {
  plan: ChaosPlan;
  random: () => number;
  nats: LocalNatsCluster;
  platform: ReplicatedPlatform;
  stream: string;
  services: string[];
  replicas: number;
  startedAt: number;
  inFlight: () => Promise<number>;
}): Promise<ChaosEvent[]> {
  const between = ([lo, hi]: [number, number]) => Math.round(lo + o.random() * (hi - lo));
  const targets: { lane: string; target: ChaosTarget }[] = [];
  for (let i = 0; i < o.plan.natsLeaderKills; i++) targets.push({ lane: 'nats', target: { kind: 'nats-leader' } });
  for (let r = 0; r < o.plan.serviceKillRounds; r++)
    for (const service of o.services) targets.push({ lane: service, target: { kind: 'service', service } });

  for (let i = targets.length - 1; i > 0; i--) {
    const j = Math.floor(o.random() * (i + 1));
    [targets[i], targets[j]] = [targets[j], targets[i]];
  }
  // Stratified: the window is cut into one slot per kill and each kill lands at a random moment of its slot.
  const [lo, hi] = o.plan.windowMs;
  const slot = (hi - lo) / targets.length;
  const lanes = new Map<string, { at: number; target: ChaosTarget }[]>();
  targets.forEach(({ lane, target }, i) =>
    lanes.set(lane, [...(lanes.get(lane) ?? []), { at: Math.round(lo + (i + o.random()) * slot), target }]),
  );
  for (const service of o.plan.stalls)
    lanes.set(service, [
      ...(lanes.get(service) ?? []),
      { at: between(o.plan.stallWindowMs), target: { kind: 'stall', service } },
    ]);
  const events: ChaosEvent[] = [];
  const runLane = async (steps: { at: number; target: ChaosTarget }[]) => {
    for (const { at, target } of steps.sort((a, b) => a.at - b.at)) {
      await sleep(o.startedAt + at - Date.now());
      const down = between(o.plan.downMs);
      const atSeconds = Math.round((Date.now() - o.startedAt) / 100) / 10;
      const tenantsInFlight = await o.inFlight().catch(() => -1);
      let event: ChaosEvent;
      if (target.kind === 'nats-leader') {
        const leader = await waitLeader(o.nats, o.stream, 30_000);
        await o.nats.kill(leader);
        // Down until the two remaining nodes have elected a new stream leader (at most 20 s), and at least `down`.
        const killedAt = Date.now();
        let leaderWhileDown: string | undefined;
        while (Date.now() - killedAt < 20_000) {
          leaderWhileDown = await o.nats.streamLeader(o.stream);
          if (leaderWhileDown && leaderWhileDown !== leader && Date.now() - killedAt >= down) break;
          await sleep(250);
        }
        const natsDown = Date.now() - killedAt;
        const restarted = Date.now();
        await o.nats.restart(leader);
        await o.nats.waitStreamHealthy(o.stream, 60_000);
        event = {
          target: `nats:${leader} (stream leader)`,
          atSeconds,
          tenantsInFlight,
          downMs: natsDown,
          recoveredAfterMs: Date.now() - restarted,
          leaderBefore: leader,
          leaderWhileDown,
        };
      } else if (target.kind === 'stall') {
        const index = Math.floor(o.random() * o.replicas);
        await o.platform.stall(target.service, index, o.plan.stallMs);
        event = {
          target: `${target.service}#${index} (stalled: SIGSTOP, SIGCONT)`,
          atSeconds,
          tenantsInFlight,
          downMs: o.plan.stallMs,
          recoveredAfterMs: 0,
        };
      } else {
        const index = Math.floor(o.random() * o.replicas);
        await o.platform.kill(target.service, index);
        await sleep(down);
        event = {
          target: `${target.service}#${index}`,
          atSeconds,
          tenantsInFlight,
          downMs: down,
          recoveredAfterMs: await o.platform.restart(target.service, index),
        };
      }
      events.push(event);
      process.stdout.write(`[chaos] ${JSON.stringify(event)}\n`);
    }
  };
  await Promise.all([...lanes.values()].map(runLane));
  return events.sort((a, b) => a.atSeconds - b.atSeconds);
}

async function waitLeader(nats: LocalNatsCluster, stream: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const leader = await nats.streamLeader(stream);
    if (leader) return leader;
    await sleep(200);
  }
  throw new Error(`stream ${stream} has no leader after ${timeoutMs} ms`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
