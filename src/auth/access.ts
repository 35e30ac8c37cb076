import { CairnError, notFound } from '../core/errors.js';
import type { Visibility } from '../core/visibility.js';
import type { PermissionStore } from './store.js';
import { allows, PERMISSIONS, type Permission, type User } from './types.js';

export const permissionDenied = (message: string): CairnError => new CairnError('PERMISSION_DENIED', message);

/**
 * Who may do what to which experiment or registered model. Admins bypass every check; others hold
 * their explicit grant on the resource, else the default permission. A resource that does not
 * exist is RESOURCE_DOES_NOT_EXIST (decided here, so a resource created between check and use
 * cannot slip through).
 */
export class AccessControl {
  constructor(
    private readonly store: PermissionStore,
    readonly defaultPermission: Permission = 'NO_PERMISSIONS',
  ) {}

  async requireExperiment(user: User, experimentId: string, needed: Permission): Promise<void> {
    if (user.isAdmin) return;
    const holding = await this.store.experimentHolding(experimentId, user.id);
    if (!holding) throw notFound(`No experiment with id '${experimentId}'.`);
    if (!allows(holding.permission ?? this.defaultPermission, needed))
      throw permissionDenied(`Permission denied: ${needed} on experiment ${experimentId} is required.`);
  }

  async requireExperimentNamed(user: User, name: string, needed: Permission): Promise<void> {
    if (user.isAdmin) return;
    const experimentId = await this.store.experimentIdByName(name);
    if (experimentId === undefined) throw notFound(`Could not find experiment with name '${name}'`);
    await this.requireExperiment(user, experimentId, needed);
  }

  async requireRun(user: User, runId: string, needed: Permission): Promise<void> {
    if (user.isAdmin) return;
    const experimentId = await this.store.experimentOfRun(runId);
    if (experimentId === undefined) throw notFound(`Run with id=${runId} not found`);
    await this.requireExperiment(user, experimentId, needed);
  }

  /**
   * READ on the run a model version came from, when that run exists (its lineage shows the run's
   * params, metrics and datasets): the same run the registry's lineage reads.
   */
  async requireVersionRun(user: User, name: string, version: string): Promise<void> {
    if (user.isAdmin) return;
    const origin = await this.store.modelVersionOrigin(name, version);
    if (!origin) return;
    const runId = /^runs:\/([^/]+)/i.exec(origin.source)?.[1] ?? (origin.runId || undefined);
    if (!runId || (await this.store.experimentOfRun(runId)) === undefined) return;
    await this.requireRun(user, runId, 'READ');
  }

  async requireLoggedModel(user: User, modelId: string, needed: Permission): Promise<void> {
    if (user.isAdmin) return;
    const experimentId = await this.store.experimentOfLoggedModel(modelId);
    if (experimentId === undefined) throw notFound(`Logged model with id '${modelId}' not found.`);
    await this.requireExperiment(user, experimentId, needed);
  }

  async requireRegisteredModel(user: User, name: string, needed: Permission): Promise<void> {
    if (user.isAdmin) return;
    const holding = await this.store.registeredModelHolding(name, user.id);
    if (!holding) throw notFound(`Registered Model with name=${name} not found`);
    if (!allows(holding.permission ?? this.defaultPermission, needed))
      throw permissionDenied(`Permission denied: ${needed} on registered model '${name}' is required.`);
  }

  /** The experiments `user` may list: undefined means all of them. */
  async visibleExperiments(user: User): Promise<Visibility | undefined> {
    if (user.isAdmin) return undefined;
    const { readable, unreadable } = split();
    return allows(this.defaultPermission, 'READ')
      ? { except: await this.store.experimentIdsWith(user.id, unreadable) }
      : { only: await this.store.experimentIdsWith(user.id, readable) };
  }

  /** The registered models `user` may list (by name): undefined means all of them. */
  async visibleRegisteredModels(user: User): Promise<Visibility | undefined> {
    if (user.isAdmin) return undefined;
    const { readable, unreadable } = split();
    return allows(this.defaultPermission, 'READ')
      ? { except: await this.store.registeredModelNamesWith(user.id, unreadable) }
      : { only: await this.store.registeredModelNamesWith(user.id, readable) };
  }

  /** The creator of a resource manages it. */
  async grantCreatorExperiment(user: User, experimentId: string): Promise<void> {
    await this.store.setExperimentPermission(experimentId, user.id, 'MANAGE');
  }

  async grantCreatorRegisteredModel(user: User, name: string): Promise<void> {
    await this.store.setRegisteredModelPermission(name, user.id, 'MANAGE');
  }
}

function split(): { readable: Permission[]; unreadable: Permission[] } {
  return {
    readable: PERMISSIONS.filter((p) => allows(p, 'READ')),
    unreadable: PERMISSIONS.filter((p) => !allows(p, 'READ')),
  };
}
