import { classifyHostStatus } from './host-outcome';

describe('classifyHostStatus', () => {
  it.each([
    [{ state_code: 4, state_descr: 'Installation completed.' }, { ok: true }],
    [
      { state_code: 4, state_descr: 'The application is already installed on the device.' },
      { ok: true, code: 'ALREADY_INSTALLED' },
    ],
    [
      { state_code: 16, state_descr: 'Host seems to be offline or hidden by firewall.' },
      { ok: false, code: 'HOST_UNREACHABLE' },
    ],
    [
      {
        state_code: 16,
        state_descr:
          'Access denied. The specified account has no permissions for the operation, or invalid account password specified.',
      },
      { ok: false, code: 'ACCESS_DENIED' },
    ],
    [
      {
        state_code: 16,
        state_descr: 'Operating system on the target computer is not supported by the product to be installed.',
      },
      { ok: false, code: 'PACKAGE_OS_MISMATCH' },
    ],
    [
      {
        state_code: 8,
        state_descr: 'Installation completed. The operating system must be restarted to complete the installation.',
      },
      { ok: false, code: 'REBOOT_PENDING' },
    ],
    [{ state_code: 8, state_descr: 'Something odd' }, { ok: true }],
    [
      { state_code: 16, state_descr: 'Product installer error.' },
      { ok: false, code: 'INSTALL_FAILED', message: 'Product installer error.' },
    ],
    [{ state_code: 2 }, { ok: false, code: 'INSTALL_FAILED' }],
  ])('%j → %j', (status, expected) => {
    expect(classifyHostStatus(status, 'INSTALL_FAILED')).toMatchObject(expected);
  });
});
