import { DynamicModule, Type } from '@nestjs/common';
import { IntegrationServerClient } from '@tpo/integration-server-client';
import { RunningSimulator, Site } from '@tpo/kaspersky-simulator';
import { SiteConnection, SiteDirectoryModule } from '@tpo/site-directory';
import { NatsConnection } from 'nats';
import {
  applyTestTopology,
  deleteStream,
  Messaging,
  natsConnect,
  resetSchema,
  startTestService,
  TestService,
} from './harness';
import { SIM_IS_PASSWORD, startTestSimulator } from './simulator';
import { siteConnectionOf } from './sites';

export interface StepFixture {
  sim: RunningSimulator;
  site: Site;
  /** Client of the simulated Integration Server (to create the tenants a step works on). */
  is: IntegrationServerClient;
  nc: NatsConnection;
  svc: TestService;
  /** The site's connection as the service's directory serves it (mutable: a test may change its deployment or push account and restore it). */
  connection: SiteConnection;
  /** Starts the service again (after `svc.close()`), on the same stream and simulator. */
  restart(): Promise<TestService>;
  close(): Promise<void>;
}

/**
 * A step service in-process against a fresh simulator site (short task durations), its schema
 * emptied, its consumers on an isolated stream, and the site served by a static directory.
 */
export async function startStepFixture(options: {
  service: string;
  messaging: Messaging;
  consumes: string[];
  feature: Type | DynamicModule;
  prepareSite?: (site: Site) => void;
}): Promise<StepFixture> {
  const sim = await startTestSimulator([{ faults: { taskDurationsMs: { '*': 20 } } }]);
  const site = sim.sites[0];
  options.prepareSite?.(site);
  const is = new IntegrationServerClient({
    baseUrl: sim.endpoints[0].integrationServerUrl,
    password: SIM_IS_PASSWORD,
    timeoutMs: 5000,
  });
  const nc = await natsConnect();
  await resetSchema(options.service, ['outbox', 'inbox', 'dead_letter', 'job', 'step_vm', 'step_work']);
  await applyTestTopology(nc, options.messaging, { [options.service]: options.consumes });
  const connection = siteConnectionOf(sim);
  const start = () =>
    startTestService({
      service: options.service,
      messaging: options.messaging,
      imports: [SiteDirectoryModule.forStatic([connection]), options.feature],
    });
  const fixture: StepFixture = {
    sim,
    site,
    is,
    nc,
    connection,
    svc: await start(),
    restart: async () => (fixture.svc = await start()),
    close: async () => {
      await fixture.svc?.close();
      await deleteStream(nc, options.messaging);
      await nc.close();
      await is.close();
      await sim.close();
    },
  };
  return fixture;
}
