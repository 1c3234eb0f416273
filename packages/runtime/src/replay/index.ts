export {
  assertNoDivergence,
  commitFields,
  envelopeFields,
  firstDivergence,
  formatDivergence,
} from './divergence.ts';
export type {
  CommitField,
  Divergence,
  DivergenceCheck,
  DivergenceOptions,
  DivergenceReason,
  EnvelopeField,
  EventDifference,
  LogSource,
  StateComparison,
} from './divergence.ts';
export { rebuild } from './rebuild.ts';
export type { MakeSystem, RebuildOptions, Rebuilt } from './rebuild.ts';
export { reexecute } from './reexecute.ts';
export { diffValues } from './state-diff.ts';
export type { PathDifference } from './state-diff.ts';
