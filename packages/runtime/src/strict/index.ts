export {
  isStrictActive,
  observeStrictViolations,
  setStrictByDefault,
  strictGuard,
  strictly,
} from './strict-mode.ts';
export type { StrictViolation } from './strict-mode.ts';
