import { describe, expect, it } from 'vitest';
import { agentAddress } from '../src/ui/app/agent-address.ts';
import {
  emptySelection,
  isFiltered,
  selectionFromHash,
  selectionToHash,
} from '../src/ui/selection/url-selection.ts';

describe('the URL holds the selection', () => {
  it('round-trips seq, filters, tab, path, entity, state search and comparison', () => {
    const selection = {
      seq: 42,
      filter: { type: 'Moved', entity: '0190-ab', text: 'sword', fromTick: 3, toTick: 9 },
      tab: 'history' as const,
      path: ['position', 'a.b', 0],
      entity: '0190-ab',
      stateQuery: 'hp',
      compare: 'file:./peer-b',
    };
    expect(selectionFromHash(selectionToHash(selection))).toEqual(selection);
  });

  it('writes nothing for the empty selection', () => {
    expect(selectionToHash(emptySelection)).toBe('');
  });

  it('drops malformed parts of an edited link instead of failing', () => {
    const selection = selectionFromHash('#seq=-4&tab=nope&path=%5Bbroken&fromTick=x&type=Moved');
    expect(selection).toEqual({ ...emptySelection, filter: { type: 'Moved' } });
  });

  it('drops the parts of a link that the agent would refuse, so the link still opens', () => {
    // Arrange: filters of tick and seq 0, a search and an entity longer than the protocol
    // takes, a path with a negative index, and one with more keys than a path holds.
    const long = 'a'.repeat(1001);
    const deep = encodeURIComponent(JSON.stringify(Array.from({ length: 65 }, () => 'k')));
    // Act
    const zeros = selectionFromHash('#fromTick=0&toTick=0&fromSeq=0&toSeq=0&seq=0');
    const bounded = selectionFromHash(`#text=${long}&of=${'b'.repeat(101)}&path=[-1]`);
    const tooDeep = selectionFromHash(`#path=${deep}`);
    // Assert: seq 0 is the initial state and stays.
    expect(zeros).toEqual({ ...emptySelection, seq: 0 });
    expect(bounded).toEqual(emptySelection);
    expect(tooDeep.path).toBeNull();
  });

  it('tells a filtered view from the full log', () => {
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ actor: 'referee' })).toBe(true);
  });
});

describe('the agent a page talks to', () => {
  it('is the socket of the server that served the page, with the page token', () => {
    const address = agentAddress({
      protocol: 'http:',
      host: '127.0.0.1:7001',
      search: '?token=abc',
    });
    expect(address).toEqual({ url: 'ws://127.0.0.1:7001/ws?token=abc', host: '127.0.0.1:7001' });
  });

  it('is none when the page has no token', () => {
    expect(agentAddress({ protocol: 'file:', host: '', search: '' })).toBeNull();
  });

  it('can be named explicitly with agent=', () => {
    const address = agentAddress({
      protocol: 'file:',
      host: '',
      search: `?agent=${encodeURIComponent('ws://127.0.0.1:9/ws')}&token=t`,
    });
    expect(address?.url).toBe('ws://127.0.0.1:9/ws?token=t');
  });
});
