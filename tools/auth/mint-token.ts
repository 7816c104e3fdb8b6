import { mintToken, Role, ROLES } from '@tpo/platform';
import { devSecrets } from '../bootstrap/local-layout';

/**
 * `npm run token -- [--role admin|operator|viewer] [--subject name] [--sites a,b] [--ttl seconds]`
 * prints a bearer token for the local platform, signed with the local secret in .local/dev-secrets.json.
 * Production tokens come from the provider's identity provider (AUTH_JWT_PUBLIC_KEY).
 */
async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const role = (arg('role') ?? 'admin') as Role;
  if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  const token = await mintToken(devSecrets().jwtSecret, {
    subject: arg('subject') ?? `local-${role}`,
    roles: [role],
    sites: arg('sites')?.split(','),
    ttlSeconds: Number(arg('ttl') ?? 3600),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
