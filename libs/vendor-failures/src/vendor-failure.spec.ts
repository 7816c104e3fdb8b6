import { IntegrationServerError, IsTaskFailedError, IsTaskTimeoutError } from '@tpo/integration-server-client';
import { KasperskyTransportError } from '@tpo/kaspersky-http';
import { KscAsyncActionError, KscAuthError, KscHttpError, KscMethodError, KscTimeoutError } from '@tpo/ksc-client';
import { DomainError } from '@tpo/platform';
import { classifyVendorError, isTransientVendorError } from './vendor-failure';

const isError = (status: number, body: string) => IntegrationServerError.fromResponse(status, body, 'CreateTenant');

describe('classifyVendorError (issue 9: one classifier for every step)', () => {
  it('a 400 with a vendor validation code is permanent: that code, not retryable until the input changes', () => {
    const f = classifyVendorError(
      isError(
        400,
        '<error><code>VIRMT_MandatoryParameterIsNotSpecified</code><message>The tenant name is not specified.</message></error>',
      ),
    );
    expect(f).toEqual({
      kind: 'permanent',
      code: 'VIRMT_MandatoryParameterIsNotSpecified',
      message: expect.stringContaining('not specified'),
      retryable: false,
    });
  });

  it('429 and 5xx from the Integration Server are transient', () => {
    expect(classifyVendorError(isError(503, 'busy')).kind).toBe('transient');
    expect(classifyVendorError(isError(429, '')).kind).toBe('transient');
    expect(
      classifyVendorError(isError(404, '<error><code>VIRMT_TenantWithSpecifiedIdNotFound</code></error>')),
    ).toMatchObject({
      kind: 'permanent',
      code: 'VIRMT_TenantWithSpecifiedIdNotFound',
    });
  });

  it('refused Integration Server credentials fail at once (retry after the site is fixed)', () => {
    expect(classifyVendorError(isError(403, 'denied'))).toMatchObject({
      kind: 'permanent',
      code: 'IS_AUTH_REFUSED',
      retryable: true,
    });
  });

  it('failed tasks carry the task code; a name clash needs an input change', () => {
    const task = (code: string) => new IsTaskFailedError({ id: 't1', state: 'Failed', error: { code, message: 'x' } });
    expect(classifyVendorError(task('KSC_ServiceNotConfigured'))).toMatchObject({
      kind: 'permanent',
      code: 'KSC_ServiceNotConfigured',
      retryable: true,
    });
    expect(classifyVendorError(task('VIRMT_TenantGroupAlreadyExists'))).toMatchObject({
      kind: 'permanent',
      retryable: false,
    });
    expect(classifyVendorError(new IsTaskTimeoutError('t1', undefined, 10)).kind).toBe('transient');
  });

  it('KSC: method errors carry KSC_<MODULE>_<code> (one spelling for every step), refused login fails at once, lost sessions back off', () => {
    expect(
      classifyVendorError(new KscMethodError(1106, 'KLSTD', 'access denied', 0, undefined, 'Policy.AddPolicy')),
    ).toEqual({
      kind: 'permanent',
      code: 'KSC_KLSTD_1106',
      message: expect.stringContaining('access denied'),
      retryable: true,
    });
    expect(classifyVendorError(new KscMethodError(5, 'kl-std', 'x')).code).toBe('KSC_KL_STD_5');
    expect(classifyVendorError(new KscAuthError(401, 'bad_credentials', 'refused'))).toMatchObject({
      kind: 'permanent',
      code: 'KSC_LOGIN_REFUSED',
    });
    expect(isTransientVendorError(new KscAuthError(403, 'session_ended', 'gone'))).toBe(true);
    expect(isTransientVendorError(new KscHttpError(503, '', 'Policy.AddPolicy'))).toBe(true);
    expect(classifyVendorError(new KscHttpError(400, '', 'Policy.AddPolicy'))).toMatchObject({
      kind: 'permanent',
      code: 'KSC_HTTP_400',
      retryable: false,
    });
    expect(isTransientVendorError(new KscTimeoutError('slow'))).toBe(true);
    const action = new KscAsyncActionError(
      2,
      { KLBLAG_ERROR_INFO: { KLBLAG_ERROR_CODE: 1104, KLBLAG_ERROR_MODULE: 'KLSTD' } },
      'g',
    );
    expect(classifyVendorError(action).code).toBe('KSC_KLSTD_1104');
  });

  it('transport: network and timeouts back off; a certificate mismatch does not', () => {
    expect(isTransientVendorError(new KasperskyTransportError('x', 'network'))).toBe(true);
    expect(isTransientVendorError(new KasperskyTransportError('x', 'timeout'))).toBe(true);
    expect(classifyVendorError(new KasperskyTransportError('x', 'tls'))).toMatchObject({
      kind: 'permanent',
      code: 'VENDOR_TLS_REJECTED',
    });
    expect(isTransientVendorError(new Error('boom'))).toBe(true);
  });

  it('domain errors keep their code and retry flag', () => {
    expect(classifyVendorError(new DomainError('TENANT_NAME_TAKEN_ON_SITE', 'taken'))).toMatchObject({
      kind: 'permanent',
      code: 'TENANT_NAME_TAKEN_ON_SITE',
      retryable: false,
    });
    expect(classifyVendorError(new DomainError('CREATE_IN_DOUBT', 'wait', { retryable: true })).kind).toBe('transient');
  });

  it('S2: a vendor error echoing the request never carries the password or its Base64', () => {
    const password = 'Xy7!pQ2#rT9$wE4%uI8^oP3&';
    const b64 = Buffer.from(password).toString('base64');
    const echo = `<error><code>VIRMT_InvalidTenantType</code><message>Bad request: &lt;vKsc&gt;&lt;user&gt;&lt;name&gt;adm&lt;/name&gt;&lt;password&gt;${b64}&lt;/password&gt;&lt;/user&gt;&lt;/vKsc&gt;</message></error>`;
    const f = classifyVendorError(isError(400, echo));
    expect(f.code).toBe('VIRMT_InvalidTenantType');
    expect(f.message).not.toContain(b64);
    expect(
      classifyVendorError(new Error(`failed: ${b64} / ${password}`), { knownSecrets: [password] }).message,
    ).not.toMatch(new RegExp(`${b64.slice(0, 12)}|Xy7`));
    // An unknown token that looks like Base64 is removed even without knowing the secret.
    expect(classifyVendorError(new Error(`password=${password} token ${b64}`)).message).not.toContain(b64);
    // Ordinary words, codes and UUIDs survive.
    expect(
      classifyVendorError(new Error('VIRMT_TenantGroupAlreadyExists for 3f2a9c1e-1111-4a2b-9c3d-0123456789ab')).message,
    ).toBe('VIRMT_TenantGroupAlreadyExists for 3f2a9c1e-1111-4a2b-9c3d-0123456789ab');
  });

  it('S2: the raw answer body is not copied into the error (message) nor serialised with it', () => {
    const e = isError(400, '<error>echo <password>c2VjcmV0UGFzc3dvcmQxMjM=</password></error>');
    expect(e.message).not.toContain('c2VjcmV0');
    expect(JSON.stringify({ ...new KscHttpError(500, 'c2VjcmV0UGFzc3dvcmQxMjM=') })).not.toContain('c2VjcmV0');
  });
});
