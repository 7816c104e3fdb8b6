import { KscProtocolError } from './errors';
import { kscBinary, KscTyped } from './ksc-codec';
import { asRecords, KscUserInfo, requireNumber } from './ksc-records';
import { KscSession } from './ksc-session';

export interface NewInternalUser {
  name: string;
  /** Encrypted by the server (ProtectUtf16StringGlobally) before AddUser; never logged. */
  password: string;
  fullName?: string;
  description?: string;
  mail?: string;
  phone?: string;
  enabled?: boolean;
}

/**
 * Internal accounts and security groups (ksc-openapi.md §3.8): DataProtectionApi, SecurityPolicy,
 * SecurityPolicy3. Use a vAS session to create a tenant's account inside its vAS.
 */
export class SecurityApi {
  constructor(private readonly session: KscSession) {}

  /**
   * The server-encrypted password blob, returned as bytes.
   * ASSUMPTION (ksc-openapi.md §3.8): the reply form is unknown; a binary wrapper and bare base64 are both accepted.
   */
  async protectPassword(plain: string): Promise<Buffer> {
    const r = await this.session.call('DataProtectionApi.ProtectUtf16StringGlobally', { szwPlainText: plain });
    const v = r.PxgRetVal;
    if (Buffer.isBuffer(v)) return v;
    if (typeof v === 'string' && v !== '') return Buffer.from(v, 'base64');
    throw new KscProtocolError('DataProtectionApi.ProtectUtf16StringGlobally: no protected data in the answer');
  }

  /** Creates an internal user with an encrypted password; returns its id. Duplicate names fail with a KscMethodError. */
  async addUser(u: NewInternalUser): Promise<number> {
    const blob: KscTyped = kscBinary(await this.protectPassword(u.password));
    const r = await this.session.call('SecurityPolicy.AddUser', {
      pUser: {
        KLSPL_USER_NAME: u.name,
        KLSPL_USER_PWD_ENCRYPTED: blob,
        KLSPL_USER_FULL_NAME: u.fullName,
        KLSPL_USER_DESCRIPTION: u.description,
        KLSPL_USER_MAIL: u.mail,
        KLSPL_USER_PHONE: u.phone,
        KLSPL_USER_ENABLED: u.enabled ?? true,
      },
    });
    return requireNumber(r, 'PxgRetVal', 'SecurityPolicy.AddUser');
  }

  async deleteUser(userId: number): Promise<void> {
    await this.session.call('SecurityPolicy.DeleteUser', { lUserId: userId });
  }

  /** ASSUMPTION (not in ksc-openapi.md): SecurityPolicy.GetUsers(lUserId, lVsId), -1 = all / current server. */
  async getUsers(userId = -1, vsId = -1): Promise<KscUserInfo[]> {
    return asRecords<KscUserInfo>(
      (await this.session.call('SecurityPolicy.GetUsers', { lUserId: userId, lVsId: vsId })).PxgRetVal,
    );
  }

  async findUserByName(name: string): Promise<KscUserInfo | undefined> {
    return (await this.getUsers()).find(
      (u) => typeof u.KLSPL_USER_NAME === 'string' && u.KLSPL_USER_NAME.toLowerCase() === name.toLowerCase(),
    );
  }

  /** lVsId is ignored by the server inside a vAS session (§3.8). */
  async addSecurityGroup(name: string, description = '', vsId = -1): Promise<number> {
    const r = await this.session.call('SecurityPolicy3.AddSecurityGroup', {
      pGrpParams: { KLSPL_SEC_GRP_NAME: name, KLSPL_SEC_GRP_DESC: description },
      lVsId: vsId,
    });
    return requireNumber(r, 'PxgRetVal', 'SecurityPolicy3.AddSecurityGroup');
  }

  async addUserIntoSecurityGroup(userId: number, groupId: number): Promise<void> {
    await this.session.call('SecurityPolicy3.AddUserIntoSecurityGroup', { lUserId: userId, lGrpId: groupId });
  }

  /** Ends the user's live sessions (offboarding, before DeleteUser). */
  async closeUserConnections(userId: number): Promise<void> {
    await this.session.call('SecurityPolicy3.CloseUserConnections', { lUserId: userId });
  }
}
