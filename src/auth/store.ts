import type { ApiTokenInfo, Permission, StoredUser, User } from './types.js';

export interface NewUser {
  username: string;
  passwordHash: string;
  isAdmin: boolean;
  time: number;
}

export interface NewToken {
  userId: number;
  name: string;
  tokenHash: string;
  time: number;
  expiresTime: number | null;
}

/** Users and API tokens. Getters return undefined for an unknown user or token. */
export interface UserStore {
  /** Throws RESOURCE_ALREADY_EXISTS when the username is taken. */
  createUser(input: NewUser): Promise<User>;
  getUserByName(username: string): Promise<StoredUser | undefined>;
  getUserById(userId: number): Promise<StoredUser | undefined>;
  updatePassword(userId: number, passwordHash: string): Promise<void>;
  updateAdmin(userId: number, isAdmin: boolean): Promise<void>;
  /** Deletes the user with their tokens and permissions. */
  deleteUser(userId: number): Promise<void>;
  countAdmins(): Promise<number>;

  createToken(input: NewToken): Promise<ApiTokenInfo>;
  /** The token with this hash and its owner. */
  findToken(tokenHash: string): Promise<{ token: ApiTokenInfo; user: StoredUser } | undefined>;
  touchToken(tokenId: number, time: number): Promise<void>;
  listTokens(userId: number): Promise<ApiTokenInfo[]>;
  getToken(tokenId: number): Promise<ApiTokenInfo | undefined>;
  deleteToken(tokenId: number): Promise<void>;
}

/** What a user holds on one resource: undefined when the resource does not exist. */
export interface Holding {
  /** The explicit grant, if any (the default permission applies otherwise). */
  permission: Permission | undefined;
}

/**
 * Per-resource permissions, and the few lookups the rules need in other domains' tables (a run's
 * experiment, a logged model's experiment), kept cheap because they run on every request.
 */
export interface PermissionStore {
  experimentHolding(experimentId: string, userId: number): Promise<Holding | undefined>;
  registeredModelHolding(name: string, userId: number): Promise<Holding | undefined>;
  /** Upserts; throws RESOURCE_DOES_NOT_EXIST when the experiment is unknown. */
  setExperimentPermission(experimentId: string, userId: number, permission: Permission): Promise<void>;
  setRegisteredModelPermission(name: string, userId: number, permission: Permission): Promise<void>;
  /** False when there was no such grant. */
  deleteExperimentPermission(experimentId: string, userId: number): Promise<boolean>;
  deleteRegisteredModelPermission(name: string, userId: number): Promise<boolean>;
  /** The user's explicit grants whose level is one of `levels`. */
  experimentIdsWith(userId: number, levels: readonly Permission[]): Promise<string[]>;
  registeredModelNamesWith(userId: number, levels: readonly Permission[]): Promise<string[]>;
  listExperimentPermissions(userId: number): Promise<Array<{ experimentId: string; permission: Permission }>>;
  listRegisteredModelPermissions(userId: number): Promise<Array<{ name: string; permission: Permission }>>;

  experimentIdByName(name: string): Promise<string | undefined>;
  /** A model version's source and run id, as stored (undefined: no such version). */
  modelVersionOrigin(name: string, version: string): Promise<{ source: string; runId: string } | undefined>;
  experimentOfRun(runId: string): Promise<string | undefined>;
  experimentOfLoggedModel(modelId: string): Promise<string | undefined>;
}
