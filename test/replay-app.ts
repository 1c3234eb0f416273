/**
 * The application the property-based replay suite runs: a tag store. Files are added and
 * tagged; a listener marks a file popular at its third tag (making a badge entity with
 * ctx.create); a timer archives a file two seconds after its last tag (cancelled and rescheduled
 * by each new tag); a listener samples tags with ctx.random; a per-tick system keeps a count.
 * Snapshots are taken every three ticks, so rebuilds start from them.
 */
import {
  defineEvent,
  EventSystem,
  type EventStore,
  type EventSystemOptions,
  type Table,
} from '@causeway/runtime';

export interface Tags {
  files: Table<{ name: string; tags: string[]; archived: boolean }>;
  badges: Table<string>;
  sampled: Table<number>;
  timers: Table<string>;
  stats: Table<number>;
}

export const FileAdded = defineEvent<{ name: string }, 'FileAdded'>('FileAdded', {
  entity: 'new',
});
export const FileTagged = defineEvent<{ tag: string }, 'FileTagged'>('FileTagged', {
  entity: 'existing',
});
export const FileUntagged = defineEvent<{ tag: string }, 'FileUntagged'>('FileUntagged', {
  entity: 'existing',
});
export const BadgeAwarded = defineEvent<{ file: string }, 'BadgeAwarded'>('BadgeAwarded', {
  entity: 'new',
});
export const FileArchived = defineEvent<Record<string, never>, 'FileArchived'>('FileArchived', {
  entity: 'existing',
});
export const TagSampled = defineEvent<{ weight: number }, 'TagSampled'>('TagSampled', {
  entity: 'existing',
});
export const ArchiveTimerSet = defineEvent<{ timer: string }, 'ArchiveTimerSet'>(
  'ArchiveTimerSet',
  { entity: 'existing' },
);

/** Options a suite may add; the store is always given. */
export type TagsOptions = Omit<EventSystemOptions<Tags>, 'store' | 'seed' | 'initialState'>;

/** Makes the tag store on `store`. */
export function makeTags(store: EventStore, options: TagsOptions = {}): EventSystem<Tags> {
  const system = new EventSystem<Tags>({
    seed: 2024,
    snapshotEvery: 3,
    ...options,
    store,
    initialState: { files: {}, badges: {}, sampled: {}, timers: {}, stats: {} },
  });
  system.apply(FileAdded, (draft, e) => {
    draft.files[e.entity] = { name: e.data.name, tags: [], archived: false };
  });
  system.apply(FileTagged, (draft, e) => {
    const file = draft.files[e.entity];
    if (file !== undefined && !file.tags.includes(e.data.tag)) file.tags.push(e.data.tag);
  });
  system.apply(FileUntagged, (draft, e) => {
    const file = draft.files[e.entity];
    if (file !== undefined) file.tags = file.tags.filter((t) => t !== e.data.tag);
  });
  system.apply(BadgeAwarded, (draft, e) => {
    draft.badges[e.entity] = e.data.file;
  });
  system.apply(FileArchived, (draft, e) => {
    const file = draft.files[e.entity];
    if (file !== undefined) file.archived = true;
  });
  system.apply(TagSampled, (draft, e) => {
    draft.sampled[e.entity] = (draft.sampled[e.entity] ?? 0) + e.data.weight;
  });
  system.apply(ArchiveTimerSet, (draft, e) => {
    draft.timers[e.entity] = e.data.timer;
  });
  system.subscribe(FileTagged, function awardBadge(e, ctx) {
    const file = ctx.state.files[e.entity];
    if (file?.tags.length === 3) ctx.emit(BadgeAwarded, ctx.create(), { file: e.entity });
  });
  system.subscribe(FileTagged, function archiveWhenIdle(e, ctx) {
    const previous = ctx.state.timers[e.entity];
    if (previous !== undefined) ctx.cancel(previous);
    const timer = ctx.schedule(2000, FileArchived, e.entity, {});
    ctx.emit(ArchiveTimerSet, e.entity, { timer });
  });
  system.subscribe(FileTagged, function sample(e, ctx) {
    if (ctx.random() < 0.3)
      ctx.emit(TagSampled, e.entity, { weight: Math.floor(ctx.random() * 100) });
  });
  system.subscribe(FileUntagged, function unarchive(e, ctx) {
    const timer = ctx.state.timers[e.entity];
    if (timer !== undefined && ctx.cancel(timer))
      ctx.emit(ArchiveTimerSet, e.entity, { timer: '' });
  });
  system.system('stats', (ctx) => {
    const files = Object.keys(ctx.state.files).length;
    const first = Object.keys(ctx.state.files).sort()[0];
    if (first !== undefined && files % 2 === 0) ctx.emit(TagSampled, first, { weight: files });
  });
  return system;
}
