import type { ReactNode } from 'react';
import { Icon } from './Icon.tsx';

/** Transport buttons: first, step back, play/pause, step forward, last, and follow live. */
export function PlaybackControls(props: {
  readonly playing: boolean;
  readonly following: boolean;
  readonly live: boolean;
  readonly onFirst: () => void;
  readonly onBack: () => void;
  readonly onPlay: () => void;
  readonly onForward: () => void;
  readonly onLast: () => void;
  readonly onFollow: () => void;
}): ReactNode {
  return (
    <div className="playback" role="toolbar" aria-label="Playback">
      <button
        type="button"
        className="button icon"
        onClick={props.onFirst}
        title="First event (Home)"
        aria-label="First event"
      >
        <Icon name="first" />
      </button>
      <button
        type="button"
        className="button icon"
        onClick={props.onBack}
        title="Step back (←)"
        aria-label="Step back"
      >
        <Icon name="back" />
      </button>
      <button
        type="button"
        className={props.playing ? 'button icon active' : 'button icon'}
        onClick={props.onPlay}
        title={props.playing ? 'Pause (Space)' : 'Play (Space)'}
        aria-label={props.playing ? 'Pause' : 'Play'}
        aria-pressed={props.playing}
      >
        <Icon name={props.playing ? 'pause' : 'play'} />
      </button>
      <button
        type="button"
        className="button icon"
        onClick={props.onForward}
        title="Step forward (→)"
        aria-label="Step forward"
      >
        <Icon name="forward" />
      </button>
      <button
        type="button"
        className="button icon"
        onClick={props.onLast}
        title="Last event (End)"
        aria-label="Last event"
      >
        <Icon name="last" />
      </button>
      <button
        type="button"
        className={props.following ? 'button follow active' : 'button follow'}
        onClick={props.onFollow}
        title={
          props.live
            ? 'Follow new events as they commit (f)'
            : 'Follow new commits to the store (f)'
        }
        aria-pressed={props.following}
      >
        <i className="follow-dot" aria-hidden="true" /> Follow
      </button>
    </div>
  );
}
