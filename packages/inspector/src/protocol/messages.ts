import type { WireError } from './errors.ts';
import type { Activity, Divergence, StoredEnvelope, TickCommit } from '@causeway/runtime';

/**
 * The protocol's version. The agent announces it in its `hello` push; a client built for
 * another version closes the connection rather than misread the frames.
 */
export const PROTOCOL_VERSION = 1;

/** The largest frame the agent accepts from a client, in bytes; bigger frames close the socket. */
export const MAX_CLIENT_FRAME_BYTES = 1024 * 1024;

/** The most items one page of any paged method returns. */
export const MAX_PAGE_ITEMS = 1000;

/** The longest text param (an event filter's strings, a path key), in UTF-16 code units. */
export const MAX_TEXT_PARAM = 1000;

/** The longest entity id `entityHistory` takes. */
export const MAX_ENTITY_PARAM = 100;

/** The most keys a state path (`stateAt`, `pathHistory`) holds. */
export const MAX_PATH_KEYS = 64;

/**
 * The path of the agent's WebSocket endpoint. The agent serves the UI at `/` on the same port,
 * so the UI connects to `ws://<its own host>/ws?token=<token>`.
 */
export const WS_PATH = '/ws';

/** The name of the URL query parameter that carries the agent's token in the handshake. */
export const TOKEN_PARAM = 'token';

/** An event as the protocol carries it: a stored envelope, exactly as the log holds it. */
export type WireEvent = StoredEnvelope;

/** One state path: table, entity id, then keys and array indexes inside the value. */
export type StatePath = readonly (string | number)[];

/** One immer-style patch of the state (JSON-patch-like, with the path as segments). */
export interface WirePatch {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path: StatePath;
  /** The new value; absent for `remove`. */
  readonly value?: unknown;
}

/** Filters of the `events` method. All given filters must match (AND). */
export interface EventFilter {
  /** Event type name, exactly. */
  readonly type?: string;
  /** Entity id the event is about. */
  readonly entity?: string;
  /** Id of the chain's root input. */
  readonly correlation?: string;
  /** Who emitted it: an input's source or a listener's name, exactly. */
  readonly actor?: string;
  /** First tick, inclusive. */
  readonly fromTick?: number;
  /** Last tick, inclusive. */
  readonly toTick?: number;
  /** First seq, inclusive. */
  readonly fromSeq?: number;
  /** Last seq, inclusive. */
  readonly toSeq?: number;
  /** Case-insensitive text searched inside the payload (keys and values), type and actor. */
  readonly text?: string;
}

/** Counts and facts about the log the agent serves. */
export interface Summary {
  readonly protocol: number;
  /** `live` when attached to a running system, `offline` when serving a store alone. */
  readonly mode: 'live' | 'offline';
  /** The store's description (a path, or a URL without its password). */
  readonly store: string;
  readonly seed: number | null;
  readonly events: number;
  readonly ticks: number;
  readonly inputs: number;
  readonly lastCommit: TickCommit | null;
  /** Event type names the system knows, with their versions (empty offline without a system). */
  readonly types: readonly { readonly name: string; readonly version: number }[];
  /** Entities the system's registry holds (live), or null when unknown. */
  readonly entities: number | null;
  /** True when the agent can compute states (it has the application's appliers). */
  readonly states: boolean;
  /** True when the agent can re-execute the log (it has a `makeSystem`). */
  readonly verify: boolean;
  /** Seq up to which checkpoints and the path index are built. */
  readonly indexedSeq: number;
  /**
   * The other logs `compare` may open: the store URLs the agent was started with (credentials
   * hidden). Empty when it compares with none.
   */
  readonly compareWith: readonly string[];
}

/** A page of events. `next` is the cursor of the following page, or null at the end. */
export interface EventsPage {
  readonly events: readonly WireEvent[];
  readonly next: number | null;
  /** Seq up to which the log was scanned for this page (text and actor filters scan). */
  readonly scannedTo: number;
}

/** A node of an event's consequences: the event and what its listeners emitted, recursively. */
export interface ConsequenceNode {
  readonly event: WireEvent;
  readonly children: readonly ConsequenceNode[];
}

/** One event with why it happened and what it caused. */
export interface EventDetail {
  readonly event: WireEvent;
  /** The chain of causes, the event's direct cause first, ending at the input. */
  readonly causes: readonly WireEvent[];
  /** The tree of events the event caused. */
  readonly consequences: readonly ConsequenceNode[];
}

/** The name of the key that marks a {@link TruncatedValue}. */
export const TRUNCATED_KEY = '$truncated';

/** A map or array left out of a `stateAt` answer below its `depth`: its kind and size. */
export interface TruncatedValue {
  readonly $truncated: 'map' | 'array';
  /** Number of keys or elements. */
  readonly size: number;
}

/** True when `value` is a {@link TruncatedValue}. */
export function isTruncated(value: unknown): value is TruncatedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    TRUNCATED_KEY in value &&
    Object.keys(value).length === 2
  );
}

/** A map or array of a `stateAt` answer that carries part of its entries (see `width`). */
export interface StateWindow {
  /** Its path in the state. */
  readonly path: StatePath;
  /** The number, in the state's order, of the first entry carried. */
  readonly offset: number;
  /** How many entries the answer carries. */
  readonly shown: number;
  /** How many entries it has. */
  readonly size: number;
}

/** The state (or one value inside it) after an event. */
export interface StateAt {
  readonly seq: number;
  readonly path: StatePath;
  /** The value at `path`, or undefined when the path does not exist. */
  readonly value: unknown;
  /** True when the path exists in the state. */
  readonly exists: boolean;
  /**
   * The maps and arrays that carry only part of their entries (asked with `width`), parents
   * before their children; empty when nothing was cut. An array cut this way carries entries
   * `offset` … `offset + shown - 1` as its elements 0 … `shown - 1`.
   */
  readonly windows: readonly StateWindow[];
}

/** One place where a state search matched: a key, or a value. */
export interface StateMatch {
  readonly path: StatePath;
  readonly on: 'key' | 'value';
}

/** What a search of the state after an event found (see the `searchState` method). */
export interface StateSearch {
  readonly seq: number;
  readonly matches: readonly StateMatch[];
  /** True when the search stopped at its limit: more places match. */
  readonly truncated: boolean;
  /** The state cut down to the entries that hold a match. */
  readonly state: unknown;
  /** The maps and arrays of `state` that carry part of their entries, as in {@link StateAt}. */
  readonly windows: readonly StateWindow[];
}

/** One path whose value differs between two states. */
export interface StateChange {
  readonly path: StatePath;
  /** False when the path is absent from the base state (`before` is then left out). */
  readonly existedBefore: boolean;
  readonly before?: unknown;
  /** False when the path is absent from the later state (`after` is then left out). */
  readonly existsAfter: boolean;
  readonly after?: unknown;
}

/** The difference between the states after two events (see the `diffStates` method). */
export interface StateDiff {
  readonly seq: number;
  readonly base: number;
  readonly changes: readonly StateChange[];
  /** True when the diff stopped at its limit: more paths differ. */
  readonly truncated: boolean;
}

/** The patches of one event: what it changed, and how to undo it. */
export interface EventPatchSet {
  readonly seq: number;
  readonly patches: readonly WirePatch[];
  readonly inverse: readonly WirePatch[];
}

/** One change of a value: the event, and the value before and after it. */
export interface PathChange {
  readonly seq: number;
  readonly tick: number;
  readonly type: string;
  readonly entity: string;
  readonly actor: string;
  /** True when the path existed before the event. */
  readonly existedBefore: boolean;
  readonly before: unknown;
  /** True when the path exists after the event. */
  readonly existsAfter: boolean;
  readonly after: unknown;
}

/** A page of a path's history, oldest change first. */
export interface PathHistoryPage {
  readonly path: StatePath;
  readonly changes: readonly PathChange[];
  readonly next: number | null;
  /** Seq up to which the log is indexed: changes after it are not listed yet. */
  readonly indexedSeq: number;
}

/** One entity's components after one event that changed it. */
export interface EntityVersion {
  readonly seq: number;
  readonly tick: number;
  readonly type: string;
  /** The entity's value in each table holding it, after the event (absent: removed). */
  readonly components: Readonly<Record<string, unknown>>;
}

/** A page of an entity's history, oldest first. */
export interface EntityHistoryPage {
  readonly entity: string;
  readonly versions: readonly EntityVersion[];
  readonly next: number | null;
  readonly indexedSeq: number;
}

/** A page of tick commits. */
export interface CommitsPage {
  readonly commits: readonly TickCommit[];
  /** The `afterTick` of the next page, or null at the end. */
  readonly next: number | null;
}

/** The listener runs of one tick (wall-clock times; not part of the log). */
export interface TickActivities {
  readonly tick: number;
  readonly runs: readonly Activity[];
  readonly totalMs: number;
}

/** Result of verify and compare: the same, or the first divergence. */
export type ComparisonResult =
  | { readonly ok: true; readonly ticks: number; readonly events: number }
  | { readonly ok: false; readonly divergence: Divergence };

/** A generated test file. */
export interface ExportedTest {
  /** Suggested file name, ending in `.test.ts`. */
  readonly fileName: string;
  /** The file's TypeScript source. */
  readonly source: string;
  /** The input range the test reproduces. */
  readonly fromInput: number;
  readonly toInput: number;
  readonly ticks: number;
}

/**
 * Every method: its params and its result. The client and the agent are typed from this one
 * table, so a method cannot be called with the wrong params or misread its result.
 */
export interface Methods {
  /** Counts, ticks, event types, entities, the store and the seed. */
  summary: { params: Record<string, never>; result: Summary };
  /** A page of events matching the filters, in seq order, from `cursor` (a seq). */
  events: {
    params: { filter?: EventFilter; cursor?: number; limit?: number };
    result: EventsPage;
  };
  /** One event with its causation chain up to the input and its tree of consequences. */
  event: { params: { seq: number }; result: EventDetail };
  /**
   * The state after event `seq` (0: the initial state), or the value at `path` inside it. With
   * `depth`, maps and arrays deeper than `depth` levels below the path come as
   * {@link TruncatedValue}s (ask for their path to open them). With `width`, maps and arrays
   * holding more than `width` entries carry `width` of them, in the state's own order: the
   * value at `path` from its entry number `offset` (default 0), those below it from their
   * first; {@link StateAt.windows} lists each one cut (ask for its path with an `offset` to
   * page through it).
   */
  stateAt: {
    params: { seq: number; path?: StatePath; depth?: number; width?: number; offset?: number };
    result: StateAt;
  };
  /**
   * Searches the state after event `seq` for `query` (case-insensitively, in keys and in
   * strings, numbers, booleans and nulls), depth first in the state's order, up to `limit`
   * matches (default and most 1,000). The answer carries the state cut down to what holds a
   * match: each table's matching entries, whole up to three levels and 200 entries a map
   * (its `windows` list what was cut).
   */
  searchState: {
    params: { seq: number; query: string; limit?: number };
    result: StateSearch;
  };
  /**
   * The leaf-most paths whose values differ between the states after events `base` and `seq`,
   * in `seq`'s order (then paths only in `base`), at most `limit` (default 500, most 1,000).
   */
  diffStates: {
    params: { seq: number; base: number; limit?: number };
    result: StateDiff;
  };
  /** The patches and inverse patches of one event. */
  patches: { params: { seq: number }; result: EventPatchSet };
  /** Every event that changed `path` (or a value under it), with the value before and after. */
  pathHistory: {
    params: { path: StatePath; cursor?: number; limit?: number };
    result: PathHistoryPage;
  };
  /** All components of one entity after each event that changed it. */
  entityHistory: {
    params: { entity: string; cursor?: number; limit?: number };
    result: EntityHistoryPage;
  };
  /** Tick commits with their hashes, after `afterTick`. */
  commits: { params: { afterTick?: number; limit?: number }; result: CommitsPage };
  /** Starts `tail` pushes for every new commit (coalesced when the client reads slowly). */
  follow: { params: Record<string, never>; result: { readonly lastSeq: number } };
  /** Stops `tail` pushes. */
  unfollow: { params: Record<string, never>; result: { readonly following: false } };
  /** Re-executes the log and reports the first divergence; `verifyProgress` pushes meanwhile. */
  verify: { params: Record<string, never>; result: ComparisonResult };
  /**
   * Compares the served log with another store tick by tick. `other` must be one of the store
   * URLs the agent was started with ({@link Summary.compareWith}); any other is refused with
   * `forbidden`, so the token never lets a client open an arbitrary folder or database.
   */
  compare: { params: { other: string }; result: ComparisonResult };
  /** Listener runs per tick, from the activities meta log (live only). */
  activities: {
    params: { fromTick?: number; toTick?: number };
    result: { readonly ticks: readonly TickActivities[] };
  };
  /** A given/when/then test file that reproduces the inputs `fromInput..toInput`. */
  exportTest: {
    params: { fromInput: number; toInput: number; name?: string };
    result: ExportedTest;
  };
}

/** A method's name. */
export type MethodName = keyof Methods;
/** The params of method `M`. */
export type ParamsOf<M extends MethodName> = Methods[M]['params'];
/** The result of method `M`. */
export type ResultOf<M extends MethodName> = Methods[M]['result'];

/** Every method name, for validation and listings. */
export const methodNames: readonly MethodName[] = [
  'summary',
  'events',
  'event',
  'stateAt',
  'searchState',
  'diffStates',
  'patches',
  'pathHistory',
  'entityHistory',
  'commits',
  'follow',
  'unfollow',
  'verify',
  'compare',
  'activities',
  'exportTest',
];

/** True when `name` is a method of the protocol. */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && (methodNames as readonly string[]).includes(name);
}

/**
 * Server pushes: messages the agent sends without a request. `hello` is the first frame of
 * every connection.
 */
export interface Pushes {
  hello: { readonly protocol: number; readonly mode: 'live' | 'offline'; readonly store: string };
  /**
   * New commits since the last `tail` push. When the client reads slowly, pushes are coalesced:
   * `commits` holds only the newest commits and `skipped` counts those left out; the client
   * pages the rest with `events`/`commits`.
   */
  tail: {
    readonly commits: readonly TickCommit[];
    readonly skipped: number;
    readonly lastSeq: number;
  };
  /** Progress of a running `verify`. */
  verifyProgress: { readonly ticks: number; readonly ofTicks: number };
  /** Progress of the agent's own indexing (checkpoints and path index). */
  indexProgress: { readonly indexedSeq: number; readonly lastSeq: number };
}

/** A push topic. */
export type PushTopic = keyof Pushes;

/** A request frame, client to agent. `id` is chosen by the client and echoed in the response. */
export interface RequestFrame<M extends MethodName = MethodName> {
  readonly kind: 'request';
  readonly id: number;
  readonly method: M;
  readonly params: ParamsOf<M>;
}

/** A successful response frame. */
export interface ResultFrame<M extends MethodName = MethodName> {
  readonly kind: 'result';
  readonly id: number;
  readonly result: ResultOf<M>;
}

/** An error response frame; `id` is null when the request's id could not be read. */
export interface ErrorFrame {
  readonly kind: 'error';
  readonly id: number | null;
  readonly error: WireError;
}

/** A push frame. */
export interface PushFrame<T extends PushTopic = PushTopic> {
  readonly kind: 'push';
  readonly topic: T;
  readonly data: Pushes[T];
}

/** Any frame the agent sends. */
export type ServerFrame = ResultFrame | ErrorFrame | PushFrame;
/** Any frame a client sends. */
export type ClientFrame = RequestFrame;
