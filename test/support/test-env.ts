import { randomBytes } from 'node:crypto';
import { databaseUrlOf, LocalLayout, loadLocalLayout, ServiceLayout } from '@tpo/tools';

/** Integration tests run in their own database; each test file in its own stream and subjects. */
export const TEST_DATABASE = process.env.TPO_TEST_DATABASE ?? 'tpo_test';

export function testLayout(): LocalLayout {
  return loadLocalLayout({ database: TEST_DATABASE });
}

export function serviceLayout(name: string): ServiceLayout {
  const s = testLayout().services.find((x) => x.name === name);
  if (!s) throw new Error(`unknown service ${name}`);
  return s;
}

export function testDatabaseUrl(name: string): string {
  return databaseUrlOf(testLayout(), serviceLayout(name));
}

/** A fresh subject prefix + stream name, so test files never see each other's events. */
export function isolatedMessaging(): { prefix: string; stream: string } {
  const id = randomBytes(4).toString('hex');
  return { prefix: `it${id}`, stream: `IT_${id.toUpperCase()}` };
}
