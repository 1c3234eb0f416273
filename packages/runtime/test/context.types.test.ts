import { describe, expectTypeOf, it } from 'vitest';
import {
  defineEvent,
  EventSystem,
  type Envelope,
  type EventType,
  type Listener,
  type ListenerContext,
} from '../src/index.ts';

const FileTagged = defineEvent<{ file: string; tag: string }, 'FileTagged'>('FileTagged', {
  entity: 'existing',
});
type FileTagged = typeof FileTagged;
const system = new EventSystem({ seed: 1 });

describe('listener types', () => {
  it('gives a listener the typed envelope of its event type without a cast', () => {
    system.subscribe(FileTagged, (event, ctx) => {
      expectTypeOf(event).toEqualTypeOf<Envelope<FileTagged>>();
      expectTypeOf(event.data.tag).toEqualTypeOf<string>();
      expectTypeOf(event.type).toEqualTypeOf<'FileTagged'>();
      expectTypeOf(ctx.now).toEqualTypeOf<number>();
    });
  });

  it('gives ctx no way to the queue', () => {
    expectTypeOf<keyof ListenerContext>().toEqualTypeOf<
      'emit' | 'create' | 'schedule' | 'cancel' | 'state' | 'query' | 'now' | 'tick' | 'random'
    >();
    system.subscribe(FileTagged, (_event, ctx) => {
      // @ts-expect-error a listener cannot pop the queue
      void ctx.pop;
      // @ts-expect-error a listener cannot read the queue
      void ctx.queue;
      // @ts-expect-error a listener cannot clear the queue
      void ctx.clear;
      // @ts-expect-error a listener cannot tick the system
      void ctx.tick();
    });
  });

  it('refuses a wrong payload at compile time', () => {
    system.subscribe(FileTagged, (event, ctx) => {
      ctx.emit(FileTagged, event.entity, { file: 'a', tag: 'b' });
      // @ts-expect-error tag must be a string
      ctx.emit(FileTagged, event.entity, { file: 'a', tag: 1 });
      // @ts-expect-error file is missing
      ctx.emit(FileTagged, event.entity, { tag: 'b' });
    });
  });

  it('lets a listener of a base payload stand where a subtype’s listener is expected', () => {
    type Base = EventType<string, { file: string }>;
    const logFile: Listener<Base> = (event) => void event.data.file;
    system.subscribe(FileTagged, logFile);
    // The reverse is unsound and refused: a listener needing `tag` cannot take any base event.
    const needsTag = (event: Envelope<FileTagged>): void => void event.data.tag;
    // @ts-expect-error a subtype's listener is not a base listener
    const wrong: Listener<Base> = needsTag;
    void wrong;
  });
});
