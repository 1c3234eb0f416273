// The entity rules (an `entity: 'new'` event creates its entity, an `entity: 'existing'` one
// needs it, an input needs its entity's owner or a grant) and the registry of entity records
// they keep. Every check and every change of an entity record in the loop is in this file:
// acceptance (LoopCore), a tick's inputs and emits, and rebuild (TickRun) all call it.
import { EntityRuleError, ErrorCodes } from '../errors/index.ts';
import type { AnyEventType } from '../events/event-type.ts';
import type { Envelope } from '../events/envelope.ts';
import { EntityAccessGranted } from './builtin.ts';

/** What the registry knows of one entity. */
export interface EntityRecord {
  /** The actor that created it (for an entity made by a listener: the actor of the chain's root input). */
  readonly owner: string;
  /** Actors the owner granted access to. */
  readonly grants: readonly string[];
}

/** Who started a causal chain (implemented by the tick in progress). */
export interface ChainRoots {
  /** The actor of the root input of the chain `event` belongs to. */
  rootActorOf(event: Envelope): string;
}

/**
 * What inputs accepted but not yet run will create and grant: acceptance checks a batch against
 * the registry as it will be once they have run (so a batch may create an entity, then use it).
 */
export class PendingEntities {
  #owners: Map<string, string> | null = null;
  #grants: Map<string, string[]> | null = null;

  /** Adds what an accepted input will do to the registry once it runs. */
  add(type: AnyEventType, entity: string, actor: string, data: unknown): void {
    if (type.entity === 'new') (this.#owners ??= new Map<string, string>()).set(entity, actor);
    else if (type === EntityAccessGranted) {
      const granted = (this.#grants ??= new Map<string, string[]>());
      const list = granted.get(entity) ?? [];
      list.push((data as { to: string }).to);
      granted.set(entity, list);
    }
  }

  /** The owner an accepted input will give `entity`, if one creates it. */
  ownerOf(entity: string): string | undefined {
    return this.#owners?.get(entity);
  }

  /** The grants accepted inputs will add to `entity`. */
  grantsOf(entity: string): readonly string[] | undefined {
    return this.#grants?.get(entity);
  }
}

/**
 * The entity records of a system, and the only code that checks or changes them. Changes made
 * during a tick are journaled so that a failed listener's (or a dropped tick's) are undone.
 */
export class EntityRegistry {
  #records = new Map<string, EntityRecord>();
  // Records are never changed in place, so the entities of one owner without grants (nearly
  // all of them) share one record: a lookup then lands on a record that is in the cache.
  readonly #ungranted = new Map<string, EntityRecord>();
  // Undo entries of the tick in progress: the id and its record before the change.
  readonly #undo: { id: string; prev: EntityRecord | undefined }[] = [];
  #epoch = 0;

  /**
   * Changes whenever a record is taken back (an undo, a restore). Otherwise records only come
   * and gain grants, so a record that let an input in still lets it in while this is unchanged.
   */
  get epoch(): number {
    return this.#epoch;
  }

  /** The records, by entity id (read-only: change them through this class). */
  get records(): ReadonlyMap<string, EntityRecord> {
    return this.#records;
  }

  get(id: string): EntityRecord | undefined {
    return this.#records.get(id);
  }

  has(id: string): boolean {
    return this.#records.has(id);
  }

  // --- The rules ----------------------------------------------------------------------------

  /**
   * The rule an input of `type` from `actor` about `entity` breaks, or null: `'new'` needs an
   * unknown id, `'existing'` a known one, and a known entity needs its owner or a grantee as
   * actor. `pending` adds what accepted inputs not yet run will create and grant. A caller that
   * already looked up `entity`'s record passes it (one lookup of a large registry is costly).
   */
  inputProblem(
    type: AnyEventType,
    entity: string,
    actor: string,
    pending: PendingEntities | null,
    record: EntityRecord | undefined = this.#records.get(entity),
  ): EntityRuleError | null {
    const pendingOwner = pending?.ownerOf(entity);
    if (type.entity === 'new') {
      return record !== undefined || pendingOwner !== undefined
        ? entityExists(type.name, entity)
        : null;
    }
    const owner = record?.owner ?? pendingOwner;
    if (owner === undefined)
      return type.entity === 'any' ? null : entityNotFound(type.name, entity);
    if (
      owner !== actor &&
      !grants(record?.grants, actor) &&
      !grants(pending?.grantsOf(entity), actor)
    )
      return entityNotOwned(type.name, entity, actor, owner);
    return null;
  }

  // --- Changes ------------------------------------------------------------------------------

  /**
   * An input that passed {@link EntityRegistry.inputProblem} runs: an `entity: 'new'` one
   * creates its entity, owned by the input's actor; a grant adds its grantee.
   */
  recordInput(type: AnyEventType, entity: string, actor: string, data: unknown): void {
    if (type.entity === 'new') this.#create(entity, actor);
    else if (type === EntityAccessGranted) this.#grant(entity, (data as { to: string }).to);
  }

  /**
   * A listener, a per-tick system (no `cause`) or a timer emits: `'new'` needs an unknown id and
   * creates the entity, owned by the chain's root actor (a per-tick system's: the system);
   * `'existing'` needs a known id. The emitter is the system's own code, so ownership is not asked.
   *
   * @throws EntityRuleError `CW_ENTITY_EXISTS` or `CW_ENTITY_NOT_FOUND`.
   */
  recordEmitted(
    type: AnyEventType,
    entity: string,
    cause: Envelope | null,
    actor: string,
    roots: ChainRoots,
  ): void {
    if (type.entity === 'new') {
      if (this.#records.has(entity)) throw entityExists(type.name, entity);
      this.#create(entity, cause === null ? actor : roots.rootActorOf(cause));
    } else if (type.entity === 'existing' && !this.#records.has(entity)) {
      throw entityNotFound(type.name, entity);
    }
  }

  /**
   * A committed event is replayed (rebuild): it does what it did when it ran, unchecked (the
   * log is the truth). An `entity: 'new'` event creates its entity, owned by its chain's root
   * actor; a grant adds its grantee.
   */
  recordCommitted(type: AnyEventType, event: Envelope, roots: ChainRoots): void {
    if (type.entity === 'new') this.#create(event.entity, roots.rootActorOf(event));
    else if (type === EntityAccessGranted)
      this.#grant(event.entity, (event.data as { to: string }).to);
  }

  /** Where the undo journal stands, to undo back to with {@link EntityRegistry.undoTo}. */
  mark(): number {
    return this.#undo.length;
  }

  /** Undoes the changes made since `mark`, latest first. */
  undoTo(mark: number): void {
    const undo = this.#undo;
    const records = this.#records;
    if (undo.length > mark) this.#epoch++;
    while (undo.length > mark) {
      const { id, prev } = undo.pop() as { id: string; prev: EntityRecord | undefined };
      if (prev === undefined) records.delete(id);
      else records.set(id, prev);
    }
  }

  /** Keeps the changes made so far (their tick committed): they can no longer be undone. */
  settle(): void {
    this.#undo.length = 0;
  }

  /** Replaces every record (an empty registry, or a snapshot's); nothing is left to undo. */
  restore(records: Iterable<readonly [string, EntityRecord]> = []): void {
    this.#records = new Map();
    this.#epoch++;
    this.#ungranted.clear();
    for (const [id, record] of records) {
      if (record.grants.length === 0) this.#create(id, record.owner);
      else this.#records.set(id, record);
    }
    this.#undo.length = 0;
  }

  #create(id: string, owner: string): void {
    let record = this.#ungranted.get(owner);
    if (record === undefined) {
      record = Object.freeze({ owner, grants: NO_GRANTS });
      this.#ungranted.set(owner, record);
    }
    this.#set(id, record);
  }

  // Nothing for an unknown entity: a grant is about an `'existing'` one.
  #grant(id: string, to: string): void {
    const record = this.#records.get(id);
    if (record !== undefined)
      this.#set(id, { owner: record.owner, grants: [...record.grants, to] });
  }

  #set(id: string, record: EntityRecord): void {
    this.#undo.push({ id, prev: this.#records.get(id) });
    this.#records.set(id, record);
  }
}

const NO_GRANTS: readonly string[] = Object.freeze([]);

/** Whether a grant list lets `actor` in (by name or by `'*'`), without merging lists. */
function grants(list: readonly string[] | undefined, actor: string): boolean {
  return list !== undefined && (list.includes(actor) || list.includes('*'));
}

/** The error for an `entity: 'new'` event whose entity already exists. */
function entityExists(type: string, entity: string): EntityRuleError {
  return new EntityRuleError(
    ErrorCodes.EntityExists,
    `"${type}" creates entity ${entity}, which already exists. Make a new id with newEntityId() or ctx.create(), or use an event declared entity: 'existing'.`,
    { type, entity },
  );
}

/** The error for an `entity: 'existing'` event whose entity does not exist. */
function entityNotFound(type: string, entity: string): EntityRuleError {
  return new EntityRuleError(
    ErrorCodes.EntityNotFound,
    `"${type}" is about entity ${entity}, which does not exist. Create it first with an event declared entity: 'new'.`,
    { type, entity },
  );
}

/** The error for an input about an entity its actor neither owns nor was granted. */
function entityNotOwned(
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
