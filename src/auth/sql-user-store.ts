import type { Kysely, Selectable } from 'kysely';
import { alreadyExists } from '../core/errors.js';
import type { MetadataDb } from '../store/db.js';
import type { AuthTokensTable, AuthUsersTable, Database } from '../store/schema.js';
import type { NewToken, NewUser, UserStore } from './store.js';
import type { ApiTokenInfo, StoredUser, User } from './types.js';

/** Users and tokens over the shared metadata database (SQLite or PostgreSQL, migration 006). */
export class SqlUserStore implements UserStore {
  private readonly db: Kysely<Database>;
  constructor(handle: MetadataDb) {
    this.db = handle.db;
  }

  async createUser(input: NewUser): Promise<User> {
    const row = await this.db
      .insertInto('auth_users')
      .values({
        username: input.username,
        password_hash: input.passwordHash,
        is_admin: input.isAdmin ? 1 : 0,
        created_time: input.time,
      })
      .returning('user_id')
      .executeTakeFirstOrThrow()
      .catch((e: unknown) => {
        if (isUniqueViolation(e)) throw alreadyExists(`User '${input.username}' already exists.`);
        throw e;
      });
    return { id: Number(row.user_id), username: input.username, isAdmin: input.isAdmin };
  }

  async getUserByName(username: string): Promise<StoredUser | undefined> {
    const row = await this.db
      .selectFrom('auth_users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async getUserById(userId: number): Promise<StoredUser | undefined> {
    const row = await this.db
      .selectFrom('auth_users')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async updatePassword(userId: number, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('auth_users')
      .set({ password_hash: passwordHash })
      .where('user_id', '=', userId)
      .execute();
  }

  async updateAdmin(userId: number, isAdmin: boolean): Promise<void> {
    await this.db
      .updateTable('auth_users')
      .set({ is_admin: isAdmin ? 1 : 0 })
      .where('user_id', '=', userId)
      .execute();
  }

  async deleteUser(userId: number): Promise<void> {
    // The foreign keys cascade; deleting the dependants explicitly as well keeps this correct on a
    // SQLite connection opened without `foreign_keys = ON`.
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('auth_tokens').where('user_id', '=', userId).execute();
      await trx.deleteFrom('auth_experiment_permissions').where('user_id', '=', userId).execute();
      await trx.deleteFrom('auth_registered_model_permissions').where('user_id', '=', userId).execute();
      await trx.deleteFrom('auth_users').where('user_id', '=', userId).execute();
    });
  }

  async countAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom('auth_users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('is_admin', '=', 1)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async createToken(input: NewToken): Promise<ApiTokenInfo> {
    const row = await this.db
      .insertInto('auth_tokens')
      .values({
        user_id: input.userId,
        name: input.name,
        token_hash: input.tokenHash,
        created_time: input.time,
        expires_time: input.expiresTime,
        last_used_time: null,
      })
      .returning('token_id')
      .executeTakeFirstOrThrow();
    return {
      id: Number(row.token_id),
      userId: input.userId,
      name: input.name,
      createdTime: input.time,
      expiresTime: input.expiresTime,
      lastUsedTime: null,
    };
  }

  async findToken(hash: string): Promise<{ token: ApiTokenInfo; user: StoredUser } | undefined> {
    const row = await this.db
      .selectFrom('auth_tokens as t')
      .innerJoin('auth_users as u', 'u.user_id', 't.user_id')
      .select([
        't.token_id',
        't.user_id',
        't.name',
        't.token_hash',
        't.created_time',
        't.expires_time',
        't.last_used_time',
        'u.username',
        'u.password_hash',
        'u.is_admin',
        'u.created_time as user_created_time',
      ])
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      token: toToken(row),
      user: {
        id: Number(row.user_id),
        username: row.username,
        isAdmin: Number(row.is_admin) === 1,
        passwordHash: row.password_hash,
      },
    };
  }

  async touchToken(tokenId: number, time: number): Promise<void> {
    await this.db
      .updateTable('auth_tokens')
      .set({ last_used_time: time })
      .where('token_id', '=', tokenId)
      .execute();
  }

  async listTokens(userId: number): Promise<ApiTokenInfo[]> {
    const rows = await this.db
      .selectFrom('auth_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('token_id')
      .execute();
    return rows.map(toToken);
  }

  async getToken(tokenId: number): Promise<ApiTokenInfo | undefined> {
    const row = await this.db
      .selectFrom('auth_tokens')
      .selectAll()
      .where('token_id', '=', tokenId)
      .executeTakeFirst();
    return row ? toToken(row) : undefined;
  }

  async deleteToken(tokenId: number): Promise<void> {
    await this.db.deleteFrom('auth_tokens').where('token_id', '=', tokenId).execute();
  }
}

function toUser(row: Selectable<AuthUsersTable>): StoredUser {
  return {
    id: Number(row.user_id),
    username: row.username,
    isAdmin: Number(row.is_admin) === 1,
    passwordHash: row.password_hash,
  };
}

function toToken(row: Omit<Selectable<AuthTokensTable>, 'token_hash'>): ApiTokenInfo {
  return {
    id: Number(row.token_id),
    userId: Number(row.user_id),
    name: row.name,
    createdTime: Number(row.created_time),
    expiresTime: row.expires_time === null ? null : Number(row.expires_time),
    lastUsedTime: row.last_used_time === null ? null : Number(row.last_used_time),
  };
}

function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
