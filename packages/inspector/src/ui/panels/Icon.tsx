import type { ReactNode } from 'react';

/** The transport icons, drawn as SVG so they look the same whatever fonts the machine has. */
export type IconName = 'first' | 'back' | 'play' | 'pause' | 'forward' | 'last';

const PATHS: Readonly<Record<IconName, string>> = {
  first: 'M3 3h2v10H3zM13 3v10L6 8z',
  back: 'M12 3v10L5 8z',
  play: 'M5 3v10l8-5z',
  pause: 'M4 3h3v10H4zM9 3h3v10H9z',
  forward: 'M4 3v10l7-5zM11 3h2v10h-2z',
  last: 'M3 3v10l7-5zM11 3h2v10h-2z',
};

/** A 16×16 icon in the current text colour. */
export function Icon(props: { readonly name: IconName }): ReactNode {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d={PATHS[props.name]} fill="currentColor" />
    </svg>
  );
}
