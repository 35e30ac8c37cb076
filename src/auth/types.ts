/** MLflow's permission names, weakest first. A level grants everything the levels before it do. */
export const PERMISSIONS = ['NO_PERMISSIONS', 'READ', 'EDIT', 'MANAGE'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** True when `held` is at least `needed` (READ < EDIT < MANAGE; NO_PERMISSIONS grants nothing). */
export function allows(held: Permission, needed: Permission): boolean {
  return PERMISSIONS.indexOf(held) >= PERMISSIONS.indexOf(needed);
}

export function isPermission(v: unknown): v is Permission {
  return typeof v === 'string' && (PERMISSIONS as readonly string[]).includes(v);
}

export interface User {
  id: number;
  username: string;
  isAdmin: boolean;
}

/** A user as a request proved it: with a password, or with an API token. */
export interface SignedInUser extends User {
  via: 'password' | 'token';
}

/** A user row with its stored password hash (never leaves the auth module). */
export interface StoredUser extends User {
  passwordHash: string;
}

export interface ApiTokenInfo {
  id: number;
  userId: number;
  name: string;
  createdTime: number;
  expiresTime: number | null;
  lastUsedTime: number | null;
}

export interface ExperimentPermission {
  experimentId: string;
  userId: number;
  permission: Permission;
}

export interface RegisteredModelPermission {
  name: string;
  userId: number;
  permission: Permission;
}
