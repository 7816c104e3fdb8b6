import { CredentialVerifier, mintToken } from './tokens';

const SECRET = 'unit-test-secret-of-at-least-32-characters!';
const verifier = () => new CredentialVerifier({ jwtSecret: SECRET, issuer: 'tpo', audience: 'tpo-admin' });

describe('CredentialVerifier.verifyJwt', () => {
  it('answers the same principal for the same token on every request', async () => {
    const v = verifier();
    const token = await mintToken(SECRET, { subject: 'alice', roles: ['operator'], sites: ['site-1'] });
    const first = await v.verifyJwt(token);
    const second = await v.verifyJwt(token);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ subject: 'alice', roles: ['operator'], via: 'jwt', sites: ['site-1'] });
  });

  it('still refuses a tampered copy of a token it accepted before', async () => {
    const v = verifier();
    const token = await mintToken(SECRET, { subject: 'bob', roles: ['viewer'] });
    await v.verifyJwt(token);
    const [h, p, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${sig}`;
    await expect(v.verifyJwt(forged)).rejects.toMatchObject({ status: 401 });
    const otherKey = await mintToken('another-secret-of-at-least-32-characters!!', {
      subject: 'bob',
      roles: ['admin'],
    });
    await expect(v.verifyJwt(otherKey)).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a remembered token once it has expired', async () => {
    const v = verifier();
    const token = await mintToken(SECRET, { subject: 'carol', roles: ['viewer'], ttlSeconds: 1 });
    await expect(v.verifyJwt(token)).resolves.toMatchObject({ subject: 'carol' });
    await new Promise((r) => setTimeout(r, 2100));
    await expect(v.verifyJwt(token)).rejects.toMatchObject({ status: 401 });
  });

  it('does not let a caller change the remembered principal', async () => {
    const v = verifier();
    const token = await mintToken(SECRET, { subject: 'erin', roles: ['viewer'] });
    const p = await v.verifyJwt(token);
    p.subject = 'mallory';
    expect(() => p.roles.push('admin')).toThrow();
    expect(await v.verifyJwt(token)).toMatchObject({ subject: 'erin', roles: ['viewer'] });
  });
});
