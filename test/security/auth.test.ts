import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type AuthTestServer, BACKENDS, basic, startAuthServer } from './auth-fixture.js';

const SEARCH = '/api/2.0/mlflow/experiments/search';

describe.each(BACKENDS)('authentication on a live server (%s)', (backend) => {
  let srv: AuthTestServer;
  let alice: { username: string; password: string };
  beforeAll(async () => {
    srv = await startAuthServer(backend);
    alice = await srv.user('alice');
  });
  afterAll(async () => srv?.stop());

  const expect401 = (r: { status: number; body: Record<string, unknown>; headers: Headers }) => {
    expect(r.status).toBe(401);
    expect(r.body['error_code']).toBe('UNAUTHENTICATED');
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="cairn"/);
  };

  it('leaves /health and /version public and refuses everything else without credentials', async () => {
    expect((await srv.call(undefined, 'GET', '/health')).status).toBe(200);
    expect((await srv.call(undefined, 'GET', '/version')).status).toBe(200);
    expect401(await srv.call(undefined, 'GET', SEARCH));
    expect401(await srv.call(undefined, 'GET', '/ajax-api/2.0/mlflow/experiments/search'));
    expect401(await srv.call(undefined, 'POST', '/api/2.0/mlflow/experiments/create', { name: 'x' }));
    expect401(await srv.call(undefined, 'GET', '/api/2.0/mlflow-artifacts/artifacts/0/a/b.txt'));
    expect401(
      await srv.call(undefined, 'PUT', '/api/2.0/mlflow-artifacts/artifacts/0/a/b.txt', Buffer.from('x')),
    );
    expect401(await srv.call(undefined, 'GET', '/get-artifact?path=a&run_uuid=r'));
    expect401(await srv.call(undefined, 'GET', '/api/2.0/mlflow/users/get?username=root-admin'));
  });

  it('answers the first admin from the environment and takes Basic username:password', async () => {
    const r = await srv.call(ADMIN, 'GET', '/api/2.0/cairn/users/current');
    expect(r.status).toBe(200);
    expect(r.body['user']).toMatchObject({ username: ADMIN.username, is_admin: true });
    expect((await srv.call(alice, 'GET', SEARCH)).status).toBe(200);
  });

  it('refuses malformed and wrong credentials with the same 401, whether or not the user exists', async () => {
    const bad = [
      { authorization: 'Basic' },
      { authorization: 'Basic !!!not-base64!!!' },
      { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
      { authorization: `Basic ${Buffer.from(':only-password').toString('base64')}` },
      { authorization: 'Digest username="alice"' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer cairn_unknown' },
      { authorization: 'Bearer ' },
      basic('alice', ''),
    ];
    for (const headers of bad) expect401(await srv.call({ headers }, 'GET', SEARCH));
    const wrongPassword = await srv.call({ headers: basic('alice', 'not-her-password') }, 'GET', SEARCH);
    const unknownUser = await srv.call({ headers: basic('nobody-here', 'not-her-password') }, 'GET', SEARCH);
    expect401(wrongPassword);
    expect401(unknownUser);
    expect(unknownUser.body).toEqual(wrongPassword.body);
  });

  it('takes API tokens as Bearer and as Basic username:token, and stops taking them once revoked', async () => {
    const created = await srv.call(alice, 'POST', '/api/2.0/cairn/tokens/create', { name: 'ci' });
    expect(created.status).toBe(200);
    const token = created.body['token'] as string;
    const id = (created.body['token_info'] as { token_id: number }).token_id;
    expect(token).toMatch(/^cairn_[A-Za-z0-9_-]{43}$/);
    expect((await srv.call({ headers: { authorization: `Bearer ${token}` } }, 'GET', SEARCH)).status).toBe(
      200,
    );
    expect((await srv.call({ headers: basic('alice', token) }, 'GET', SEARCH)).status).toBe(200);
    // A token proves only its own user.
    expect401(await srv.call({ headers: basic(ADMIN.username, token) }, 'GET', SEARCH));
    // The list shows metadata, never the secret.
    const listed = await srv.call(alice, 'GET', '/api/2.0/cairn/tokens/list');
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body['tokens']).toEqual([expect.objectContaining({ token_id: id, name: 'ci' })]);

    // A token cannot change the password or mint more tokens (a leaked token must not outlive revocation).
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    expect((await srv.call(bearer, 'POST', '/api/2.0/cairn/tokens/create', {})).status).toBe(403);
    const takeover = { username: 'alice', password: 'taken-over-pw' };
    expect((await srv.call(bearer, 'PATCH', '/api/2.0/mlflow/users/update-password', takeover)).status).toBe(
      403,
    );

    expect((await srv.call(alice, 'POST', '/api/2.0/cairn/tokens/revoke', { token_id: id })).status).toBe(
      200,
    );
    expect401(await srv.call({ headers: { authorization: `Bearer ${token}` } }, 'GET', SEARCH));
  });

  it('refuses an expired token', async () => {
    const created = await srv.call(alice, 'POST', '/api/2.0/cairn/tokens/create', { expires_in_seconds: 1 });
    const token = created.body['token'] as string;
    expect((await srv.call({ headers: { authorization: `Bearer ${token}` } }, 'GET', SEARCH)).status).toBe(
      200,
    );
    await new Promise((r) => setTimeout(r, 1100));
    expect401(await srv.call({ headers: { authorization: `Bearer ${token}` } }, 'GET', SEARCH));
  });

  it("drops a deleted user's tokens and password, and a changed password at once", async () => {
    const bob = await srv.user('bob');
    const token = (await srv.call(bob, 'POST', '/api/2.0/cairn/tokens/create', {})).body['token'] as string;
    expect((await srv.call(bob, 'GET', SEARCH)).status).toBe(200); // remembered password
    const changed = { username: 'bob', password: 'bob-new-password' };
    expect((await srv.call(bob, 'PATCH', '/api/2.0/mlflow/users/update-password', changed)).status).toBe(200);
    expect401(await srv.call(bob, 'GET', SEARCH));
    expect((await srv.call(changed, 'GET', SEARCH)).status).toBe(200);

    expect(
      (await srv.call(ADMIN, 'DELETE', '/api/2.0/mlflow/users/delete', { username: 'bob' })).status,
    ).toBe(200);
    expect401(await srv.call(changed, 'GET', SEARCH));
    expect401(await srv.call({ headers: { authorization: `Bearer ${token}` } }, 'GET', SEARCH));
  });

  it('keeps user administration to admins (and a user to themself)', async () => {
    const carol = await srv.user('carol');
    const create = await srv.call(carol, 'POST', '/api/2.0/mlflow/users/create', {
      username: 'x1',
      password: 'pw-pw-pw-pw',
    });
    expect(create.status).toBe(403);
    expect(create.body['error_code']).toBe('PERMISSION_DENIED');
    expect(
      (
        await srv.call(carol, 'PATCH', '/api/2.0/mlflow/users/update-admin', {
          username: 'carol',
          is_admin: true,
        })
      ).status,
    ).toBe(403);
    expect((await srv.call(carol, 'GET', '/api/2.0/mlflow/users/get?username=alice')).status).toBe(403);
    expect((await srv.call(carol, 'GET', '/api/2.0/mlflow/users/get?username=nobody-at-all')).status).toBe(
      403,
    );
    expect(
      (
        await srv.call(carol, 'PATCH', '/api/2.0/mlflow/users/update-password', {
          username: 'alice',
          password: 'hijacked-pw',
        })
      ).status,
    ).toBe(403);
    expect(
      (await srv.call(carol, 'POST', '/api/2.0/cairn/tokens/create', { username: 'alice' })).status,
    ).toBe(403);
    expect(
      (await srv.call(carol, 'DELETE', '/api/2.0/mlflow/users/delete', { username: 'alice' })).status,
    ).toBe(403);
    const self = await srv.call(carol, 'GET', '/api/2.0/mlflow/users/get?username=carol');
    expect(self.body['user']).toMatchObject({ username: 'carol', is_admin: false });
    expect(JSON.stringify(self.body)).not.toMatch(/password|scrypt/);
    // The admin can, and a duplicate name is refused.
    expect(
      (
        await srv.call(ADMIN, 'PATCH', '/api/2.0/mlflow/users/update-admin', {
          username: 'carol',
          is_admin: true,
        })
      ).status,
    ).toBe(200);
    expect((await srv.call(carol, 'GET', '/api/2.0/mlflow/users/get?username=alice')).status).toBe(200);
    const dup = await srv.call(ADMIN, 'POST', '/api/2.0/mlflow/users/create', {
      username: 'alice',
      password: 'another-pw',
    });
    expect(dup.body['error_code']).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('is not fooled by path case, the ajax prefix, trailing slashes, HEAD or OPTIONS', async () => {
    expect401(await srv.call(undefined, 'GET', '/api/2.0/mlflow/experiments/search/'));
    expect401(
      await srv
        .call(undefined, 'HEAD', SEARCH)
        .then((r) => ({ ...r, body: { error_code: 'UNAUTHENTICATED' } })),
    );
    for (const p of [
      '/API/2.0/mlflow/experiments/search',
      '/api/2.0/MLFLOW/experiments/search',
      '/api/2.0//mlflow/experiments/search',
    ]) {
      const r = await srv.call(undefined, 'GET', p);
      expect([401, 404]).toContain(r.status);
      expect(r.body['experiments']).toBeUndefined();
    }
    const options = await srv.call(undefined, 'OPTIONS', SEARCH);
    expect([401, 404]).toContain(options.status);
    expect(options.body['experiments']).toBeUndefined();
    // Signed in but without permission: the ajax prefix and HEAD are denied like the API.
    const own = await srv.call(ADMIN, 'POST', '/api/2.0/mlflow/experiments/create', { name: 'admin-only' });
    const id = own.body['experiment_id'] as string;
    for (const prefix of ['/api/2.0', '/ajax-api/2.0']) {
      expect(
        (await srv.call(alice, 'GET', `${prefix}/mlflow/experiments/get?experiment_id=${id}`)).status,
      ).toBe(403);
      expect(
        (await srv.call(alice, 'GET', `${prefix}/mlflow/experiments/get/?experiment_id=${id}`)).status,
      ).toBe(403);
      expect(
        (await srv.call(alice, 'HEAD', `${prefix}/mlflow/experiments/get?experiment_id=${id}`)).status,
      ).toBe(403);
    }
  });
});
