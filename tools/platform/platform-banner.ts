import { LocalPlatform } from './local-platform';

/** A page answers 200 (used to show the API docs link only where a service serves them). */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** What is running where: services (with their API docs when served), console, simulator. */
export async function platformBanner(platform: LocalPlatform, services: string[]): Promise<string[]> {
  const width = Math.max(...services.map((s) => s.length));
  const lines = ['', 'Platform is up:'];
  for (const name of services) {
    const url = platform.url(name);
    const docs = (await answers(`${url}/docs`)) ? `   API docs ${url}/docs` : '';
    lines.push(`  ${name.padEnd(width)}  ${url}${docs}`);
  }
  if (platform.consoleUrl) lines.push(`  ${'ops console'.padEnd(width)}  ${platform.consoleUrl}`);
  lines.push(`  ${'simulator admin'.padEnd(width)}  ${platform.simulator.adminUrl}`);
  return lines;
}

/** How to look at the running platform: console sign-in, CLI, curl. */
export function usageHints(platform: LocalPlatform): string[] {
  const lines = [''];
  if (platform.consoleUrl) {
    lines.push(`Ops console: open ${platform.consoleUrl} and sign in with a token from`);
    lines.push('  npm run --silent token -- --role operator     (viewer: look; operator: retry and replay)');
  }
  lines.push('CLI (another terminal, in this directory):');
  lines.push('  export TPO_TOKEN=$(npm run --silent token -- --role admin)');
  lines.push('  npx tpo tenants list');
  lines.push('  npx tpo tenants order docs/examples/tenant-order.json --watch');
  lines.push('  npx tpo --help');
  return lines;
}
