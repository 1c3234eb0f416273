// The entity rules' shared pieces, used at acceptance (LoopCore) and in the tick (TickRun):
// the errors for a broken rule, and grant lists.
import { EntityRuleError, ErrorCodes } from '../errors/index.ts';

/** Adds the grant an `EntityAccessGranted` input carries to a map of pending grants. */
export function addGrant(
  granted: Map<string, string[]>,
  input: { readonly entity: string; readonly data: unknown },
): void {
  const list = granted.get(input.entity) ?? [];
  list.push((input.data as { to: string }).to);
  granted.set(input.entity, list);
}

/** Whether a grant list lets `actor` in (by name or by `'*'`), without merging lists. */
export function grants(list: readonly string[] | undefined, actor: string): boolean {
  return list !== undefined && (list.includes(actor) || list.includes('*'));
}

/** The error for an `entity: 'new'` event whose entity already exists. */
export function entityExists(type: string, entity: string): EntityRuleError {
  return new EntityRuleError(
    ErrorCodes.EntityExists,
    `"${type}" creates entity ${entity}, which already exists. Make a new id with newEntityId() or ctx.create(), or use an event declared entity: 'existing'.`,
    { type, entity },
  );
}

/** The error for an `entity: 'existing'` event whose entity does not exist. */
export function entityNotFound(type: string, entity: string): EntityRuleError {
  return new EntityRuleError(
    ErrorCodes.EntityNotFound,
    `"${type}" is about entity ${entity}, which does not exist. Create it first with an event declared entity: 'new'.`,
    { type, entity },
  );
}

/** The error for an input about an entity its actor neither owns nor was granted. */
export function entityNotOwned(
  type: string,
  entity: string,
  actor: string,
  owner: string,
): EntityRuleError {
  return new EntityRuleError(
    ErrorCodes.EntityNotOwned,
    `Actor "${actor}" sent "${type}" about entity ${entity}, which belongs to "${owner}". The owner can grant access with system.grant(entity, "${actor}").`,
    { type, entity, actor, owner },
  );
}
