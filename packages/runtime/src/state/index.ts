export { defineComponent, Queries } from './component.ts';
export type { Component, Table, ValueOf } from './component.ts';
export { hashState, hashValue, StateHasher } from './hash.ts';
