import { type Clock, systemClock } from '../core/clock.js';
import { CairnError, invalidParam, notFound } from '../core/errors.js';
import { type Credentials, unauthenticated, VerifiedPasswords } from './credentials.js';
import { DEFAULT_SCRYPT, decoyHash, hashPassword, type ScryptParams, verifyPassword } from './password.js';
import type { PermissionStore, UserStore } from './store.js';
import { newToken, TOKEN_PREFIX, tokenHash } from './tokens.js';
import type { ApiTokenInfo, SignedInUser, StoredUser, User } from './types.js';

export interface AuthServiceOptions {
  clock?: Clock;
  /** scrypt cost for new hashes (stored with each hash; older hashes keep verifying). */
  scrypt?: ScryptParams;
}

const USERNAME = /^[^\s:\p{Cc}]{1,256}$/u;
export const MIN_PASSWORD_LENGTH = 8;
/** last_used_time is written at most this often per token. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Users, passwords and API tokens: creating them, and turning the credentials of a request into a
 * user. Every failure to authenticate says the same thing, whether or not the user exists.
 */
export class AuthService {
  private readonly clock: Clock;
  private readonly scrypt: ScryptParams;
  private readonly verified = new VerifiedPasswords();

  constructor(
    readonly users: UserStore,
    readonly permissions: PermissionStore,
    options: AuthServiceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.scrypt = options.scrypt ?? DEFAULT_SCRYPT;
  }

  async createUser(username: string, password: string, options: { isAdmin?: boolean } = {}): Promise<User> {
    checkUsername(username);
    checkPassword(password);
    return this.users.createUser({
      username,
      passwordHash: await hashPassword(password, this.scrypt),
      isAdmin: options.isAdmin ?? false,
      time: this.clock(),
    });
  }

  /** The user by name; RESOURCE_DOES_NOT_EXIST if unknown (only admins and the user may ask). */
  async getUser(username: string): Promise<User> {
    const user = await this.users.getUserByName(username);
    if (!user) throw notFound(`User '${username}' does not exist.`);
    return publicUser(user);
  }

  async updatePassword(username: string, password: string): Promise<void> {
    checkPassword(password);
    const user = await this.getUser(username);
    await this.users.updatePassword(user.id, await hashPassword(password, this.scrypt));
  }

  async updateAdmin(username: string, isAdmin: boolean): Promise<void> {
    const user = await this.getUser(username);
    if (!isAdmin && user.isAdmin && (await this.users.countAdmins()) <= 1)
      throw invalidParam('Cannot remove the last admin.');
    await this.users.updateAdmin(user.id, isAdmin);
  }

  async deleteUser(username: string): Promise<void> {
    const user = await this.getUser(username);
    if (user.isAdmin && (await this.users.countAdmins()) <= 1)
      throw invalidParam('Cannot delete the last admin.');
    await this.users.deleteUser(user.id);
  }

  /**
   * The first admin, from the operator (environment or `cairn users create-admin`): created only
   * when no admin exists yet. Returns whether one was created.
   */
  async ensureFirstAdmin(username: string, password: string): Promise<boolean> {
    if ((await this.users.countAdmins()) > 0) return false;
    if (await this.users.getUserByName(username))
      throw invalidParam(
        `User '${username}' exists but is not an admin; make them admin with 'cairn users update-admin'.`,
      );
    await this.createUser(username, password, { isAdmin: true });
    return true;
  }

  /** A new API token: the secret is returned once and only its hash is kept. */
  async createToken(
    username: string,
    options: { name?: string; expiresTime?: number | null } = {},
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    const user = await this.getUser(username);
    const expiresTime = options.expiresTime ?? null;
    if (expiresTime !== null && expiresTime <= this.clock())
      throw invalidParam('Token expiry must be in the future.');
    const name = options.name ?? '';
    if (name.length > 256) throw invalidParam('Token name must be at most 256 characters.');
    const token = newToken();
    const info = await this.users.createToken({
      userId: user.id,
      name,
      tokenHash: tokenHash(token),
      time: this.clock(),
      expiresTime,
    });
    return { token, info };
  }

  async listTokens(username: string): Promise<ApiTokenInfo[]> {
    return this.users.listTokens((await this.getUser(username)).id);
  }

  /** Revokes a token of `owner` (undefined: any user's, for admins). */
  async revokeToken(tokenId: number, owner: User | undefined): Promise<void> {
    const token = await this.users.getToken(tokenId);
    if (!token || (owner && token.userId !== owner.id)) throw notFound(`No token with id ${tokenId}.`);
    await this.users.deleteToken(tokenId);
  }

  /** The user the credentials prove, or UNAUTHENTICATED (the same answer for every failure). */
  async authenticate(credentials: Credentials): Promise<SignedInUser> {
    const now = this.clock();
    if (credentials.kind === 'bearer') {
      const user = await this.byToken(credentials.token, now);
      if (!user) throw unauthenticated();
      return { ...user, via: 'token' };
    }
    const { username, secret } = credentials;
    if (secret.startsWith(TOKEN_PREFIX)) {
      const user = await this.byToken(secret, now);
      if (user && user.username === username) return { ...user, via: 'token' };
    }
    const remembered = this.verified.lookup(username, secret, now);
    if (remembered) {
      const user = await this.users.getUserById(remembered.userId);
      if (user && user.username === username && user.passwordHash === remembered.passwordHash)
        return { ...publicUser(user), via: 'password' };
    }
    const user = await this.users.getUserByName(username);
    // An unknown user costs the same scrypt as a known one, so timing does not tell them apart.
    const ok = await verifyPassword(secret, user?.passwordHash ?? (await decoyHash()));
    if (!user || !ok) throw unauthenticated();
    this.verified.remember(username, secret, user.id, user.passwordHash, now);
    return { ...publicUser(user), via: 'password' };
  }

  private async byToken(token: string, now: number): Promise<User | undefined> {
    if (token.length > 512) return undefined;
    const found = await this.users.findToken(tokenHash(token));
    if (!found) return undefined;
    if (found.token.expiresTime !== null && found.token.expiresTime <= now) return undefined;
    if (found.token.lastUsedTime === null || now - found.token.lastUsedTime > TOUCH_INTERVAL_MS)
      await this.users.touchToken(found.token.id, now);
    return publicUser(found.user);
  }
}

function publicUser(u: StoredUser | User): User {
  return { id: u.id, username: u.username, isAdmin: u.isAdmin };
}

function checkUsername(username: string): void {
  if (typeof username !== 'string' || !USERNAME.test(username))
    throw invalidParam('Username must be 1 to 256 characters without spaces, colons or control characters.');
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH)
    throw invalidParam(`Password must be at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (password.length > 1024) throw new CairnError('INVALID_PARAMETER_VALUE', 'Password is too long.');
  // HMAC pads scrypt's password with zero bytes: a NUL in it would make `pw` and `pw\0` one password.
  if (password.includes('\0')) throw invalidParam('Password may not hold a NUL character.');
}
